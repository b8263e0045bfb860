/* Structs by value: a migratable function takes a struct parameter and returns a struct,
 * its caller keeps one in a local changed only through its members (a.count++,
 * a.total += ...) across poll-points. */
#include <stdio.h>

struct stats {
    int count;
    double total;
    int hist[4];
};

typedef struct {
    double lo, hi;
} range_t;

struct stats accumulate(struct stats s, range_t r, int n)
{
    int i;
    for (i = 0; i < n; i++) {
#pragma mcl poll
        s.count++;
        s.total += r.lo + (r.hi - r.lo) * i / n;
        s.hist[i & 3] += i;
    }
    return s;
}

int main(void)
{
    struct stats a;
    range_t r;
    int round;
    a.count = 0;
    a.total = 0.0;
    a.hist[0] = a.hist[1] = a.hist[2] = a.hist[3] = 0;
    r.lo = 0.25;
    r.hi = 2.5;
    for (round = 0; round < 6; round++) {
#pragma mcl poll
        a.count++;
        a.total += round * 0.5;
        a = accumulate(a, r, 10 + round);
        r.hi += 1.0;
    }
    printf("count %d total %.6f hist %d %d %d %d\n", a.count, a.total, a.hist[0], a.hist[1], a.hist[2], a.hist[3]);
    return 0;
}
