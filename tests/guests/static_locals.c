/* Static locals are globals with local names: they must migrate, both in a function
 * without poll-points (next_id, running: not part of any frame) and in a migratable one. */
#include <stdio.h>

int next_id(void)
{
    static int last = 100;
    last += 3;
    return last;
}

double running(double x)
{
    static double sum;
    static int calls;
    calls++;
    sum += x;
    return sum / calls;
}

int work(int n)
{
    static int runs;
    int i, s = 0;
    runs++;
    for (i = 0; i < n; i++) {
#pragma mcl poll
        s += i * runs;
    }
    return s;
}

int main(void)
{
    int i, id = 0, w = 0, w2 = 0;
    double m = 0.0;
    for (i = 0; i < 40; i++) {
#pragma mcl poll
        id = next_id();
        m = running(i * 0.5);
    }
    w = work(10);
    w2 = work(10);
    printf("id %d mean %.4f work %d %d\n", id, m, w, w2);
    return 0;
}
