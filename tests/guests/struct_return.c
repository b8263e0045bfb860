/* A migratable function returning a typedef'd struct (the precompiler used to leave it
 * with `return 0;`, which gcc rejects), and one returning a struct by its tag. */
#include <stdio.h>

typedef struct {
    int count;
    double total;
} tally_t;

struct span {
    int lo, hi;
};

tally_t tally(int n)
{
    tally_t t;
    int i;
    t.count = 0;
    t.total = 0.0;
    for (i = 0; i < n; i++) {
#pragma mcl poll
        t.count++;
        t.total += 0.5 * i;
    }
    return t;
}

struct span widen(int n)
{
    struct span s;
    int i;
    s.lo = 0;
    s.hi = 0;
    for (i = 0; i < n; i++) {
#pragma mcl poll
        s.lo = s.lo - 1;
        s.hi = s.hi + 2;
    }
    return s;
}

int main(void)
{
    tally_t t;
    struct span s;
    t = tally(40);
    s = widen(30);
    printf("count %d total %.3f span %d..%d\n", t.count, t.total, s.lo, s.hi);
    return 0;
}
