/* The MSR Lookup Table (MSRLT): every block that can hold migratable data, found from any
 * address inside it. One interface, two implementations chosen by runtime_design.h:
 *
 *   msr_modern.c   heap blocks carry type and count in their allocator headers and get an
 *                  entry lazily, on first touch in an epoch; globals and stack blocks sit in
 *                  a hash keyed by start address. Lookup O(1), interior pointers by binary
 *                  search (one linear walk of the heap's headers per epoch).
 *   msr_classic.c  the original design: every block, heap blocks included (reported by the
 *                  classic allocator), in one table kept sorted by address and searched by
 *                  binary search; collection O(n log n) in blocks, rebuilding O(n).
 *
 * An entry is named by a uint32_t; 0 is no entry. B(entry) is the entry's struct block
 * (each implementation defines it as a macro: it is on every hot path). msr.c holds what
 * both implementations share. Part of mig.c's translation unit.
 */
#ifndef MSR_H
#define MSR_H
#include "mig_internal.h"

struct block {
    char *addr;        /* start address in the process (the key) */
    char *data;        /* where the contents are now: addr, or a copy / staging area */
    uint32_t size;     /* bytes */
    int32_t type;      /* TI type, -1 for untyped bytes */
    uint32_t count;    /* elements */
    uint32_t seg;      /* SEG_* */
    uint32_t locator;  /* global index, or stack slot (position among live stack blocks) */
    uint32_t epoch;    /* == current epoch once visited in this collection / restore */
    uint32_t id;       /* logical id in this collection / restore */
    uint32_t next;     /* hash chain, or free list; 0 = end (entry 0 is unused) */
    uint32_t live;
};

/* The table proper: globals and stack blocks (classic: heap blocks too); entry 0 unused. */
static struct block *blocks;
static uint32_t nblocks_cap, nblocks_used, free_list;
static uint32_t live_blocks;
static uint32_t epoch = 1; /* a collection or a restore; heap headers start at 0: no entry */

static uint32_t *globals; /* entry index of each registered global, in registration order */
static uint32_t nglobals, globals_cap;
static uint32_t *rodata_blocks; /* entry index of each read-only object, 0 until a pointer reaches it */
static uint32_t *stack_slots; /* entry index of each live stack block, LIFO */
static uint32_t nstack, stack_cap;
static uint32_t unwound_slots; /* stack blocks of frames that returned while unwinding */
static uint32_t *staged;       /* entries of deeper frames' blocks decoded into staging */
static uint32_t nstaged, staged_cap;

/* ---- the interface each implementation provides ---- */

/* The restore and resume hooks below are inlined where they are used: each has one call
 * site, and the code around it compiles as when it was written there (the classic
 * runtime's instruction counts are pinned by its transcripts). */
#define MSR_HOOK static inline __attribute__((always_inline))

/* A new entry for the block at addr (a global or a stack block; classic: heap too). */
static uint32_t block_new(void *addr, int32_t type, uint32_t count, uint32_t size, uint32_t seg);
/* The block is gone: its entry (and a copy of its contents, if any) is released. */
static void block_delete(uint32_t i);
/* The entry of the block containing p, one past its end included; 0 if none. */
static uint32_t block_containing(const char *p);
/* A collection or a restore begins: entries of the previous one are not visited. */
static void new_epoch(void);
/* Restore: the entry of the heap block just allocated at p for the stream. */
MSR_HOOK uint32_t heap_block_entry(void *p);
/* Restore: the header announces `nblocks` blocks; make room for their entries at once. */
MSR_HOOK void reserve_entries(uint32_t nblocks);
/* Resume from the own stream: release every program heap block (reachable ones return). */
MSR_HOOK void release_heap_blocks(void);
/* A staged block (a deeper frame's, decoded before the frame exists) is not addressable
 * until block_move gives it its address, when the frame registers it. */
MSR_HOOK void block_hide(uint32_t i);
MSR_HOOK void block_move(uint32_t i, char *address);

/* ---- shared by both implementations (msr.c) ---- */

/* A fresh entry (from the free list or the end of the table) describing the block. */
static inline uint32_t entry_new(void *addr, int32_t type, uint32_t count, uint32_t size, uint32_t seg);
/* Back to the free list, with the copy of the block's contents if it had one. */
static inline void entry_release(uint32_t i);
/* Live entries of the table in address order, for binary search (sorted, nsorted). */
static uint32_t *sorted;
static uint32_t nsorted;
static uint32_t sorted_epoch;
static void sort_blocks(void);

#endif
