/* Runs out of memory on purpose: argv[1] "heap" allocates until malloc gives up,
 * "stack" recurses with a 4 KiB frame until the stack is gone, "frame" calls a function
 * whose local array (64 MiB) is larger than the whole stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int sink;

static int descend(int depth)
{
    volatile char frame[4096];
    frame[0] = (char)depth;
    sink = frame[0];
    return descend(depth + 1) + frame[0];
}

static int huge_frame(int n)
{
    volatile char frame[n];
    frame[0] = (char)n;
    frame[n - 1] = frame[0];
    return frame[n - 1];
}

int main(int argc, char **argv)
{
    printf("exhausting the %s\n", argv[1]);
    if (argc > 1 && strcmp(argv[1], "stack") == 0)
        return descend(0);
    if (argc > 1 && strcmp(argv[1], "frame") == 0)
        return huge_frame(64 << 20);
    for (;;)
        memset(malloc(1 << 20), 1, 1 << 20);
    return 0;
}
