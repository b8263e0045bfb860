/* Loads a word from a misaligned address: the fault must be reported at the load. With
 * argv[1] == "slot" it stores a word there instead, from a function whose only store gcc
 * places in the delay slot of its return jump (`jr $ra; sw $a1, 0($a0)` on mipsel). */
#include <stdio.h>
#include <string.h>

static char bytes[16] __attribute__((aligned(4))) = {1, 2, 3, 4, 5, 6, 7, 8};

__attribute__((noinline)) int load_then_add(const int *p, int x)
{
    return *p + x;
}

__attribute__((noinline)) void store_in_delay_slot(int *p, int v)
{
    *p = v;
}

int main(int argc, char **argv)
{
    int *odd = (int *)(bytes + 1);
    printf("about to crash\n");
    if (argc > 1 && strcmp(argv[1], "slot") == 0) {
        store_in_delay_slot(odd, argc);
        return 0;
    }
    return load_then_add(odd, argc);
}
