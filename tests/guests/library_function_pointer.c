/* A function pointer to a C library function (the runtime's strcmp), live at a
 * poll-point: in the program's function table, since the program uses it as a value. */
#include <stdio.h>
#include <string.h>

int main(void)
{
    int (*compare)(const char *, const char *) = strcmp;
    int i, s = 0;
    for (i = 0; i < 30; i++) {
#pragma mcl poll
        s += compare("abc", i & 1 ? "abd" : "abb");
    }
    printf("%d\n", s);
    return 0;
}
