/* Calls through pointers inside larger expressions, hoisted into temporaries of the
 * pointer's result type (991112-1.c's `if (x('a', 1) != 1)`), and a struct field named
 * like a function, which is no use of the function. */
#include <stdio.h>

typedef long (*scale_fn)(int, int);

long scaled(int c, int k)
{
    long s = 0;
    int i;
    for (i = 0; i < k; i++)
        s += c * (i + 1);
    return s;
}

struct ops {
    int scaled; /* a field with a function's name */
};

int main(void)
{
    scale_fn x = scaled;
    scale_fn many[2] = { scaled, scaled };
    struct ops o;
    long total = 0;
    int k;
    o.scaled = 3;
    for (k = 1; k < 5; k++) {
        if (x('a', k) != 97 * k * (k + 1) / 2)
            return 1;
        total += (*x)(k, o.scaled) * 2 + many[k & 1](k, 2);
    }
    printf("%ld\n", total);
    return 0;
}
