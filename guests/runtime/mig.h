/* Migration runtime interface (MSR / MSRLT / Type-Information), used by the code the MCL
 * precompiler generates and by the generated Type-Information (TI) tables.
 *
 * Design (docs/stream-format.md has the byte layout):
 * - Every block that can hold migratable data is registered in the MSR Lookup Table:
 *   globals at start-up, address-taken locals on function entry, heap blocks through the
 *   typed allocator. A block has a type (index into mig_types), an element count, a
 *   segment and, during collection, a logical id.
 * - Collection happens after the call chain has unwound to main: each frame, innermost
 *   first, records its live variables natively (mig_rec_*) and returns; main then encodes
 *   the frames outermost first, following pointers depth-first: a block is written inline
 *   the first time it is reached and referred to by its logical id afterwards.
 * - A pointer travels as (logical block id, leaf ordinal): the ordinal counts primitive
 *   leaves (a pointer is one leaf) from the start of the block, so it survives different
 *   sizes, alignment and padding on the other machine.
 * - Primitives are big-endian, doubles IEEE 754 bit patterns (XDR conventions).
 * All runtime code is placed in the .text.mig section so the testbed can tell migration
 * work from the program's own.
 */
#ifndef MIG_H
#define MIG_H
#include <stddef.h>
#include <stdint.h>

#include "mig_protocol.h"

#define MIG_TEXT __attribute__((section(".text.mig")))

/* ---- Type-Information table (generated per program by testbed/mcl/ti.py) ---- */

/* MIG_IL and MIG_UL are long and unsigned long, and the word-sized typedefs (size_t,
 * ptrdiff_t, intptr_t, uintptr_t): 4 bytes in memory on ILP32, 8 on LP64, always 8 in
 * the stream; a 32-bit destination refuses a value its long cannot hold. */
enum mig_prim {
    MIG_I8 = 1, MIG_U8, MIG_I16, MIG_U16, MIG_I32, MIG_U32, MIG_I64, MIG_U64, MIG_F32, MIG_F64,
    MIG_IL, MIG_UL
};
enum mig_kind { MIG_KIND_PRIM = 1, MIG_KIND_PTR, MIG_KIND_STRUCT, MIG_KIND_ARRAY,
                MIG_KIND_FUNC /* a function pointer: travels as its index in mig_functions */ };

struct mig_field {
    uint32_t offset;     /* byte offset on this machine (offsetof); a bit-field: of its first bit */
    int32_t type;        /* field type (a bit-field: its declared primitive) */
    uint32_t leaf_start; /* leaf ordinal of the field's first leaf within the struct */
    uint32_t bit_offset; /* offset in bits, in this machine's memory order (offset x 8 for others) */
    uint32_t bits;       /* a bit-field's width; 0 for an ordinary field */
};

struct mig_type {
    const char *name;      /* C spelling, for messages */
    uint8_t kind;          /* enum mig_kind */
    uint8_t prim;          /* MIG_KIND_PRIM: enum mig_prim */
    uint8_t has_pointers;  /* 0: a flat type, no pointer anywhere inside */
    uint8_t has_bit_fields; /* STRUCT: some fields are bit-fields: only its save/restore can
                             * read and write them (they travel as values, never as bytes) */
    uint32_t size;         /* sizeof on this machine */
    int32_t target;        /* PTR: pointee type or -1 (void *); ARRAY: element type */
    uint32_t count;        /* ARRAY: element count */
    uint32_t leaves;       /* primitive leaves per object; a pointer is one leaf */
    uint32_t nfields;      /* STRUCT: number of fields */
    const struct mig_field *fields;
    void (*save)(const void *object, uint32_t n);  /* encode n consecutive objects */
    void (*restore)(void *object, uint32_t n);     /* decode n consecutive objects */
};

extern const struct mig_type mig_types[];
/* The program's own functions, sorted by name (generated with the TI, identical on every
 * ISA): a function pointer travels as 1 + its index here, 0 for NULL (VAL_FUNC). */
typedef void (*mig_func_t)(void);
extern const mig_func_t mig_functions[];
extern const uint32_t mig_nfunctions;
extern const uint32_t mig_ntypes;
/* Hash of the portable description of all types (kinds, primitives, counts, field order,
 * never sizes or offsets) and of the program's migration points: equal on every ISA for
 * the same program, different for another program or build of it. */
extern const uint32_t mig_fingerprint;
/* How many of the types are longs (MIG_IL, MIG_UL): 0 leaves a 32-bit destination
 * nothing to range-check. */
extern const uint32_t mig_nword_prims;

/* ---- site table (generated with the TI by testbed/mcl/sitetable.py) ----
 * What a frame record holds at each site, so that a received stream's frames are proved
 * before anything is written: the call chain, and each value's kind and declared type. */

struct mig_site_value {
    uint8_t kind;   /* VAL_* (mig_protocol.h) */
    int32_t type;   /* VAL_PTR: declared pointee type (-1: void *); VAL_OBJ: the object's type */
    uint32_t count; /* a stack block (the first nblocks values): its element count, 0 if it varies */
};

struct mig_site {
    int32_t function, site;
    uint8_t poll;      /* 1: a poll-point (only the innermost frame); 0: a call site */
    int32_t callee;    /* a call site: the function it calls, SITE_CALLEE_INDIRECT through a
                        * pointer (any function of mig_function_frames); -1 for a poll-point */
    uint32_t nblocks;  /* the function's stack blocks: the first values, pointers to themselves */
    uint32_t nvalues;  /* stack blocks, then the live variables in the precompiler's order */
    const struct mig_site_value *values;
};

