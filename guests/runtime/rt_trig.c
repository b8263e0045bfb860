/* libm, part 3: sin, cos, tan.
 *
 * After fdlibm (Sun Microsystems, 1993) and FreeBSD msun: the argument is reduced to
 * r = x - n pi/2, |r| <= pi/4, kept as a double-double; the kernels evaluate fdlibm's
 * minimax polynomials (coefficients S1..S6, C1..C6, T0..T12 of k_sin.c, k_cos.c,
 * k_tan.c) on it. Reduction: for |x| < 2^20 pi/2, Cody and Waite's with pi/2 in
 * 33-bit pieces, a further piece whenever cancellation ate the bits (as e_rem_pio2.c);
 * beyond, Payne and Hanek's: the bits of 2/pi that matter are multiplied exactly with
 * x's significand in 32-bit limbs (our own formulation, not k_rem_pio2.c's). */
#include <math.h>

#include "rt_libm.h"

static const double pio2_1 = 0x1.921fb54400000p+0, pio2_1t = 0x1.0b4611a626331p-34;
static const double pio2_2 = 0x1.0b4611a600000p-34, pio2_2t = 0x1.3198a2e037073p-69;
static const double pio2_3 = 0x1.3198a2e000000p-69, pio2_3t = 0x1.b839a252049c1p-104;
static const double inv_pio2 = 0x1.45f306dc9c883p-1;
static const double pio2_hi = 0x1.921fb54442d18p+0, pio2_lo = 0x1.1a62633145c07p-54;

/* 2/pi = 0.a2f9836e 4e441529 ... in hexadecimal: 1280 bits, enough for any double. */
static const uint32_t two_over_pi[] = {
    0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0, 0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561,
    0xb7246e3a, 0x424dd2e0, 0x06492eea, 0x09d1921c, 0xfe1deb1c, 0xb129a73e, 0xe88235f5, 0x2ebb4484,
    0xe99c7026, 0xb45f7e41, 0x3991d639, 0x835339f4, 0x9c845f8b, 0xbdf9283b, 0x1ff897ff, 0xde05980f,
    0xef2f118b, 0x5a0a6d1f, 0x6d367ecf, 0x27cb09b7, 0x4f463f66, 0x9e5fea2d, 0x7527bac7, 0xebe5f17b,
    0x3d0739f7, 0x8a5292ea, 0x6bfb5fb1, 0x1f8d5d08, 0x56033046, 0xfc7b6bab, 0xf0cfbc20, 0x9af4361d,
};

#define CHUNK 7           /* words of 2/pi multiplied with the significand */
#define PRODUCT (CHUNK + 2) /* 32-bit limbs of the product, least significant first */

/* Bits pos .. pos+31 of the product (bits below 0 read as zeros). */
static uint32_t product_bits(const uint32_t *p, int pos)
{
    int word, bit;
    uint32_t low, high;
    if (pos <= -32)
        return 0;
    if (pos < 0)
        return p[0] << -pos;
    word = pos >> 5;
    bit = pos & 31;
    low = word < PRODUCT ? p[word] : 0;
    high = word + 1 < PRODUCT ? p[word + 1] : 0;
    return bit ? (low >> bit) | (high << (32 - bit)) : low;
}

