/* Dereferences a wild pointer: the emulator must report it as one clear line. */
#include <stdio.h>
#include <stdlib.h>

int *wild_address(int seed)
{
    return (int *)0 + (unsigned)seed * 0x37ab6fbbu; /* far outside any mapped region */
}

int crash(int *p)
{
    return *p + 1;
}

int main(int argc, char **argv)
{
    int seed = argc > 1 ? atoi(argv[1]) : 7;
    printf("about to crash\n");
    return crash(wild_address(seed));
}
