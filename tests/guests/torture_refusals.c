/* Constructs the precompiler refuses, all at once, each on its own line: a layout
 * attribute it would drop, an integer cast to a pointer through a typedef, a call of a
 * migratable function inside a statement expression, a compound literal used by address,
 * an asm statement with an output, a weak definition. */
#include <stdio.h>

struct wide { int a; } __attribute__((aligned(16)));
typedef int *intp;
struct pair { int x, y; };

static int total(struct pair *p, int n)
{
    int i, t = 0;
    for (i = 0; i < n; i++)
        t += p[i].x * p[i].y;
    return t;
}

__attribute__((weak)) int hook(int x)
{
    return x;
}

int main(void)
{
    struct wide w;
    intp bad = (intp)12;
    int v = ({ int k = total(&(struct pair){ 2, 3 }, 1); k + 1; });
    asm ("" : "=r" (v) : "0" (v));
    w.a = hook(v);
    printf("%d %d\n", w.a, bad != 0);
    return 0;
}
