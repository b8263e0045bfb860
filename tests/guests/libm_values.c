/* Every libm function over edge cases and a few hundred deterministic pseudo-random
 * arguments: one line per call with the argument and result bits, and the result in %.17g.
 * tests/test_libc.py checks that mipsel, sparc and the host print the same lines and
 * that each result is within one ulp of Python's math. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

static uint32_t state = 12345;

static uint32_t next_random(void)
{
    state = state * 1103515245u + 12345u;
    return state;
}

/* uniform in [lo, hi] */
static double uniform(double lo, double hi)
{
    uint32_t a = next_random() >> 5, b = next_random() >> 6; /* 27 + 26 bits */
    double unit = ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
    return lo + (hi - lo) * unit;
}

/* sign * 2^e * [1, 2) with e uniform in [lo, hi] */
static double log_uniform(int lo, int hi)
{
    int e = lo + (int)(next_random() >> 8) % (hi - lo + 1);
    double x = ldexp(uniform(1.0, 2.0), e);
    return (next_random() >> 31) ? -x : x;
}

static uint64_t bits(double x)
{
    union { double d; uint64_t u; } v;
    v.d = x;
    return v.u;
}

static uint32_t fbits(float x)
{
    union { float f; uint32_t u; } v;
    v.f = x;
    return v.u;
}

static void show(const char *name, double x, double r)
{
    printf("%s %016llx %016llx %.17g\n", name, (unsigned long long)bits(x), (unsigned long long)bits(r), r);
}

static void show2(const char *name, double x, double y, double r)
{
    printf("%s %016llx %016llx %016llx %.17g\n", name, (unsigned long long)bits(x),
           (unsigned long long)bits(y), (unsigned long long)bits(r), r);
}

static void showf(const char *name, float x, float r)
{
    printf("%s %08x %08x %.9g\n", name, (unsigned)fbits(x), (unsigned)fbits(r), (double)r);
}

struct unary {
    const char *name;
    double (*f)(double);
    float (*ff)(float);
    double lo, hi; /* uniform range of the random arguments */
    int elo, ehi;  /* exponent range of the log-uniform ones */
};

static const struct unary unaries[] = {
    {"sin", sin, sinf, -10, 10, -30, 1000},   {"cos", cos, cosf, -10, 10, -30, 1000},
    {"tan", tan, tanf, -3.2, 3.2, -30, 1000},  {"asin", asin, asinf, -1, 1, -30, 0},
    {"acos", acos, acosf, -1, 1, -30, 0},      {"atan", atan, atanf, -4, 4, -30, 80},
    {"sinh", sinh, sinhf, -25, 25, -30, 9},    {"cosh", cosh, coshf, -25, 25, -30, 9},
    {"tanh", tanh, tanhf, -3, 3, -30, 5},      {"exp", exp, expf, -745, 709.7, -30, 9},
    {"expm1", expm1, expm1f, -2, 2, -40, 9},  {"log", log, logf, 0, 4, -1074, 1023},
    {"log2", log2, log2f, 0, 4, -1074, 1023},  {"log10", log10, log10f, 0, 4, -1074, 1023},
    {"log1p", log1p, log1pf, -1, 2, -40, 100}, {"sqrt", sqrt, sqrtf, 0, 100, -1074, 1023},
    {"fabs", fabs, fabsf, -10, 10, -1074, 1023}, {"floor", floor, floorf, -10, 10, -5, 60},
    {"ceil", ceil, ceilf, -10, 10, -5, 60},    {"round", round, roundf, -10, 10, -5, 60},
    {"trunc", trunc, truncf, -10, 10, -5, 60},
};

static const double edges[] = {
    0.0, 1e-310, 5e-324, 1e-300, 1e-20, 1e-8, 0.1, 0.25, 0.5, 0.6744, 0.7, 0.75, 1.0, 1.25,
    1.5, 2.0, 2.5, 3.0, 3.14159265358979323846, 1.57079632679489661923, 10.0, 22.0, 100.0,
    700.0, 709.78, 710.0, 745.0, 1e5, 1647099.0, 1647100.0, 1e10, 1e22, 1e100, 1e300,
    1.7976931348623157e308,
};

int main(void)
{
    const int n_edges = (int)(sizeof edges / sizeof edges[0]);
    double specials[3];
    unsigned u;
    int i, k;
    specials[0] = INFINITY;
    specials[1] = -INFINITY;
    specials[2] = NAN;
    for (u = 0; u < sizeof unaries / sizeof unaries[0]; u++) {
        const struct unary *f = &unaries[u];
        for (i = 0; i < n_edges; i++) {
            show(f->name, edges[i], f->f(edges[i]));
            show(f->name, -edges[i], f->f(-edges[i]));
        }
        for (i = 0; i < 3; i++)
            show(f->name, specials[i], f->f(specials[i]));
        for (i = 0; i < 120; i++) {
            double x = uniform(f->lo, f->hi);
            show(f->name, x, f->f(x));
        }
        for (i = 0; i < 80; i++) {
            double x = log_uniform(f->elo, f->ehi);
            show(f->name, x, f->f(x));
        }
        for (i = 0; i < 40; i++) {
            float x = (float)uniform(f->lo, f->hi);
            showf(f->name, x, f->ff(x));
        }
    }
    for (i = 0; i < 300; i++) {
        double x = i < 100 ? uniform(0, 3) : log_uniform(-60, 60), y = i < 100 ? uniform(-20, 20) : log_uniform(-8, 8);
        if (i % 3 == 0)
            y = (double)(int)uniform(-40, 40); /* integral exponents: exact powers, negative bases */
        if (i % 7 == 0)
            x = -x;
        show2("pow", x, y, pow(x, y));
        show2("atan2", y, x, atan2(y, x));
        x = log_uniform(-60, 60);
        y = log_uniform(-60, 60);
        show2("fmod", x, y, fmod(x, y));
        show2("hypot", x, y, hypot(x, y));
    }
    for (i = 0; i < n_edges; i++)
        for (k = 0; k < 6; k++) {
            double y = k < 3 ? edges[(i * 7 + k * 5) % n_edges] : -edges[(i * 3 + k) % n_edges];
            show2("pow", edges[i], y, pow(edges[i], y));
            show2("atan2", edges[i], y, atan2(edges[i], y));
        }
    for (i = 0; i < 3; i++)
        for (k = 0; k < 3; k++) {
            show2("pow", specials[i], specials[k], pow(specials[i], specials[k]));
            show2("atan2", specials[i], specials[k], atan2(specials[i], specials[k]));
            show2("hypot", specials[i], specials[k], hypot(specials[i], specials[k]));
        }
    show2("pow", 3.0, 5.0, pow(3.0, 5.0));
    show2("pow", 2.0, -3.0, pow(2.0, -3.0));
    show2("pow", -2.0, 3.0, pow(-2.0, 3.0));
    show2("pow", 10.0, 22.0, pow(10.0, 22.0));
    show2("pow", 1.0000001, 1e9, pow(1.0000001, 1e9));
    show2("pow", 0.5, 1074.0, pow(0.5, 1074.0));
    return 0;
}
