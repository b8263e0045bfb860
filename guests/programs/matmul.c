/* matmul: C = A * B for n x n matrices of doubles, organised as a master handing blocks of
 * rows to workers, the shape a message-passing version splits across hosts.
 *
 * The matrices are row-major heap arrays (element (i, j) at [n*i + j]). The master cuts A
 * into blocks of ROW_BLOCK rows and gives each block to worker(), round robin over NWORKERS
 * notional workers; a worker sees only its rows of A, all of B and its rows of C. Inside,
 * the worker tiles the k and j loops (cache blocking) but adds the terms of every C(i, j)
 * in increasing k, the same order as the naive triple loop, so the self-check can demand
 * bit-identical results against a naive product of a few rows.
 *
 * Usage: matmul N   (matrix order N >= 1); exit 0 when the check passes.
 */
#include <stdio.h>
#include <stdlib.h>

#define ROW_BLOCK 8   /* rows per message from the master to a worker */
#define TILE 16       /* cache tile of the k and j loops inside a worker */
#define NWORKERS 4
#define MAX_N 2048

unsigned rng_state = 19980815u;

/* A double in [-1, 1) with 23 random bits: exact, the same on every machine. */
double next_value(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return ((int)(rng_state >> 9) - 4194304) / 4194304.0;
}

void fill(double *m, int n)
{
    double v;
    int i;

    for (i = 0; i < n * n; i++) {
        v = next_value();
        m[i] = v;
    }
}

/* result = rows * b for nrows rows of A (rows points at the first of them, inside A). */
void worker(const double *rows, int nrows, int n, const double *b, double *result)
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

/* Hand out the row blocks in order; count how many each worker got in blocks[]. */
void master(int n, const double *a, const double *b, double *c, int *blocks)
{
    int first, nrows, w;

    for (w = 0; w < NWORKERS; w++)
        blocks[w] = 0;
    w = 0;
    for (first = 0; first < n; first += ROW_BLOCK) {
        nrows = n - first < ROW_BLOCK ? n - first : ROW_BLOCK;
        worker(&a[n * first], nrows, n, b, &c[n * first]);
        blocks[w]++;
        w = (w + 1) % NWORKERS;
    }
}

/* Row i of A*B by the naive loop, compared with row i of c; returns the mismatches. */
int check_row(int i, int n, const double *a, const double *b, const double *c)
{
    double s;
    int j, k, bad;

    bad = 0;
    for (j = 0; j < n; j++) {
        s = 0.0;
        for (k = 0; k < n; k++)
            s = s + a[n * i + k] * b[n * k + j];
        if (s != c[n * i + j])
            bad++;
    }
    return bad;
}

int main(int argc, char **argv)
{
    double *a, *b, *c;
    double sum, trace, weighted;
    int blocks[NWORKERS];
    int n, i, j, bad, mismatches, rows_checked;

    n = argc == 2 ? atoi(argv[1]) : 0;
    if (n < 1 || n > MAX_N) {
        printf("matmul: usage: matmul N with the matrix order N in 1..%d\n", MAX_N);
        return 2;
    }
    a = (double *)malloc(n * n * sizeof(double));
    b = (double *)malloc(n * n * sizeof(double));
    c = (double *)malloc(n * n * sizeof(double));
    fill(a, n);
    fill(b, n);
    printf("matmul: n = %d, %d rows per block, %d workers\n", n, ROW_BLOCK, NWORKERS);

    master(n, a, b, c, blocks);
#ifdef INJECT_FAULT
    /* test hook (tests/test_programs.py): one wrong element in a checked row */
    c[n * (n / 2) + n - 1] += 1e-9;
#endif

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
    printf("blocks per worker: %d %d %d %d\n", blocks[0], blocks[1], blocks[2], blocks[3]);
    printf("sum = %.17g\ntrace = %.17g\nweighted = %.17g\n", sum, trace, weighted);

    /* naive product of the first, the middle and the last row: must match bit for bit */
    mismatches = check_row(0, n, a, b, c);
    rows_checked = 1;
    if (n / 2 > 0) {
        bad = check_row(n / 2, n, a, b, c);
        mismatches += bad;
        rows_checked++;
    }
    if (n - 1 > n / 2) {
        bad = check_row(n - 1, n, a, b, c);
        mismatches += bad;
        rows_checked++;
    }
    printf("self-check: %s (%d rows against the naive product, %d mismatches)\n",
           mismatches == 0 ? "PASS" : "FAIL", rows_checked, mismatches);
    return mismatches == 0 ? 0 : 1;
}
