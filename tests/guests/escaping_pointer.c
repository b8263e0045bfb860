/* A live pointer that arithmetic moved outside its block when the migration comes: the
 * runtime must refuse to collect it, naming the variable and the poll-point. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    int *cells = (int *)malloc(16 * sizeof(int));
    int *past;
    int i, sum = 0;

    past = cells + 1000; /* far beyond the block: no block holds this address */
    for (i = 0; i < 400; i++) {
#pragma mcl poll
        sum += i;
    }
    printf("%d %d\n", sum, past == cells);
    return 0;
}
