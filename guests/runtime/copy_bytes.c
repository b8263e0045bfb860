/* Flat data between the stream and the process, classic (runtime_design.h): memcpy, or a
 * byte loop that reverses each primitive. Included by mig_buf.c, where it stood in the
 * one-file runtime.
 */
/* Copy `bytes` of primitives of `size` bytes, reversing each primitive's bytes on a
 * little-endian machine: the stream is big-endian. The same in both directions. */
static MIG_TEXT void copy_big_endian(unsigned char *d, const unsigned char *s, uint32_t bytes, uint32_t size)
{
    uint32_t i;
    if (size == 1 || host_is_big_endian()) {
        memcpy(d, s, bytes);
    } else if (size == 4) {
        for (i = 0; i < bytes; i += 4) {
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
