/* Unions without pointers whose members order their bytes alike: they travel as their
   largest member (tests/test_mcl_subset.py). */
#include <stdio.h>

union word {
    unsigned int u;
    int i;
    float f;
};

typedef union {
    double d;
    unsigned long long bits;
} number;

struct cell {
    int tag;
    union word w;                /* a union field */
};

union word table[8];             /* a global array of unions */

int main(void)
{
    struct cell c;
    number n;
    union word acc;
    int k;
    c.tag = 7;
    c.w.f = 1.5f;
    n.d = 0.0;
    acc.u = 1u;
    for (k = 0; k < 400; k++) {
#pragma mcl poll
        acc.u = acc.u * 2654435761u + (unsigned)k;   /* written as unsigned ... */
        table[k % 8].i = acc.i >> 3;                  /* ... read as int */
        n.d += 0.25;
        c.w.f = c.w.f * 1.001f;
    }
    printf("%u %d %.6f %llx %.4f %d\n", acc.u, table[3].i, n.d, n.bits, (double)c.w.f, c.tag);
    return 0;
}
