/* Mlibpvm's internals shared by its files (guests/runtime/pvm/). */
#ifndef PVM_INTERNAL_H
#define PVM_INTERNAL_H
#include <stdint.h>

#include "pvm3.h"
#include "rt.h"

/* One message buffer. Buffer ids are index + 1; 0 means none. */
struct pvm_buffer {
    int used;
    char *data;
    int length;   /* bytes packed (send) or received */
    int capacity;
    int position; /* the next byte to unpack */
    int source;   /* tid of the sender (received buffers) */
    int tag;
};

#define PVM_MAX_BUFFERS 64

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
