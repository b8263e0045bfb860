/* printf of the guest runtime, used on every ISA and on the host alike.
 *
 * Doubles are converted from their exact binary value: a double is m * 2^e with integer m,
 * so its exact decimal expansion is the digits of m * 2^e (e >= 0) or of m * 5^-e shifted
 * by -e places (e < 0). Those digits are computed with a small base-10^8 big integer using
 * only 32-bit arithmetic (SPARC V8 and MIPS I have no 64-bit divide), then rounded
 * half-to-even at the requested precision. The result is correctly rounded, identical on
 * every machine, and "%.17g" reads back as the same double.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rt.h"

/* ---- output sink: a buffer flushed to the host on newline, when full, and at exit ---- */

#define RT_OUT_SIZE 512
static char rt_out[RT_OUT_SIZE];
static size_t rt_out_len;

void rt_flush(void)
{
    if (rt_out_len) {
        rt_hypercall(HC_WRITE, 1, (long)rt_out, (long)rt_out_len);
        rt_out_len = 0;
    }
}

static void rt_emit_char(char c)
{
    rt_out[rt_out_len++] = c;
    if (rt_out_len == RT_OUT_SIZE || c == '\n')
        rt_flush();
}

/* A sink writes either to the output buffer or into a caller's string. */
struct sink {
    char *buffer; /* NULL: standard output */
    size_t size;
    size_t count;
};

static void sink_put(struct sink *s, char c)
{
    if (s->buffer == NULL)
        rt_emit_char(c);
    else if (s->count + 1 < s->size)
        s->buffer[s->count] = c;
    s->count++;
}

static void sink_puts(struct sink *s, const char *text, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        sink_put(s, text[i]);
}

/* ---- exact decimal digits of a double ---- */

#define BIG_BASE 100000000u /* 10^8 per 32-bit limb */
#define BIG_LIMBS 100       /* 5^1074 * 2^53 < 10^768: 97 limbs */
#define MAX_DIGITS (BIG_LIMBS * 8 + 8)

struct big {
    uint32_t limb[BIG_LIMBS]; /* little-endian base 10^8 */
    int n;
};

/* x = x * factor + add, factor * 10^8 + add must fit in 32 bits */
static void big_mul_small(struct big *x, uint32_t factor, uint32_t add)
{
    uint32_t carry = add;
    int i;
    for (i = 0; i < x->n; i++) {
        uint32_t t = x->limb[i] * factor + carry;
        x->limb[i] = t % BIG_BASE;
        carry = t / BIG_BASE;
    }
    if (carry)
        x->limb[x->n++] = carry;
}

/* Exact digits of a positive finite double: digits[0..*ndigits) with no leading zero, and
 * the position of the decimal point: value = 0.d0 d1 d2 ... * 10^(*point). */
static void exact_digits(double value, char *digits, int *ndigits, int *point)
{
    union { double d; uint64_t u; } bits;
    uint32_t hi, lo;
    int exp2, i, len;
    struct big x;
    char tmp[9];

    bits.d = value;
    hi = (uint32_t)(bits.u >> 32);
    lo = (uint32_t)bits.u;
    exp2 = (int)((hi >> 20) & 0x7ff);
    hi &= 0xfffff;
    if (exp2 == 0) {
        exp2 = -1074; /* subnormal */
    } else {
        hi |= 0x100000;
        exp2 -= 1075;
    }
    /* x = mantissa, built bit by bit to stay in 32-bit arithmetic */
    x.n = 1;
    x.limb[0] = 0;
    for (i = 20; i >= 0; i--)
        big_mul_small(&x, 2, (hi >> i) & 1);
    for (i = 31; i >= 0; i--)
        big_mul_small(&x, 2, (lo >> i) & 1);
    if (exp2 >= 0) {
        for (i = exp2; i >= 5; i -= 5)
            big_mul_small(&x, 32, 0);
        for (; i > 0; i--)
            big_mul_small(&x, 2, 0);
    } else {
        for (i = -exp2; i >= 2; i -= 2)
            big_mul_small(&x, 25, 0);
        for (; i > 0; i--)
            big_mul_small(&x, 5, 0);
    }
    /* decimal string: the top limb without leading zeros, then 8 digits per limb */
    len = 0;
    {
        uint32_t top = x.limb[x.n - 1];
        int k = 0;
        do {
            tmp[k++] = (char)('0' + top % 10);
            top /= 10;
        } while (top);
        while (k)
            digits[len++] = tmp[--k];
    }
    for (i = x.n - 2; i >= 0; i--) {
        uint32_t v = x.limb[i];
        int k;
        for (k = 7; k >= 0; k--) {
            tmp[k] = (char)('0' + v % 10);
            v /= 10;
        }
        memcpy(digits + len, tmp, 8);
        len += 8;
    }
    *point = len + (exp2 < 0 ? exp2 : 0);
    while (len > 1 && digits[len - 1] == '0')
        len--;
    *ndigits = len;
}

/* Round digits to keep `keep` of them, half to even, on the exact expansion.
 * Returns the new digit count; may bump *point when 999.. rounds up to 1000.. */
