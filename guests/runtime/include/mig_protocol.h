/* The one definition of the guest<->host protocol and of the migration stream's framing.
 *
 * Everything the guest runtime and the host must agree on is defined here and nowhere
 * else: hypercall numbers, migration events, error codes, stream tags, value kinds, block
 * segments, ISA codes and the stream header's layout. The host reads this file
 * (testbed/protocol.py parses the #defines below by prefix), so a constant added here is
 * known on both sides; tests/test_protocol.py checks that no other copy exists.
 *
 * Keep every constant a plain `#define PREFIX_NAME <integer>` on one line: that is the
 * form testbed/protocol.py reads. docs/stream-format.md explains the stream byte by byte.
 */
#ifndef MIG_PROTOCOL_H
#define MIG_PROTOCOL_H
#include <stdint.h>

/* ---- hypercalls (guest -> host): number, then up to three word arguments ---- */
#define HC_EXIT 1         /* (status): the program ended */
#define HC_WRITE 2        /* (fd, buffer, length): output */
#define HC_HEAP_BASE 3    /* -> guest address of the heap */
#define HC_HEAP_SIZE 4    /* -> heap bytes */
#define HC_PANIC 5        /* (message, length): the runtime gave up */
#define HC_TIME 7         /* -> whole simulated seconds since the start (time.h) */
#define HC_CLOCK 8        /* -> simulated processor time in microseconds (clock()) */
#define HC_MIG_START 16   /* -> stream length to restore from, 0 for a normal start */
#define HC_MIG_READ 17    /* (buffer, length): the host copies the stream in */
#define HC_MIG_STREAM 18  /* (buffer, length): collection done -> 1 resume, 0 exit */
#define HC_MIG_ERROR 19   /* (message, length, code): the stream was refused */
#define HC_MIG_EVENT 20   /* (event): phase boundaries, for the host's clocks */

/* ---- PVM hypercalls (Mlibpvm -> the host's Mpd; docs/cluster.md). Results are PVM's own
 * (a tid, a count, PvmOk or a negative PVM error code, values as in pvm3.h). Calls with
 * more than three arguments pass one pointer to an argument block (PVMARG_* below).
 * Message bodies are opaque XDR bytes to the host.
 * Numbered from 64, clear of the runtime's and of tests' custom numbers. ---- */
#define HC_PVM_MYTID 64    /* -> this task's tid */
#define HC_PVM_PARENT 65   /* -> the spawner's tid, or PvmNoParent */
#define HC_PVM_EXIT 66     /* leave PVM (the program may go on computing) */
#define HC_PVM_SPAWN 67    /* (block: name, argv, flag, where, ntask, tids) -> tasks started */
#define HC_PVM_CONFIG 68   /* (index, buffer, capacity) -> hosts; "NAME\0ARCH\0" of host index */
#define HC_PVM_KILL 69     /* (tid) -> PvmOk or PvmNoTask */
#define HC_PVM_SEND 70     /* (block: body, length, tid, tag) -> PvmOk: asynchronous */
#define HC_PVM_MCAST 71    /* (block: body, length, tids, ntask, tag) -> PvmOk */
#define HC_PVM_RECV 72     /* (tid, tag): blocks in simulated time -> 1 matched, PVM_RECV_POLL, or error */
#define HC_PVM_TRECV 73    /* (tid, tag, timeout in us, -1 none) -> 1 matched, 0 timed out */
#define HC_PVM_NRECV 74    /* (tid, tag) -> 1 matched, 0 none: never blocks */
#define HC_PVM_PROBE 75    /* (tid, tag) -> 1 one has arrived, 0 none: consumes nothing */
#define HC_PVM_MSGINFO 76  /* (block: length, source tid, tag) of the matched/probed message */
#define HC_PVM_FETCH 77    /* (buffer, capacity): copy the matched message's body, consume it */
#define HC_PVM_SETOPT 78   /* (what, value) -> the old value (PvmRoute) */
#define HC_PVM_HOSTNAME 79 /* (buffer, capacity) -> length: this task's host name */
#define HC_PVM_GROUP 80    /* (op, group name, argument) -> result: the PVM_GROUP_* ops below */
#define HC_PVM_BARRIER 81  /* (group name, count): blocks until count members have called it */

/* HC_PVM_RECV's answer when a migration request ended the wait (MpPVM, docs/mppvm.md):
 * pass the poll-point, then ask again. */
#define PVM_RECV_POLL 2

