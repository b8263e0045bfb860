/* Buffers of the migration runtime: its own memory, the output stream (varints, big-endian
 * primitives, arrays), the input stream with its bounds checks, and the stream's CRC-32.
 * Part of the runtime's one translation unit (mig.c).
 */
#include "mig_internal.h"

/* ------------------------------------------------------------------ memory */

/* The runtime's own allocations are typed RT_TYPE_INTERNAL: never program blocks. The
 * classic allocator reports releases without a type, hence the flag around them. */

static MIG_TEXT void *mig_alloc(size_t size)
{
    return rt_alloc_typed(RT_TYPE_INTERNAL, size ? size : 1, 1);
}

static MIG_TEXT void mig_free(void *p)
{
    mig_internal = 1;
    rt_free_typed(p);
    mig_internal = 0;
}

static MIG_TEXT void *mig_grow(void *old, size_t old_size, size_t new_size)
{
    void *p = mig_alloc(new_size);
    if (old) {
        memcpy(p, old, old_size);
        mig_free(old);
    }
    return p;
}

/* Make room for `need` elements of `size` bytes in the array *array of capacity *cap,
 * keeping its contents: the capacity at least doubles, starting at `first`. */
static MIG_TEXT void reserve(void *array, uint32_t *cap, uint32_t need, uint32_t size, uint32_t first)
{
    void **a = (void **)array;
    uint32_t c;
    if (need <= *cap)
        return;
    c = *cap ? *cap * 2 : first;
    if (c < need)
        c = need;
    *a = mig_grow(*a, (size_t)*cap * size, (size_t)c * size);
    *cap = c;
}

static MIG_TEXT void mig_fail(int code, const char *message)
{
    mig_control.err_function = collect_function; /* for ERR_COLLECT: where it was */
    mig_control.err_site = collect_site;
    mig_control.err_value = collect_value;
    rt_flush();
    rt_hypercall(HC_MIG_ERROR, (long)message, (long)strlen(message), code);
    rt_panic(message); /* not reached: the host stops the guest */
}

/* ------------------------------------------------------------------ output buffer */

static unsigned char *out;
static uint32_t out_len, out_cap;

static MIG_TEXT __attribute__((noinline)) void out_grow(uint32_t n)
{
    uint32_t cap = out_cap ? out_cap : 4096;
    while (cap < out_len + n)
        cap *= 2;
    out = mig_grow(out, out_len, cap);
    out_cap = cap;
}

/* The check inline, the growth out of line: every encoded item passes here. */
static inline MIG_TEXT void out_reserve(uint32_t n)
{
    if (out_len + n > out_cap)
        out_grow(n);
}

#define CODEC_OUTPUT /* put_byte, put_varint, the pointer heads: the design's encoding */
#include MIG_CODEC
#undef CODEC_OUTPUT

static inline MIG_TEXT void put_be32(uint32_t v)
{
    out_reserve(4);
    out[out_len] = (unsigned char)(v >> 24);
    out[out_len + 1] = (unsigned char)(v >> 16);
    out[out_len + 2] = (unsigned char)(v >> 8);
    out[out_len + 3] = (unsigned char)v;
    out_len += 4;
}

MIG_TEXT void mig_put_i8(int8_t v) { ITEM(); put_byte((uint8_t)v); }
MIG_TEXT void mig_put_u8(uint8_t v) { ITEM(); put_byte(v); }
MIG_TEXT void mig_put_i16(int16_t v) { mig_put_u16((uint16_t)v); }
MIG_TEXT void mig_put_u16(uint16_t v)
{
    ITEM();
    put_half(v);
}
MIG_TEXT void mig_put_i32(int32_t v) { ITEM(); put_be32((uint32_t)v); }
MIG_TEXT void mig_put_u32(uint32_t v) { ITEM(); put_be32(v); }
MIG_TEXT void mig_put_u64(uint64_t v)
{
    ITEM();
    put_be32((uint32_t)(v >> 32));
    put_be32((uint32_t)v);
}
MIG_TEXT void mig_put_i64(int64_t v) { mig_put_u64((uint64_t)v); }
MIG_TEXT void mig_put_f32(float v)
{
    union { float f; uint32_t u; } x;
    ITEM();
    x.f = v;
    put_be32(x.u);
}
MIG_TEXT void mig_put_f64(double v)
{
    union { double d; uint64_t u; } x;
    x.d = v;
    mig_put_u64(x.u);
}

