/* Type geometry and leaf ordinals: a pointer travels as (block, leaf ordinal), the ordinal
 * counting primitive leaves from the block's start, so that it survives different sizes,
 * alignment and padding on the other machine. Part of mig.c's translation unit.
 */
#include "mig_internal.h"

static MIG_TEXT uint32_t type_size(int32_t type)
{
    return type < 0 ? 1 : mig_types[type].size;
}

static MIG_TEXT uint32_t type_leaves(int32_t type)
{
    return type < 0 ? 1 : mig_types[type].leaves;
}

/* Leaf ordinal of byte offset `rem` inside one object of `type`; -1 if it is not the start
 * of a leaf (a pointer into the middle of a primitive cannot be made portable). */
static MIG_TEXT int32_t leaf_within(int32_t type, uint32_t rem)
{
    const struct mig_type *t;
    while (rem) {
        if (type < 0)
            return (int32_t)rem;
        t = &mig_types[type];
        if (t->kind == MIG_KIND_ARRAY) {
            uint32_t es = mig_types[t->target].size;
            uint32_t i = rem / es;
            return (int32_t)(i * mig_types[t->target].leaves) + leaf_within(t->target, rem - i * es);
        }
        if (t->kind == MIG_KIND_STRUCT) {
            uint32_t f = t->nfields;
            int32_t inner;
            while (f > 0 && t->fields[f - 1].offset > rem)
                f--;
            if (f == 0)
                return -1;
            inner = leaf_within(t->fields[f - 1].type, rem - t->fields[f - 1].offset);
            return inner < 0 ? -1 : (int32_t)t->fields[f - 1].leaf_start + inner;
        }
        return -1;
    }
    return 0;
}

/* Byte offset of leaf `leaf` inside one object of `type` (inverse of leaf_within). */
static MIG_TEXT uint32_t offset_of_leaf(int32_t type, uint32_t leaf)
{
    uint32_t offset = 0;
    while (leaf) {
        const struct mig_type *t;
        if (type < 0)
            return offset + leaf;
        t = &mig_types[type];
        if (t->kind == MIG_KIND_ARRAY) {
            uint32_t el = mig_types[t->target].leaves, i = leaf / el;
            offset += i * mig_types[t->target].size;
            leaf -= i * el;
            type = t->target;
        } else if (t->kind == MIG_KIND_STRUCT) {
            uint32_t f = t->nfields;
            while (f > 1 && t->fields[f - 1].leaf_start > leaf)
                f--;
            offset += t->fields[f - 1].offset;
            leaf -= t->fields[f - 1].leaf_start;
            type = t->fields[f - 1].type;
        } else {
            break;
        }
    }
    return offset;
}

