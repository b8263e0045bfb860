/* libm, part 4: asin, acos, atan, atan2.
 *
 * After fdlibm (Sun Microsystems, 1993) and FreeBSD msun: atan reduces |x| to one of
 * five intervals around 0, 1/2, 1, 3/2 and infinity and evaluates fdlibm's odd
 * polynomial (aT[0..10] of s_atan.c) there, atan of the interval's centre added as a
 * double-double; asin and acos use fdlibm's rational approximation (pS/qS of e_asin.c)
 * of (asin(t) - t)/t^3 and the half-angle formulas near +-1, where the correctly rounded
 * sqrt (rt_math.c) and its exact residual keep the error below one ulp. */
#include <math.h>

#include "rt_libm.h"

static const double pi_hi = 0x1.921fb54442d18p+1, pi_lo = 0x1.1a62633145c07p-53;
static const double pio2_hi = 0x1.921fb54442d18p+0, pio2_lo = 0x1.1a62633145c07p-54;
static const double pio4_hi = 0x1.921fb54442d18p-1;

static const double atan_hi[] = {0x1.dac670561bb4fp-2, 0x1.921fb54442d18p-1, 0x1.f730bd281f69bp-1,
                                 0x1.921fb54442d18p+0};
static const double atan_lo[] = {0x1.a2b7f222f65e2p-56, 0x1.1a62633145c07p-55, 0x1.007887af0cbbdp-56,
                                 0x1.1a62633145c07p-54};
static const double aT[] = {
    3.33333333333329318027e-01, -1.99999999998764832476e-01, 1.42857142725034663711e-01,
    -1.11111104054623557880e-01, 9.09088713343650656196e-02, -7.69187620504482999495e-02,
    6.66107313738753120669e-02, -5.83357013379057348645e-02, 4.97687799461593236017e-02,
    -3.65315727442169155270e-02, 1.62858201153657823623e-02,
};

double atan(double x)
{
    double ax = fabs(x), z, w, s1, s2;
    int centre;
    if (x != x)
        return x;
    if (ax >= 0x1p66)
        return x < 0 ? -(atan_hi[3] + atan_lo[3]) : atan_hi[3] + atan_lo[3];
    if (ax < 0.4375) {
        if (ax < 0x1p-27)
            return x;
        centre = -1;
    } else if (ax < 1.1875) {
        if (ax < 0.6875) { /* atan(x) = atan(1/2) + atan((2x - 1) / (2 + x)) */
            centre = 0;
            ax = (2.0 * ax - 1.0) / (2.0 + ax);
        } else {
            centre = 1;
            ax = (ax - 1.0) / (ax + 1.0);
        }
    } else if (ax < 2.4375) {
        centre = 2;
        ax = (ax - 1.5) / (1.0 + 1.5 * ax);
    } else {
        centre = 3;
        ax = -1.0 / ax;
    }
    z = ax * ax;
    w = z * z;
    s1 = z * (aT[0] + w * (aT[2] + w * (aT[4] + w * (aT[6] + w * (aT[8] + w * aT[10])))));
    s2 = w * (aT[1] + w * (aT[3] + w * (aT[5] + w * (aT[7] + w * aT[9]))));
    if (centre < 0)
        return x - x * (s1 + s2);
    z = atan_hi[centre] - ((ax * (s1 + s2) - atan_lo[centre]) - ax);
    return x < 0 ? -z : z;
}

