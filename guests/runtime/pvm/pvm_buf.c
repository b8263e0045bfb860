/* Mlibpvm message buffers and the pack/unpack calls, in the XDR encoding (RFC 1014):
 * every item a big-endian multiple of 4 bytes, so a buffer packed on little-endian mipsel
 * unpacks exactly on big-endian sparc and back. shorts travel as 4-byte ints, longs as
 * 4 bytes on every host, ILP32 or LP64 (as PVM 3.4's XDR does: a 64-bit task packing a
 * long outside the 32-bit range gets PvmOverflow, so no receiver ever unpacks a truncated
 * value), floats and doubles as IEEE 754 bit patterns, bytes padded to 4 per call, a
 * string as its length (with the NUL) then its bytes, padded.
 * The buffers themselves are task state and live in pvm_state.c. */
#include <string.h>

#include "pvm_internal.h"


/* ---- packing ---- */

static char *room(const char *function, int bytes, int *error)
{
    struct pvm_buffer *b = pvm_buffer_of(pvm_current_sbuf());
    if (b == NULL) {
        *error = pvm_fail(function, PvmNoBuf);
        return NULL;
    }
    if (b->length + bytes > b->capacity) {
        int capacity = b->capacity ? b->capacity : 256;
        while (capacity < b->length + bytes)
            capacity *= 2;
        if (pvm_buffer_reserve(b, capacity) < 0) {
            *error = pvm_fail(function, PvmNoMem);
            return NULL;
        }
    }
    b->length += bytes;
    return b->data + b->length - bytes;
}

static void put32(char *at, uint32_t value)
{
    at[0] = (char)(value >> 24);
    at[1] = (char)(value >> 16);
    at[2] = (char)(value >> 8);
    at[3] = (char)value;
}

