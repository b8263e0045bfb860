/* Output that depends on the data model: sizeof(long) is 4 on both 32-bit guests and 8 on
 * an x86-64 host. A migration between the guests must verify against an emulated
 * unmigrated run, not against the host's. */
#include <stdio.h>

int main(void)
{
    unsigned long wide = 0;
    int i;

    for (i = 0; i < 300; i++) {
#pragma mcl poll
        wide = wide * 3 + (unsigned long)i; /* wraps at 2^32 on the guests, 2^64 on the host */
    }
    printf("sizeof(long) = %d, wide = %lu\n", (int)sizeof(long), wide);
    return 0;
}
