/* The classic allocator (runtime_design.h, --runtime classic): Unix malloc of the original
 * system's era. Included by rt_alloc.c.
 *
 * As in Kernighan & Ritchie (1988, section 8.7): a circular, address-ordered free list of
 * blocks with headers; allocation is first fit, carving from the tail of the block that
 * fits; free coalesces with both neighbours; the heap grows in chunks of at least 8 KiB
 * from the host's region (sbrk). Every typed allocation is reported to the migration
 * runtime, whose lookup table is where the block's type and count live. */
#include "rt.h"
union kr_header {
    struct {
        union kr_header *next; /* next free block (free blocks only) */
        unsigned size;         /* in header units, header included */
    } s;
    double align; /* 8-byte units: SPARC doubles */
};

#define KR_UNIT sizeof(union kr_header)
#define KR_CHUNK 1024 /* units: 8 KiB */

static union kr_header kr_base;
static union kr_header *kr_freep;
static char *heap_first, *heap_next, *heap_end;

__attribute__((weak)) void rt_on_alloc(void *pointer, int type_id, size_t count, size_t element_size)
{
    (void)pointer, (void)type_id, (void)count, (void)element_size;
}

__attribute__((weak)) void rt_on_free(void *pointer) { (void)pointer; }

static void kr_free(void *ap);

static union kr_header *kr_morecore(unsigned units)
{
    union kr_header *up;
    if (heap_next == NULL) {
        heap_first = heap_next = (char *)rt_hypercall(HC_HEAP_BASE, 0, 0, 0);
        heap_end = heap_next + rt_hypercall(HC_HEAP_SIZE, 0, 0, 0);
    }
    if (units < KR_CHUNK)
        units = KR_CHUNK;
    if ((size_t)(heap_end - heap_next) < units * KR_UNIT)
        return NULL;
    up = (union kr_header *)heap_next;
    heap_next += units * KR_UNIT;
    up->s.size = units;
    kr_free(up + 1);
    return kr_freep;
}

static void *kr_malloc(size_t nbytes)
{
    union kr_header *p, *prevp;
    unsigned units = (unsigned)((nbytes + KR_UNIT - 1) / KR_UNIT + 1);
    if ((prevp = kr_freep) == NULL) { /* no free list yet */
        kr_base.s.next = kr_freep = prevp = &kr_base;
        kr_base.s.size = 0;
    }
    for (p = prevp->s.next;; prevp = p, p = p->s.next) {
        if (p->s.size >= units) {
            if (p->s.size == units) {
                prevp->s.next = p->s.next;
            } else { /* allocate the tail end */
                p->s.size -= units;
                p += p->s.size;
                p->s.size = units;
            }
            kr_freep = prevp;
            return p + 1;
        }
        if (p == kr_freep && (p = kr_morecore(units)) == NULL)
            rt_panic("out of memory: the guest heap is exhausted");
    }
}

static void kr_free(void *ap)
{
    union kr_header *bp = (union kr_header *)ap - 1, *p;
    for (p = kr_freep; !(bp > p && bp < p->s.next); p = p->s.next)
        if (p >= p->s.next && (bp > p || bp < p->s.next))
            break; /* freed block at the start or end of the arena */
    if (bp + bp->s.size == p->s.next) { /* join the upper neighbour */
        bp->s.size += p->s.next->s.size;
        bp->s.next = p->s.next->s.next;
    } else {
        bp->s.next = p->s.next;
    }
    if (p + p->s.size == bp) { /* join the lower neighbour */
        p->s.size += bp->s.size;
        p->s.next = bp->s.next;
    } else {
        p->s.next = bp;
    }
    kr_freep = p;
}

void *rt_alloc_typed(int type_id, size_t count, size_t element_size)
{
    void *p;
    if (element_size && count > (size_t)-1 / element_size)
        rt_panic("allocation size overflows");
    p = kr_malloc(count * element_size);
    rt_on_alloc(p, type_id, count, element_size);
    return p;
}

void rt_free_typed(void *pointer)
{
    if (pointer == NULL)
        return;
    rt_on_free(pointer);
    kr_free(pointer);
}

void rt_heap_bounds(char **first, char **end)
{
    *first = heap_first;
    *end = heap_next;
}

