/* Bit-fields live across poll-points: signed, unsigned, _Bool and char-typed ones, an
 * unnamed padding field and a zero-width one, in a global array, a struct local, and heap
 * nodes that also hold a pointer. Each field travels as its value: mipsel and sparc
 * number the bits of a storage unit from opposite ends, so the unit's bytes would not do. */
#include <stdio.h>
#include <stdlib.h>

struct flags {
    unsigned ready : 1;
    int delta : 5;           /* signed: negative values too */
    unsigned : 3;            /* padding: takes room, does not travel */
    unsigned count : 11;
    _Bool odd : 1;
    unsigned : 0;            /* the next field starts a new unit */
    unsigned char level : 4;
    short bias;
};

struct node {
    struct node *next;
    unsigned colour : 2;
    int weight : 9;
};

struct flags table[6];

static int mix(const struct flags *f)
{
    return f->ready + 3 * f->delta + 7 * (int)f->count + 11 * f->odd + 13 * f->level + f->bias;
}

int main(void)
{
    struct flags local;
    struct node *head = NULL, *n;
    int i, round, sum = 0;
    local.ready = 0;
    local.delta = -16;
    local.count = 2047;
    local.odd = 1;
    local.level = 15;
    local.bias = -300;
    for (i = 0; i < 6; i++) {
        n = malloc(sizeof(struct node));
        n->next = head;
        n->colour = (unsigned)i & 3u;
        n->weight = -255 + 97 * i;
        head = n;
    }
    for (round = 0; round < 30; round++) {
        for (i = 0; i < 6; i++) {
#pragma mcl poll
            table[i].ready = !table[i].ready;
            table[i].delta = (table[i].delta + i - 3) % 16;
            table[i].count = (table[i].count * 5u + (unsigned)round) & 2047u;
            table[i].odd = (round + i) & 1;
            table[i].level = (unsigned char)((table[i].level + 3u) & 15u);
            table[i].bias = (short)(table[i].bias - 7 * i);
            sum = (sum * 31 + mix(&table[i]) + mix(&local)) % 1000003;
        }
        local.delta = local.delta == 15 ? -16 : local.delta + 1;
        local.count = (local.count + 1u) & 2047u;
        for (n = head; n != NULL; n = n->next) {
            n->colour = (n->colour + 1u) & 3u;
            n->weight = n->weight >= 255 ? -256 : n->weight + 1;
            sum = (sum + (int)n->colour * n->weight) % 1000003;
        }
    }
    printf("%d %d %d %u\n", sum, local.delta, head->weight, table[5].count);
    return 0;
}
