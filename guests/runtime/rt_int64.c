/* 64-bit integer helpers for the 32-bit guests.
 *
 * The 32-bit libgcc of Debian's sparc64 compiler is built for V8plus: its __divdi3 and
 * friends use V9 instructions that a V8 CPU rejects. These plain-C versions (shift and
 * subtract, 32-bit operations only) replace them on every guest ISA, so both guests run
 * the same algorithm. */
typedef unsigned long long u64;
typedef long long s64;

u64 __udivmoddi4(u64 numerator, u64 denominator, u64 *remainder);

u64 __udivmoddi4(u64 numerator, u64 denominator, u64 *remainder)
{
    u64 quotient = 0, bit = 1;
    if (denominator == 0) {
        volatile unsigned zero = 0;
        return (u64)(1u / zero); /* divide by zero traps the same way as 32-bit division */
    }
    while ((s64)denominator > 0 && denominator < numerator) {
        denominator <<= 1;
        bit <<= 1;
    }
    while (bit) {
        if (numerator >= denominator) {
            numerator -= denominator;
            quotient |= bit;
        }
        denominator >>= 1;
        bit >>= 1;
    }
    if (remainder)
        *remainder = numerator;
    return quotient;
}

u64 __udivdi3(u64 a, u64 b) { return __udivmoddi4(a, b, 0); }

u64 __umoddi3(u64 a, u64 b)
{
    u64 r = 0;
    __udivmoddi4(a, b, &r);
    return r;
}

s64 __divdi3(s64 a, s64 b)
{
    int negative = (a < 0) != (b < 0);
    u64 q = __udivmoddi4(a < 0 ? 0 - (u64)a : (u64)a, b < 0 ? 0 - (u64)b : (u64)b, 0);
    return negative ? -(s64)q : (s64)q;
}

s64 __moddi3(s64 a, s64 b)
{
    u64 r = 0;
    __udivmoddi4(a < 0 ? 0 - (u64)a : (u64)a, b < 0 ? 0 - (u64)b : (u64)b, &r);
    return a < 0 ? -(s64)r : (s64)r;
}

s64 __muldi3(s64 a, s64 b)
{
    unsigned a_lo = (unsigned)a, a_hi = (unsigned)((u64)a >> 32);
    unsigned b_lo = (unsigned)b, b_hi = (unsigned)((u64)b >> 32);
    unsigned p0 = (a_lo & 0xffff) * (b_lo & 0xffff);
    unsigned p1 = (a_lo >> 16) * (b_lo & 0xffff);
    unsigned p2 = (a_lo & 0xffff) * (b_lo >> 16);
    unsigned p3 = (a_lo >> 16) * (b_lo >> 16);
    unsigned mid = (p0 >> 16) + (p1 & 0xffff) + (p2 & 0xffff);
    unsigned lo = (p0 & 0xffff) | (mid << 16);
    unsigned hi = p3 + (p1 >> 16) + (p2 >> 16) + (mid >> 16) + a_lo * b_hi + a_hi * b_lo;
    return (s64)(((u64)hi << 32) | lo);
}

/* 64-bit shifts by a variable count (libgcc's are V9 code on sparc too): 0 <= count < 64. */
u64 __lshrdi3(u64 a, int count);
u64 __ashldi3(u64 a, int count);
s64 __ashrdi3(s64 a, int count);

u64 __lshrdi3(u64 a, int count)
{
    unsigned hi = (unsigned)(a >> 32), lo = (unsigned)a;
    if (count == 0)
        return a;
    if (count >= 32)
        return hi >> (count - 32);
    return ((u64)(hi >> count) << 32) | ((lo >> count) | (hi << (32 - count)));
}

u64 __ashldi3(u64 a, int count)
{
    unsigned hi = (unsigned)(a >> 32), lo = (unsigned)a;
    if (count == 0)
        return a;
    if (count >= 32)
        return (u64)(lo << (count - 32)) << 32;
    return ((u64)((hi << count) | (lo >> (32 - count))) << 32) | (lo << count);
}

s64 __ashrdi3(s64 a, int count)
{
    int hi = (int)((u64)a >> 32);
    unsigned lo = (unsigned)a;
    if (count == 0)
        return a;
    if (count >= 32)
        return (s64)(hi >> (count - 32));
    return (s64)(((u64)(unsigned)(hi >> count) << 32) | ((lo >> count) | ((unsigned)hi << (32 - count))));
}