/* Payne-Hanek: |x| >= 2^20 pi/2, finite. Returns n mod 4 and r = y0 + y1. */
static int reduce_large(double x, double *y0, double *y1)
{
    uint64_t u = rt_bits(x) & ~(1ull << 63);
    uint64_t m = (u & 0x000fffffffffffffull) | 0x0010000000000000ull;
    int e2 = (int)(u >> 52) - 1075; /* |x| = m 2^e2 */
    int first = e2 >= 2 ? (e2 - 2) >> 5 : 0; /* earlier words give multiples of 4 */
    int point = 32 * (first + CHUNK) - e2; /* fraction bits of the product */
    uint32_t limbs[PRODUCT] = {0}, w[4];
    uint32_t m_lo = (uint32_t)m, m_hi = (uint32_t)(m >> 32);
    int i, n, negative = 0, shift = 0;
    double hi, lo, t, scale;
    for (i = 0; i < CHUNK; i++) { /* limbs = m * chunk, schoolbook */
        uint32_t word = two_over_pi[first + CHUNK - 1 - i];
        uint64_t a = (uint64_t)word * m_lo, b = (uint64_t)word * m_hi;
        uint64_t sum = (uint64_t)limbs[i] + (uint32_t)a;
        limbs[i] = (uint32_t)sum;
        sum = (sum >> 32) + (uint64_t)limbs[i + 1] + (a >> 32) + (uint32_t)b;
        limbs[i + 1] = (uint32_t)sum;
        sum = (sum >> 32) + (uint64_t)limbs[i + 2] + (b >> 32);
        limbs[i + 2] = (uint32_t)sum;
    }
    n = (int)(product_bits(limbs, point) & 3);
    for (i = 0; i < 4; i++)
        w[i] = product_bits(limbs, point - 32 * (i + 1));
    if (w[0] & 0x80000000u) { /* fraction >= 1/2: round n up, fraction - 1 < 0 */
        n = (n + 1) & 3;
        negative = 1;
        for (i = 3; i >= 0; i--) /* two's complement of the 128-bit fraction */
            w[i] = ~w[i];
        for (i = 3; i >= 0 && ++w[i] == 0; i--) {
        }
    }
    while (w[0] == 0 && shift < 96) { /* normalize: the fraction is at least 2^-70 */
        w[0] = w[1];
        w[1] = w[2];
        w[2] = w[3];
        w[3] = 0;
        shift += 32;
    }
    hi = rt_u32_to_double(w[0]) * 0x1p-32;
    t = rt_u32_to_double(w[1]) * 0x1p-64;
    rt_fast_two_sum(hi, t, &hi, &lo);
    lo += rt_u32_to_double(w[2]) * 0x1p-96 + rt_u32_to_double(w[3]) * 0x1p-128;
    rt_fast_two_sum(hi, lo, &hi, &lo);
    scale = rt_pow2(-shift);
    hi *= scale;
    lo *= scale;
    /* r = fraction * pi/2 */
    rt_two_prod(hi, pio2_hi, &t, &scale);
    scale += hi * pio2_lo + lo * pio2_hi;
    rt_fast_two_sum(t, scale, y0, y1);
    if (negative) {
        *y0 = -*y0;
        *y1 = -*y1;
    }
    return n;
}

/* r = x - n pi/2 as y0 + y1, |r| <= pi/4 (a little more at most); returns n. */
static int reduce(double x, double *y0, double *y1)
{
    double ax = fabs(x), fn, r, w, t;
    int n, top, after;
    if (ax <= 0x1.921fb54442d18p-1) {
        *y0 = x;
        *y1 = 0;
        return 0;
    }
    if (ax >= 0x1p20 * 0x1.921fb54442d18p+0) {
        n = reduce_large(x, y0, y1);
    } else {
        n = (int)(ax * inv_pio2 + 0.5);
        fn = (double)n;
        r = ax - fn * pio2_1; /* exact */
        w = fn * pio2_1t;
        *y0 = r - w;
        top = (int)(rt_high_abs(ax) >> 20);
        after = (int)(rt_high_abs(*y0) >> 20);
        if (top - after > 16) { /* cancellation: the second piece of pi/2 */
            t = r;
            w = fn * pio2_2;
            r = t - w;
            w = fn * pio2_2t - ((t - r) - w);
            *y0 = r - w;
            after = (int)(rt_high_abs(*y0) >> 20);
            if (top - after > 49) { /* still more: the third */
                t = r;
                w = fn * pio2_3;
                r = t - w;
                w = fn * pio2_3t - ((t - r) - w);
                *y0 = r - w;
            }
        }
        *y1 = (r - *y0) - w;
    }
    if (x < 0) {
        *y0 = -*y0;
        *y1 = -*y1;
        return -n;
    }
    return n;
}

static const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                    S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                    S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
static const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                    C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                    C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;

