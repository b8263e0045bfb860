/* Recurses without end, each frame holding a little data: natively it must stop at the
 * stack limit with SIGSEGV, not grow until the machine runs out of memory. */
#include <stdio.h>

int depth(int n)
{
    volatile char pad[256];
    pad[n & 255] = (char)n;
    return depth(n + 1) + pad[(n + 1) & 255];
}

int main(void)
{
    printf("%d\n", depth(0));
    return 0;
}
