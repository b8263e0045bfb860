/* Calls of a migratable function in the tests of an if, a switch, a while, a for
 * (its test and its first clause) and a do-while (docs/mcl.md, "The code at each
 * site"): hoisted into temporaries computed where the test was (were refused with
 * "make it a statement of its own"). The for's body has a continue: it must still
 * reach the step and then the hoisted test. A call site as the body of a braceless if
 * (never taken) or loop must stay under it: it becomes several statements. Under && and
 * || the call runs only when C evaluates it (never in the third test). */
#include <stdio.h>
int calls;
int step(int x)
{
    int i, s = 0;
    calls++;
    for (i = 0; i < x % 5 + 2; i++) {
#pragma mcl poll
        s += i;
    }
    return s;
}
int main(void)
{
    int n = 0, k = 0, t = 0, j;
    if (step(3) != 10)
        return 1;
    while (step(n) < 6)
        n++;
    for (j = step(0); step(j) < 10; j++) {
        if (j == 2)
            continue;
        t += j;
    }
    do {
        k++;
    } while (step(k) < 6 + k);
    if (n > 0 && step(n) > 2)
        t += 5;
    if (n < 0 || step(1) == 3)
        t += 7;
    if (n < 0 && step(99) > 0)
        t += 1000;
    if (calls > 1000)
        calls = step(calls);
    for (j = 0; j < 2; j++)
        k += step(k);
    switch (step(4)) {
    case 10: t += 100; break;
    default: t += 1;
    }
    printf("n %d j %d t %d k %d calls %d\n", n, j, t, k, calls);
    return 0;
}
