/* sparc's 128-bit long double: the _Q_* helpers of the SPARC ABI that gcc calls for
 * long double arithmetic on a 32-bit V8 target (the 32-bit libgcc has none usable: it is
 * built for V8plus). IEEE binary128, computed exactly and rounded once to nearest-even,
 * like the hardware would: +, -, *, / and the conversions are correctly rounded for
 * every operand (subnormals included); conversions to integers truncate and saturate.
 * Written for this runtime after the usual soft-float structure (unpack, operate on the
 * integer significand with guard bits and a sticky bit, round and pack).
 *
 * Other targets have no use for these: mipsel's long double is double, the host's is
 * the x87's 80-bit format. */
#if defined(__sparc__)
#include <stdint.h>

typedef struct {
    uint64_t hi, lo;
} u128;

typedef union {
    long double q;
    u128 bits; /* big-endian: hi holds sign, exponent and the top 48 fraction bits */
} quad;

enum kind { ZERO, FINITE, INF, NOT_A_NUMBER };

/* A finite value is m * 2^(e - 112) with m's leading 1 at bit 112. */
typedef struct {
    int sign, e;
    enum kind kind;
    u128 m;
} unpacked;

#define QUAD_BIAS 16383
#define QUAD_MAX_FIELD 0x7fff
#define FRAC_HI_MASK 0x0000ffffffffffffull

static int is_zero(u128 x) { return (x.hi | x.lo) == 0; }
static int bit(u128 x, int n) { return (int)((n >= 64 ? x.hi >> (n - 64) : x.lo >> n) & 1); }

static u128 make(uint64_t hi, uint64_t lo)
{
    u128 r;
    r.hi = hi;
    r.lo = lo;
    return r;
}

static u128 add(u128 a, u128 b) { return make(a.hi + b.hi + (a.lo + b.lo < a.lo), a.lo + b.lo); }
static u128 sub(u128 a, u128 b) { return make(a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo); }
static int less(u128 a, u128 b) { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo); }

static u128 shl(u128 x, int n)
{
    if (n == 0)
        return x;
    if (n >= 128)
        return make(0, 0);
    if (n >= 64)
        return make(x.lo << (n - 64), 0);
    return make((x.hi << n) | (x.lo >> (64 - n)), x.lo << n);
}

static u128 shr(u128 x, int n)
{
    if (n == 0)
        return x;
    if (n >= 128)
        return make(0, 0);
    if (n >= 64)
        return make(0, x.hi >> (n - 64));
    return make(x.hi >> n, (x.lo >> n) | (x.hi << (64 - n)));
}

/* x >> n with every shifted-out 1 or-ed into the lowest bit (the sticky bit). */
static u128 shr_sticky(u128 x, int n)
{
    u128 r;
    uint64_t lost;
    if (n == 0)
        return x;
    if (n >= 128)
        return make(0, !is_zero(x));
    if (n >= 64) {
        lost = x.lo | (n > 64 ? x.hi << (128 - n) : 0);
        r = make(0, n == 64 ? x.hi : x.hi >> (n - 64));
    } else {
        lost = x.lo << (64 - n);
        r = make(x.hi >> n, (x.lo >> n) | (x.hi << (64 - n)));
    }
    r.lo |= lost != 0;
    return r;
}

static unpacked unpack(const long double *value)
{
    quad v;
    unpacked u;
    int field;
    v.q = *value;
    u.sign = (int)(v.bits.hi >> 63);
    field = (int)((v.bits.hi >> 48) & 0x7fff);
    u.m = make(v.bits.hi & FRAC_HI_MASK, v.bits.lo);
    u.e = field - QUAD_BIAS;
    if (field == QUAD_MAX_FIELD) {
        u.kind = is_zero(u.m) ? INF : NOT_A_NUMBER;
    } else if (field == 0) {
        u.kind = is_zero(u.m) ? ZERO : FINITE;
        u.e = 1 - QUAD_BIAS;
        while (u.kind == FINITE && !bit(u.m, 112)) { /* subnormal: normalize */
            u.m = shl(u.m, 1);
            u.e--;
        }
    } else {
        u.kind = FINITE;
        u.m.hi |= 1ull << 48;
    }
    return u;
}

/* An IEEE format's parameters: significand bits (with the hidden one) and exponent bias. */
typedef struct {
    int precision, bias, max_field;
} format;

static const format QUAD = {113, QUAD_BIAS, QUAD_MAX_FIELD};
static const format DOUBLE = {53, 1023, 0x7ff};
static const format SINGLE = {24, 127, 0xff};

/* Round m * 2^(e - 126) (m != 0, any magnitude) to nearest-even in format f: the biased
 * exponent field in *field (f.max_field: overflow to infinity) and the fraction below
 * the hidden bit. */
