/* Guest runtime interface beyond the C library subset: hypercalls to the host and the
 * typed allocator that the migration runtime builds on. */
#ifndef RT_RT_H
#define RT_RT_H
#include <stddef.h>

/* Hypercall numbers: the host (testbed/emu/hypercalls.py) dispatches on these. */
#define RT_HC_EXIT 1
#define RT_HC_WRITE 2
#define RT_HC_HEAP_BASE 3
#define RT_HC_HEAP_SIZE 4
#define RT_HC_PANIC 5
#define RT_HC_MARK 6

long rt_hypercall(long number, long a0, long a1, long a2);

/* Allocation that records what is allocated: the element type (an index into the
 * program's Type-Information table, or -1 when unknown) and the element count. */
void *rt_alloc_typed(int type_id, size_t count, size_t element_size);
void *rt_zalloc_typed(int type_id, size_t count, size_t element_size); /* zeroed, as calloc */
void rt_free_typed(void *pointer);
/* Called by the allocator for every allocation and release; the migration runtime
 * overrides these weak hooks to register heap blocks in its lookup table. */
void rt_on_alloc(void *pointer, int type_id, size_t count, size_t element_size);
void rt_on_free(void *pointer);

void rt_flush(void);
void rt_panic(const char *message);
/* Tell the host a named event happened (used to delimit measured phases). */
void rt_mark(int event);
#endif
