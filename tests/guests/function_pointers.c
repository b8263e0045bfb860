/* Function pointers as locals, globals, struct fields, a non-const global table and a
 * local array, live across poll-points while the program switches between them: each
 * travels as its function's index in the precompiler's function table (docs/mcl.md). */
#include <stdio.h>

typedef int unary(int);
typedef int (*binary_fn)(int, int);

static int twice(int x) { return 2 * x; }
static int square(int x) { return x * x; }
static int negate(int x) { return -x; }
static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return (a * b) % 10007; }

struct stage {
    int weight;
    unary *apply;         /* a pointer to a typedef'd function type */
    binary_fn combine;
};

binary_fn table[3] = { add, sub, mul };  /* non-const: the program rewires it */
int (*current)(int) = twice;
struct stage stages[2] = { { 1, square, add }, { 3, negate, sub } };

static int step(int acc, int k)
{
    int (*pick[2])(int) = { twice, square };
    int (*chosen)(int) = pick[k & 1];
    binary_fn mix = table[k % 3];
    int i, total = acc;
    for (i = 0; i < 40; i++) {
#pragma mcl poll
        total = mix(total, chosen(i) + stages[i & 1].apply(k));
        total = stages[(i + k) & 1].combine(total, current(i)) % 100003;
        if (i == 20)
            chosen = chosen == twice ? negate : twice;
    }
    return total;
}

static int apply(int (*f)(int), int n)   /* a function pointer parameter */
{
    int i, s = 0;
    for (i = 0; i < n; i++) {
#pragma mcl poll
        s += f(i);
    }
    return s;
}

int main(void)
{
    int k, acc = 7;
    binary_fn spare = 0;
    for (k = 0; k < 12; k++) {
        acc = step(acc, k);
        acc = (acc + apply(current, 5)) % 100003;
        if (k == 4) {
            spare = table[0];
            table[0] = table[2];
            table[2] = spare;
            current = square;
            stages[1].apply = twice;
        }
    }
    printf("%d %d %d\n", acc, spare == add, current == square);
    return 0;
}
