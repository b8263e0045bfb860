/* A singly linked list of N nodes (argv[1], default 1000), migrated while it is walked:
 * every node is a heap block first reached through the one before it, a chain as long as
 * the list, which the runtime must encode and decode without recursing per block. With
 * 1,000,000 nodes it needs the Ultra 5's 128 MiB (tests/test_emulator.py). */
#include <stdio.h>
#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    struct node *head = NULL, *p;
    unsigned long sum = 0;
    int i, pass;

    for (i = 0; i < n; i++) {
        p = (struct node *)malloc(sizeof(struct node));
        p->value = i * 7 + 3;
        p->next = head;
        head = p;
    }
    for (pass = 0; pass < 4; pass++) {
#pragma mcl poll
        for (p = head; p; p = p->next)
            sum = sum * 31 + (unsigned long)p->value + (unsigned long)pass;
    }
    printf("%d nodes, checksum %lu\n", n, sum);
    return 0;
}
