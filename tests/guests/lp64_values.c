/* lp64_values: longs and word-sized integers migrating between ILP32 and LP64 machines
 * (tests/test_lp64.py). They travel in 8 bytes; a destination whose long is 32 bits
 * refuses one it cannot hold, naming it, before anything is written.
 *
 * argv[1] (the run's one argument, default 20) is 100 * where + shift: `big` is
 * 1L << shift, and lives in the local variable big (where 0), the value of the first
 * list entry on the heap (1) or the global history[2] (2); the others hold small values. */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

struct entry {
    char tag;
    long value; /* after 3 or 7 bytes of padding: ILP32 and LP64 lay it out differently */
    size_t length;
    struct entry *next;
    ptrdiff_t step;
    unsigned long mask;
};

long history[4];
intptr_t cookie = -7;

int main(int argc, char **argv)
{
    int code = argc > 1 ? atoi(argv[1]) : 20, where = code / 100;
    long big = (long)1 << code % 100;
    long sum = 0;
    unsigned long acc = 0;
    struct entry *head = NULL, *e;
    int i, round;

    for (i = 0; i < 3; i++) {
        e = (struct entry *)malloc(sizeof(struct entry));
        e->tag = (char)('a' + i);
        e->value = -1000L * (i + 1);
        e->length = (size_t)(i * 10);
        e->next = head;
        e->step = -(ptrdiff_t)i;
        e->mask = 0xF0F0ul >> i;
        head = e;
    }
    if (where == 1) {
        head->value = big;
        big = 3;
    } else if (where == 2) {
        history[2] = big;
        big = 3;
    }
    for (round = 0; round < 8; round++) {
#pragma mcl poll
        acc += (unsigned long)(round * 3) + head->mask;
        cookie += round;
        if (where != 2 || round % 4 != 2)
            history[round % 4] += round;
        for (e = head; e; e = e->next)
            sum += e->value % 1024 / 4 + (long)e->length + e->step; /* small, whatever value holds */
    }
    printf("big %lld, sum %ld, acc %lu, cookie %ld\n", (long long)big, sum, acc, (long)cookie);
    printf("history %lld %ld %ld %ld\n", (long long)history[2], history[0], history[1], history[3]);
    for (e = head; e; e = e->next)
        printf("%c %lld %lu %ld %lx\n", e->tag, (long long)e->value, (unsigned long)e->length, (long)e->step, e->mask);
    return 0;
}
