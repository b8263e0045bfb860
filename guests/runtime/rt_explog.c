/* libm, part 2: exp, expm1, log, log2, log10, pow, sinh, cosh, tanh.
 *
 * exp follows fdlibm's e_exp.c (x = k ln2 + r with ln2 in two parts, exp(r) from Remez's
 * rational form with fdlibm's coefficients P1..P5), taking an extra low part so that pow
 * can pass y*log(x) as a double-double. log is computed to about 2^-66 as a double-double
 * from log(m) = 2 atanh(s), s = (m-1)/(m+1), the leading term and the quotient carried in
 * double-double; log, log2 and log10 round that once. pow(x, y) = exp(y log x) from those
 * double-doubles; an integral |y| <= 1024 takes the double-double binary powering
 * instead, so exact powers (3^5 = 243) come out exact. expm1 uses the Taylor series on
 * the reduced argument; sinh, cosh, tanh are fdlibm's formulas on top of expm1 and exp. */
#include <math.h>

#include "rt_libm.h"

static const double ln2_hi = 0x1.62e42fee00000p-1; /* 32 bits: k * ln2_hi is exact */
static const double ln2_lo = 0x1.a39ef35793c76p-33;
static const double inv_ln2 = 0x1.71547652b82fep+0;
static const double overflow_at = 0x1.62e42fefa39efp+9;   /* exp(x) overflows above */
static const double underflow_at = -0x1.74910d52d3051p+9; /* exp(x) is 0 below */

/* exp(r) = 1 + r + r*c/(2-c), c = r - r^2 (P1 + r^2 (P2 + ...)) on |r| <= ln2/2 */
static const double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
                    P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
                    P5 = 4.13813679705723846039e-08;

static int nearest_int(double x) { return (int)(x < 0 ? x - 0.5 : x + 0.5); }

double rt_exp_dd(double hi, double lo)
{
    double r_hi, r_lo, r, t, c, y;
    int k;
    if (hi != hi)
        return hi;
    if (hi > overflow_at)
        return rt_inf();
    if (hi < underflow_at)
        return 0.0;
    if (fabs(hi) < 0x1p-28)
        return 1.0 + hi;
    k = nearest_int(hi * inv_ln2);
    r_hi = hi - k * ln2_hi;
    r_lo = k * ln2_lo - lo; /* exp(hi + lo) = 2^k exp(r_hi - r_lo) */
    r = r_hi - r_lo;
    t = r * r;
    c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    y = 1.0 - ((r_lo - (r * c) / (2.0 - c)) - r_hi);
    return rt_scalbn(y, k);
}

double exp(double x) { return rt_exp_dd(x, 0.0); }

/* expm1 on |r| <= 0.35 as a double-double: the Taylor series to r^14, whose remainder
 * is below 2^-60 r; the low part keeps the rounding error of the final addition. */
static void expm1_small(double r, double *hi, double *lo)
{
    static const double inv_factorial[] = {
        1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
        1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0,
        1.0 / 87178291200.0,
    };
    double p = 0;
    int i;
    for (i = (int)(sizeof inv_factorial / sizeof inv_factorial[0]) - 1; i >= 0; i--)
        p = inv_factorial[i] + r * p;
    rt_fast_two_sum(r, r * r * p, hi, lo);
}

/* expm1(x) = hi + lo for finite x >= -40 below the overflow threshold. */
static void expm1_dd(double x, double *hi, double *lo)
{
    double r_hi, r_lo, r, correction, eh, el, scale;
    int k;
    if (fabs(x) <= 0.34) {
        expm1_small(x, hi, lo);
        return;
    }
    k = nearest_int(x * inv_ln2);
    r_hi = x - k * ln2_hi;
    r_lo = k * ln2_lo;
    r = r_hi - r_lo;
    correction = (r_hi - r) - r_lo;
    expm1_small(r, &eh, &el);
    el += correction * (1.0 + eh); /* expm1(r + c) = expm1(r) + c exp(r), to first order */
    if (k > 56) {
        *hi = rt_scalbn(1.0 + (eh + el), k);
        *lo = 0;
        return;
    }
    scale = rt_scalbn(1.0, k);
    rt_two_sum(scale - 1.0, scale * eh, hi, lo); /* 2^k - 1 is exact for k >= -53 */
    rt_fast_two_sum(*hi, *lo + scale * el, hi, lo);
}

double rt_expm1(double x)
{
    double hi, lo;
    if (x != x || x == rt_inf())
        return x;
    if (x > overflow_at)
        return rt_inf();
    if (x < -40.0)
        return -1.0;
    if (fabs(x) < 0x1p-54)
        return x;
    expm1_dd(x, &hi, &lo);
    return hi;
}

