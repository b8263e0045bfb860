/* GNU spellings, a K&R definition, an empty asm, call-initialised and const locals: what real freestanding programs
   written by others use (tests/test_mcl_subset.py). */
#include <stdio.h>

static __inline int square(int x) __attribute((const));
static __inline int square(int x) { return x * x; }

__extension__ typedef unsigned long long wide;

static int sum_into(int *__restrict out, const int *__restrict in, int n) __attribute__((noinline));

static int sum_into(int *__restrict out, const int *__restrict in, int n)
{
    int i, s = 0;
    for (i = 0; i < n; i++) {
#pragma mcl poll
        s += square(in[i]);
        out[i] = s;
    }
    return s;
}

static int offset(k, p)               /* K&R: k is an int */
     int *p;
{
    asm volatile ("" : : "g" (p) : "memory");   /* an empty asm: an optimisation barrier only */
    return k + *p;
}

int weigh(int seed)
{
    const int scale = 3 + seed;        /* const, live across the call below */
    int in[16], out[16], i;
    for (i = 0; i < 16; i++)
        in[i] = (i * 7 + seed) % 11;
    return sum_into(out, in, 16) * scale + offset(seed, &out[5]);
}

int main(void)
{
    int first = weigh(1);              /* a call in the initialiser of a leading declaration */
    const int second = weigh(first % 5) + 1;
    int both = first + second;         /* reads the two above: stays after them */
    wide w = (wide)both * 1000003u;
    printf("%d %d %d %llu\n", first, second, both, w);
    return 0;
}
