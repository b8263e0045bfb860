/* Portable math of the guest runtime (rt_math.c, rt_explog.c, rt_trig.c, rt_atrig.c,
 * rt_mathf.c): plain C on every ISA and on the host, so results are bit-identical
 * everywhere (no FMA contraction, no x87 excess precision). Accuracy: sqrt, fabs,
 * floor, ceil, round, trunc, fmod, modf, frexp, ldexp are exact; the others are within
 * one ulp of the true value (tests/test_libc.py measures it against Python's math). An
 * invalid argument gives NAN (positive, the same bits everywhere); errno is not set. */
#ifndef RT_MATH_H
#define RT_MATH_H

#define HUGE_VAL (__builtin_huge_val())
#define HUGE_VALF (__builtin_huge_valf())
#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define isnan(x) ((x) != (x))
#define isinf(x) (!isnan(x) && isnan((x) - (x)))
#define isfinite(x) (!isnan((x) - (x)))
#define signbit(x) (sizeof(x) == sizeof(float) ? __builtin_signbitf(x) : __builtin_signbit(x))

#define M_E 2.7182818284590452354
#define M_LOG2E 1.4426950408889634074
#define M_LOG10E 0.43429448190325182765
#define M_LN2 0.69314718055994530942
#define M_LN10 2.30258509299404568402
#define M_PI 3.14159265358979323846
#define M_PI_2 1.57079632679489661923
#define M_PI_4 0.78539816339744830962
#define M_1_PI 0.31830988618379067154
#define M_2_PI 0.63661977236758134308
#define M_2_SQRTPI 1.12837916709551257390
#define M_SQRT2 1.41421356237309504880
#define M_SQRT1_2 0.70710678118654752440

double sin(double x);
double cos(double x);
double tan(double x);
double asin(double x);
double acos(double x);
double atan(double x);
double atan2(double y, double x);
double sinh(double x);
double cosh(double x);
double tanh(double x);
double exp(double x);
double expm1(double x);
double log(double x);
double log2(double x);
double log10(double x);
double log1p(double x);
double pow(double x, double y);
double sqrt(double x);
double hypot(double x, double y);
double fabs(double x);
double copysign(double x, double y);
double floor(double x);
double ceil(double x);
double round(double x);
double trunc(double x);
double fmod(double x, double y);
double modf(double x, double *integral);
double frexp(double x, int *exponent);
double ldexp(double x, int n);

float sinf(float x);
float cosf(float x);
float tanf(float x);
float asinf(float x);
float acosf(float x);
float atanf(float x);
float atan2f(float y, float x);
float sinhf(float x);
float coshf(float x);
float tanhf(float x);
float expf(float x);
float expm1f(float x);
float logf(float x);
float log2f(float x);
float log10f(float x);
float log1pf(float x);
float powf(float x, float y);
float sqrtf(float x);
float hypotf(float x, float y);
float fabsf(float x);
float copysignf(float x, float y);
float floorf(float x);
float ceilf(float x);
float roundf(float x);
float truncf(float x);
float fmodf(float x, float y);
float modff(float x, float *integral);
float frexpf(float x, int *exponent);
float ldexpf(float x, int n);
#endif
