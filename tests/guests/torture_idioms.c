/* Idioms of GCC's torture tests that the precompiler once mishandled, live across
 * poll-points: an anonymous struct named by two typedefs (`cell` and a pointer `cellp`),
 * an anonymous struct global with an anonymous struct field, const parameters of a
 * migratable function (the restore code assigns them), a gnu89-style non-static `inline`
 * function (C99 emits no out-of-line copy of it), a K&R definition without a return type
 * (implicit int), a pointer to `__func__`, a `long *` at an `unsigned long` (C allows the
 * signed counterpart), a pointer local whose address a callee fills in (unset at the
 * callee's poll-points), memory from __builtin_malloc, and memcmp declared the program's
 * own way (no header of the runtime's is included), a struct and a typedef defined inside
 * a function (moved to file scope). */
extern int printf(const char *, ...);
extern int memcmp(const char *, const char *, __SIZE_TYPE__);

typedef struct {
    int weight;
    unsigned long seen;
} cell, *cellp;

struct {
    int rounds;
    struct {
        int sum[2];
    } totals;
} stats;

cell cells[4];

inline int scaled(int x)
{
    return 3 * x + 1;
}

twice(x)
    int x;
{
    return 2 * x;
}

static long bump(long *count, const int step)
{
    *count += step;
    return *count;
}

static void pick(cell **out, cellp from, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (from[i].weight > (*out ? (*out)->weight : -1))
            *out = &from[i];
}

static int walk(const cellp first, const int n, const int rounds)
{
    const char *name = __func__;
    long *counter = (long *)&first->seen;
    cellp spare = __builtin_malloc(sizeof(cell));
    long *spare_count = (long *)&spare->seen;
    cell *best;
    struct tally { int hits; long total; } tally;
    typedef struct { short lo, hi; } range;
    range span;
    int r, i, sum = 0;
    spare->seen = 0;
    tally.hits = 0;
    tally.total = 0;
    span.lo = 1000;
    span.hi = -1000;
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < n; i++) {
            first[i].weight = scaled(first[i].weight) % 1009;
            sum = (sum + first[i].weight) % 100003;
        }
        bump(counter, r);
        bump(spare_count, twice(r));
        stats.rounds++;
        tally.hits += r % 3 == 0;
        tally.total += sum;
        span.lo = (short)(sum % 997 < span.lo ? sum % 997 : span.lo);
        span.hi = (short)(sum % 991 > span.hi ? sum % 991 : span.hi);
        stats.totals.sum[r % 2] += sum;
    }
    best = 0;
    pick(&best, first, n);
    return sum + (memcmp(name, "walk", 4) == 0) + (int)*spare_count + best->weight + tally.hits
           + (int)(tally.total % 1000) + span.lo + span.hi;
}

int main(void)
{
    int i, s;
    for (i = 0; i < 4; i++)
        cells[i].weight = i + 2;
    s = walk(cells, 4, 40);
    printf("%d %lu %d %d %d\n", s, cells[0].seen, cells[3].weight, stats.rounds, stats.totals.sum[1]);
    return 0;
}
