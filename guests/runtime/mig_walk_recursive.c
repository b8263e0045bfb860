/* The classic walk over a block's contents (runtime_design.h): through the generated
 * save/restore functions of its type, which call back into mig_save_ptr and
 * mig_restore_ptr_at for every pointer. The C stack holds the walk: as deep as the longest
 * chain of blocks first reached through one another. Part of mig.c's translation unit.
 */
#include "msr.h"

static inline __attribute__((always_inline)) MIG_TEXT void save_contents(uint32_t b)
{
    if (B(b)->type < 0)
        mig_put_array(B(b)->data, MIG_U8, B(b)->size);
    else
        mig_types[B(b)->type].save(B(b)->data, B(b)->count);
}

static inline __attribute__((always_inline)) MIG_TEXT void restore_contents(uint32_t b)
{
    if (B(b)->type < 0)
        mig_get_array(B(b)->data, MIG_U8, B(b)->count);
    else
        mig_types[B(b)->type].restore(B(b)->data, B(b)->count);
}
