/* Call sites and poll-points where C allows a single statement: the branch of an unbraced
 * if or else, a loop body, a label's statement. Each site's code is several statements;
 * without braces around it only the first stayed under the if (the master of pvm_matmul
 * then ran as a worker). */
#include <stdio.h>

static int work(int n)
{
    int i, s = 0;
    for (i = 0; i < n; i++) {
#pragma mcl poll
        s += i % 7;
    }
    return s;
}

static int choose(int c, int n)
{
    if (c) return work(n);
    return -1;
}

static int either(int c, int n)
{
    int x;
    if (c)
        x = work(n);
    else
        x = work(n + 1) + 1000;
    return x;
}

static int repeat(int k, int n)
{
    int total = 0, step;
    while (k-- > 0)
        total += work(n);
    for (step = 0; step < 2; step++)
        if (step == 1) total += work(n / 2);
    return total;
}

int main(void)
{
    printf("%d %d\n", choose(0, 400), choose(1, 400));
    printf("%d %d\n", either(0, 300), either(1, 300));
    printf("%d\n", repeat(3, 200));
    return 0;
}
