/* Calls of migratable functions inside expressions: hoisted by the precompiler. */
#include <stdio.h>

int work(int n)
{
    int i, s = 0;
    for (i = 0; i < n; i++) {
#pragma mcl poll
        s += i;
    }
    return s;
}

double scale(double x, int n)
{
    return x * work(n) + 0.5;        /* a call inside a return expression */
}

int tri(int n)
{
#pragma mcl poll
    if (n == 0)
        return 0;
    return n + tri(n - 1);            /* recursion inside an expression */
}

int main(void)
{
    int x, total = 0;
    double d;
    x = work(5) + 1;                  /* the brief's example */
    total += work(6);                 /* compound assignment */
    x = work(3) * work(4) - x;        /* two calls: the first result lives across the second */
    total += work(work(3) - 1);       /* a call in the argument of a call */
    d = scale(1.5, 4) + scale(0.25, 3);
    if (x > 0)
        x = x + tri(12) * 2;          /* a single-statement branch body */
    printf("%d %d %.3f\n", x, total, d);
    return 0;
}
