/* The modern runtime's encoding (runtime_design.h: MIG_CODEC): varints for structural
 * numbers, one byte for tags, kinds and the end marker, primitives in their natural size
 * (docs/stream-format.md). mig_buf.c includes this file twice, once with CODEC_OUTPUT for
 * the encoder's side and once with CODEC_INPUT for the decoder's; mig_encode.c,
 * mig_decode.c and mig_validate.c reach the format only through what it defines, so the
 * classic encoding (codec_xdr.c) can replace it whole. Part of mig.c's translation unit.
 */
#ifdef CODEC_OUTPUT
static inline MIG_TEXT void put_byte(uint32_t v)
{
    out_reserve(1);
    out[out_len++] = (unsigned char)v;
}

static inline MIG_TEXT void put_varint(uint32_t v)
{
    out_reserve(5);
    while (v >= 0x80) {
        out[out_len++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[out_len++] = (unsigned char)v;
}


/* a 16-bit primitive (macros, not functions: the modern unit compiles as before) */
#define put_half(v) do { \
        out_reserve(2); \
        out[out_len] = (unsigned char)((v) >> 8); \
        out[out_len + 1] = (unsigned char)(v); \
        out_len += 2; \
    } while (0)

/* n bytes of primitives of `size` bytes each, big-endian */
#define put_prims(p, bytes, size) do { \
        out_reserve(bytes); \
        copy_big_endian(out + out_len, p, bytes, size); \
        out_len += bytes; \
    } while (0)

/* A pointer's head: its tag, and for a reference the block id, for a new block its segment
 * and type id + 1 (the count, locator and ordinal follow as varints). */
#define put_null_head() put_byte(TAG_NULL)
#define put_ref_head(id) do { put_byte(TAG_REF); put_varint(id); } while (0)
#define put_new_head(seg, type_plus) do { put_byte(TAG_NEW); put_varint(seg); put_varint(type_plus); } while (0)

/* the header's version and flags: no flags */
#define put_version_flags() do { mig_put_u16(STREAM_VERSION); mig_put_u16(0); } while (0)
#endif

#ifdef CODEC_INPUT
static inline MIG_TEXT uint32_t get_byte(void)
{
    need(1);
    return in[in_pos++];
}

static MIG_TEXT __attribute__((noinline)) uint32_t get_long_varint(void);

static inline MIG_TEXT uint32_t get_varint(void)
{
    if (in_pos < in_end && in[in_pos] < 0x80) /* most ids, counts and ordinals: one byte */
        return in[in_pos++];
    return get_long_varint();
}

static MIG_TEXT __attribute__((noinline)) uint32_t get_long_varint(void)
{
    uint32_t v = 0, shift = 0, b;
    do {
        b = get_byte();
        if (shift == 28 && b > 0x0f)
            mig_fail(ERR_FORMAT, "stream refused: a variable-length number overflows 32 bits");
        v |= (b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (b == 0) /* a last byte of 0 adds nothing: the canonical form is shorter */
        mig_fail(ERR_FORMAT, "stream refused: a variable-length number is not in its shortest form");
    return v;
}

#define get_half() ({ \
        uint16_t half_; \
        need(2); \
        half_ = (uint16_t)((in[in_pos] << 8) | in[in_pos + 1]); \
        in_pos += 2; \
        half_; \
    })

#define get_prims(p, bytes, size) do { \
        need(bytes); \
        copy_big_endian(p, in + in_pos, bytes, size); \
        in_pos += bytes; \
    } while (0)

/* A pointer's head, read in the order put_*_head wrote it. */
#define get_ptr_tag() get_byte()
#define get_ref_id() get_varint()
#define get_new_seg() get_varint()
#define get_new_type() get_varint()
/* whether the next pointer opens a block (the validator queues its contents first) */
#define next_opens_block() (in_pos < in_end && in[in_pos] == TAG_NEW)

#define get_version() mig_get_u16()
#define get_flags() mig_get_u16()
#define CODEC_FLAGS 0
#define CODEC_FLAGS_REFUSAL "stream refused: header flags are set (the format defines none)"

/* Encoded bytes of one primitive leaf, and of one untyped byte (the validator's sizes). */
#define WIRE_SIZE(prim) prim_size(prim)
#define UNTYPED_WIRE_BYTES 1
#endif