/* ---- the PVM argument blocks: field PVMARG_<CALL>_<FIELD> is `long` number <value> of
 * the block, PVMARG_<CALL>_WORDS longs in all. A `long` is the guest's word, as wide as a
 * pointer (4 bytes on ILP32, 8 on LP64) and in its byte order; ints are sign-extended,
 * pointers and lengths are below 2 GiB. Mlibpvm's structs (pvm_internal.h) are checked
 * against these at compile time, the host's reader (testbed/cluster/pvmargs.py) is built
 * from them. Arrays the blocks point to are the C API's own: tids are 4-byte ints, argv
 * a NULL-terminated array of pointers. ---- */
#define PVMARG_SEND_BODY 0
#define PVMARG_SEND_LENGTH 1
#define PVMARG_SEND_TID 2
#define PVMARG_SEND_TAG 3
#define PVMARG_SEND_WORDS 4
#define PVMARG_MCAST_BODY 0
#define PVMARG_MCAST_LENGTH 1
#define PVMARG_MCAST_TIDS 2
#define PVMARG_MCAST_NTASK 3
#define PVMARG_MCAST_TAG 4
#define PVMARG_MCAST_WORDS 5
#define PVMARG_SPAWN_NAME 0
#define PVMARG_SPAWN_ARGV 1
#define PVMARG_SPAWN_FLAG 2
#define PVMARG_SPAWN_WHERE 3
#define PVMARG_SPAWN_NTASK 4
#define PVMARG_SPAWN_TIDS 5
#define PVMARG_SPAWN_WORDS 6
#define PVMARG_MSGINFO_LENGTH 0 /* written by the host */
#define PVMARG_MSGINFO_SOURCE 1
#define PVMARG_MSGINFO_TAG 2
#define PVMARG_MSGINFO_WORDS 3

/* ---- Mlibpvm's message buffers, which the host reads to count the messages a task holds
 * (`pvm_buffers`, pvm_internal.h): every field one guest word, field PVMBUF_<FIELD> at
 * word <value>, PVMBUF_WORDS words a buffer. ---- */
#define PVMBUF_USED 0
#define PVMBUF_DATA 1
#define PVMBUF_LENGTH 2
#define PVMBUF_CAPACITY 3
#define PVMBUF_POSITION 4
#define PVMBUF_SOURCE 5
#define PVMBUF_TAG 6
#define PVMBUF_WORDS 7
/* Mlibpvm's buffers: `struct pvm_buffer pvm_buffers[PVM_BUFFER_COUNT]`. */
#define PVM_BUFFER_COUNT 64

/* ---- operations of HC_PVM_GROUP (the host's group server) ---- */
#define PVM_GROUP_JOIN 1   /* -> this task's instance number */
#define PVM_GROUP_LEAVE 2  /* -> PvmOk */
#define PVM_GROUP_SIZE 3   /* -> members */
#define PVM_GROUP_TID 4    /* (instance) -> its tid */
#define PVM_GROUP_INST 5   /* (tid) -> its instance */

/* ---- migration events reported with HC_MIG_EVENT ---- */
#define EV_UNWIND_BEGIN 1
#define EV_COLLECT_BEGIN 2
#define EV_COLLECT_END 3
#define EV_RESTORE_BEGIN 4
#define EV_DECODE_END 5
#define EV_RESTORE_END 6

/* ---- error codes reported with HC_MIG_ERROR ---- */
#define ERR_MAGIC 1
#define ERR_VERSION 2
#define ERR_FINGERPRINT 3
#define ERR_TRUNCATED 4
#define ERR_CRC 5
#define ERR_BLOCK_ID 6
#define ERR_OFFSET 7
#define ERR_TYPE 8
#define ERR_FORMAT 9
#define ERR_COLLECT 10
#define ERR_BINDING 11   /* the stream belongs to another migration */
#define ERR_RANGE 12     /* a long, size_t or pointer-sized integer does not fit the destination's width */

/* ---- stream framing ---- */
#define STREAM_MAGIC 0x4d53521a /* "MSR\x1a" */
#define STREAM_VERSION 2 /* 2: the header carries the migration's binding (was reserved) */
#define STREAM_END_MARKER 0xEE
#define STREAM_TRAILER_SIZE 4   /* CRC-32 (zlib's), big-endian */

