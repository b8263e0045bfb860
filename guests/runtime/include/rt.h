/* Guest runtime interface beyond the C library subset: hypercalls to the host and the
 * typed allocator that the migration runtime builds on. */
#ifndef RT_RT_H
#define RT_RT_H
#include <stddef.h>
#include "mcl_predefined.h" /* the names generated units give the predefined type macros */

#include "mig_protocol.h" /* the hypercall numbers (HC_*) the host dispatches on */

long rt_hypercall(long number, long a0, long a1, long a2);

/* Allocation that records what is allocated: the element type (an index into the
 * program's Type-Information table, -1 for untyped bytes) and the element count. They
 * live in the block's header, where the migration runtime finds them: registering a heap
 * block costs a few stores, and no table is touched until a migration happens. */
void *rt_alloc_typed(int type_id, size_t count, size_t element_size);
void *rt_zalloc_typed(int type_id, size_t count, size_t element_size); /* zeroed, as calloc */
void rt_free_typed(void *pointer);

struct rt_block_header {
    unsigned int size;  /* payload bytes, a multiple of 8 */
    unsigned int check; /* RT_USED or RT_FREE xor the payload address: marks a block start */
    int type;           /* element type; -1 untyped bytes; RT_TYPE_INTERNAL the runtime's own */
    unsigned int count; /* elements */
    unsigned int epoch; /* migration runtime: the collection or restore 'entry' belongs to */
    unsigned int entry; /* migration runtime: the block's lookup-table entry in that epoch */
};
#define RT_USED 0xA110C8EDu
#define RT_FREE 0xF4EEB10Cu
#define RT_TYPE_INTERNAL (-2)
/* The heap's first header and the end of the carved part: walking headers from the one to
 * the other visits every block, used or free, in address order (modern allocator). */
void rt_heap_bounds(char **first, char **end);
/* The classic allocator (MIG_RUNTIME_CLASSIC) reports every allocation and release instead; the
 * classic migration runtime keeps the blocks in its own table. */
void rt_on_alloc(void *pointer, int type_id, size_t count, size_t element_size);
void rt_on_free(void *pointer);

void rt_flush(void);
void rt_panic(const char *message);
#endif
