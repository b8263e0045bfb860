/* Idioms of GCC's torture tests that the precompiler once mishandled, live across
 * poll-points: an anonymous struct named by two typedefs (`S` and a pointer `P`), const
 * parameters of a migratable function (the restore code assigns them), a gnu89-style
 * non-static `inline` function (C99 emits no out-of-line copy of it), a pointer to
 * `__func__`, and a `long *` at an `unsigned long` (C allows the signed counterpart). */
#include <stdio.h>
#include <string.h>

typedef struct {
    int weight;
    unsigned long seen;
} cell, *cellp;

cell cells[4];

inline int scaled(int x)
{
    return 3 * x + 1;
}

static long bump(long *count, const int step)
{
    *count += step;
    return *count;
}

static int walk(const cellp first, const int n, const int rounds)
{
    const char *name = __func__;
    long *counter = (long *)&first->seen;
    int r, i, sum = 0;
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < n; i++) {
            first[i].weight = scaled(first[i].weight) % 1009;
            sum = (sum + first[i].weight) % 100003;
        }
        bump(counter, r);
    }
    return sum + (int)strlen(name);
}

int main(void)
{
    int i, s;
    for (i = 0; i < 4; i++)
        cells[i].weight = i + 2;
    s = walk(cells, 4, 40);
    printf("%d %lu %d\n", s, cells[0].seen, cells[3].weight);
    return 0;
}
