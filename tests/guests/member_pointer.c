/* A pointer to a member of a local struct (&a.count, &a.v[i]) live across poll-points:
 * the struct must travel as a block, so that the pointer can be translated. */
#include <stdio.h>

struct acc {
    int count;
    double v[4];
};

int main(void)
{
    struct acc a;
    int *cp;
    double *vp;
    int i;
    a.count = 0;
    a.v[0] = a.v[1] = a.v[2] = a.v[3] = 0.0;
    cp = &a.count;
    vp = &a.v[2];
    for (i = 0; i < 30; i++) {
#pragma mcl poll
        (*cp)++;
        *vp += 0.25 * i;
        a.v[i & 3] += 1.0;
    }
    printf("%d %.3f %.3f %.3f %.3f\n", a.count, a.v[0], a.v[1], a.v[2], a.v[3]);
    return 0;
}
