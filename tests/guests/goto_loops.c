/* goto within a function (docs/mcl.md, "The accepted subset"): the live-variable
 * analysis follows every goto to its label, so what is read only after a backward jump
 * travels (`step` below is read nowhere between the poll-point and the goto), a forward
 * goto leaves nested loops, and a labelled loop and a labelled call are sites. */
#include <stdio.h>

int find(int target)
{
    int i, j, hits = 0;
    for (i = 0; i < 6; i++) {
        for (j = 0; j < 6; j++) {
#pragma mcl poll
            hits++;
            if (i * j == target)
                goto found;
        }
    }
    return -hits;
found:
    return i * 10 + j + hits;
}

int main(void)
{
    int i = 0, step = 3, total = 0, r = 0, k;
again:
    total += step * (i + 1);
    i++;
#pragma mcl poll
    if (i < 30)
        goto again;
    if (total % 2)
        goto odd;
    total += 1000;
odd:
retry:
    for (k = 0; k < 3; k++) {
#pragma mcl poll
        r += k;
    }
    if (r < 9)
        goto retry;
done:
    r += find(12);
    if (r < 50)
        goto done;
    printf("total %d r %d\n", total, r);
    return 0;
}
