/* libm, part 1: the exact functions (sqrt correctly rounded, rounding to integers, fmod,
 * modf, frexp, ldexp) and hypot. Integer operations on the bits, so the same on every
 * machine; the algorithms are the textbook ones (sqrt: digit-by-digit square root of the
 * significand, as in fdlibm's e_sqrt.c; fmod: shift-and-subtract, as in fdlibm's
 * e_fmod.c), written for this runtime. */
#include <math.h>

#include "rt_libm.h"

#define EXP_MASK 0x7ff0000000000000ull
#define FRAC_MASK 0x000fffffffffffffull
#define HIDDEN 0x0010000000000000ull

double fabs(double x) { return rt_from_bits(rt_bits(x) & ~(1ull << 63)); }

double copysign(double x, double y)
{
    return rt_from_bits((rt_bits(x) & ~(1ull << 63)) | (rt_bits(y) & (1ull << 63)));
}

/* Significand and exponent of a finite nonzero x: |x| = m * 2^e, 2^52 <= m < 2^53. */
static void decompose(double x, uint64_t *m, int *e)
{
    uint64_t u = rt_bits(x) & ~(1ull << 63);
    int biased = (int)(u >> 52);
    if (biased == 0) { /* subnormal: normalize */
        int shift = 0;
        while (!(u & HIDDEN)) {
            u <<= 1;
            shift++;
        }
        *m = u;
        *e = -1074 - shift;
        return;
    }
    *m = (u & FRAC_MASK) | HIDDEN;
    *e = biased - 1075;
}

double rt_scalbn(double x, int n)
{
    /* three exact steps at most keep intermediate results normal; only the last one can
     * round (into the subnormal range) */
    if (n > 1023) {
        x *= rt_pow2(1023);
        n -= 1023;
        if (n > 1023) {
            x *= rt_pow2(1023);
            n -= 1023;
            if (n > 1023)
                n = 1023;
        }
    } else if (n < -1022) {
        x *= rt_pow2(-1022) * rt_pow2(53); /* 2^-969: stays exact while normal */
        n += 969;
        if (n < -1022) {
            x *= rt_pow2(-1022) * rt_pow2(53);
            n += 969;
            if (n < -1022)
                n = -1022;
        }
    }
    return x * rt_pow2(n);
}

double ldexp(double x, int n) { return rt_scalbn(x, n); }

double frexp(double x, int *e)
{
    uint64_t m;
    int exponent;
    *e = 0;
    if (x == 0 || (rt_bits(x) & EXP_MASK) == EXP_MASK)
        return x;
    decompose(x, &m, &exponent);
    *e = exponent + 53;
    return rt_from_bits((rt_bits(x) & (1ull << 63)) | (1022ull << 52) | (m & FRAC_MASK));
}

/* Correctly rounded: the integer square root of the significand, 53 bits and a remainder
 * that decides the rounding (ties cannot happen). */
double sqrt(double x)
{
    uint64_t m, root = 0, rem = 0;
    int e, i;
    if (x == 0 || x != x || x == rt_inf())
        return x; /* +-0, NaN and +inf are their own roots */
    if (x < 0)
        return rt_nan();
    decompose(x, &m, &e);
    if (e & 1) { /* make the exponent even: x = m * 2^e with m < 2^54 */
        m <<= 1;
        e--;
    }
    /* root = floor(sqrt(m * 2^52)), two bits of m * 2^52 per step from the top */
    for (i = 0; i < 53; i++) {
        int shift = 52 - 2 * i;
        uint64_t trial;
        rem = (rem << 2) | (shift >= 0 ? (m >> shift) & 3 : 0);
        trial = (root << 2) | 1;
        if (rem >= trial) {
            rem -= trial;
            root = (root << 1) | 1;
        } else {
            root <<= 1;
        }
    }
    if (rem > root) /* sqrt > root + 1/2 */
        root++;
    /* sqrt(x) = sqrt(m * 2^52) * 2^((e - 52) / 2); root <= 2^53 is exact as a double */
    return rt_scalbn((double)(int32_t)(root >> 32) * 4294967296.0 + rt_u32_to_double((uint32_t)root),
                     (e - 52) / 2);
}