/* sin(x + y), |x| <= pi/4, |y| tiny; y_is_zero when y is known to be 0. */
static double kernel_sin(double x, double y, int y_is_zero)
{
    double z = x * x, w = z * z, v = z * x;
    double r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    if (y_is_zero)
        return x + v * (S1 + z * r);
    return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

static double kernel_cos(double x, double y)
{
    double z = x * x, w = z * z, half_z = 0.5 * z;
    double r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    double one_minus = 1.0 - half_z;
    return one_minus + (((1.0 - one_minus) - half_z) + (z * r - x * y));
}

static const double T[] = {
    3.33333333333334091986e-01, 1.33333333333201242699e-01, 5.39682539762260521377e-02,
    2.18694882948595424599e-02, 8.86323982359930005737e-03, 3.59207910759131235356e-03,
    1.45620945432529025516e-03, 5.88041240820264096874e-04, 2.46463134818469906812e-04,
    7.81794442939557092300e-05, 7.14072491382608190305e-05, -1.85586374855275456654e-05,
    2.59073051863633712884e-05,
};

/* tan(x + y) when odd == 0, -1/tan(x + y) when odd == 1 (k_tan.c's method). */
static double kernel_tan(double x, double y, int odd)
{
    static const double pio4 = 0x1.921fb54442d18p-1, pio4_lo = 0x1.1a62633145c07p-55;
    double z, r, v, w, s, a, t;
    int big = fabs(x) >= 0.6744, negative = x < 0;
    if (big) { /* tan(pi/4 - u) = (1 - tan u) / (1 + tan u): a smaller argument */
        if (negative) {
            x = -x;
            y = -y;
        }
        x = (pio4 - x) + (pio4_lo - y);
        y = 0.0;
    }
    z = x * x;
    w = z * z;
    r = T[1] + w * (T[3] + w * (T[5] + w * (T[7] + w * (T[9] + w * T[11]))));
    v = z * (T[2] + w * (T[4] + w * (T[6] + w * (T[8] + w * (T[10] + w * T[12])))));
    s = z * x;
    r = y + z * (s * (r + v) + y);
    r += T[0] * s;
    w = x + r;
    if (big) {
        v = odd ? -1.0 : 1.0;
        v = v - 2.0 * (x - (w * w / (w + v) - r));
        return negative ? -v : v;
    }
    if (!odd)
        return w;
    /* -1/(x + r) with the quotient's error compensated: w = z + v exactly */
    z = rt_with_low_zero(w);
    v = r - (z - x);
    a = -1.0 / w;
    t = rt_with_low_zero(a);
    s = 1.0 + t * z;
    return t + a * (s + t * v);
}

double sin(double x)
{
    double y0, y1;
    if (rt_high_abs(x) >= 0x7ff00000)
        return x != x ? x : rt_nan();
    if (fabs(x) < 0x1p-27)
        return x;
    switch (reduce(x, &y0, &y1) & 3) {
    case 0:
        return kernel_sin(y0, y1, y1 == 0);
    case 1:
        return kernel_cos(y0, y1);
    case 2:
        return -kernel_sin(y0, y1, y1 == 0);
    default:
        return -kernel_cos(y0, y1);
    }
}

double cos(double x)
{
    double y0, y1;
    if (rt_high_abs(x) >= 0x7ff00000)
        return x != x ? x : rt_nan();
    if (fabs(x) < 0x1p-27)
        return 1.0;
    switch (reduce(x, &y0, &y1) & 3) {
    case 0:
        return kernel_cos(y0, y1);
    case 1:
        return -kernel_sin(y0, y1, y1 == 0);
    case 2:
        return -kernel_cos(y0, y1);
    default:
        return kernel_sin(y0, y1, y1 == 0);
    }
}

double tan(double x)
{
    double y0, y1;
    int odd;
    if (rt_high_abs(x) >= 0x7ff00000)
        return x != x ? x : rt_nan();
    if (fabs(x) < 0x1p-27)
        return x;
    odd = reduce(x, &y0, &y1) & 1; /* before the call: argument order is unspecified */
    return kernel_tan(y0, y1, odd);
}
