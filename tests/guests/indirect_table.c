/* Calls through function pointers: a global table, a struct field, a callback through two
 * levels, the (*fp)(x) spelling, and their results assigned, declared and returned. */
#include <stdio.h>

static long acc;

int square_sum(int n)
{
    int i, s = 0;
    for (i = 1; i <= n; i++) {
        s += i * i;
        acc += s;
    }
    return s;
}

int triangle(int n)
{
    int i, s = 0;
    for (i = 1; i <= n; i++) {
        s += i;
        acc ^= s;
    }
    return s;
}

int plain(int n) { return n * 3 + 1; }

typedef int (*step_fn)(int);
step_fn table[3] = { square_sum, triangle, plain };

struct stage {
    const char *name;
    step_fn run;
    int arg;
};

int apply(step_fn f, int x)
{
    int r;
    r = f(x);
    return r + 1;
}

int twice(int (*g)(step_fn, int), step_fn f, int x)
{
    int a = g(f, x);
    return (*g)(f, a % 7);
}

int main(void)
{
    struct stage stages[2];
    struct stage *sp;
    int i, k, r, total = 0;
    stages[0].name = "sq";
    stages[0].run = square_sum;
    stages[0].arg = 6;
    stages[1].name = "tri";
    stages[1].run = triangle;
    stages[1].arg = 9;
    for (k = 0; k < 3; k++) {
        for (i = 0; i < 3; i++) {
            int v = table[i](k + 4);
            total += v;
        }
        for (i = 0; i < 2; i++) {
            sp = &stages[i];
            r = sp->run(sp->arg + k);
            total += r;
            printf("%s %d\n", sp->name, r);
        }
        r = twice(apply, table[k], k + 3);
        total += r;
    }
    printf("%d %ld\n", total, acc);
    return 0;
}