MIG_TEXT void mig_put_il(long v) { mig_put_i64((int64_t)v); }
MIG_TEXT void mig_put_ul(unsigned long v) { mig_put_u64((uint64_t)v); }

/* Bytes of a primitive in the stream, and in memory but for the longs (MIG_IL, MIG_UL:
 * 8 in the stream, sizeof(long) in memory). */
static MIG_TEXT uint32_t prim_size(int prim)
{
    switch (prim) {
    case MIG_I8: case MIG_U8: return 1;
    case MIG_I16: case MIG_U16: return 2;
    case MIG_I32: case MIG_U32: case MIG_F32: return 4;
    default: return 8;
    }
}

static MIG_TEXT int host_is_big_endian(void)
{
    const uint16_t probe = 1;
    return *(const unsigned char *)&probe == 0;
}

#include MIG_COPY /* copy_big_endian(): copy_bytes.c or copy_words.c (runtime_design.h) */

/* Whether a primitive is a long narrower in memory than in the stream (on ILP32). */
static inline MIG_TEXT int narrow_long(int prim)
{
    return (prim == MIG_IL || prim == MIG_UL) && sizeof(long) < 8;
}

MIG_TEXT void mig_put_array(const void *p, int prim, uint32_t n)
{
    uint32_t size = prim_size(prim), bytes = n * size;
    if (narrow_long(prim)) { /* widened one by one: 4 bytes in memory, 8 in the stream */
        const long *v = p;
        for (; n; n--, v++)
            prim == MIG_IL ? mig_put_il(*v) : mig_put_ul((unsigned long)*v);
        return;
    }
    ITEM();
    put_prims(p, bytes, size);
}

/* ------------------------------------------------------------------ input buffer */

static const unsigned char *in;
static uint32_t in_pos, in_end;

static MIG_TEXT __attribute__((noinline)) void truncated(void)
{
    mig_fail(ERR_TRUNCATED, "stream refused: it ends in the middle of an item (truncated)");
}

static inline MIG_TEXT void need(uint32_t n)
{
    if (in_end - in_pos < n)
        truncated();
}

#define CODEC_INPUT /* get_byte, get_varint, the pointer heads: the design's encoding */
#include MIG_CODEC
#undef CODEC_INPUT

/* The big-endian word at p (header fields and the trailer). */
static inline MIG_TEXT uint32_t load_be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline MIG_TEXT uint32_t get_be32(void)
{
    uint32_t v;
    need(4);
    v = ((uint32_t)in[in_pos] << 24) | ((uint32_t)in[in_pos + 1] << 16) | ((uint32_t)in[in_pos + 2] << 8) | in[in_pos + 3];
    in_pos += 4;
    return v;
}

MIG_TEXT int8_t mig_get_i8(void) { return (int8_t)get_byte(); }
MIG_TEXT uint8_t mig_get_u8(void) { return (uint8_t)get_byte(); }
MIG_TEXT uint16_t mig_get_u16(void)
{
    return get_half();
}
MIG_TEXT int16_t mig_get_i16(void) { return (int16_t)mig_get_u16(); }
MIG_TEXT int32_t mig_get_i32(void) { return (int32_t)get_be32(); }
MIG_TEXT uint32_t mig_get_u32(void) { return get_be32(); }
MIG_TEXT uint64_t mig_get_u64(void)
{
    uint64_t hi = get_be32();
    return (hi << 32) | get_be32();
}
MIG_TEXT int64_t mig_get_i64(void) { return (int64_t)mig_get_u64(); }
MIG_TEXT float mig_get_f32(void)
{
    union { float f; uint32_t u; } x;
    x.u = get_be32();
    return x.f;
}
MIG_TEXT double mig_get_f64(void)
{
    union { double d; uint64_t u; } x;
    x.u = mig_get_u64();
    return x.d;
}

MIG_TEXT long mig_get_il(void) { return (long)mig_get_i64(); }
MIG_TEXT unsigned long mig_get_ul(void) { return (unsigned long)mig_get_u64(); }

MIG_TEXT void mig_get_array(void *p, int prim, uint32_t n)
{
    uint32_t size = prim_size(prim), bytes = n * size;
    if (narrow_long(prim)) { /* narrowed one by one; the validator proved each fits */
        long *v = p;
        for (; n; n--, v++)
            *v = prim == MIG_IL ? mig_get_il() : (long)mig_get_ul();
        return;
    }
    get_prims(p, bytes, size);
}


#include MIG_CRC /* the stream's CRC-32: crc_bytes.c or crc_words.c (runtime_design.h) */
