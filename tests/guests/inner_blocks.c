/* Inner-block and shadowing declarations (docs/mcl.md, "The accepted subset"): arrays
 * and address-taken locals declared in inner blocks and after statements, the same name
 * declared in several blocks of one function and shadowing a global, each live across
 * poll-points, and a parameter whose address is taken. The precompiler renames them
 * apart, lifts the stack blocks to the top of their function and copies the parameter
 * into a local (were refused, or generated C that did not compile). */
#include <stdio.h>

int total = 7; /* shadowed in main, and read there before and after */

static void bump(int *p, int by)
{
    *p += by;
}

int weave(int n)
{
    int i, acc = 0;
    for (i = 0; i < n; i++) {
        int window[4] = {1, 2, 3, 4}; /* an array in a loop: initialised on every pass */
        int k;
#pragma mcl poll
        for (k = 0; k < 4; k++) {
            int i = window[k] * (k + 1); /* shadows the loop counter */
#pragma mcl poll
            window[k] += i;
        }
        acc += window[0] + window[3];
    }
    return acc;
}

static int through(int v)
{
    int *at = &v;
    int k;
    for (k = 0; k < 3; k++) {
#pragma mcl poll
        *at += k;
    }
    return v;
}

int main(void)
{
    int round, sum = total;
    for (round = 0; round < 3; round++) {
        char tag[] = "ab"; /* a string-initialised array in an inner block */
        int total = round * 10; /* shadows the global */
#pragma mcl poll
        bump(&total, 1);
        tag[round % 2] = (char)('x' + round);
        sum += total + tag[0] + tag[1];
    }
    sum += total; /* the global again */
    {
        int cell; /* address-taken, in a block of its own */
        int *where = &cell;
        cell = sum;
        for (round = 0; round < 5; round++) {
#pragma mcl poll
            bump(where, round);
        }
        sum = cell;
    }
    sum += weave(3);
    int late = 5; /* address-taken, declared after statements */
    int *p = &late;
    for (round = 0; round < 4; round++) {
#pragma mcl poll
        bump(p, round);
    }
    sum += through(4);
    printf("sum %d late %d global %d\n", sum, late, total);
    return 0;
}
