/* long double arithmetic: on sparc the runtime's binary128 soft-float (rt_softquad.c).
 * Prints each operation's operands and result as raw bits (sparc: checked bit for bit
 * against an exact rational reference in tests/test_libc.py) and, on every target, the
 * results of computations that are exact in double, which must agree everywhere. */
#include <stdint.h>
#include <stdio.h>

static void show_bits(long double x)
{
    union { long double q; uint32_t w[4]; } v;
    unsigned i;
    v.q = x;
    for (i = 0; i < sizeof(long double) / 4 && i < 4; i++)
        printf("%08x", (unsigned)v.w[i]);
}

static void op(char name, long double a, long double b, long double r)
{
    printf("bits %c ", name);
    show_bits(a);
    putchar(' ');
    show_bits(b);
    putchar(' ');
    show_bits(r);
    putchar('\n');
}

int main(void)
{
    static const double values[] = {1.0, -2.5, 3.0, 0.1, 1e300, -1e-300, 7.0, 1e-310, 123456789.0, 0.0};
    const int n = (int)(sizeof values / sizeof values[0]);
    long double third = 1.0L / 3.0L, acc = 0;
    int i, j;
    if (__LDBL_MANT_DIG__ == 113) { /* binary128: sparc */
        for (i = 0; i < n; i++)
            for (j = 0; j < n; j++) {
                long double a = (long double)values[i] / 3.0L, b = (long double)values[j];
                op('+', a, b, a + b);
                op('-', a, b, a - b);
                op('*', a, b, a * b);
                if (values[j] != 0)
                    op('/', a, b, a / b);
            }
    }
    /* exact in double on every target */
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            long double a = values[i], b = values[j];
            printf("%.17g %.17g %.17g %d %d %d\n", (double)(a + b), (double)(a - b),
                   (double)(a * b), a < b, a == b, a >= b);
        }
    for (i = 1; i <= 20; i++)
        acc += (long double)i * 0.5L;
    printf("sum %.17g third*3 %.17g %d %u %lld %d\n", (double)acc, (double)(third * 3.0L),
           (int)(long double)-7.9, (unsigned)(long double)4000000000.0, (long long)(long double)-1e15,
           (int)(third > 0.33333L));
    printf("float %.9g %.17g\n", (double)(float)third, (double)(long double)0.1f);
    return 0;
}