double atan2(double y, double x)
{
    double z;
    int y_negative = rt_sign(y), x_negative = rt_sign(x), ex, ey;
    if (x != x || y != y)
        return x != x ? x : y;
    if (x == 1.0)
        return atan(y);
    if (y == 0) /* atan2(+-0, +0 or x > 0) = +-0; atan2(+-0, -0 or x < 0) = +-pi */
        return x_negative ? (y_negative ? -(pi_hi + pi_lo) : pi_hi + pi_lo) : y;
    if (x == 0)
        return y_negative ? -(pio2_hi + pio2_lo) : pio2_hi + pio2_lo;
    if (fabs(x) == rt_inf()) {
        if (fabs(y) == rt_inf())
            z = x_negative ? 3.0 * pio4_hi : pio4_hi;
        else
            z = x_negative ? pi_hi + pi_lo : 0.0;
        return y_negative ? -z : z;
    }
    if (fabs(y) == rt_inf())
        return y_negative ? -(pio2_hi + pio2_lo) : pio2_hi + pio2_lo;
    ex = (int)(rt_high_abs(x) >> 20);
    ey = (int)(rt_high_abs(y) >> 20);
    if (ey - ex > 60) /* |y/x| > 2^60 */
        z = pio2_hi + 0.5 * pio2_lo;
    else if (x_negative && ey - ex < -60) /* |y|/x tiny, x < 0 */
        z = 0.0;
    else
        z = atan(fabs(y / x));
    if (!x_negative)
        return y_negative ? -z : z;
    z = pi_hi - (z - pi_lo);
    return y_negative ? -z : z;
}

static const double pS0 = 1.66666666666666657415e-01, pS1 = -3.25565818622400915405e-01,
                    pS2 = 2.01212532134862925881e-01, pS3 = -4.00555345006794114027e-02,
                    pS4 = 7.91534994289814532176e-04, pS5 = 3.47933107596021167570e-05,
                    qS1 = -2.40339491173441421878e+00, qS2 = 2.02094576023350569471e+00,
                    qS3 = -6.88283971605453293030e-01, qS4 = 7.70381505559019352791e-02;

/* (asin(sqrt(t)) - sqrt(t)) / sqrt(t)^3 ~ p(t)/q(t) * t on 0 <= t <= 1/4. */
static double asin_ratio(double t)
{
    double p = t * (pS0 + t * (pS1 + t * (pS2 + t * (pS3 + t * (pS4 + t * pS5)))));
    double q = 1.0 + t * (qS1 + t * (qS2 + t * (qS3 + t * qS4)));
    return p / q;
}

double asin(double x)
{
    double ax = fabs(x), t, s, w, c, p, q;
    if (ax >= 1.0) {
        if (ax == 1.0)
            return x * pio2_hi + x * pio2_lo;
        return x != x ? x : rt_nan();
    }
    if (ax < 0.5) {
        if (ax < 0x1p-27)
            return x;
        return x + x * asin_ratio(x * x);
    }
    /* asin(x) = pi/2 - 2 asin(sqrt((1 - x)/2)) */
    t = (1.0 - ax) * 0.5;
    s = sqrt(t);
    if (ax >= 0.975) {
        t = pio2_hi - (2.0 * (s + s * asin_ratio(t)) - pio2_lo);
    } else {
        w = rt_with_low_zero(s);
        c = (t - w * w) / (s + w); /* s = w + c, c carrying what the truncation dropped */
        p = 2.0 * s * asin_ratio(t) - (pio2_lo - 2.0 * c);
        q = pio4_hi - 2.0 * w;
        t = pio4_hi - (p - q);
    }
    return x < 0 ? -t : t;
}

double acos(double x)
{
    double ax = fabs(x), z, s, w, c;
    if (ax >= 1.0) {
        if (x == 1.0)
            return 0.0;
        if (x == -1.0)
            return pi_hi + 2.0 * pio2_lo;
        return x != x ? x : rt_nan();
    }
    if (ax < 0.5) {
        if (ax <= 0x1p-57)
            return pio2_hi + pio2_lo;
        return pio2_hi - (x - (pio2_lo - x * asin_ratio(x * x)));
    }
    if (x < 0) { /* acos(x) = pi - 2 asin(sqrt((1 + x)/2)) */
        z = (1.0 + x) * 0.5;
        s = sqrt(z);
        w = asin_ratio(z) * s - pio2_lo;
        return pi_hi - 2.0 * (s + w);
    }
    z = (1.0 - x) * 0.5; /* acos(x) = 2 asin(sqrt((1 - x)/2)) */
    s = sqrt(z);
    w = rt_with_low_zero(s);
    c = (z - w * w) / (s + w);
    return 2.0 * (w + (asin_ratio(z) * s + c));
}
