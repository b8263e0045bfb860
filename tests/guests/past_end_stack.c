/* A one-past-the-end pointer (valid C) into a local array, live across a poll-point. Its
 * address may be where a neighbouring array starts (gcc puts b right after a on sparc). */
#include <stdio.h>

int main(void)
{
    int a[8], b[8];
    int *end_a;
    int i, s = 0;
    for (i = 0; i < 8; i++) {
        a[i] = i + 1;
        b[i] = 100 + i;
    }
    end_a = a + 8;
    for (i = 0; i < 20; i++) {
#pragma mcl poll
        s += end_a[-1] + b[i & 7];
    }
    printf("%d %d\n", s, (int)(end_a - a));
    return 0;
}
