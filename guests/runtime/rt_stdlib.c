/* <stdlib.h> beyond rt_libc.c: rand, qsort, bsearch, integer and floating conversions,
 * div, and the assert failure handler. The same code, hence the same results, on every
 * machine. */
#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_libm.h"

/* ---- rand: the C standard's example generator, in 32 bits on every machine ---- */

static uint32_t rand_state = 1;

int rand(void)
{
    rand_state = rand_state * 1103515245u + 12345u;
    return (int)((rand_state >> 16) & 32767);
}

void srand(unsigned seed) { rand_state = seed; }

/* ---- sorting and searching ---- */

static void swap_bytes(char *a, char *b, size_t size)
{
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Quicksort (median of three, Hoare partition) on the smaller side recursively and the
 * larger one in the loop, so the stack stays O(log n); short runs by insertion. */
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *))
{
    char *lo = base;
    while (count > 8) {
        char *mid = lo + (count / 2) * size, *hi = lo + (count - 1) * size, *i, *j;
        size_t left;
        if (compare(mid, lo) < 0)
            swap_bytes(mid, lo, size);
        if (compare(hi, mid) < 0) {
            swap_bytes(hi, mid, size);
            if (compare(mid, lo) < 0)
                swap_bytes(mid, lo, size);
        }
        swap_bytes(mid, lo, size); /* the pivot, a median of three, sits at lo */
        i = lo;
        j = hi + size;
        for (;;) {
            do
                i += size;
            while (i <= hi && compare(i, lo) < 0);
            do
                j -= size;
            while (compare(j, lo) > 0);
            if (i >= j)
                break;
            swap_bytes(i, j, size);
        }
        swap_bytes(lo, j, size); /* pivot in place: [lo, j) <= pivot <= (j, hi] */
        left = (size_t)(j - lo) / size;
        if (left < count - 1 - left) {
            qsort(lo, left, size, compare);
            lo = j + size;
            count -= left + 1;
        } else {
            qsort(j + size, count - 1 - left, size, compare);
            count = left;
        }
    }
    {
        char *end = lo + count * size, *p, *q;
        for (p = lo + size; p < end; p += size)
            for (q = p; q > lo && compare(q - size, q) > 0; q -= size)
                swap_bytes(q - size, q, size);
    }
}

void *bsearch(const void *key, const void *base, size_t count, size_t size,
              int (*compare)(const void *, const void *))
{
    const char *lo = base;
    while (count) {
        const char *mid = lo + (count / 2) * size;
        int order = compare(key, mid);
        if (order == 0)
            return (void *)mid;
        if (order > 0) {
            lo = mid + size;
            count -= count / 2 + 1;
        } else {
            count /= 2;
        }
    }
    return NULL;
}

/* ---- integers ---- */

long long llabs(long long value) { return value < 0 ? -value : value; }

div_t div(int numerator, int denominator)
{
    div_t r;
    r.quot = numerator / denominator;
    r.rem = numerator % denominator;
    return r;
}

ldiv_t ldiv(long numerator, long denominator)
{
    ldiv_t r;
    r.quot = numerator / denominator;
    r.rem = numerator % denominator;
    return r;
}

static int digit_value(int c)
{
    if (isdigit(c))
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* The magnitude of an integer in C syntax, saturated at `limit`; *end after its last
 * digit, or the text itself when there is none. */
static unsigned long long parse_integer(const char *text, char **end, int base,
                                        unsigned long long limit, int *negative)
{
    const char *s = text;
    unsigned long long value = 0, cutoff;
    int any = 0, overflow = 0, d;
    *negative = 0;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '-' || *s == '+')
        *negative = *s++ == '-';
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
        digit_value((unsigned char)s[2]) < 16) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = *s == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        if (end)
            *end = (char *)text;
        return 0;
    }
    cutoff = limit / (unsigned)base;
    for (; (d = digit_value((unsigned char)*s)) < base; s++) {
        any = 1;
        if (value > cutoff || value * (unsigned)base > limit - (unsigned)d)
            overflow = 1;
        else
            value = value * (unsigned)base + (unsigned)d;
    }
    if (end)
        *end = (char *)(any ? s : text);
    return overflow ? limit : value;
}

long long strtoll(const char *text, char **end, int base)
{
    int negative;
    unsigned long long v = parse_integer(text, end, base, (unsigned long long)LLONG_MAX + 1, &negative);
    if (!negative && v > (unsigned long long)LLONG_MAX)
        return LLONG_MAX;
    return negative ? (long long)(0 - v) : (long long)v;
}

long strtol(const char *text, char **end, int base)
{
    int negative;
    unsigned long long v = parse_integer(text, end, base, (unsigned long long)LONG_MAX + 1, &negative);
    if (!negative && v > (unsigned long long)LONG_MAX)
        return LONG_MAX;
    return negative ? (long)(0 - v) : (long)v;
}

/* As the standard says: a minus sign negates the value in the unsigned type. */
unsigned long long strtoull(const char *text, char **end, int base)
{
    int negative;
    unsigned long long v = parse_integer(text, end, base, ULLONG_MAX, &negative);
    return negative && v != ULLONG_MAX ? 0 - v : v;
}

