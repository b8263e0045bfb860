/* libm, part 5: the float functions. Each evaluates its double counterpart on the exactly
 * converted argument and rounds the result once to float: the double result is within an
 * ulp of double, far inside half an ulp of float, so the float result is within one ulp
 * of float (exact functions stay exact) and the same on every machine. */
#include <math.h>

#define UNARY(name) \
    float name##f(float x) { return (float)name((double)x); }
#define BINARY(name) \
    float name##f(float x, float y) { return (float)name((double)x, (double)y); }

UNARY(sin) UNARY(cos) UNARY(tan) UNARY(asin) UNARY(acos) UNARY(atan)
UNARY(exp) UNARY(expm1) UNARY(log) UNARY(log2) UNARY(log10) UNARY(log1p)
UNARY(sqrt) UNARY(fabs) UNARY(floor) UNARY(ceil) UNARY(round) UNARY(trunc)
UNARY(sinh) UNARY(cosh) UNARY(tanh)
BINARY(atan2) BINARY(pow) BINARY(fmod) BINARY(hypot) BINARY(copysign)

float modff(float x, float *integral)
{
    double whole, fraction = modf((double)x, &whole);
    *integral = (float)whole;
    return (float)fraction;
}

float frexpf(float x, int *exponent) { return (float)frexp((double)x, exponent); }
float ldexpf(float x, int n) { return (float)ldexp((double)x, n); }
