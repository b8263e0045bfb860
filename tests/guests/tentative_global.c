/* A global declared twice (a tentative definition, then the definition with its value)
 * is one object: registered once, it migrates (its two registrations were refused by
 * the destination as a malformed stream). */
#include <stdio.h>
int p;
unsigned int n;
int work(void)
{
    int i, s = 0;
    for (i = 0; i < 5; i++) {
#pragma mcl poll
        s += (int)n + i;
        n++;
    }
    return s;
}
unsigned int n = 30;
int main(void)
{
    p = work();
    printf("%d %u\n", p, n);
    return 0;
}