unsigned long strtoul(const char *text, char **end, int base)
{
    int negative;
    unsigned long long v = parse_integer(text, end, base, ULONG_MAX, &negative);
    return negative && v != ULONG_MAX ? (unsigned long)(0 - v) : (unsigned long)v;
}

/* ---- strtod ---- */

/* h + l = (h + l) * 2^-e with h in [0.5, 1); *k accumulates e. */
static void normalize(double *h, double *l, int *k)
{
    int e;
    *h = frexp(*h, &e);
    *l = rt_scalbn(*l, -e);
    *k += e;
}

/* 10^n = (h + l) * 2^k, n >= 0, by binary powering in double-double (error ~2^-100). */
static void power_of_ten(int n, double *h, double *l, int *k)
{
    double bh = 10.0, bl = 0.0;
    int bk = 0;
    *h = 1.0;
    *l = 0.0;
    *k = 0;
    normalize(&bh, &bl, &bk);
    while (n) {
        if (n & 1) {
            rt_dd_mul(*h, *l, bh, bl, h, l);
            *k += bk;
            normalize(h, l, k);
        }
        n >>= 1;
        if (n) {
            rt_dd_mul(bh, bl, bh, bl, &bh, &bl);
            bk *= 2;
            normalize(&bh, &bl, &bk);
        }
    }
}

static int match_word(const char *s, const char *word)
{
    int n = 0;
    while (word[n] && tolower((unsigned char)s[n]) == word[n])
        n++;
    return word[n] ? 0 : n;
}

/* Decimal to double: up to 19 significant digits exactly, then m * 10^e in double-double,
 * rounded once. Correctly rounded unless the value lies within about 2^-90 of a halfway
 * point (or, past 19 digits, within 10^-18 of one: later digits are truncated); a result
 * in the subnormal range is rounded twice, so within one ulp. */
double strtod(const char *text, char **end)
{
    static const double exact_tens[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *s = text;
    unsigned long long m = 0;
    int negative = 0, kept = 0, exp10 = 0, seen_point = 0, seen_digit = 0, n, k;
    double mh, ml, ph, pl, h, l, value;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '-' || *s == '+')
        negative = *s++ == '-';
    if ((n = match_word(s, "infinity")) || (n = match_word(s, "inf"))) {
        if (end)
            *end = (char *)s + n;
        return negative ? -rt_inf() : rt_inf();
    }
    if ((n = match_word(s, "nan"))) {
        if (end)
            *end = (char *)s + n;
        return rt_nan();
    }
    for (;; s++) {
        if (*s == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        if (!isdigit((unsigned char)*s))
            break;
        seen_digit = 1;
        if (m == 0 && *s == '0') { /* leading zeros count for nothing */
            exp10 -= seen_point;
            continue;
        }
        if (kept < 19) {
            m = m * 10 + (unsigned)(*s - '0');
            kept++;
            exp10 -= seen_point;
        } else {
            exp10 += !seen_point; /* a dropped digit before the point */
        }
    }
    if (!seen_digit) {
        if (end)
            *end = (char *)text;
        return 0.0;
    }
    if (*s == 'e' || *s == 'E') {
        const char *e = s + 1;
        int e_negative = 0, e_value = 0;
        if (*e == '-' || *e == '+')
            e_negative = *e++ == '-';
        if (isdigit((unsigned char)*e)) {
            for (; isdigit((unsigned char)*e); e++)
                if (e_value < 100000)
                    e_value = e_value * 10 + (*e - '0');
            exp10 += e_negative ? -e_value : e_value;
            s = e;
        }
    }
    if (end)
        *end = (char *)s;
    if (m == 0)
        return negative ? -0.0 : 0.0;
    if (exp10 + kept > 310)
        return negative ? -rt_inf() : rt_inf();
    if (exp10 + kept < -343)
        return negative ? -0.0 : 0.0;
    mh = rt_u32_to_double((uint32_t)(m >> 32)) * 4294967296.0;
    ml = rt_u32_to_double((uint32_t)m);
    rt_fast_two_sum(mh, ml, &mh, &ml);
    if (ml == 0 && exp10 >= -22 && exp10 <= 22) { /* exact operands: one rounding */
        value = exp10 < 0 ? mh / exact_tens[-exp10] : mh * exact_tens[exp10];
    } else if (exp10 >= 0) {
        power_of_ten(exp10, &ph, &pl, &k);
        rt_dd_mul(mh, ml, ph, pl, &h, &l);
        value = rt_scalbn(h, k);
    } else {
        power_of_ten(-exp10, &ph, &pl, &k);
        rt_dd_div(mh, ml, ph, pl, &h, &l);
        value = rt_scalbn(h, -k);
    }
    return negative ? -value : value;
}

float strtof(const char *text, char **end) { return (float)strtod(text, end); }

double atof(const char *text) { return strtod(text, NULL); }

/* ---- assert ---- */

void rt_assert_failed(const char *expression, const char *file, int line, const char *function)
{
    printf("%s:%d: %s: Assertion `%s' failed.\n", file, line, function, expression);
    exit(134);
}
