/* A migratable callee below main with an address-taken local array: on the destination the
 * array's stack block is decoded before its frame exists (staged), and moved into place,
 * with the pointers into it fixed up, when the frame is re-entered. A pointer to it is
 * live in the callee (cursor) and in a global (last_window). */
#include <stdio.h>

static int *last_window;

static long work(int rounds)
{
    int window[16];
    int *cursor = window;
    long sum = 0;
    int i, r;

    for (i = 0; i < 16; i++)
        window[i] = i * 7 + 1;
    last_window = window;
    for (r = 0; r < rounds; r++) {
#pragma mcl poll
        cursor = &window[r % 16];
        *cursor += r;
        sum += *cursor + last_window[(r + 5) % 16];
    }
    last_window = NULL;
    return sum + window[3];
}

int main(void)
{
    long total, more;

    total = work(400);
    more = work(7);
    total += more;
    printf("%ld\n", total);
    return 0;
}
