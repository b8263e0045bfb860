/* The stream's CRC-32 (zlib's: reflected polynomial 0xedb88320, all ones in and out),
 * modern (runtime_design.h): slicing by eight over aligned words, one table lookup per
 * byte and two loads per eight bytes. Included by mig_buf.c.
 *
 * The tables are constant data (crc_tables.h). A word load puts the stream's bytes in
 * machine order. On a little-endian machine that
 * is the order the reflected CRC works in; on a big-endian one the CRC is kept byte-
 * reversed instead, with byte-reversed tables (zlib's "big" variant), so that the same
 * loop serves both and the value is the same.
 */

#include "crc_tables.h"

static MIG_TEXT void crc_init(void)
{
    /* the tables are constant data (crc_tables.h) */
}

static MIG_TEXT int crc_big_endian(void)
{
    const uint16_t probe = 1;
    return *(const unsigned char *)&probe == 0;
}

static MIG_TEXT uint32_t byte_reversed(uint32_t x)
{
    return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

/* Byte k (0: first in the stream) of a word loaded from the stream. */
#define LE_BYTE(w, k) (((w) >> (8 * (k))) & 0xff)
#define BE_BYTE(w, k) (((w) >> (24 - 8 * (k))) & 0xff)

#define SLICE8(T, BYTE)                                                                                \
    while (n >= 8) {                                                                                   \
        uint32_t x = *(const uint32_t *)p ^ c, y = *(const uint32_t *)(p + 4);                         \
        c = T[7][BYTE(x, 0)] ^ T[6][BYTE(x, 1)] ^ T[5][BYTE(x, 2)] ^ T[4][BYTE(x, 3)] ^                \
            T[3][BYTE(y, 0)] ^ T[2][BYTE(y, 1)] ^ T[1][BYTE(y, 2)] ^ T[0][BYTE(y, 3)];                 \
        p += 8;                                                                                        \
        n -= 8;                                                                                        \
    }

static MIG_TEXT uint32_t crc32(const unsigned char *p, uint32_t n)
{
    uint32_t c = 0xffffffffu;
    if (!crc_big_endian()) {
        const uint32_t(*t)[256] = crc_words_little;
        while (n && ((uintptr_t)p & 3)) {
            c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
            n--;
        }
        SLICE8(t, LE_BYTE)
        while (n--)
            c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        return ~c;
    } else {
        const uint32_t(*t)[256] = crc_words_big; /* c is byte-reversed (all ones either way) */
        while (n && ((uintptr_t)p & 3)) {
            c = t[0][(c >> 24) ^ *p++] ^ (c << 8);
            n--;
        }
        SLICE8(t, BE_BYTE)
        while (n--)
            c = t[0][(c >> 24) ^ *p++] ^ (c << 8);
        return ~byte_reversed(c);
    }
}