static u128 round_to(const format *f, int e, u128 m, int *field)
{
    int shift = 127 - f->precision, biased;
    u128 half, low, mask, one;
    if (m.hi >> 63) {
        m = shr_sticky(m, 1);
        e++;
    }
    if (m.hi == 0 && m.lo >> 63 == 0) { /* far from the top: a word at once */
        m = shl(m, 64);
        e -= 64;
    }
    while (!bit(m, 126)) {
        m = shl(m, 1);
        e--;
    }
    biased = e + f->bias;
    if (biased <= 0) { /* subnormal: the exponent stays at its minimum */
        m = shr_sticky(m, 1 - biased);
        biased = 0;
    }
    one = shl(make(0, 1), shift);
    half = shl(make(0, 1), shift - 1);
    mask = sub(one, make(0, 1));
    low = make(m.hi & mask.hi, m.lo & mask.lo);
    if (less(half, low) || (!less(low, half) && bit(m, shift)))
        m = add(m, one);
    if (m.hi >> 63) { /* rounding carried out of the top */
        m = shr_sticky(m, 1);
        biased++;
    }
    if (biased == 0 && bit(m, 126)) /* a subnormal rounded up to the smallest normal */
        biased = 1;
    if (biased >= f->max_field) {
        *field = f->max_field;
        return make(0, 0);
    }
    *field = biased;
    m = shr(m, shift); /* the bits below were rounded off */
    if (f->precision > 64)
        m.hi &= (1ull << (f->precision - 65)) - 1;
    else
        m.lo &= (1ull << (f->precision - 1)) - 1;
    return m;
}

static long double pack_quad(int sign, int field, u128 fraction)
{
    quad v;
    v.bits = make(((uint64_t)sign << 63) | ((uint64_t)field << 48) | fraction.hi, fraction.lo);
    return v.q;
}

static long double quad_special(int sign, enum kind kind)
{
    if (kind == NOT_A_NUMBER)
        return pack_quad(0, QUAD_MAX_FIELD, make(1ull << 47, 0));
    return pack_quad(sign, kind == INF ? QUAD_MAX_FIELD : 0, make(0, 0));
}

/* A finite result m * 2^(e - 126), rounded to a long double. */
static long double finish(int sign, int e, u128 m)
{
    int field;
    u128 fraction;
    if (is_zero(m))
        return quad_special(sign, ZERO);
    fraction = round_to(&QUAD, e, m, &field);
    return pack_quad(sign, field, fraction);
}

static long double add_unpacked(unpacked a, unpacked b)
{
    int shift;
    u128 m;
    if (a.kind == NOT_A_NUMBER || b.kind == NOT_A_NUMBER)
        return quad_special(0, NOT_A_NUMBER);
    if (a.kind == INF || b.kind == INF) {
        if (a.kind == INF && b.kind == INF && a.sign != b.sign)
            return quad_special(0, NOT_A_NUMBER);
        return quad_special(a.kind == INF ? a.sign : b.sign, INF);
    }
    if (a.kind == ZERO || b.kind == ZERO) {
        if (a.kind == ZERO && b.kind == ZERO)
            return quad_special(a.sign & b.sign, ZERO);
        a = a.kind == ZERO ? b : a;
        return finish(a.sign, a.e, shl(a.m, 14));
    }
    if (a.e < b.e || (a.e == b.e && less(a.m, b.m))) { /* |a| >= |b| */
        unpacked t = a;
        a = b;
        b = t;
    }
    /* leading bits at 125: a carry has room, and 13 guard bits lie below the last one */
    a.m = shl(a.m, 13);
    b.m = shl(b.m, 13);
    shift = a.e - b.e;
    b.m = shr_sticky(b.m, shift > 200 ? 200 : shift);
    m = a.sign == b.sign ? add(a.m, b.m) : sub(a.m, b.m);
    if (is_zero(m))
        return quad_special(0, ZERO); /* x - x is +0 when rounding to nearest */
    return finish(a.sign, a.e + 1, m);
}

long double _Q_add(const long double *a, const long double *b) { return add_unpacked(unpack(a), unpack(b)); }

long double _Q_sub(const long double *a, const long double *b)
{
    unpacked y = unpack(b);
    y.sign ^= 1;
    return add_unpacked(unpack(a), y);
}

long double _Q_neg(const long double *a)
{
    quad v;
    v.q = *a;
    v.bits.hi ^= 1ull << 63;
    return v.q;
}

