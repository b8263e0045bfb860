/* The runtime's qsort and bsearch call the program's comparators back: they get no
 * poll-point (the library's frames cannot be recorded); the loops around them do. */
#include <stdio.h>
#include <stdlib.h>

struct item {
    int key;
    int weight;
};

static int by_key(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int i, d = 0;
    for (i = 0; i < 2; i++) /* a loop: it would get a poll-point if it were not a callback */
        d += (x->key > y->key) - (x->key < y->key);
    return d;
}

static int by_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void)
{
    struct item items[24];
    int keys[24];
    int i, round, found = 0;
    long sum = 0;
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 24; i++) {
            items[i].key = (i * 7 + round * 5) % 25;
            items[i].weight = i;
            keys[i] = (i * 11 + round) % 29;
        }
        qsort(items, 24, sizeof items[0], by_key);
        qsort(keys, 24, sizeof keys[0], by_int);
        for (i = 0; i < 24; i++) {
            sum += (long)items[i].weight * (i + 1) + keys[i];
            if (bsearch(&i, keys, 24, sizeof keys[0], by_int))
                found++;
        }
    }
    printf("%ld %d\n", sum, found);
    return 0;
}