/* x with the fraction bits below 2^0 cleared, i.e. rounded toward zero. */
double trunc(double x)
{
    uint64_t u = rt_bits(x);
    int e = (int)((u >> 52) & 0x7ff) - 1023;
    if (e >= 52)
        return x; /* integral, infinite or NaN */
    if (e < 0)
        return rt_from_bits(u & (1ull << 63));
    return rt_from_bits(u & ~(FRAC_MASK >> e));
}

double floor(double x)
{
    double t = trunc(x);
    return t > x ? t - 1.0 : t;
}

double ceil(double x)
{
    double t = trunc(x);
    return t < x ? t + 1.0 : t;
}

/* Halfway cases away from zero, as C's round. */
double round(double x)
{
    double t = trunc(x);
    if (fabs(x - t) >= 0.5)
        t += x < 0 ? -1.0 : 1.0;
    return t;
}

double modf(double x, double *integral)
{
    double t = trunc(x);
    *integral = t;
    if (t == x) /* integral or infinite: the fraction is a zero of x's sign */
        return x != x ? x : copysign(0.0, x);
    return x - t;
}

/* Exact: x - n*y with n = trunc(x/y), by shift-and-subtract on the significands. */
double fmod(double x, double y)
{
    uint64_t mx, my;
    int ex, ey;
    int negative = rt_sign(x);
    if (x != x || y != y)
        return x != x ? x : y;
    if ((rt_bits(x) & EXP_MASK) == EXP_MASK || y == 0)
        return rt_nan();
    if (x == 0 || (rt_bits(y) & EXP_MASK) == EXP_MASK || fabs(x) < fabs(y))
        return x;
    decompose(x, &mx, &ex);
    decompose(y, &my, &ey);
    for (; ex > ey; ex--) {
        if (mx >= my)
            mx -= my;
        mx <<= 1;
    }
    if (mx >= my)
        mx -= my;
    if (mx == 0)
        return copysign(0.0, x);
    while (!(mx & HIDDEN)) {
        mx <<= 1;
        ey--;
    }
    /* |result| = mx * 2^ey < |y|: exact even when subnormal */
    x = rt_scalbn(rt_from_bits((1075ull << 52) | (mx & FRAC_MASK)), ey);
    return negative ? -x : x;
}

/* sqrt(x^2 + y^2) without spurious overflow: the sum of squares as a double-double, its
 * root corrected by one Newton step in double-double. */
double hypot(double x, double y)
{
    double big, small, scale = 1.0, sh, sl, ph, pl, r, rh, rl;
    int e;
    if (rt_high_abs(x) >= 0x7ff00000 || rt_high_abs(y) >= 0x7ff00000) {
        if (fabs(x) == rt_inf() || fabs(y) == rt_inf())
            return rt_inf();
        return x != x ? x : y;
    }
    big = fabs(x);
    small = fabs(y);
    if (big < small) {
        r = big;
        big = small;
        small = r;
    }
    if (small == 0)
        return big;
    e = (int)(rt_high_abs(big) >> 20) - 1023;
    if (e - (int)(rt_high_abs(small) >> 20) + 1023 > 60)
        return big + small;
    /* scale so that big is near 1: squares neither overflow nor lose bits to underflow */
    if (e > 500 || e < -500) {
        scale = rt_scalbn(1.0, e);
        big = rt_scalbn(big, -e);
        small = rt_scalbn(small, -e);
    }
    rt_two_prod(big, big, &sh, &sl);
    rt_two_prod(small, small, &ph, &pl);
    rt_two_sum(sh, ph, &sh, &r);
    sl += r + pl;
    rt_fast_two_sum(sh, sl, &sh, &sl);
    r = sqrt(sh);
    rt_two_prod(r, r, &rh, &rl);
    r += ((sh - rh) - rl + sl) / (2.0 * r);
    return r * scale;
}