static int round_digits(char *digits, int ndigits, int keep, int *point)
{
    int i, up;
    if (keep >= ndigits)
        return ndigits;
    if (keep < 0) {
        digits[0] = '0';
        return 0; /* below half a unit of the last place: rounds to zero */
    }
    if (keep == 0) { /* 0.d0d1.. rounds to 0 or to 1 unit of the last place; 0 is even */
        up = digits[0] > '5';
        for (i = 1; !up && digits[0] == '5' && i < ndigits; i++)
            up = digits[i] != '0';
        if (!up)
            return 0;
        digits[0] = '1';
        (*point)++;
        return 1;
    }
    if (digits[keep] > '5')
        up = 1;
    else if (digits[keep] < '5')
        up = 0;
    else {
        up = 0;
        for (i = keep + 1; i < ndigits; i++)
            if (digits[i] != '0')
                up = 1;
        if (!up) /* exactly half: to even */
            up = keep > 0 ? ((digits[keep - 1] - '0') & 1) : 0;
    }
    if (up) {
        for (i = keep - 1; i >= 0; i--) {
            if (digits[i] == '9') {
                digits[i] = '0';
            } else {
                digits[i]++;
                break;
            }
        }
        if (i < 0) { /* carried out of the top digit: 99.9 -> 100 */
            digits[0] = '1';
            (*point)++;
        }
    }
    return keep;
}

struct spec {
    int left, zero, plus, space, alt;
    int width, precision; /* precision -1: none */
    int length;           /* 0, 1 = l, 2 = ll */
    char conv;
};

static void pad(struct sink *s, char c, int n)
{
    while (n-- > 0)
        sink_put(s, c);
}

/* Write sign + body with field width, zero padding after the sign. */
static void emit_field(struct sink *s, const struct spec *sp, const char *sign, const char *body, int n)
{
    int signlen = (int)strlen(sign);
    int fill = sp->width - n - signlen;
    if (!sp->left && !sp->zero)
        pad(s, ' ', fill);
    sink_puts(s, sign, (size_t)signlen);
    if (!sp->left && sp->zero)
        pad(s, '0', fill);
    sink_puts(s, body, (size_t)n);
    if (sp->left)
        pad(s, ' ', fill);
}

static void format_double(struct sink *s, struct spec *sp, double value)
{
    static char digits[MAX_DIGITS];
    static char body[MAX_DIGITS + 32];
    const char *sign = "";
    int nd = 0, point = 0, n = 0, i, prec, exp10, use_exp;
    char conv = sp->conv;
    union { double d; uint64_t u; } bits;

    bits.d = value;
    if (bits.u >> 63) {
        sign = "-";
        bits.u &= ~((uint64_t)1 << 63);
        value = bits.d;
    } else if (sp->plus) {
        sign = "+";
    } else if (sp->space) {
        sign = " ";
    }
    if (((bits.u >> 52) & 0x7ff) == 0x7ff) {
        int upper = conv == 'E' || conv == 'F' || conv == 'G';
        const char *text = (bits.u & 0xfffffffffffffull) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        struct spec nozero = *sp;
        nozero.zero = 0;
        emit_field(s, &nozero, sign, text, 3);
        return;
    }
    prec = sp->precision < 0 ? 6 : sp->precision;
    if (bits.u == 0) {
        digits[0] = '0';
        nd = 1;
        point = 1;
    } else {
        exact_digits(value, digits, &nd, &point);
    }
    use_exp = conv == 'e' || conv == 'E';
    if (conv == 'g' || conv == 'G') {
        int p = prec == 0 ? 1 : prec;
        if (bits.u != 0)
            nd = round_digits(digits, nd, p, &point);
        while (nd > 1 && digits[nd - 1] == '0') /* a round-up can leave trailing zeros */
            nd--;
        exp10 = bits.u == 0 ? 0 : point - 1;
        if (exp10 < -4 || exp10 >= p) {
            use_exp = 1;
            prec = p - 1;
        } else {
            prec = p - 1 - exp10;
        }
        if (!sp->alt) { /* %g drops trailing zeros: limit precision to the digits there are */
            int needed = use_exp ? nd - 1 : nd - point;
            if (needed < 0)
                needed = 0;
            if (prec > needed)
                prec = needed;
        }
    }
    if (use_exp) {
        if (bits.u != 0)
            nd = round_digits(digits, nd, prec + 1, &point);
        exp10 = bits.u == 0 ? 0 : point - 1;
        body[n++] = digits[0];
        if (prec > 0 || sp->alt)
            body[n++] = '.';
        for (i = 1; i <= prec; i++)
            body[n++] = i < nd ? digits[i] : '0';
        body[n++] = (conv == 'E' || conv == 'G') ? 'E' : 'e';
        body[n++] = exp10 < 0 ? '-' : '+';
        if (exp10 < 0)
            exp10 = -exp10;
        {
            char e[6];
            int k = 0;
            do {
                e[k++] = (char)('0' + exp10 % 10);
                exp10 /= 10;
            } while (exp10);
            if (k < 2)
                e[k++] = '0';
            while (k)
                body[n++] = e[--k];
        }
    } else {
        /* fixed: keep the digits down to 10^-prec */
        if (bits.u != 0) {
            int keep = point + prec;
            nd = round_digits(digits, nd, keep, &point);
            if (nd == 0) { /* rounded to zero */
                digits[0] = '0';
                nd = 1;
                point = 1;
            }
        }
        if (point <= 0) {
            body[n++] = '0';
        } else {
            for (i = 0; i < point; i++)
                body[n++] = i < nd ? digits[i] : '0';
        }
        if (prec > 0 || sp->alt)
            body[n++] = '.';
        for (i = 0; i < prec; i++) {
            int idx = point + i;
            body[n++] = (idx >= 0 && idx < nd) ? digits[idx] : '0';
        }
    }
    emit_field(s, sp, sign, body, n);
}

