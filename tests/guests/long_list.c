/* A singly linked list of argv[1] nodes (default 1000) that is migrated while live: with
 * 1,000,000 nodes it needs the Ultra 5's 128 MiB (tests/test_emulator.py). */
#include <stdio.h>
#include <stdlib.h>

struct node {
    int value;
    struct node *next;
};

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000, i;
    struct node *head = NULL, *p;
    unsigned sum = 0;

    for (i = 0; i < n; i++) {
        p = (struct node *)malloc(sizeof(struct node));
        p->value = i;
        p->next = head;
        head = p;
    }
    for (i = 0; i < 4; i++) {
#pragma mcl poll
        sum += (unsigned)i;
    }
    for (p = head; p != NULL; p = p->next)
        sum = sum * 31u + (unsigned)p->value;
    printf("%d nodes, checksum %u\n", n, sum);
    return 0;
}