static uint32_t get32(const char *at)
{
    const unsigned char *u = (const unsigned char *)at;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

#define PAD4(n) (((n) + 3) & ~3)

/* count items of `size` bytes at stride `stride` items, each as `width` XDR bytes */
#define PACK_LOOP(function, type, width, encode)                            \
    int error = 0, i;                                                       \
    char *at;                                                               \
    if (count < 0 || stride < 1)                                            \
        return pvm_fail(function, PvmBadParam);                             \
    at = room(function, count * (width), &error);                           \
    if (at == NULL)                                                         \
        return error;                                                       \
    for (i = 0; i < count; i++, at += (width)) {                            \
        type item = items[(long)i * stride];                                \
        encode;                                                             \
    }                                                                       \
    return PvmOk

int pvm_pkint(int *items, int count, int stride) { PACK_LOOP("pvm_pkint", int, 4, put32(at, (uint32_t)item)); }
int pvm_pkuint(unsigned int *items, int count, int stride) { PACK_LOOP("pvm_pkuint", unsigned int, 4, put32(at, item)); }

/* Whether one of the longs to pack needs more than XDR's 4 bytes (only an LP64 task's
 * can): checked before anything is packed, so a refused call leaves the buffer as it was. */
static int wider_than_xdr(const long *items, int count, int stride, int is_unsigned)
{
    int i;
    if (count < 0 || stride < 1)
        return 0; /* PACK_LOOP refuses these */
    for (i = 0; i < count; i++) {
        long v = items[(long)i * stride];
        if (is_unsigned ? (unsigned long)v > 0xffffffffUL : (v < -2147483647L - 1 || v > 2147483647L))
            return 1;
    }
    return 0;
}

int pvm_pklong(long *items, int count, int stride)
{
    if (wider_than_xdr(items, count, stride, 0))
        return pvm_fail("pvm_pklong", PvmOverflow);
    PACK_LOOP("pvm_pklong", long, 4, put32(at, (uint32_t)item));
}

int pvm_pkulong(unsigned long *items, int count, int stride)
{
    if (wider_than_xdr((const long *)items, count, stride, 1))
        return pvm_fail("pvm_pkulong", PvmOverflow);
    PACK_LOOP("pvm_pkulong", unsigned long, 4, put32(at, (uint32_t)item));
}
int pvm_pkshort(short *items, int count, int stride) { PACK_LOOP("pvm_pkshort", short, 4, put32(at, (uint32_t)(int)item)); }
int pvm_pkushort(unsigned short *items, int count, int stride) { PACK_LOOP("pvm_pkushort", unsigned short, 4, put32(at, item)); }

int pvm_pkfloat(float *items, int count, int stride)
{
    PACK_LOOP("pvm_pkfloat", float, 4, { union { float f; uint32_t u; } v; v.f = item; put32(at, v.u); });
}

int pvm_pkdouble(double *items, int count, int stride)
{
    PACK_LOOP("pvm_pkdouble", double, 8, {
        union { double d; uint64_t u; } v;
        v.d = item;
        put32(at, (uint32_t)(v.u >> 32));
        put32(at + 4, (uint32_t)v.u);
    });
}

int pvm_pkbyte(char *items, int count, int stride)
{
    int error = 0, i;
    char *at;
    if (count < 0 || stride < 1)
        return pvm_fail("pvm_pkbyte", PvmBadParam);
    at = room("pvm_pkbyte", PAD4(count), &error);
    if (at == NULL)
        return error;
    for (i = 0; i < count; i++)
        at[i] = items[(long)i * stride];
    for (; i < PAD4(count); i++)
        at[i] = 0;
    return PvmOk;
}

int pvm_pkstr(char *text)
{
    int error = 0, length = (int)strlen(text) + 1, i;
    char *at = room("pvm_pkstr", 4 + PAD4(length), &error);
    if (at == NULL)
        return error;
    put32(at, (uint32_t)length);
    memcpy(at + 4, text, length);
    for (i = length; i < PAD4(length); i++)
        at[4 + i] = 0;
    return PvmOk;
}

/* ---- unpacking ---- */

static const char *take(const char *function, int bytes, int *error)
{
    struct pvm_buffer *b = pvm_buffer_of(pvm_current_rbuf());
    if (b == NULL) {
        *error = pvm_fail(function, PvmNoBuf);
        return NULL;
    }
    if (bytes < 0 || b->position + bytes > b->length) {
        *error = pvm_fail(function, PvmNoData);
        return NULL;
    }
    b->position += bytes;
    return b->data + b->position - bytes;
}

#define UNPACK_LOOP(function, type, width, decode)                          \
    int error = 0, i;                                                       \
    const char *at;                                                         \
    if (count < 0 || stride < 1)                                            \
        return pvm_fail(function, PvmBadParam);                             \
    at = take(function, count * (width), &error);                           \
    if (at == NULL)                                                         \
        return error;                                                       \
    for (i = 0; i < count; i++, at += (width)) {                            \
        type item;                                                          \
        decode;                                                             \
        items[(long)i * stride] = item;                                     \
    }                                                                       \
    return PvmOk

int pvm_upkint(int *items, int count, int stride) { UNPACK_LOOP("pvm_upkint", int, 4, item = (int)get32(at)); }
int pvm_upkuint(unsigned int *items, int count, int stride) { UNPACK_LOOP("pvm_upkuint", unsigned int, 4, item = get32(at)); }
int pvm_upklong(long *items, int count, int stride) { UNPACK_LOOP("pvm_upklong", long, 4, item = (long)(int32_t)get32(at)); }
int pvm_upkulong(unsigned long *items, int count, int stride) { UNPACK_LOOP("pvm_upkulong", unsigned long, 4, item = get32(at)); }
int pvm_upkshort(short *items, int count, int stride) { UNPACK_LOOP("pvm_upkshort", short, 4, item = (short)get32(at)); }
int pvm_upkushort(unsigned short *items, int count, int stride) { UNPACK_LOOP("pvm_upkushort", unsigned short, 4, item = (unsigned short)get32(at)); }

int pvm_upkfloat(float *items, int count, int stride)
{
    UNPACK_LOOP("pvm_upkfloat", float, 4, { union { float f; uint32_t u; } v; v.u = get32(at); item = v.f; });
}

int pvm_upkdouble(double *items, int count, int stride)
{
    UNPACK_LOOP("pvm_upkdouble", double, 8, {
        union { double d; uint64_t u; } v;
        v.u = (uint64_t)get32(at) << 32 | get32(at + 4);
        item = v.d;
    });
}

int pvm_upkbyte(char *items, int count, int stride)
{
    int error = 0, i;
    const char *at;
    if (count < 0 || stride < 1)
        return pvm_fail("pvm_upkbyte", PvmBadParam);
    at = take("pvm_upkbyte", PAD4(count), &error);
    if (at == NULL)
        return error;
    for (i = 0; i < count; i++)
        items[(long)i * stride] = at[i];
    return PvmOk;
}

int pvm_upkstr(char *text)
{
    int error = 0, length;
    const char *at = take("pvm_upkstr", 4, &error);
    if (at == NULL)
        return error;
    length = (int)get32(at);
    at = take("pvm_upkstr", PAD4(length), &error);
    if (at == NULL)
        return error;
    memcpy(text, at, length);
    return PvmOk;
}