static void format_integer(struct sink *s, struct spec *sp, unsigned long long magnitude, int negative)
{
    char body[40];
    char rev[24];
    const char *sign = negative ? "-" : (sp->plus ? "+" : (sp->space ? " " : ""));
    unsigned base = (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') ? 16 : (sp->conv == 'o' ? 8 : 10);
    const char *alphabet = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    int k = 0, n = 0;
    do {
        rev[k++] = alphabet[magnitude % base];
        magnitude /= base;
    } while (magnitude);
    if (sp->precision >= 0) {
        sp->zero = 0;
        while (k < sp->precision && k < (int)sizeof rev)
            rev[k++] = '0';
    }
    if (sp->conv == 'p' || (sp->alt && base == 16)) {
        body[n++] = '0';
        body[n++] = sp->conv == 'X' ? 'X' : 'x';
    }
    while (k)
        body[n++] = rev[--k];
    emit_field(s, sp, sign, body, n);
}

static int format(struct sink *s, const char *fmt, va_list ap)
{
    while (*fmt) {
        struct spec sp;
        if (*fmt != '%') {
            sink_put(s, *fmt++);
            continue;
        }
        fmt++;
        memset(&sp, 0, sizeof sp);
        sp.precision = -1;
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = 1;
            else if (*fmt == '0')
                sp.zero = 1;
            else if (*fmt == '+')
                sp.plus = 1;
            else if (*fmt == ' ')
                sp.space = 1;
            else if (*fmt == '#')
                sp.alt = 1;
            else
                break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                sp.width = sp.width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    sp.precision = sp.precision * 10 + (*fmt++ - '0');
            }
        }
        while (*fmt == 'l') {
            sp.length++;
            fmt++;
        }
        if (*fmt == 'z')
            fmt++, sp.length = sizeof(size_t) == sizeof(long) ? 1 : 0;
        sp.conv = *fmt ? *fmt++ : '%';
        if (sp.left)
            sp.zero = 0;
        switch (sp.conv) {
        case 'd':
        case 'i': {
            long long v = sp.length >= 2 ? va_arg(ap, long long) : sp.length == 1 ? va_arg(ap, long) : va_arg(ap, int);
            format_integer(s, &sp, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            unsigned long long v = sp.length >= 2 ? va_arg(ap, unsigned long long)
                                   : sp.length == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            format_integer(s, &sp, v, 0);
            break;
        }
        case 'p':
            format_integer(s, &sp, (unsigned long long)(uintptr_t)va_arg(ap, void *), 0);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            struct spec nozero = sp;
            nozero.zero = 0;
            emit_field(s, &nozero, "", &c, 1);
            break;
        }
        case 's': {
            const char *text = va_arg(ap, const char *);
            int n;
            struct spec nozero = sp;
            if (text == NULL)
                text = "(null)";
            n = (int)strlen(text);
            if (sp.precision >= 0 && n > sp.precision)
                n = sp.precision;
            nozero.zero = 0;
            emit_field(s, &nozero, "", text, n);
            break;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
            format_double(s, &sp, va_arg(ap, double));
            break;
        default:
            sink_put(s, sp.conv);
        }
    }
    return (int)s->count;
}

int printf(const char *fmt, ...)
{
    struct sink s = {NULL, 0, 0};
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = format(&s, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink s = {NULL, 0, 0};
    return format(&s, fmt, ap);
}

int vsnprintf(char *buffer, size_t size, const char *fmt, va_list ap)
{
    struct sink s;
    int n;
    s.buffer = buffer;
    s.size = size;
    s.count = 0;
    n = format(&s, fmt, ap);
    if (size)
        buffer[s.count < size ? s.count : size - 1] = '\0';
    return n;
}

int snprintf(char *buffer, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buffer, size, fmt, ap);
    va_end(ap);
    return n;
}

/* sprintf and vsprintf trust the caller's buffer, as the standard's do. */
int vsprintf(char *buffer, const char *fmt, va_list ap) { return vsnprintf(buffer, (size_t)-1 >> 1, fmt, ap); }

int sprintf(char *buffer, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsprintf(buffer, fmt, ap);
    va_end(ap);
    return n;
}

int putchar(int c)
{
    rt_emit_char((char)c);
    return c;
}

int puts(const char *text)
{
    while (*text)
        rt_emit_char(*text++);
    rt_emit_char('\n');
    return 0;
}
