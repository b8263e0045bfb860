/* A one-past-the-end pointer (valid C) into the last heap block, live across a
 * poll-point: its address is the end of the heap in use. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    int *h, *end_h;
    int i, s = 0;
    h = malloc(8 * sizeof(int));
    for (i = 0; i < 8; i++)
        h[i] = 1000 + i;
    end_h = h + 8;
    for (i = 0; i < 20; i++) {
#pragma mcl poll
        s += end_h[-1] + h[i & 7];
    }
    printf("%d %d\n", s, (int)(end_h - h));
    return 0;
}
