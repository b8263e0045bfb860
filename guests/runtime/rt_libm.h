/* Private helpers of the runtime's libm (rt_math.c, rt_explog.c, rt_trig.c, rt_atrig.c).
 *
 * Everything here is plain IEEE double arithmetic that every target performs exactly the
 * same way (SSE2 on the host, the FPU on the guests; no FMA contraction: -ffp-contract=off),
 * so every function built on it returns the same bits on every machine. Double-double
 * values (hi + lo, |lo| <= ulp(hi)/2) carry about 106 bits where a result needs more than
 * 53 in between (Dekker, "A floating-point technique for extending the available
 * precision", 1971; the splitting needs no FMA). */
#ifndef RT_LIBM_H
#define RT_LIBM_H
#include <stdint.h>

typedef union {
    double d;
    uint64_t u;
} rt_f64;

static inline uint64_t rt_bits(double x)
{
    rt_f64 v;
    v.d = x;
    return v.u;
}

static inline double rt_from_bits(uint64_t u)
{
    rt_f64 v;
    v.u = u;
    return v.d;
}

/* The high 32 bits without the sign: compares magnitudes the way fdlibm does. */
static inline uint32_t rt_high_abs(double x) { return (uint32_t)(rt_bits(x) >> 32) & 0x7fffffff; }
static inline int rt_sign(double x) { return (int)(rt_bits(x) >> 63); }
static inline double rt_with_low_zero(double x) { return rt_from_bits(rt_bits(x) & 0xffffffff00000000ull); }

/* One quiet NaN for every invalid result: the FPUs' own default NaNs differ (sign and
 * payload), and printf shows the sign, so a computed NaN would print differently. */
static inline double rt_nan(void) { return rt_from_bits(0x7ff8000000000000ull); }
static inline double rt_inf(void) { return rt_from_bits(0x7ff0000000000000ull); }

/* 2^n for -1022 <= n <= 1023, exact. */
static inline double rt_pow2(int n) { return rt_from_bits((uint64_t)(n + 1023) << 52); }

/* An exact uint32 -> double conversion that needs no unsigned-conversion helper. */
static inline double rt_u32_to_double(uint32_t w)
{
    return (double)(int32_t)(w >> 16) * 65536.0 + (double)(int32_t)(w & 0xffff);
}

/* a + b = s + e exactly (Knuth's two-sum: any order of magnitudes). */
static inline void rt_two_sum(double a, double b, double *s, double *e)
{
    double sum = a + b, bv = sum - a;
    *s = sum;
    *e = (a - (sum - bv)) + (b - bv);
}

/* a + b = s + e exactly when |a| >= |b| or a == 0. */
static inline void rt_fast_two_sum(double a, double b, double *s, double *e)
{
    double sum = a + b;
    *s = sum;
    *e = b - (sum - a);
}

/* a * b = p + e exactly (Dekker's product; |a|, |b| below 2^995). */
static inline void rt_two_prod(double a, double b, double *p, double *e)
{
    const double splitter = 134217729.0; /* 2^27 + 1 */
    double ca = splitter * a, cb = splitter * b;
    double ah = ca - (ca - a), al = a - ah;
    double bh = cb - (cb - b), bl = b - bh;
    double prod = a * b;
    *p = prod;
    *e = ((ah * bh - prod) + ah * bl + al * bh) + al * bl;
}

/* (ah + al) * (bh + bl) as a double-double, relative error about 2^-102. */
static inline void rt_dd_mul(double ah, double al, double bh, double bl, double *h, double *l)
{
    double p, e;
    rt_two_prod(ah, bh, &p, &e);
    e += ah * bl + al * bh;
    rt_fast_two_sum(p, e, h, l);
}

/* (nh + nl) / (dh + dl) as a double-double: the quotient and one correction step. */
static inline void rt_dd_div(double nh, double nl, double dh, double dl, double *qh, double *ql)
{
    double q = nh / dh, p, pe;
    rt_two_prod(q, dh, &p, &pe);
    rt_fast_two_sum(q, (((nh - p) - pe) + nl - q * dl) / dh, qh, ql);
}

double rt_scalbn(double x, int n);
/* log(x) as hi + lo for finite x > 0, relative error below 2^-66 (rt_explog.c). */
void rt_log_dd(double x, double *hi, double *lo);
/* exp(hi + lo) for |lo| <= ulp(hi), with overflow and underflow (rt_explog.c). */
double rt_exp_dd(double hi, double lo);
double rt_expm1(double x);
#endif
