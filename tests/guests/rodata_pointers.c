/* Pointers into read-only data live across poll-points: a global char * initialised with
 * a literal and walked (p++), a pointer into the middle of a literal, one past the end of
 * a literal, a table of literal pointers, a const global table and a const table of
 * structs. Both machines have these objects: each pointer travels as (read-only object,
 * offset) and no byte of them is sent (docs/mcl.md). */
#include <stdio.h>

struct op {
    const char *name;
    int code;
};

char *cursor = "the quick brown fox jumps over the lazy dog";
const char *names[] = { "alpha", "beta", "gamma" };
const int primes[8] = { 2, 3, 5, 7, 11, 13, 17, 19 };
const struct op ops[3] = { { "add", 1 }, { "sub", 2 }, { "mul", 3 } };

int main(void)
{
    const char *middle = "abcdefghij" + 4;
    const char *word = "xyz";
    const char *past = word + 4;        /* one past the end of "xyz" (its NUL included) */
    const int *prime = &primes[2];
    const struct op *op = &ops[1];
    char label[4] = "ok!";              /* an array initialiser: stays a plain array */
    int i, sum = 0;
    for (i = 0; i < 40; i++) {
#pragma mcl poll
        sum = sum * 7 + *cursor + *middle + past[-2] + *prime + op->code + op->name[i % 3] + names[i % 3][1];
        sum %= 1000003;
        if (*++cursor == '\0')
            cursor -= 30;
        if (*++middle == '\0')
            middle -= 6;
        prime = prime == &primes[7] ? primes : prime + 1;
        op = op == &ops[2] ? ops : op + 1;
    }
    printf("%d %s %s %s %d %s\n", sum, cursor, middle, names[1], (int)sizeof "four", label);
    return 0;
}
