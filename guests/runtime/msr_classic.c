/* The classic MSR lookup table (msr.h), the original design's: every block, heap blocks
 * included, in one table kept sorted by address. The classic allocator reports each
 * allocation and release (rt_on_alloc, rt_on_free); a lookup is a binary search over the
 * table, re-sorted after blocks came or went. Part of mig.c's translation unit.
 */
#include "msr.h"

#define B(i) (&blocks[i])
static uint32_t last_registered; /* the entry of the latest heap allocation */
static int table_dirty;          /* blocks were added, removed or moved since the last sort */

/* Entries are made and deleted out of line, as in the one-file runtime whose instruction
 * counts the classic transcripts pin (the compiler would inline these small wrappers). */
#define CLASSIC_OUT_OF_LINE __attribute__((noinline))

static CLASSIC_OUT_OF_LINE MIG_TEXT uint32_t block_new(void *addr, int32_t type, uint32_t count, uint32_t size, uint32_t seg)
{
    uint32_t i = entry_new(addr, type, count, size, seg);
    table_dirty = 1; /* the sorted table is rebuilt before the next search */
    return i;
}

static CLASSIC_OUT_OF_LINE MIG_TEXT void block_delete(uint32_t i)
{
    table_dirty = 1;
    entry_release(i);
}

/* The last block starting at or before p, by binary search over the table kept sorted by
 * address (re-sorted only after blocks came or went). */
static MIG_TEXT uint32_t block_search(const char *p)
{
    uint32_t lo = 0, hi;
    if (!sorted || table_dirty) {
        sort_blocks();
        table_dirty = 0;
    }
    hi = nsorted;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (B(sorted[mid])->addr <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? sorted[lo - 1] : 0;
}

static MIG_TEXT uint32_t block_at_start(const void *p)
{
    uint32_t i = block_search(p);
    return i && B(i)->addr == (const char *)p ? i : 0;
}

static MIG_TEXT uint32_t block_containing(const char *p)
{
    uint32_t i = block_search(p);
    return i && p <= B(i)->addr + B(i)->size ? i : 0; /* one past the end included */
}

static MIG_TEXT void new_epoch(void)
{
    epoch++;
}

MIG_TEXT void rt_on_alloc(void *pointer, int type_id, size_t count, size_t element_size)
{
    if (type_id == RT_TYPE_INTERNAL)
        return;
    if (type_id < 0) { /* untyped: a block of bytes */
        count *= element_size;
        element_size = 1;
    }
    last_registered = block_new(pointer, type_id, (uint32_t)count, (uint32_t)(count * element_size), SEG_HEAP);
}

MIG_TEXT void rt_on_free(void *pointer)
{
    uint32_t i;
    if (mig_internal)
        return;
    if (table_dirty) { /* a linear scan: sorting after every allocation would cost more */
        for (i = 1; i < nblocks_used; i++)
            if (B(i)->live && B(i)->addr == (char *)pointer)
                break;
        if (i == nblocks_used)
            return;
    } else {
        i = block_at_start(pointer);
    }
    if (i)
        block_delete(i);
}

MSR_HOOK MIG_TEXT uint32_t heap_block_entry(void *p)
{
    (void)p; /* rt_on_alloc has just made its entry */
    return last_registered;
}

/* Rebuilding is O(n): room for every block the header announces, at once. */
MSR_HOOK MIG_TEXT void reserve_entries(uint32_t nb)
{
    if (nblocks_used + nb + 1 > nblocks_cap) {
        uint32_t cap = nblocks_used + nb + 1;
        blocks = mig_grow(blocks, nblocks_cap * sizeof(struct block), cap * sizeof(struct block));
        nblocks_cap = cap;
    }
}

/* Each entry is known: delete it here rather than through rt_on_free, whose lookup would
 * re-sort the table after every deletion (quadratic). */
MSR_HOOK MIG_TEXT void release_heap_blocks(void)
{
    uint32_t i;
    for (i = 1; i < nblocks_used; i++) {
        if (B(i)->live && B(i)->seg == SEG_HEAP) {
            char *addr = B(i)->addr;
            block_delete(i);
            mig_free(addr);
        }
    }
}

MSR_HOOK MIG_TEXT void block_hide(uint32_t i)
{
    B(i)->addr = (char *)0 + 1; /* sorts first, contains nothing a program can point to */
    table_dirty = 1;
}

MSR_HOOK MIG_TEXT void block_move(uint32_t i, char *address)
{
    B(i)->addr = address;
    B(i)->data = address;
    table_dirty = 1;
}
