/* The classic runtime's encoding (runtime_design.h: MIG_CODEC): the XDR conventions of the
 * original system's period (RFC 1014), every item a multiple of four bytes. Tags, value
 * kinds, ids, counts, ordinals, locators and the end marker are each one big-endian 32-bit
 * unit (xdr_u_int); 8- and 16-bit primitives are widened to one unit each (xdr_char,
 * xdr_short), 32- and 64-bit ones keep their size (xdr_int, xdr_hyper, xdr_double). A
 * pointer is one discriminated unit (XDR_PTR_*): NULL; a block id (then its ordinal: the
 * logical address (block, offset) of the papers); or a new block's segment and type (then
 * its count, its locator unless heap, its ordinal and its contents). The header is the
 * modern one with STREAM_FLAG_XDR in its flags. docs/stream-format.md has the layout.
 * mig_buf.c includes this file twice, as codec_compact.c. Part of mig.c's translation unit.
 */
#ifdef CODEC_OUTPUT
static inline MIG_TEXT void put_be32(uint32_t v); /* mig_buf.c, below */
static MIG_TEXT void copy_big_endian(unsigned char *d, const unsigned char *s, uint32_t bytes, uint32_t size);

/* a tag, a value kind, the end marker or an 8-bit primitive: one unit */
static inline MIG_TEXT void put_byte(uint32_t v) { put_be32(v); }
/* an id, a count, an ordinal, a locator: fixed width */
static inline MIG_TEXT void put_varint(uint32_t v) { put_be32(v); }
static inline MIG_TEXT void put_half(uint32_t v) { put_be32(v & 0xffffu); }

/* Primitives narrower than a unit, each widened to one (xdr_vector of xdr_char or
 * xdr_short): untyped bytes too, so that every leaf's size is fixed by its type alone. */
static MIG_TEXT __attribute__((noinline)) void put_narrow_prims(const void *p, uint32_t bytes, uint32_t size)
{
    uint32_t i, n = bytes / size;
    out_reserve(n * 4);
    for (i = 0; i < n; i++)
        put_be32(size == 1 ? ((const uint8_t *)p)[i] : ((const uint16_t *)p)[i]);
}

#define put_prims(p, bytes, size) do { \
        if ((size) < 4) { \
            put_narrow_prims(p, bytes, size); \
        } else { \
            out_reserve(bytes); \
            copy_big_endian(out + out_len, p, bytes, size); \
            out_len += bytes; \
        } \
    } while (0)

#define put_null_head() put_be32(XDR_PTR_NULL)
#define put_ref_head(id) put_be32(id)
#define put_new_head(seg, type_plus) put_be32(XDR_PTR_NEW | (uint32_t)(seg) << XDR_PTR_SEG_SHIFT | (type_plus))

/* the header's version and flags: one unit, the flags naming this encoding */
#define put_version_flags() put_be32((uint32_t)STREAM_VERSION << 16 | STREAM_FLAG_XDR)
#endif

#ifdef CODEC_INPUT
static inline MIG_TEXT uint32_t get_be32(void);               /* mig_buf.c, below */
static inline MIG_TEXT uint32_t load_be32(const unsigned char *p);

static inline MIG_TEXT uint32_t get_byte(void) { return get_be32(); }
static inline MIG_TEXT uint32_t get_varint(void) { return get_be32(); }
static inline MIG_TEXT uint32_t get_half(void) { return get_be32() & 0xffffu; }

static MIG_TEXT __attribute__((noinline)) void get_narrow_prims(void *p, uint32_t bytes, uint32_t size)
{
    uint32_t i, n = bytes / size;
    if (n > (in_end - in_pos) / 4)
        truncated();
    for (i = 0; i < n; i++) {
        uint32_t v = get_be32();
        if (size == 1)
            ((uint8_t *)p)[i] = (uint8_t)v;
        else
            ((uint16_t *)p)[i] = (uint16_t)v;
    }
}

#define get_prims(p, bytes, size) do { \
        if ((size) < 4) { \
            get_narrow_prims(p, bytes, size); \
        } else { \
            need(bytes); \
            copy_big_endian(p, in + in_pos, bytes, size); \
            in_pos += bytes; \
        } \
    } while (0)

static uint32_t ptr_word; /* the pointer unit just read: its id, or its segment and type */

static inline MIG_TEXT uint32_t get_ptr_tag(void)
{
    ptr_word = get_be32();
    if (ptr_word == XDR_PTR_NULL)
        return TAG_NULL;
    return ptr_word & XDR_PTR_NEW ? TAG_NEW : TAG_REF;
}

#define get_ref_id() ptr_word
#define get_new_seg() ((ptr_word >> XDR_PTR_SEG_SHIFT) & XDR_PTR_SEG_MASK)
#define get_new_type() (ptr_word & XDR_PTR_TYPE_MASK)
#define next_opens_block() (in_end - in_pos >= 4 && load_be32(in + in_pos) != XDR_PTR_NULL \
                            && (load_be32(in + in_pos) & XDR_PTR_NEW))

static inline MIG_TEXT uint32_t get_raw16(void)
{
    uint32_t v;
    need(2);
    v = (uint32_t)in[in_pos] << 8 | in[in_pos + 1];
    in_pos += 2;
    return v;
}

#define get_version() get_raw16()
#define get_flags() get_raw16()
#define CODEC_FLAGS STREAM_FLAG_XDR
#define CODEC_FLAGS_REFUSAL "stream refused: header flags do not name the classic (XDR) encoding"

#define WIRE_SIZE(prim) (prim_size(prim) < 4 ? 4 : prim_size(prim))
#define UNTYPED_WIRE_BYTES 4
#endif
