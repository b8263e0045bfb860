/* Mlibpvm's internals shared by its files (guests/runtime/pvm/). */
#ifndef PVM_INTERNAL_H
#define PVM_INTERNAL_H
#include <stdint.h>

#include "mig_protocol.h"
#include "pvm3.h"
#include "rt.h"

/* One message buffer. Buffer ids are index + 1; 0 means none. Every field is one guest
 * word (long or a pointer), so that the host reads it at PVMBUF_* (mig_protocol.h) on
 * ILP32 and LP64 alike; pvm_task.c checks the layout at compile time. */
struct pvm_buffer {
    long used;
    char *data;
    long length;   /* bytes packed (send) or received */
    long capacity;
    long position; /* the next byte to unpack */
    long source;   /* tid of the sender (received buffers) */
    long tag;
};

#define PVM_MAX_BUFFERS PVM_BUFFER_COUNT

/* The argument blocks of the PVM hypercalls with more than three arguments, one `long`
 * a field in the order of PVMARG_* (mig_protocol.h; pvm_task.c checks it). */
struct pvm_send_args {
    long body, length, tid, tag;
};
struct pvm_mcast_args {
    long body, length, tids, ntask, tag;
};
struct pvm_spawn_args {
    long name, argv, flag, where, ntask, tids;
};
struct pvm_msginfo_args { /* filled in by the host */
    long length, source, tag;
};

struct pvm_buffer *pvm_buffer_of(int bufid); /* NULL if bufid names no live buffer */
int pvm_new_buffer(void);                    /* a bufid, or PvmNoMem */
int pvm_receive_into_new_buffer(void);       /* the host's matched message as the rbuf */
int pvm_current_sbuf(void);
int pvm_current_rbuf(void);
int pvm_auto_error(void);                    /* PvmAutoErr */
int pvm_buffer_reserve(struct pvm_buffer *b, int capacity); /* 0, or PvmNoMem */
/* A receive's host answer cc (1 matched, 0 none, < 0 an error) as the PVM result. */
int pvm_received(const char *function, int cc);

/* Report a failed call as the real libpvm does with PvmAutoErr set (the default): one
 * line "libpvm [tTID]: FUNCTION(): TEXT" on standard error; sets pvm_errno; returns code. */
int pvm_fail(const char *function, int code);
const char *pvm_error_text(int code);
#endif
