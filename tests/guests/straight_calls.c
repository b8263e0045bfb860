/* Loop-free functions only, as in many of GCC's torture tests: at a tiny poll-point bound
 * (testbed conformance's) each gets a poll-point at its entry, so the program migrates
 * inside its calls; at the default bound nothing is placed. */
#include <stdio.h>

struct pair { int a; long b; };

static struct pair made;

int mix(int x, int y)
{
    return (x * 31) ^ (y + 7);
}

void fill(struct pair *p, int x)
{
    p->a = mix(x, x + 1);
    p->b = (long)p->a * 3 - x;
}

int main(void)
{
    int first = mix(2, 3), second;
    fill(&made, first);
    second = mix(made.a, (int)made.b);
    printf("%d %d %d %ld\n", first, second, made.a, made.b);
    return 0;
}
