/* pvm_heat: 1-D heat equation by Jacobi iteration, one strip of the rod per PVM task, the
 * neighbours exchanging their edge values every step (plain PVM 3 C).
 *
 * Usage: pvm_heat N STEPS WORKERS. N interior points between two fixed ends, STEPS
 * Jacobi sweeps. WORKERS = 0 is the serial reference: the master sweeps the whole rod
 * itself without PVM. Otherwise the master spawns WORKERS copies of itself, sends each
 * its strip and its neighbours' tids, and gathers the strips at the end. Every point is
 * updated by the same expression in either case, so the output is bit-identical.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pvm3.h"

#define MAX_N 1000000
#define MAX_WORKERS 64
#define TAG_SETUP 1
#define TAG_TO_LEFT 2  /* my leftmost value, for my left neighbour's right ghost */
#define TAG_TO_RIGHT 3 /* my rightmost value, for my right neighbour's left ghost */
#define TAG_STRIP 4
#define LEFT_END 1.0
#define RIGHT_END 0.0

unsigned rng_state = 20260101u;

double next_value(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (int)(rng_state >> 9) / 8388608.0; /* [0, 1), 23 random bits */
}

/* One Jacobi sweep over u[1..n] (u[0] and u[n+1] are ghosts or the ends) into v. */
void sweep(const double *u, double *v, int n)
{
    int i;
    for (i = 1; i <= n; i++)
        v[i] = u[i] + 0.25 * ((u[i - 1] - u[i]) + (u[i + 1] - u[i]));
}

void report(const double *u, int n, int steps, int workers)
{
    double sum = 0.0, weighted = 0.0;
    int i;
    for (i = 1; i <= n; i++) {
        sum += u[i];
        weighted += i * u[i];
    }
    printf("pvm_heat: %d points, %d steps\n", n, steps);
    printf("sum = %.17g\nweighted = %.17g\nmiddle = %.17g\n", sum, weighted, u[(n + 1) / 2]);
    (void)workers;
}

int worker(void)
{
    int me, nworkers, first, n, steps, step, left, right, parent = pvm_parent();
    int tids[MAX_WORKERS];
    double *u, *v, *t;

    pvm_recv(parent, TAG_SETUP);
    pvm_upkint(&me, 1, 1);
    pvm_upkint(&nworkers, 1, 1);
    pvm_upkint(tids, nworkers, 1);
    pvm_upkint(&first, 1, 1);
    pvm_upkint(&n, 1, 1);
    pvm_upkint(&steps, 1, 1);
    u = (double *)malloc((n + 2) * sizeof(double));
    v = (double *)malloc((n + 2) * sizeof(double));
    pvm_upkdouble(u, n + 2, 1); /* the strip with its initial ghosts */
    v[0] = u[0];
    v[n + 1] = u[n + 1];
    left = me > 0 ? tids[me - 1] : 0;
    right = me < nworkers - 1 ? tids[me + 1] : 0;
    for (step = 0; step < steps; step++) {
        sweep(u, v, n);
        t = u;
        u = v;
        v = t;
        if (left) {
            pvm_initsend(PvmDataDefault);
            pvm_pkdouble(&u[1], 1, 1);
            pvm_send(left, TAG_TO_LEFT);
        }
        if (right) {
            pvm_initsend(PvmDataDefault);
            pvm_pkdouble(&u[n], 1, 1);
            pvm_send(right, TAG_TO_RIGHT);
        }
        if (left) {
            pvm_recv(left, TAG_TO_RIGHT);
            pvm_upkdouble(&u[0], 1, 1);
        }
        if (right) {
            pvm_recv(right, TAG_TO_LEFT);
            pvm_upkdouble(&u[n + 1], 1, 1);
        }
        v[0] = u[0];
        v[n + 1] = u[n + 1];
    }
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&first, 1, 1);
    pvm_pkint(&n, 1, 1);
    pvm_pkdouble(&u[1], n, 1);
    pvm_send(parent, TAG_STRIP);
    pvm_exit();
    return 0;
}

int main(int argc, char **argv)
{
    int n, steps, nworkers, i, w, first, count, tids[MAX_WORKERS];
    double *u, *v, *t;

    if (pvm_parent() != PvmNoParent) { /* braces: the precompiler turns this call into several statements */
        return worker();
    }
    n = argc == 4 ? atoi(argv[1]) : 0;
    steps = argc == 4 ? atoi(argv[2]) : -1;
    nworkers = argc == 4 ? atoi(argv[3]) : -1;
    if (n < 1 || n > MAX_N || steps < 0 || nworkers < 0 || nworkers > MAX_WORKERS || nworkers > n) {
        printf("pvm_heat: usage: pvm_heat N STEPS WORKERS (N in 1..%d, WORKERS in 0..min(N, %d); 0: serial)\n",
               MAX_N, MAX_WORKERS);
        return 2;
    }
    u = (double *)malloc((n + 2) * sizeof(double));
    v = (double *)malloc((n + 2) * sizeof(double));
    u[0] = v[0] = LEFT_END;
    u[n + 1] = v[n + 1] = RIGHT_END;
    for (i = 1; i <= n; i++)
        u[i] = next_value();
    if (nworkers == 0) {
        for (i = 0; i < steps; i++) {
            sweep(u, v, n);
            t = u;
            u = v;
            v = t;
        }
        report(u, n, steps, 0);
        return 0;
    }
    if (pvm_spawn(argv[0], (char **)0, PvmTaskDefault, "", nworkers, tids) < nworkers) {
        printf("pvm_heat: could not start %d workers\n", nworkers);
        pvm_exit();
        return 1;
    }
    first = 1;
    for (w = 0; w < nworkers; w++) {
        count = n / nworkers + (w < n % nworkers);
        pvm_initsend(PvmDataDefault);
        pvm_pkint(&w, 1, 1);
        pvm_pkint(&nworkers, 1, 1);
        pvm_pkint(tids, nworkers, 1);
        pvm_pkint(&first, 1, 1);
        pvm_pkint(&count, 1, 1);
        pvm_pkint(&steps, 1, 1);
        pvm_pkdouble(&u[first - 1], count + 2, 1);
        pvm_send(tids[w], TAG_SETUP);
        first += count;
    }
    for (w = 0; w < nworkers; w++) {
        pvm_recv(-1, TAG_STRIP);
        pvm_upkint(&first, 1, 1);
        pvm_upkint(&count, 1, 1);
        pvm_upkdouble(&u[first], count, 1);
    }
    report(u, n, steps, nworkers);
    pvm_exit();
    return 0;
}
