/* The guest heap: the C library's allocation functions over the typed allocator of the
 * selected runtime design (runtime_design.h): rt_alloc_modern.c by default,
 * rt_alloc_classic.c for --runtime classic. One translation unit with it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "runtime_design.h"

#include RT_ALLOCATOR

void *malloc(size_t size) { return rt_alloc_typed(-1, size, 1); }

void *rt_zalloc_typed(int type_id, size_t count, size_t element_size)
{
    void *p = rt_alloc_typed(type_id, count, element_size);
    memset(p, 0, count * element_size);
    return p;
}

void *calloc(size_t count, size_t size) { return rt_zalloc_typed(-1, count, size); }

void free(void *pointer) { rt_free_typed(pointer); }
