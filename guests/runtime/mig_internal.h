/* What the files of the migration runtime share (see mig.c for how they fit together).
 *
 * The runtime is one translation unit: mig.c includes the files by concern, so their
 * internal functions stay static and are inlined across files exactly as when they were
 * one file. This header holds the few declarations needed before their definitions.
 */
#ifndef MIG_INTERNAL_H
#define MIG_INTERNAL_H
#include <stdint.h>
#include <string.h>

#include "mig.h"
#include "mig_protocol.h"
#include "rt.h"
#include "runtime_design.h"

/* What an unwinding frame left behind: one live variable. */
struct value {
    uint8_t kind; /* VAL_* */
    int32_t type;
    uint32_t count;
    union {
        int32_t i32;
        uint32_t u32;
        int64_t i64;
        double f64;
        float f32;
        const void *ptr;
        mig_func_t func;
        void *obj; /* a private copy of a struct or array variable */
    } v;
};

/* One unwound frame: its function, its re-entry site, and its values. */
struct frame {
    int32_t function, site;
    uint32_t first, n; /* values[first .. first + n) */
};

/* The runtime's own counters, published in the control block (mig_control, defined in
 * mig_frames.c) when the host is told to look: the items of a collection when it hands
 * over its stream, where collection was when it fails (mig_fail). Private and volatile,
 * they compile exactly as the one-file runtime's did (the classic transcripts pin its
 * instruction counts; a field of the block costs SPARC one more instruction per access). */
static volatile uint32_t mig_items; /* ITEM(): the classic runtime's write() calls */
static volatile int32_t collect_function, collect_site, collect_value; /* mig_encode.c */

/* mig_buf.c: the runtime's own memory (typed RT_TYPE_INTERNAL, never a program block) */
static int mig_internal; /* set while the runtime frees its own memory */
static void *mig_alloc(size_t size);
static void mig_free(void *p);
static void *mig_grow(void *old, size_t old_size, size_t new_size);
/* room for `need` elements of `size` bytes in *array (capacity *cap), at least doubling */
static void reserve(void *array, uint32_t *cap, uint32_t need, uint32_t size, uint32_t first);
/* report a refused stream or a failed collection to the host, which stops the guest */
static void mig_fail(int code, const char *message);

/* The walk over a block's contents, the design's (runtime_design.h: MIG_WALK): encode the
 * block's contents after its header, or decode them into it. */
static inline void save_contents(uint32_t b);
static inline void restore_contents(uint32_t b);

/* mig_decode.c: decode and validate a stream, then rewind (mig_collect resumes with it) */
static int mig_restore_from(const unsigned char *stream, uint32_t length);

#endif
