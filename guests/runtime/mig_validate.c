/* The validator: a dry run over a received stream that writes nothing, so that a damaged,
 * truncated or foreign stream is refused (HC_MIG_ERROR with a code and a message) before
 * restoration touches the process. Part of mig.c's translation unit.
 */
#include "msr.h"

static uint32_t *flat_bytes; /* encoded bytes per object of a pointer-free type */

static MIG_TEXT uint32_t encoded_flat_size(int32_t type)
{
    const struct mig_type *t = &mig_types[type];
    uint32_t f, n = 0;
    if (t->kind == MIG_KIND_PRIM)
        return prim_size(t->prim);
    if (t->kind == MIG_KIND_ARRAY)
        return t->count * encoded_flat_size(t->target);
    for (f = 0; f < t->nfields; f++)
        n += encoded_flat_size(t->fields[f].type);
    return n;
}

struct vblock {
    int32_t type;
    uint32_t count;
};
static struct vblock *vblocks;
static uint32_t nvblocks, vblocks_cap;

static MIG_TEXT void validate_ptr(int32_t declared);

static MIG_TEXT void validate_object(int32_t type, uint32_t n)
{
    const struct mig_type *t;
    uint32_t i, f;
    if (type < 0) {
        need(n);
        in_pos += n;
        return;
    }
    t = &mig_types[type];
    if (!t->has_pointers) {
        uint32_t bytes = flat_bytes[type];
        if (n && bytes > (in_end - in_pos) / n)
            mig_fail(ERR_TRUNCATED, "stream refused: a block's contents run past the end of the stream (truncated)");
        in_pos += n * bytes;
        return;
    }
    for (i = 0; i < n; i++) {
        if (t->kind == MIG_KIND_PTR) {
            validate_ptr(t->target);
        } else if (t->kind == MIG_KIND_ARRAY) {
            validate_object(t->target, t->count);
        } else {
            for (f = 0; f < t->nfields; f++) {
                const struct mig_type *ft = &mig_types[t->fields[f].type];
                if (!ft->has_pointers) { /* skip flat fields without a call */
                    need(flat_bytes[t->fields[f].type]);
                    in_pos += flat_bytes[t->fields[f].type];
                } else if (ft->kind == MIG_KIND_PTR) {
                    validate_ptr(ft->target);
                } else {
                    validate_object(t->fields[f].type, 1);
                }
            }
        }
    }
}

static MIG_TEXT void check_type(int32_t declared, int32_t actual, uint32_t ordinal)
{
    /* A pointer to the start of an element must have the block's element type, unless it
     * is untyped (void *) or a byte pointer. */
    if (declared < 0 || actual < 0 || ordinal % type_leaves(actual) != 0)
        return;
    if (mig_types[declared].kind == MIG_KIND_PRIM && prim_size(mig_types[declared].prim) == 1)
        return;
    if (declared != actual && !(mig_types[actual].kind == MIG_KIND_ARRAY && mig_types[actual].target == declared))
        mig_fail(ERR_TYPE, "stream refused: a pointer's type does not match the block it points to");
}

static MIG_TEXT void validate_ptr(int32_t declared)
{
    uint32_t tag = get_byte(), ordinal;
    if (tag == TAG_NULL)
        return;
    if (tag == TAG_REF) {
        uint32_t id = get_varint();
        if (id >= nvblocks)
            mig_fail(ERR_BLOCK_ID, "stream refused: a pointer refers to a block id that does not exist");
        ordinal = get_varint();
        if (ordinal > vblocks[id].count * type_leaves(vblocks[id].type))
            mig_fail(ERR_OFFSET, "stream refused: a pointer's element offset lies outside its block");
        check_type(declared, vblocks[id].type, ordinal);
        return;
    }
    if (tag != TAG_NEW)
        mig_fail(ERR_FORMAT, "stream refused: unknown pointer tag");
    {
        uint32_t seg = get_varint(), count, locator = 0, id;
        int32_t type = (int32_t)get_varint() - 1;
        if (seg < SEG_GLOBAL || seg > SEG_HEAP)
            mig_fail(ERR_FORMAT, "stream refused: unknown memory segment");
        if (type < -1 || type >= (int32_t)mig_ntypes)
            mig_fail(ERR_TYPE, "stream refused: a block has a type id this program does not have");
        count = get_varint();
        if (seg != SEG_HEAP)
            locator = get_varint();
        ordinal = get_varint();
        if (count == 0 || count > in_end - in_pos + 1)
            mig_fail(ERR_FORMAT, "stream refused: a block's element count is implausible");
        if (ordinal > count * type_leaves(type))
            mig_fail(ERR_OFFSET, "stream refused: a pointer's element offset lies outside its block");
        if (seg == SEG_GLOBAL) {
            if (locator >= nglobals)
                mig_fail(ERR_BLOCK_ID, "stream refused: a global the program does not have");
            if (B(globals[locator])->type != type || B(globals[locator])->count != count)
                mig_fail(ERR_TYPE, "stream refused: a global's type or size does not match this program");
        }
        if (seg == SEG_STACK && locator < nstack) {
            uint32_t b = stack_slots[locator];
            if (B(b)->type != type || B(b)->count != count)
                mig_fail(ERR_TYPE, "stream refused: a stack block's type or size does not match this program");
        }
        check_type(declared, type, ordinal);
        reserve(&vblocks, &vblocks_cap, nvblocks + 1, sizeof(struct vblock), 1024);
        id = nvblocks++;
        vblocks[id].type = type;
        vblocks[id].count = count;
        validate_object(type, count);
    }
}