double expm1(double x) { return rt_expm1(x); }

void rt_log_dd(double x, double *hi, double *lo)
{
    /* 2/(2n+1) for n = 2..13: the atanh series past its cubic term */
    static const double series[] = {
        2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13, 2.0 / 15,
        2.0 / 17, 2.0 / 19, 2.0 / 21, 2.0 / 23, 2.0 / 25, 2.0 / 27,
    };
    static const double two_thirds_hi = 0x1.5555555555555p-1, two_thirds_lo = 0x1.5555555555555p-55;
    uint64_t u = rt_bits(x);
    int k = (int)(u >> 52) - 1023, i;
    double m, f, dh, dl, sh, sl, p, pe, z, zh, zl, ch, cl, rest, h, e, low;
    if (k == -1023) { /* subnormal */
        u = rt_bits(x * 0x1p54);
        k = (int)(u >> 52) - 1023 - 54;
    }
    m = rt_from_bits((u & 0x000fffffffffffffull) | (1023ull << 52));
    if (m > 1.4142135623730951) {
        m *= 0.5;
        k++;
    }
    f = m - 1.0; /* exact: 1/sqrt(2) <= m <= sqrt(2) */
    rt_two_sum(2.0, f, &dh, &dl);
    sh = f / dh;
    rt_two_prod(sh, dh, &p, &pe);
    sl = (((f - p) - pe) - sh * dl) / dh; /* s = sh + sl = f / (2 + f) */
    z = sh * sh;
    rest = 0;
    for (i = (int)(sizeof series / sizeof series[0]) - 1; i >= 0; i--)
        rest = series[i] + z * rest;
    rest *= sh * z * z;
    rt_two_prod(sh, sh, &zh, &zl);
    rt_dd_mul(zh, zl, sh, 0.0, &ch, &cl);
    rt_dd_mul(ch, cl, two_thirds_hi, two_thirds_lo, &ch, &cl); /* 2 s^3 / 3 */
    rt_two_sum(k * ln2_hi, 2.0 * sh, &h, &e);
    low = e + k * ln2_lo + 2.0 * sl + 2.0 * z * sl + cl + rest;
    rt_two_sum(h, ch, &h, &e);
    rt_fast_two_sum(h, e + low, hi, lo);
}

/* NaN, negative, zero and infinite arguments of the logarithms. */
static int log_special(double x, double *result)
{
    if (x != x) {
        *result = x;
    } else if (x < 0) {
        *result = rt_nan();
    } else if (x == 0) {
        *result = -rt_inf();
    } else if (x == rt_inf()) {
        *result = x;
    } else {
        return 0;
    }
    return 1;
}

double log(double x)
{
    double hi, lo;
    if (log_special(x, &hi))
        return hi;
    rt_log_dd(x, &hi, &lo);
    return hi;
}

static double log_scaled(double x, double scale_hi, double scale_lo)
{
    double hi, lo;
    if (log_special(x, &hi))
        return hi;
    rt_log_dd(x, &hi, &lo);
    rt_dd_mul(hi, lo, scale_hi, scale_lo, &hi, &lo);
    return hi;
}

double log2(double x) { return log_scaled(x, 0x1.71547652b82fep+0, 0x1.777d0ffda0d24p-56); }
double log10(double x) { return log_scaled(x, 0x1.bcb7b1526e50ep-2, 0x1.95355baaafad3p-57); }

double log1p(double x)
{
    double hi, lo, u;
    if (x != x || x == rt_inf())
        return x;
    if (x <= -1.0)
        return x == -1.0 ? -rt_inf() : rt_nan();
    if (fabs(x) < 0x1p-54)
        return x;
    /* log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded (Goldberg's trick) */
    u = 1.0 + x;
    rt_log_dd(u, &hi, &lo);
    return hi + (lo + (x - (u - 1.0)) / u);
}

/* x^n for integral |n| <= 1024 by binary powering in double-double; 0 when an
 * intermediate leaves [2^-450, 2^450] (the caller then takes exp(y log x)). */
static int pow_integral(double x, int n, double *result)
{
    double bh = x, bl = 0, rh = 1, rl = 0, q, p, e, residual;
    int left = n < 0 ? -n : n;
    if (!(x <= 0x1p450 && x >= 0x1p-450))
        return 0;
    while (left) {
        if (left & 1) {
            rt_dd_mul(rh, rl, bh, bl, &rh, &rl);
            if (!(rh <= 0x1p450 && rh >= 0x1p-450))
                return 0;
        }
        left >>= 1;
        if (left) {
            rt_dd_mul(bh, bl, bh, bl, &bh, &bl);
            if (!(bh <= 0x1p450 && bh >= 0x1p-450)) /* also catches an overflow's NaN */
                return 0;
        }
    }
    if (n >= 0) {
        *result = rh;
        return 1;
    }
    q = 1.0 / rh; /* then one Newton step on the double-double divisor */
    rt_two_prod(q, rh, &p, &e);
    residual = ((1.0 - p) - e) - q * rl;
    *result = q + q * residual;
    return 1;
}

