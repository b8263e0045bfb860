/* linpack: solve a dense system Ax = b by LU factorisation with partial pivoting, in the
 * style of the classic C LINPACK benchmark (dgefa/dgesl over daxpy/idamax/dscal).
 *
 * The matrix is column-major with leading dimension lda: element (i, j) is a[lda*j + i].
 * The BLAS helpers receive pointers into the middle of the matrix (&a[lda*k + k + 1]),
 * i.e. interior pointers, as in the original. The matrix, b and the pivot vector are
 * variable-length arrays local to main: the program has no heap data at all.
 *
 * The check regenerates A row by row from its generator instead of keeping a copy, so that
 * the only data are a, b and ipvt: with x the computed solution (left in b) and b0 = A*1,
 * the residual is max_i |(A x - b0)_i|, normalised as in LINPACK by n*|A|*|x|*eps.
 *
 * Usage: linpack N   (matrix order N, 1 <= N <= MAX_N); exit 0 when the check passes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The guest stack is 64 MiB and the host's is usually 8 MiB: a is 8*N*(N+1) bytes. */
#define MAX_N 2000
/* LINPACK's criterion: a normalised residual of order 1 means an accurate solve (it grows
 * slowly with n: about 1 at n = 24, 3 at 200, 10 at 1000); a wrong solve gives 1e10 and up. */
#define RESIDN_LIMIT 100.0

/* Classic matgen generator: init <- 3125 * init mod 65536, element = (init - 32768)/16384. */
#define GEN_SEED 1325u
#define GEN_MULT 3125u
#define GEN_MOD_MASK 0xFFFFu

/* Index of the element of largest magnitude among dx[0], dx[incx], ... (n of them). */
int idamax(int n, double *dx, int incx)
{
    double dmax;
    int i, ix, itemp;

    if (n < 1)
        return -1;
    if (n == 1)
        return 0;
    itemp = 0;
    dmax = fabs(dx[0]);
    ix = incx;
    for (i = 1; i < n; i++) {
        if (fabs(dx[ix]) > dmax) {
            itemp = i;
            dmax = fabs(dx[ix]);
        }
        ix += incx;
    }
    return itemp;
}

/* dx = da * dx over n elements. */
void dscal(int n, double da, double *dx, int incx)
{
    int i;

    for (i = 0; i < n * incx; i += incx)
        dx[i] = da * dx[i];
}

/* dy = dy + da * dx over n elements. */
void daxpy(int n, double da, double *dx, int incx, double *dy, int incy)
{
    int i, ix, iy;

    if (n <= 0 || da == 0.0)
        return;
    ix = 0;
    iy = 0;
    for (i = 0; i < n; i++) {
        dy[iy] = dy[iy] + da * dx[ix];
        ix += incx;
        iy += incy;
    }
}

/* Fill a with the classic generator, column by column, and set b = A * (1, ..., 1). */
void matgen(double *a, int lda, int n, double *b)
{
    unsigned init;
    int i, j;

    init = GEN_SEED;
    for (j = 0; j < n; j++) {
        for (i = 0; i < n; i++) {
            init = (GEN_MULT * init) & GEN_MOD_MASK;
            a[lda * j + i] = ((int)init - 32768.0) / 16384.0;
        }
    }
    for (i = 0; i < n; i++)
        b[i] = 0.0;
    for (j = 0; j < n; j++) {
        for (i = 0; i < n; i++)
            b[i] = b[i] + a[lda * j + i];
    }
}

/* LU factorisation by Gaussian elimination with partial pivoting (LINPACK dgefa).
 * On return a holds U and the multipliers of L; ipvt the pivot rows. Returns 0, or
 * k + 1 when U(k, k) is zero (the matrix is singular). */
int dgefa(double *a, int lda, int n, int *ipvt)
{
    double t;
    int j, k, kp1, l, nm1, info;

    info = 0;
    nm1 = n - 1;
    for (k = 0; k < nm1; k++) {
        kp1 = k + 1;
        /* pivot: the largest element of column k at or below the diagonal */
        l = idamax(n - k, &a[lda * k + k], 1);
        l = l + k;
        ipvt[k] = l;
        if (a[lda * k + l] == 0.0) {
            /* a zero pivot: this column is already triangular */
            info = k + 1;
            continue;
        }
        if (l != k) {
            t = a[lda * k + l];
            a[lda * k + l] = a[lda * k + k];
            a[lda * k + k] = t;
        }
        /* multipliers, stored below the diagonal */
        t = -1.0 / a[lda * k + k];
        dscal(n - kp1, t, &a[lda * k + kp1], 1);
        /* eliminate column by column (column-oriented, as in the original) */
        for (j = kp1; j < n; j++) {
            t = a[lda * j + l];
            if (l != k) {
                a[lda * j + l] = a[lda * j + k];
                a[lda * j + k] = t;
            }
            daxpy(n - kp1, t, &a[lda * k + kp1], 1, &a[lda * j + kp1], 1);
        }
    }
    ipvt[n - 1] = n - 1;
    if (a[lda * (n - 1) + (n - 1)] == 0.0)
        info = n;
    return info;
}