/* ---- the read-only segment (generated by testbed/mcl/rodata.py) ----
 * String literals and const globals, numbered identically on every ISA: a pointer into
 * one travels as (SEG_RODATA, index, leaf ordinal); the contents never travel. */
struct mig_rodata {
    const void *address;
    int32_t type;   /* element type */
    uint32_t count; /* elements */
};
extern const struct mig_rodata mig_rodata[];
extern const uint32_t mig_nrodata;

extern const struct mig_site mig_sites[];
extern const uint32_t mig_nsites;
/* For each entry of mig_functions, the function id of its frames (-1: it has none). */
extern const int32_t mig_function_frames[];

/* ---- primitive encoders and decoders used by the generated save/restore functions ---- */

void mig_put_i8(int8_t v);
void mig_put_u8(uint8_t v);
void mig_put_i16(int16_t v);
void mig_put_u16(uint16_t v);
void mig_put_i32(int32_t v);
void mig_put_u32(uint32_t v);
void mig_put_i64(int64_t v);
void mig_put_u64(uint64_t v);
void mig_put_f32(float v);
void mig_put_f64(double v);
void mig_put_il(long v);
void mig_put_ul(unsigned long v);
int8_t mig_get_i8(void);
uint8_t mig_get_u8(void);
int16_t mig_get_i16(void);
uint16_t mig_get_u16(void);
int32_t mig_get_i32(void);
uint32_t mig_get_u32(void);
int64_t mig_get_i64(void);
uint64_t mig_get_u64(void);
float mig_get_f32(void);
double mig_get_f64(void);
long mig_get_il(void);          /* the validator has proved that the value fits */
unsigned long mig_get_ul(void);

/* Arrays of one primitive: `n` elements starting at `p` (flat blocks go through these). */
void mig_put_array(const void *p, int prim, uint32_t n);
void mig_get_array(void *p, int prim, uint32_t n);

/* A pointer field or variable; `type` is the declared pointee type (-1 for void *).
 * Restore through mig_restore_ptr_at, which is told where the pointer is stored: a pointer
 * into a stack block of a frame not yet re-entered is fixed up there later. */
void mig_save_ptr(const void *p, int32_t type);
/* A function pointer field, element or variable: one that names no function of the
 * table (a runtime function, a cast integer) refuses the collection. */
void mig_put_func(mig_func_t f);
mig_func_t mig_get_func(void);
void mig_restore_ptr_at(void **slot, int32_t type);
void *mig_restore_ptr(int32_t type);

/* ---- MSRLT registration ---- */

void mig_register_global(void *address, int32_t type, uint32_t count);
/* Stack blocks of the current frame, in declaration order, on function entry; released
 * together on exit (LIFO). */
void mig_register_stack(void *address, int32_t type, uint32_t count);
void mig_release_stack(uint32_t nblocks);

/* ---- execution state ---- */

/* The control block (mig_protocol.h): the host's requests and the runtime's reports.
 * On MIPS it is small data, addressed from $gp in one instruction like any small global
 * (-G 8 would leave a 24-byte object out); SPARC has no such addressing. */
#if defined(__mips__)
#define MIG_SMALL_DATA __attribute__((section(".sdata")))
#else
#define MIG_SMALL_DATA
#endif
extern struct mig_control mig_control MIG_SMALL_DATA;

/* Poll check: to migrate at the K-th poll-point passage from now, the host raises the flag
 * and sets the countdown to K. With no request pending a poll is one load and a branch;
 * armed, it also counts down. No trap, no call per poll. */
#define MIG_POLL() (mig_control.flag && --mig_control.countdown == 0)

#define MIG_NORMAL 0
#define MIG_UNWINDING 1 /* frames are recording themselves and returning to main */
#define MIG_REWINDING 2 /* frames are being re-entered from restored records */
extern int mig_mode;

/* Unwinding: the innermost frame calls mig_unwind_begin, then every frame (innermost
 * first) records its function id, its site id and its live variables, and returns. */
void mig_unwind_begin(void);
void mig_frame_push(int32_t function, int32_t site);
void mig_rec_i32(int32_t v);
void mig_rec_u32(uint32_t v);
void mig_rec_i64(int64_t v);
void mig_rec_f64(double v);
void mig_rec_f32(float v);
void mig_rec_ptr(const void *p, int32_t type);
void mig_rec_obj(const void *p, int32_t type, uint32_t count); /* a struct or array variable */
void mig_rec_func(mig_func_t f);

/* In main, after unwinding: encode, hand the stream to the host. Returns 1 when main must
 * resume from the stream (the transfer failed, or a round-trip check), 0 to exit. */
int mig_collect(void);

/* Restoring: main calls mig_start() first thing; it returns 1 if this process restores
 * from a stream (then mig_mode is MIG_REWINDING). Each frame then pops its record
 * (outermost first), restores its variables and re-enters its recorded site. */
int mig_start(void);
int32_t mig_frame_pop(int32_t function);
int32_t mig_ld_i32(void);
uint32_t mig_ld_u32(void);
int64_t mig_ld_i64(void);
double mig_ld_f64(void);
float mig_ld_f32(void);
void *mig_ld_ptr(void);
mig_func_t mig_ld_func(void);
void mig_ld_obj(void *p, int32_t type, uint32_t count);
/* A call through a pointer while rewinding: before it, the pointer must name the next
 * frame's function; after it returns, that function must have taken its frame. */
void mig_indirect_callee(mig_func_t f);
void mig_indirect_returned(void);
/* The innermost frame has restored itself: execution continues normally. */
void mig_rewind_done(void);

#endif