/* Header: big-endian fields at these byte offsets and sizes. */
#define HDR_MAGIC_OFFSET 0
#define HDR_MAGIC_SIZE 4
#define HDR_VERSION_OFFSET 4
#define HDR_VERSION_SIZE 2
#define HDR_FLAGS_OFFSET 6
#define HDR_FLAGS_SIZE 2
#define HDR_ISA_OFFSET 8
#define HDR_ISA_SIZE 4
#define HDR_FINGERPRINT_OFFSET 12
#define HDR_FINGERPRINT_SIZE 4
#define HDR_PAYLOAD_OFFSET 16
#define HDR_PAYLOAD_SIZE 4
#define HDR_FRAMES_OFFSET 20
#define HDR_FRAMES_SIZE 4
#define HDR_BLOCKS_OFFSET 24
#define HDR_BLOCKS_SIZE 4
#define HDR_BINDING_OFFSET 28 /* the migration this stream belongs to (0: none named) */
#define HDR_BINDING_SIZE 4
#define HDR_SIZE 32

/* ---- pointer tags ---- */
#define TAG_NULL 0
#define TAG_REF 1
#define TAG_NEW 2

/* ---- the classic runtime's encoding: XDR units of four bytes (docs/stream-format.md) ---- */
#define STREAM_FLAG_XDR 1              /* header flags: the payload is in XDR units */
#define XDR_PTR_NULL 0xFFFFFFFF        /* pointer word: NULL */
#define XDR_PTR_NEW 0x80000000         /* pointer word: a block seen the first time ... */
#define XDR_PTR_SEG_SHIFT 28           /* ... its segment in bits 28-30 (SEG_RODATA is 4) ... */
#define XDR_PTR_SEG_MASK 7
#define XDR_PTR_TYPE_MASK 0x0FFFFFFF   /* ... and its type id + 1 below; else a block id */

/* ---- kinds of frame values ---- */
#define VAL_I32 1
#define VAL_U32 2
#define VAL_I64 3
#define VAL_F64 4
#define VAL_F32 5
#define VAL_PTR 6
#define VAL_OBJ 7
#define VAL_FUNC 8 /* a function pointer: uint32, 0 NULL, else 1 + its index in the program's function table */

/* ---- the site table (struct mig_site in mig.h) ---- */
#define SITE_CALLEE_INDIRECT 0x7fffffff /* a call site's callee: through a pointer, any function of the table */

/* ---- block segments ---- */
#define SEG_GLOBAL 1
#define SEG_STACK 2
#define SEG_HEAP 3
#define SEG_RODATA 4 /* read-only data both sides have (locator: its index); its contents never travel */

/* ---- source ISA codes in the header ---- */
#define ISA_MIPSEL 1
#define ISA_SPARC 2
#define ISA_HOST 3
#define ISA_MIPS 4  /* big-endian MIPS I (SGI) */
#define ISA_PPC32 5 /* 32-bit big-endian PowerPC */
#define ISA_AARCH64 6 /* 64-bit little-endian ARMv8-A, LP64 */
#define ISA_RISCV64 7 /* RV64GC, LP64D */
#define ISA_X86_64 8  /* x86-64 System V, LP64 */
#define ISA_MIPS64 9  /* big-endian MIPS64, n64 ABI */

/* ---- the control block: everything the host pokes or reads in a guest by name ----
 *
 * One object, `struct mig_control mig_control`, defined by the runtime (mig_frames.c) and
 * accessed by the host only through testbed/migration/control.py, at these offsets (words
 * in the guest's byte order). Polls read `flag` first: it leads the block so that it is the
 * block's address, and on MIPS the block lives in small data (gp-relative, one load). */
#define CTL_FLAG_OFFSET 0          /* int32: nonzero while a migration is requested */
#define CTL_COUNTDOWN_OFFSET 4     /* int32: poll-point passages left until it fires */
#define CTL_ITEMS_OFFSET 8         /* uint32: items the last collection encoded (classic) */
#define CTL_ERR_FUNCTION_OFFSET 12 /* int32: function id being encoded when collection failed */
#define CTL_ERR_SITE_OFFSET 16     /* int32: its site id; -1 with the function: the globals */
#define CTL_ERR_VALUE_OFFSET 20    /* int32: index of the frame value being encoded */
#define CTL_BINDING_OFFSET 24      /* uint32: the migration this process takes part in (0: none) */
#define CTL_SIZE 28
/* The countdown's resting value: 2^31 - 1 passages, which no run reaches. */
#define CTL_COUNTDOWN_NEVER 0x7fffffff

struct mig_control {
    volatile int32_t flag;
    volatile int32_t countdown;
    volatile uint32_t items;
    volatile int32_t err_function, err_site, err_value;
    /* Set by the host: a source writes it into the header of the streams it collects, a
     * destination refuses a stream that carries another (docs/stream-format.md, Binding). */
    volatile uint32_t binding;
};

#endif
