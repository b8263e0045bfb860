/* What both MSR lookup table implementations share (msr.h): entries, the address-sorted
 * view used for binary search, and the registration of globals. Part of mig.c's unit.
 */
#include "msr.h"

static inline __attribute__((always_inline)) MIG_TEXT uint32_t entry_new(void *addr, int32_t type, uint32_t count, uint32_t size, uint32_t seg)
{
    uint32_t i;
    if (free_list) {
        i = free_list;
        free_list = B(i)->next;
    } else {
        if (nblocks_used == 0)
            nblocks_used = 1;
        /* start big enough that most programs never copy the table */
        reserve(&blocks, &nblocks_cap, nblocks_used + 1, sizeof(struct block), 4096);
        i = nblocks_used++;
    }
    B(i)->addr = addr;
    B(i)->data = addr;
    B(i)->size = size;
    B(i)->type = type;
    B(i)->count = count;
    B(i)->seg = seg;
    B(i)->locator = 0;
    B(i)->epoch = 0;
    B(i)->id = 0;
    B(i)->live = 1;
    live_blocks++;
    return i;
}

static inline __attribute__((always_inline)) MIG_TEXT void entry_release(uint32_t i)
{
    if (B(i)->data != B(i)->addr)
        mig_free(B(i)->data);
    B(i)->live = 0;
    B(i)->next = free_list;
    free_list = i;
    live_blocks--;
}

static MIG_TEXT void sort_blocks(void)
{
    uint32_t i, n = 0, width;
    uint32_t *tmp;
    if (sorted)
        mig_free(sorted);
    sorted = mig_alloc((live_blocks + 1) * sizeof(uint32_t));
    tmp = mig_alloc((live_blocks + 1) * sizeof(uint32_t));
    for (i = 1; i < nblocks_used; i++)
        if (B(i)->live)
            sorted[n++] = i;
    /* bottom-up merge sort: O(n log n), no recursion */
    for (width = 1; width < n; width *= 2) {
        uint32_t lo;
        for (lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = B(sorted[a])->addr <= B(sorted[b])->addr ? sorted[a++] : sorted[b++];
            while (a < mid)
                tmp[k++] = sorted[a++];
            while (b < hi)
                tmp[k++] = sorted[b++];
        }
        memcpy(sorted, tmp, n * sizeof(uint32_t));
    }
    mig_free(tmp);
    nsorted = n;
    sorted_epoch = epoch;
}

/* A read-only object becomes a block of its segment only when a pointer reaches it: a
 * program whose live pointers never point into its literals pays nothing for them. */
static MIG_TEXT uint32_t rodata_block(uint32_t i)
{
    if (!rodata_blocks) {
        rodata_blocks = mig_alloc(mig_nrodata * sizeof(uint32_t));
        memset(rodata_blocks, 0, mig_nrodata * sizeof(uint32_t));
    }
    if (!rodata_blocks[i]) {
        uint32_t b = block_new((void *)mig_rodata[i].address, mig_rodata[i].type, mig_rodata[i].count,
                               mig_rodata[i].count * type_size(mig_rodata[i].type), SEG_RODATA);
        B(b)->locator = i;
        rodata_blocks[i] = b;
    }
    return rodata_blocks[i];
}

/* The read-only object holding p (one past its end included) as a block, 0 if none: asked
 * only for a pointer that is in no registered block, which is rare. */
static MIG_TEXT uint32_t rodata_containing(const char *p)
{
    uint32_t i;
    for (i = 0; i < mig_nrodata; i++) {
        const char *start = mig_rodata[i].address;
        if (p >= start && p <= start + mig_rodata[i].count * type_size(mig_rodata[i].type))
            return rodata_block(i);
    }
    return 0;
}

MIG_TEXT void mig_register_global(void *address, int32_t type, uint32_t count)
{
    uint32_t i = block_new(address, type, count, count * type_size(type), SEG_GLOBAL);
    reserve(&globals, &globals_cap, nglobals + 1, sizeof(uint32_t), 32);
    B(i)->locator = nglobals;
    globals[nglobals++] = i;
}
