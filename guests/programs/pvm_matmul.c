/* pvm_matmul: C = A * B for n x n doubles with PVM, a master handing row blocks of A to
 * worker tasks and gathering the rows of C (plain PVM 3 C, no migration annotations).
 *
 * The matrices, the row blocks and the worker's loop order are those of the serial
 * guests/programs/matmul.c, its reference: every element of C is the same sum in the
 * same order, so the checksums below are bit-identical to the serial program's.
 *
 * Usage: pvm_matmul N WORKERS. The master spawns WORKERS copies of itself (a task whose
 * pvm_parent() is a task is a worker), sends B to all of them, then one block of rows at
 * a time to whichever worker is free (self-scheduling), until every row is back.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pvm3.h"

#define ROW_BLOCK 8 /* rows per message from the master to a worker, as in matmul.c */
#define TILE 16     /* cache tile of the k and j loops inside a worker */
#define MAX_N 2048
#define MAX_WORKERS 64
#define TAG_B 1
#define TAG_ROWS 2
#define TAG_RESULT 3
#define TAG_STOP 4

unsigned rng_state = 19980815u;

/* A double in [-1, 1) with 23 random bits: exact, the same on every machine (matmul.c). */
double next_value(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return ((int)(rng_state >> 9) - 4194304) / 4194304.0;
}

void fill(double *m, int n)
{
    int i;
    for (i = 0; i < n * n; i++)
        m[i] = next_value();
}

/* result = rows * b for nrows rows of A: the loop nest of matmul.c's worker(). */
void multiply(const double *rows, int nrows, int n, const double *b, double *result)
{
    int i, j, k, k0, j0, kend, jend;
    double aik;

    for (i = 0; i < nrows * n; i++)
        result[i] = 0.0;
    for (k0 = 0; k0 < n; k0 += TILE) {
        kend = k0 + TILE < n ? k0 + TILE : n;
        for (j0 = 0; j0 < n; j0 += TILE) {
            jend = j0 + TILE < n ? j0 + TILE : n;
            for (i = 0; i < nrows; i++) {
                for (k = k0; k < kend; k++) {
                    aik = rows[n * i + k];
                    for (j = j0; j < jend; j++)
                        result[n * i + j] = result[n * i + j] + aik * b[n * k + j];
                }
            }
        }
    }
}

int worker(void)
{
    int n, first, nrows, bufid, tag;
    double *b, *rows, *result;

    pvm_recv(pvm_parent(), TAG_B);
    pvm_upkint(&n, 1, 1);
    b = (double *)malloc(n * n * sizeof(double));
    rows = (double *)malloc(ROW_BLOCK * n * sizeof(double));
    result = (double *)malloc(ROW_BLOCK * n * sizeof(double));
    pvm_upkdouble(b, n * n, 1);
    for (;;) {
        bufid = pvm_recv(pvm_parent(), -1);
        pvm_bufinfo(bufid, (int *)0, &tag, (int *)0);
        if (tag == TAG_STOP)
            break;
        pvm_upkint(&first, 1, 1);
        pvm_upkint(&nrows, 1, 1);
        pvm_upkdouble(rows, nrows * n, 1);
        multiply(rows, nrows, n, b, result);
        pvm_initsend(PvmDataDefault);
        pvm_pkint(&first, 1, 1);
        pvm_pkint(&nrows, 1, 1);
        pvm_pkdouble(result, nrows * n, 1);
        pvm_send(pvm_parent(), TAG_RESULT);
    }
    pvm_exit();
    return 0;
}

/* Send the next block of rows (from *next) to tid; 0 when none is left. */
int hand_out(int tid, int n, const double *a, int *next)
{
    int first = *next, nrows;
    if (first >= n)
        return 0;
    nrows = n - first < ROW_BLOCK ? n - first : ROW_BLOCK;
    *next = first + nrows;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&first, 1, 1);
    pvm_pkint(&nrows, 1, 1);
    pvm_pkdouble((double *)&a[n * first], nrows * n, 1);
    pvm_send(tid, TAG_ROWS);
    return 1;
}

int main(int argc, char **argv)
{
    double *a, *b, *c, sum, trace, weighted;
    int tids[MAX_WORKERS], n, nworkers, started, i, j, next = 0, done = 0, first, nrows, tid;

    if (pvm_parent() != PvmNoParent) { /* braces: the precompiler turns this call into several statements */
        return worker();
    }
    n = argc == 3 ? atoi(argv[1]) : 0;
    nworkers = argc == 3 ? atoi(argv[2]) : 0;
    if (n < 1 || n > MAX_N || nworkers < 1 || nworkers > MAX_WORKERS) {
        printf("pvm_matmul: usage: pvm_matmul N WORKERS with N in 1..%d, WORKERS in 1..%d\n", MAX_N, MAX_WORKERS);
        return 2;
    }
    pvm_mytid();
    a = (double *)malloc(n * n * sizeof(double));
    b = (double *)malloc(n * n * sizeof(double));
    c = (double *)malloc(n * n * sizeof(double));
    fill(a, n);
    fill(b, n);
    printf("pvm_matmul: n = %d, %d rows per block, %d workers\n", n, ROW_BLOCK, nworkers);
    started = pvm_spawn(argv[0], (char **)0, PvmTaskDefault, "", nworkers, tids);
    if (started < nworkers) {
        printf("pvm_matmul: only %d of %d workers started\n", started, nworkers);
        pvm_exit();
        return 1;
    }
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&n, 1, 1);
    pvm_pkdouble(b, n * n, 1);
    pvm_mcast(tids, nworkers, TAG_B);
    for (i = 0; i < nworkers; i++)
        hand_out(tids[i], n, a, &next);
    while (done < n) {
        pvm_recv(-1, TAG_RESULT);
        pvm_bufinfo(pvm_getrbuf(), (int *)0, (int *)0, &tid);
        pvm_upkint(&first, 1, 1);
        pvm_upkint(&nrows, 1, 1);
        pvm_upkdouble(&c[n * first], nrows * n, 1);
        done += nrows;
        hand_out(tid, n, a, &next);
    }
    pvm_initsend(PvmDataDefault);
    pvm_mcast(tids, nworkers, TAG_STOP);

    sum = 0.0;
    trace = 0.0;
    weighted = 0.0;
    for (i = 0; i < n; i++) {
        trace += c[n * i + i];
        for (j = 0; j < n; j++) {
            sum += c[n * i + j];
            weighted += (i + 2 * j + 1) * c[n * i + j];
        }
    }
    printf("sum = %.17g\ntrace = %.17g\nweighted = %.17g\n", sum, trace, weighted);
    pvm_exit();
    return 0;
}
