/* Makes a hypercall that only a test registers (number 42): prints what the host returned. */
#include <stdio.h>
#include "rt.h"

int main(void)
{
    printf("host says %ld\n", rt_hypercall(42, 7, 0, 0));
    return 0;
}
