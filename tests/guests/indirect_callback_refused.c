/* A comparator that calls a migratable function: unwinding from weight's poll-point
 * would leave through qsort's frames, which no record describes: refused. */
#include <stdio.h>
#include <stdlib.h>

static int weight(int k)
{
    int i, w = 0;
    for (i = 0; i < k; i++)
        w += i;
    return w;
}

static int heavy(const void *a, const void *b)
{
    int x, y;
    x = weight(*(const int *)a);
    y = weight(*(const int *)b);
    return x - y;
}

int main(void)
{
    int v[4] = { 3, 1, 2, 0 };
    qsort(v, 4, sizeof v[0], heavy);
    printf("%d %d %d %d %d\n", v[0], v[1], v[2], v[3], weight(v[3]));
    return 0;
}
