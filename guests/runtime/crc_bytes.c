/* The stream's CRC-32 (zlib's), classic (runtime_design.h): slicing by four over bytes
 * assembled in stream order. Included by mig_buf.c, where it stood in the one-file runtime.
 */
/* ---- CRC-32 (IEEE 802.3), slicing by four ---- */

static uint32_t crc_table[4][256];

static MIG_TEXT void crc_init(void)
{
    uint32_t i, j, c;
    if (crc_table[0][1])
        return;
    for (i = 0; i < 256; i++) {
        c = i;
        for (j = 0; j < 8; j++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++) {
        c = crc_table[0][i];
        for (j = 1; j < 4; j++) {
            c = crc_table[0][c & 0xff] ^ (c >> 8);
            crc_table[j][i] = c;
        }
    }
}

static MIG_TEXT uint32_t crc32(const unsigned char *p, uint32_t n)
{
    uint32_t c = 0xffffffffu;
    while (n && ((uintptr_t)p & 3)) {
        c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        n--;
    }
    while (n >= 4) {
        /* bytes in stream order, independent of the machine's endianness */
        c ^= (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
        c = crc_table[3][c & 0xff] ^ crc_table[2][(c >> 8) & 0xff] ^ crc_table[1][(c >> 16) & 0xff] ^ crc_table[0][c >> 24];
        p += 4;
        n -= 4;
    }
    while (n--)
        c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}
