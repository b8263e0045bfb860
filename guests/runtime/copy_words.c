/* Flat data between the stream and the process, modern (runtime_design.h). Included by
 * mig_buf.c.
 *
 * The stream side of a copy is at any byte offset, the object side aligned. Without byte
 * reversal (a big-endian machine, or bytes) the copy runs a word at a time: aligned stores,
 * each word shifted together from the two aligned source words it straddles. With byte
 * reversal (a little-endian machine) each primitive's bytes are moved one by one, eight
 * bytes per turn of the loop.
 */

static MIG_TEXT void copy_straight(unsigned char *d, const unsigned char *s, uint32_t n)
{
    uint32_t k;
    while (n && ((uintptr_t)d & 3)) {
        *d++ = *s++;
        n--;
    }
    k = (uintptr_t)s & 3;
    if (k == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8) {
            ((uint32_t *)d)[0] = ((const uint32_t *)s)[0];
            ((uint32_t *)d)[1] = ((const uint32_t *)s)[1];
        }
    } else if (n >= 8) {
        /* aligned loads only: the last one may take up to 3 bytes past the source's end,
         * from the word that holds its last byte */
        const uint32_t *w = (const uint32_t *)(s - k);
        uint32_t up = 8 * k, down = 32 - up, prev = *w++;
        int big = host_is_big_endian();
        for (; n >= 8; n -= 8, d += 8, s += 8) {
            uint32_t a = w[0], b = w[1];
            ((uint32_t *)d)[0] = big ? prev << up | a >> down : prev >> up | a << down;
            ((uint32_t *)d)[1] = big ? a << up | b >> down : a >> up | b << down;
            prev = b;
            w += 2;
        }
    }
    while (n--)
        *d++ = *s++;
}

static MIG_TEXT void copy_big_endian(unsigned char *d, const unsigned char *s, uint32_t bytes, uint32_t size)
{
    uint32_t i;
    if (size == 1 || host_is_big_endian()) {
        copy_straight(d, s, bytes);
    } else if (size == 4) {
        for (i = 0; i + 8 <= bytes; i += 8) {
            d[i] = s[i + 3]; d[i + 1] = s[i + 2]; d[i + 2] = s[i + 1]; d[i + 3] = s[i];
            d[i + 4] = s[i + 7]; d[i + 5] = s[i + 6]; d[i + 6] = s[i + 5]; d[i + 7] = s[i + 4];
        }
        if (i < bytes) {
            d[i] = s[i + 3]; d[i + 1] = s[i + 2]; d[i + 2] = s[i + 1]; d[i + 3] = s[i];
        }
    } else if (size == 8) {
        for (i = 0; i < bytes; i += 8) {
            d[i] = s[i + 7]; d[i + 1] = s[i + 6]; d[i + 2] = s[i + 5]; d[i + 3] = s[i + 4];
            d[i + 4] = s[i + 3]; d[i + 5] = s[i + 2]; d[i + 6] = s[i + 1]; d[i + 7] = s[i];
        }
    } else {
        for (i = 0; i < bytes; i += 2) {
            d[i] = s[i + 1]; d[i + 1] = s[i];
        }
    }
}
