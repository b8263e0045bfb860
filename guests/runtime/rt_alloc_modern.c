/* The modern allocator (runtime_design.h, the default): segregated fit over the region the
 * host maps. Included by rt_alloc.c.
 *
 * Every block carries a 24-byte header (struct rt_block_header in rt.h): its payload size,
 * an address-keyed check word, and what it holds (type and count) for the migration
 * runtime. Payloads stay 8-byte aligned, as SPARC doubles require. Small sizes (up to
 * 1 KiB) are recycled through exact-size free lists; larger ones first-fit through a list.
 * Blocks are never split or merged, so the headers tile the carved part of the heap.
 *
 * The migration runtime's own blocks (RT_TYPE_INTERNAL) are recycled through lists of
 * their own: a block malloc gives the program was then either never used or freed by the
 * program itself, as on a machine where no migration happened. Shared lists handed the
 * program the buffers a restore had just freed, and one that read memory malloc had not
 * initialised saw the runtime's leftovers (the torture suite's 941014-2.c printed 4096).
 */
#include "rt.h"

#define ALIGN 8u
#define SMALL_LIMIT 1024u
#define NUM_SMALL (SMALL_LIMIT / ALIGN + 1)

#define header rt_block_header

struct free_block {
    struct header h;
    struct free_block *next;
};

#define CHECK(h, state) ((state) ^ (uint32_t)(uintptr_t)((h) + 1))

static char *heap_first, *heap_next, *heap_end;
struct free_lists {
    struct free_block *small[NUM_SMALL];
    struct free_block *large;
};
static struct free_lists program_free, internal_free;

static struct free_lists *free_lists_of(int type_id)
{
    return type_id == RT_TYPE_INTERNAL ? &internal_free : &program_free;
}

static void heap_init(void)
{
    heap_first = heap_next = (char *)rt_hypercall(HC_HEAP_BASE, 0, 0, 0);
    heap_end = heap_next + rt_hypercall(HC_HEAP_SIZE, 0, 0, 0);
}

static void *raw_alloc(size_t size, struct free_lists *lists)
{
    struct header *h;
    struct free_block **link;
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (size == 0)
        size = ALIGN;
    if (size <= SMALL_LIMIT && lists->small[size / ALIGN]) {
        struct free_block *b = lists->small[size / ALIGN];
        lists->small[size / ALIGN] = b->next;
        b->h.check = CHECK(&b->h, RT_USED);
        return (char *)b + sizeof(struct header);
    }
    if (size > SMALL_LIMIT) {
        for (link = &lists->large; *link; link = &(*link)->next) {
            if ((*link)->h.size >= size) {
                struct free_block *b = *link;
                *link = b->next;
                b->h.check = CHECK(&b->h, RT_USED);
                return (char *)b + sizeof(struct header);
            }
        }
    }
    if (heap_next == NULL)
        heap_init();
    if ((size_t)(heap_end - heap_next) < size + sizeof(struct header))
        rt_panic("out of memory: the guest heap is exhausted");
    h = (struct header *)heap_next;
    heap_next += sizeof(struct header) + size;
    h->size = (uint32_t)size;
    h->check = CHECK(h, RT_USED);
    return h + 1;
}

static void raw_free(void *pointer)
{
    struct free_block *b = (struct free_block *)((struct header *)pointer - 1);
    if (b->h.check != CHECK(&b->h, RT_USED))
        rt_panic("free() of a pointer that is not an allocated block");
    struct free_lists *lists = free_lists_of(b->h.type);
    b->h.check = CHECK(&b->h, RT_FREE);
    if (b->h.size <= SMALL_LIMIT) {
        b->next = lists->small[b->h.size / ALIGN];
        lists->small[b->h.size / ALIGN] = b;
    } else {
        b->next = lists->large;
        lists->large = b;
    }
}

void *rt_alloc_typed(int type_id, size_t count, size_t element_size)
{
    void *p;
    struct header *h;
    if (element_size && count > (size_t)-1 / element_size)
        rt_panic("allocation size overflows");
    p = raw_alloc(count * element_size, free_lists_of(type_id));
    h = (struct header *)p - 1;
    h->type = type_id;
    h->count = (uint32_t)(type_id == -1 ? count * element_size : count); /* untyped: bytes */
    h->epoch = 0;
    return p;
}

void rt_free_typed(void *pointer)
{
    if (pointer == NULL)
        return;
    raw_free(pointer);
}

void rt_heap_bounds(char **first, char **end)
{
    *first = heap_first;
    *end = heap_next;
}