static MIG_TEXT void validate_stream(uint32_t length)
{
    uint32_t f, nf, i;
    if (length < HDR_SIZE + 1 + STREAM_TRAILER_SIZE) /* and the end marker */
        mig_fail(ERR_TRUNCATED, "stream refused: shorter than a header and a trailer (truncated)");
    if (get_be32() != STREAM_MAGIC)
        mig_fail(ERR_MAGIC, "stream refused: bad magic number (not a migration stream)");
    if (mig_get_u16() != STREAM_VERSION)
        mig_fail(ERR_VERSION, "stream refused: unsupported stream format version");
    mig_get_u16();
    get_be32(); /* source ISA: informational */
    if (get_be32() != mig_fingerprint)
        mig_fail(ERR_FINGERPRINT, "stream refused: it comes from a different program or build (TI fingerprint mismatch)");
    if (get_be32() != length - HDR_SIZE - STREAM_TRAILER_SIZE)
        mig_fail(ERR_TRUNCATED, "stream refused: its length does not match its header (truncated or padded)");
    nf = get_be32();
    get_be32();
    get_be32();
    /* the trailer indexed from `length` (not through load_be32): the instructions the
     * classic runtime's transcripts pin */
    if (crc32(in, length - STREAM_TRAILER_SIZE) != ((uint32_t)in[length - STREAM_TRAILER_SIZE] << 24 | (uint32_t)in[length - STREAM_TRAILER_SIZE + 1] << 16 |
                                                    (uint32_t)in[length - STREAM_TRAILER_SIZE + 2] << 8 | in[length - STREAM_TRAILER_SIZE + 3]))
        mig_fail(ERR_CRC, "stream refused: CRC-32 mismatch (the stream was damaged)");
    if (!flat_bytes) {
        flat_bytes = mig_alloc(mig_ntypes * sizeof(uint32_t) + 4);
        for (i = 0; i < mig_ntypes; i++)
            flat_bytes[i] = mig_types[i].has_pointers ? 0 : encoded_flat_size((int32_t)i);
    }
    in_end = length - STREAM_TRAILER_SIZE;
    nvblocks = 0;
    {
        uint32_t declared = load_be32(in + HDR_BLOCKS_OFFSET);
        if (declared > length) /* every block takes at least one byte */
            mig_fail(ERR_FORMAT, "stream refused: its header declares more blocks than it can hold");
        if (declared > vblocks_cap) {
            vblocks = mig_grow(vblocks, 0, declared * sizeof(struct vblock));
            vblocks_cap = declared;
        }
    }
    for (f = 0; f < nf; f++) {
        uint32_t n;
        get_varint();
        get_varint();
        n = get_varint();
        for (i = 0; i < n; i++) {
            uint32_t kind = get_byte();
            switch (kind) {
            case VAL_I32: case VAL_U32: case VAL_F32: need(4); in_pos += 4; break;
            case VAL_I64: case VAL_F64: need(8); in_pos += 8; break;
            case VAL_PTR: validate_ptr(-1); break;
            case VAL_OBJ: {
                int32_t type = (int32_t)get_varint() - 1;
                uint32_t count = get_varint();
                if (type < -1 || type >= (int32_t)mig_ntypes)
                    mig_fail(ERR_TYPE, "stream refused: a variable has a type id this program does not have");
                validate_object(type, count);
                break;
            }
            default:
                mig_fail(ERR_FORMAT, "stream refused: unknown value kind in a frame record");
            }
        }
    }
    for (i = 0; i < nglobals; i++)
        validate_ptr(-1);
    if (get_byte() != STREAM_END_MARKER || in_pos != in_end)
        mig_fail(ERR_FORMAT, "stream refused: no end marker where the stream should end");
    if (nvblocks != load_be32(in + HDR_BLOCKS_OFFSET))
        mig_fail(ERR_FORMAT, "stream refused: its header's block count does not match its blocks");
}