/* Solve A x = b with the factors from dgefa (LINPACK dgesl, job 0); x overwrites b. */
void dgesl(double *a, int lda, int n, int *ipvt, double *b)
{
    double t;
    int k, kb, l;

    /* forward: L y = b, applying the row interchanges as they come */
    for (k = 0; k < n - 1; k++) {
        l = ipvt[k];
        t = b[l];
        if (l != k) {
            b[l] = b[k];
            b[k] = t;
        }
        daxpy(n - (k + 1), t, &a[lda * k + k + 1], 1, &b[k + 1], 1);
    }
    /* backward: U x = y */
    for (kb = 0; kb < n; kb++) {
        k = n - (kb + 1);
        b[k] = b[k] / a[lda * k + k];
        t = -b[k];
        daxpy(k, t, &a[lda * k], 1, &b[0], 1);
    }
}

/* Machine epsilon the LINPACK way: the rounding error of 4/3 in binary. */
double epslon(double x)
{
    double a, b, c, eps;

    a = 4.0 / 3.0;
    eps = 0.0;
    while (eps == 0.0) {
        b = a - 1.0;
        c = b + b + b;
        eps = fabs(c - 1.0);
    }
    return eps * fabs(x);
}

/* x^e mod 65536 by repeated squaring (32-bit unsigned arithmetic, no overflow). */
unsigned powmod65536(unsigned x, int e)
{
    unsigned r;

    r = 1;
    x &= GEN_MOD_MASK;
    while (e > 0) {
        if (e & 1)
            r = (r * x) & GEN_MOD_MASK;
        x = (x * x) & GEN_MOD_MASK;
        e >>= 1;
    }
    return r;
}

/* Normalised residual max_i |(A x - A 1)_i| / (n |A| |x| eps), regenerating A by rows.
 * The generator's k-th value is SEED * MULT^(k+1), so row i starts at SEED * MULT^(i+1)
 * and steps by MULT^n from one column to the next. Each row sum b0_i is accumulated over
 * j in the same order as matgen, so it is exactly the b the solve started from. */
double residual(int n, double *x, double *normx_out)
{
    unsigned row_start, step, init;
    double aij, b0, ax, resid, norma, normx, eps;
    int i, j;

    step = powmod65536(GEN_MULT, n);
    row_start = (GEN_SEED * GEN_MULT) & GEN_MOD_MASK;
    resid = 0.0;
    norma = 0.0;
    for (i = 0; i < n; i++) {
        init = row_start;
        b0 = 0.0;
        ax = 0.0;
        for (j = 0; j < n; j++) {
            aij = ((int)init - 32768.0) / 16384.0;
            if (aij > norma)
                norma = aij;
            b0 = b0 + aij;
            ax = ax + aij * x[j];
            init = (init * step) & GEN_MOD_MASK;
        }
        if (fabs(ax - b0) > resid)
            resid = fabs(ax - b0);
        row_start = (row_start * GEN_MULT) & GEN_MOD_MASK;
    }
    normx = 0.0;
    for (i = 0; i < n; i++) {
        if (fabs(x[i]) > normx)
            normx = fabs(x[i]);
    }
    *normx_out = normx;
    eps = epslon(1.0);
    return resid / (n * norma * normx * eps);
}

int main(int argc, char **argv)
{
    /* An unusable size is replaced by 1 so the arrays below always get a sane length;
     * it is reported and rejected right after the declarations. */
    int valid = argc == 2 && atoi(argv[1]) >= 1 && atoi(argv[1]) <= MAX_N;
    int n = valid ? atoi(argv[1]) : 1;
    int lda = n + 1;
    double a[lda * n];
    double b[n];
    int ipvt[n];
    double residn, normx, sum, maxerr;
    int i, info, ok;

    if (!valid) {
        printf("linpack: usage: linpack N with the matrix order N in 1..%d\n", MAX_N);
        return 2;
    }
    printf("linpack: n = %d, lda = %d\n", n, lda);

    matgen(a, lda, n, b);
    info = dgefa(a, lda, n, ipvt);
    if (info != 0) {
        printf("linpack: matrix is singular (zero pivot in column %d)\n", info - 1);
        printf("self-check: FAIL\n");
        return 1;
    }
#ifdef INJECT_FAULT
    /* test hook (tests/test_programs.py): corrupt one factor so the residual check fails */
    a[lda * (n - 1)] += 1.0;
#endif
    dgesl(a, lda, n, ipvt, b);

    /* the exact solution is all ones: report how close x came, and a checksum of it */
    sum = 0.0;
    maxerr = 0.0;
    for (i = 0; i < n; i++) {
        sum += b[i];
        if (fabs(b[i] - 1.0) > maxerr)
            maxerr = fabs(b[i] - 1.0);
    }
    residn = residual(n, b, &normx);
    printf("x checksum = %.17g\n", sum);
    printf("x[0] - 1 = %.17g, x[n-1] - 1 = %.17g, max |x - 1| = %.17g\n",
           b[0] - 1.0, b[n - 1] - 1.0, maxerr);
    printf("norm x = %.17g, normalised residual = %.17g\n", normx, residn);

    ok = residn < RESIDN_LIMIT;
    printf("self-check: %s (normalised residual %s %g)\n", ok ? "PASS" : "FAIL",
           ok ? "<" : ">=", RESIDN_LIMIT);
    return ok ? 0 : 1;
}