long double _Q_mul(const long double *pa, const long double *pb)
{
    unpacked a = unpack(pa), b = unpack(pb);
    int sign = a.sign ^ b.sign, i, j;
    uint32_t x[4], y[4], p[8] = {0};
    u128 high, low;
    if (a.kind == NOT_A_NUMBER || b.kind == NOT_A_NUMBER)
        return quad_special(0, NOT_A_NUMBER);
    if (a.kind == INF || b.kind == INF)
        return quad_special(sign, a.kind == ZERO || b.kind == ZERO ? NOT_A_NUMBER : INF);
    if (a.kind == ZERO || b.kind == ZERO)
        return quad_special(sign, ZERO);
    x[0] = (uint32_t)a.m.lo, x[1] = (uint32_t)(a.m.lo >> 32), x[2] = (uint32_t)a.m.hi, x[3] = (uint32_t)(a.m.hi >> 32);
    y[0] = (uint32_t)b.m.lo, y[1] = (uint32_t)(b.m.lo >> 32), y[2] = (uint32_t)b.m.hi, y[3] = (uint32_t)(b.m.hi >> 32);
    for (i = 0; i < 4; i++) { /* schoolbook on 32-bit limbs: the exact 226-bit product */
        uint64_t carry = 0;
        for (j = 0; j < 4; j++) {
            uint64_t t = (uint64_t)x[i] * y[j] + p[i + j] + carry;
            p[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        p[i + 4] = (uint32_t)carry;
    }
    /* keep bits 99 and up (leading bit at 124 or 125), the rest as sticky */
    high = make(((uint64_t)p[7] << 32) | p[6], ((uint64_t)p[5] << 32) | p[4]);
    low = make(((uint64_t)p[3] << 32) | p[2], ((uint64_t)p[1] << 32) | p[0]);
    high = shl(high, 29);
    high.lo |= low.hi >> 35;
    if ((low.hi & ((1ull << 35) - 1)) | low.lo)
        high.lo |= 1;
    return finish(sign, a.e + b.e + 1, high);
}

long double _Q_div(const long double *pa, const long double *pb)
{
    unpacked a = unpack(pa), b = unpack(pb);
    int sign = a.sign ^ b.sign, i;
    u128 q = make(0, 0), rem;
    if (a.kind == NOT_A_NUMBER || b.kind == NOT_A_NUMBER || (a.kind == b.kind && (a.kind == INF || a.kind == ZERO)))
        return quad_special(0, NOT_A_NUMBER);
    if (a.kind == INF || b.kind == ZERO)
        return quad_special(sign, INF);
    if (a.kind == ZERO || b.kind == INF)
        return quad_special(sign, ZERO);
    rem = a.m; /* long division: q = floor(a.m / b.m * 2^126), leading bit at 125 or 126 */
    for (i = 0; i < 127; i++) {
        q = shl(q, 1);
        if (!less(rem, b.m)) {
            rem = sub(rem, b.m);
            q.lo |= 1;
        }
        rem = shl(rem, 1);
    }
    q.lo |= !is_zero(rem);
    return finish(sign, a.e - b.e, q);
}

/* ---- comparisons: _Q_cmp's 0 equal, 1 less, 2 greater, 3 unordered ---- */

int _Q_cmp(const long double *pa, const long double *pb)
{
    unpacked a = unpack(pa), b = unpack(pb);
    int magnitude;
    if (a.kind == NOT_A_NUMBER || b.kind == NOT_A_NUMBER)
        return 3;
    if (a.kind == ZERO && b.kind == ZERO)
        return 0;
    if (a.kind == ZERO || b.kind == ZERO || a.sign != b.sign)
        return (a.kind == ZERO ? !b.sign : a.sign) ? 1 : 2;
    if (a.kind != b.kind)
        magnitude = a.kind == INF ? 1 : -1;
    else if (a.kind == INF)
        magnitude = 0;
    else if (a.e != b.e)
        magnitude = a.e > b.e ? 1 : -1;
    else
        magnitude = less(a.m, b.m) ? -1 : less(b.m, a.m) ? 1 : 0;
    if (a.sign)
        magnitude = -magnitude;
    return magnitude == 0 ? 0 : magnitude < 0 ? 1 : 2;
}

int _Q_cmpe(const long double *a, const long double *b) { return _Q_cmp(a, b); }
int _Q_feq(const long double *a, const long double *b) { return _Q_cmp(a, b) == 0; }
int _Q_fne(const long double *a, const long double *b) { return _Q_cmp(a, b) != 0; }
int _Q_flt(const long double *a, const long double *b) { return _Q_cmp(a, b) == 1; }
int _Q_fgt(const long double *a, const long double *b) { return _Q_cmp(a, b) == 2; }
int _Q_fle(const long double *a, const long double *b) { int c = _Q_cmp(a, b); return c == 0 || c == 1; }
int _Q_fge(const long double *a, const long double *b) { int c = _Q_cmp(a, b); return c == 0 || c == 2; }

/* ---- conversions ---- */

static long double from_magnitude(int sign, unsigned long long magnitude)
{
    return finish(sign, 126, make(0, magnitude)); /* m * 2^0 */
}

long double _Q_itoq(int i) { return from_magnitude(i < 0, i < 0 ? 0 - (unsigned long long)(long long)i : (unsigned long long)i); }
long double _Q_utoq(unsigned u) { return from_magnitude(0, u); }
long double _Q_lltoq(long long i) { return from_magnitude(i < 0, i < 0 ? 0 - (unsigned long long)i : (unsigned long long)i); }
long double _Q_ulltoq(unsigned long long u) { return from_magnitude(0, u); }

/* From a narrower IEEE format's fields: exact. */
static long double widen(int sign, int field, uint64_t fraction, const format *f)
{
    int e;
    if (field == f->max_field)
        return fraction ? quad_special(0, NOT_A_NUMBER) : quad_special(sign, INF);
    if (field == 0) {
        if (fraction == 0)
            return quad_special(sign, ZERO);
        e = 1 - f->bias;
    } else {
        e = field - f->bias;
        fraction |= 1ull << (f->precision - 1);
    }
    /* value = fraction * 2^(e - (precision - 1)) = m * 2^(e' - 126) with m = fraction */
    return finish(sign, e - (f->precision - 1) + 126, make(0, fraction));
}

long double _Q_dtoq(double d)
{
    union { double d; uint64_t u; } v;
    v.d = d;
    return widen((int)(v.u >> 63), (int)((v.u >> 52) & 0x7ff), v.u & 0x000fffffffffffffull, &DOUBLE);
}

long double _Q_stoq(float s)
{
    union { float f; uint32_t u; } v;
    v.f = s;
    return widen((int)(v.u >> 31), (int)((v.u >> 23) & 0xff), v.u & 0x7fffff, &SINGLE);
}

/* To a narrower format: the fields of the correctly rounded value, 0 for NaN. */
static uint64_t narrow(const long double *value, const format *f, int *sign, int *field)
{
    unpacked u = unpack(value);
    *sign = u.sign;
    if (u.kind == ZERO || u.kind == INF) {
        *field = u.kind == ZERO ? 0 : f->max_field;
        return 0;
    }
    if (u.kind == NOT_A_NUMBER) {
        *sign = 0;
        *field = f->max_field;
        return 1ull << (f->precision - 2); /* the quiet NaN */
    }
    return round_to(f, u.e, shl(u.m, 14), field).lo;
}

double _Q_qtod(const long double *a)
{
    union { double d; uint64_t u; } v;
    int sign, field;
    uint64_t fraction = narrow(a, &DOUBLE, &sign, &field);
    v.u = ((uint64_t)sign << 63) | ((uint64_t)field << 52) | fraction;
    return v.d;
}

float _Q_qtos(const long double *a)
{
    union { float f; uint32_t u; } v;
    int sign, field;
    uint64_t fraction = narrow(a, &SINGLE, &sign, &field);
    v.u = ((uint32_t)sign << 31) | ((uint32_t)field << 23) | (uint32_t)fraction;
    return v.f;
}

/* |value| truncated toward zero, saturated at limit (NaN gives 0). */
static unsigned long long truncated(const long double *value, unsigned long long limit, int *sign)
{
    unpacked u = unpack(value);
    unsigned long long integral;
    *sign = u.sign;
    if (u.kind == NOT_A_NUMBER || u.kind == ZERO || (u.kind == FINITE && u.e < 0))
        return 0;
    if (u.kind == INF || u.e >= 64)
        return limit;
    integral = shr(u.m, 112 - u.e).lo; /* 0 <= e < 64: the integer part fits */
    return integral > limit ? limit : integral;
}

int _Q_qtoi(const long double *a)
{
    int negative;
    unsigned long long m = truncated(a, 0x80000000ull, &negative);
    if (!negative && m > 0x7fffffffull)
        m = 0x7fffffffull;
    return negative ? (int)(0 - (unsigned)m) : (int)m;
}

unsigned _Q_qtou(const long double *a)
{
    int negative;
    unsigned long long m = truncated(a, 0xffffffffull, &negative);
    return negative ? 0 : (unsigned)m;
}

long long _Q_qtoll(const long double *a)
{
    int negative;
    unsigned long long m = truncated(a, 0x8000000000000000ull, &negative);
    if (!negative && m > 0x7fffffffffffffffull)
        m = 0x7fffffffffffffffull;
    return negative ? (long long)(0 - m) : (long long)m;
}

unsigned long long _Q_qtoull(const long double *a)
{
    int negative;
    unsigned long long m = truncated(a, ~0ull, &negative);
    return negative ? 0 : m;
}
#endif
