/* A call through a function-pointer parameter into a migratable function (issue: the
 * poll-point in add unwound through t1, which did not know, ran on and recorded nothing). */
#include <stdio.h>
static int total;
void add(double d) { int i; for (i = 0; i < 3; i++) total += (int)d; }   /* has a poll-point */
int t1(int k, void (*fp)(double)) { fp(3.0); total += k; return total; }
int main(void) { int r = t1(5, add); printf("%d %d\n", r, total); return 0; }