static int is_odd_integer(double y)
{
    return fabs(y) < 0x1p53 && trunc(y) == y && fmod(y, 2.0) != 0;
}

double pow(double x, double y)
{
    double lh, ll, ph, pl, result;
    int negative = 0;
    if (y == 0 || x == 1.0)
        return 1.0;
    if (x != x || y != y)
        return x != x ? x : y;
    if (fabs(y) == rt_inf()) {
        if (x == -1.0)
            return 1.0;
        return (fabs(x) > 1.0) == (y > 0) ? rt_inf() : 0.0;
    }
    if (x == 0) {
        if (y < 0)
            return is_odd_integer(y) ? copysign(rt_inf(), x) : rt_inf();
        return is_odd_integer(y) ? x : 0.0;
    }
    if (fabs(x) == rt_inf()) {
        result = y < 0 ? 0.0 : rt_inf();
        return x < 0 && is_odd_integer(y) ? -result : result;
    }
    if (x < 0) {
        if (trunc(y) != y)
            return rt_nan();
        negative = is_odd_integer(y);
        x = -x;
    }
    if (fabs(y) <= 1024 && trunc(y) == y && pow_integral(x, (int)y, &result))
        return negative ? -result : result;
    rt_log_dd(x, &lh, &ll);
    ph = y * lh;
    if (ph > overflow_at + 1.0)
        return negative ? -rt_inf() : rt_inf();
    if (ph < underflow_at - 1.0)
        return negative ? -0.0 : 0.0;
    rt_two_prod(y, lh, &ph, &pl);
    pl += y * ll;
    rt_fast_two_sum(ph, pl, &ph, &pl);
    result = rt_exp_dd(ph, pl);
    return negative ? -result : result;
}

/* sinh |x| = (t + t / (t + 1)) / 2 with t = expm1(|x|): no cancellation; t and the
 * quotient in double-double, rounded once. */
double sinh(double x)
{
    double half = x < 0 ? -0.5 : 0.5, ax = fabs(x), th, tl, dh, dl, qh, ql, h, e, w;
    if (x != x || ax == rt_inf() || ax < 0x1p-28)
        return x;
    if (ax < 22.0) {
        expm1_dd(ax, &th, &tl);
        rt_two_sum(1.0, th, &dh, &dl);
        rt_dd_div(th, tl, dh, dl + tl, &qh, &ql);
        rt_two_sum(th, qh, &h, &e);
        return half * (h + (e + tl + ql));
    }
    if (ax < overflow_at)
        return half * exp(ax);
    w = exp(0.5 * ax); /* exp(ax) itself would overflow */
    return (half * w) * w;
}

double cosh(double x)
{
    double ax = fabs(x), t, w;
    if (x != x)
        return x;
    if (ax < 0.3465735902799726) {
        if (ax < 0x1p-55)
            return 1.0;
        t = rt_expm1(ax);
        w = 1.0 + t;
        return 1.0 + (t * t) / (w + w);
    }
    if (ax < 22.0) {
        t = exp(ax);
        return 0.5 * t + 0.5 / t;
    }
    if (ax < overflow_at)
        return 0.5 * exp(ax);
    w = exp(0.5 * ax);
    t = 0.5 * w;
    return t * w;
}

/* tanh |x| = t / (t + 2), t = expm1(2|x|), or -t / (t + 2), t = expm1(-2|x|) below 1 (no
 * cancellation either way): t and the quotient in double-double, rounded once. */
double tanh(double x)
{
    double ax = fabs(x), th, tl, dh, dl, qh, ql, z;
    if (x != x)
        return x;
    if (ax < 0x1p-55)
        return x;
    if (ax >= 22.0) {
        z = 1.0;
    } else if (ax >= 1.0) {
        th = rt_expm1(2.0 * ax);
        z = 1.0 - 2.0 / (th + 2.0);
    } else {
        expm1_dd(-2.0 * ax, &th, &tl);
        rt_two_sum(2.0, th, &dh, &dl);
        rt_dd_div(th, tl, dh, dl + tl, &qh, &ql);
        z = -qh;
    }
    return x < 0 ? -z : z;
}
