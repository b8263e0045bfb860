/* A program whose answer depends on rand()'s hidden state across a poll-point: the C
 * library's state does not migrate, so the precompiler must refuse it (never a wrong
 * answer after migrating). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    unsigned long sum = 0;
    int i;
    srand(7);
    for (i = 0; i < 1000; i++) {
#pragma mcl poll
        sum += (unsigned long)rand();
    }
    printf("sum %lu\n", sum);
    return 0;
}
