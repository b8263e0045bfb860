/* Mlibpvm's task state and the calls that own it: the message buffers (the active send
 * buffer with what is packed so far, received messages not yet unpacked, the read
 * position in each), the cached tid, the options and pvm_errno.
 *
 * In a migratable build (MpPVM, docs/mppvm.md) this file is precompiled together with
 * the program (testbed/cluster/mppvm_build.py): its globals and its typed heap blocks are
 * then described by the program's Type-Information table and travel in the stream in the
 * portable encoding, validated like the program's own data. So everything here is plain
 * typed C: buffer bodies are char arrays allocated as `n * sizeof(char)`, no untyped
 * allocation, no pointer casts. A blocking pvm_recv is a poll-point: the host answers
 * PVM_RECV_POLL when a migration request ends the wait, the task passes the poll-point
 * (and migrates there if asked), then waits again, on whichever host it now runs. */
#include <stdlib.h>
#include <string.h>

#include "pvm_internal.h"

int pvm_errno;
struct pvm_buffer pvm_buffers[PVM_MAX_BUFFERS]; /* a global: the host counts the messages held here */
static int sbuf, rbuf;
static int my_tid;
static int auto_error = 1; /* PvmAutoErr: the real libpvm's default prints failures */
static int route = PvmDontRoute;
static int probed; /* one buffer describes the last probed message, without its body */

struct pvm_buffer *pvm_buffer_of(int bufid)
{
    if (bufid < 1 || bufid > PVM_MAX_BUFFERS || !pvm_buffers[bufid - 1].used)
        return NULL;
    return &pvm_buffers[bufid - 1];
}

int pvm_new_buffer(void)
{
    int i;
    for (i = 0; i < PVM_MAX_BUFFERS; i++) {
        if (!pvm_buffers[i].used) {
            memset(&pvm_buffers[i], 0, sizeof pvm_buffers[i]);
            pvm_buffers[i].used = 1;
            return i + 1;
        }
    }
    return PvmNoMem;
}

int pvm_current_sbuf(void) { return sbuf; }
int pvm_current_rbuf(void) { return rbuf; }
int pvm_auto_error(void) { return auto_error; }

/* Room for `capacity` bytes in b, keeping its contents; 0, or PvmNoMem. */
int pvm_buffer_reserve(struct pvm_buffer *b, int capacity)
{
    char *data = (char *)malloc((capacity > 0 ? capacity : 1) * sizeof(char));
    if (data == NULL)
        return PvmNoMem;
    if (b->length)
        memcpy(data, b->data, b->length);
    free(b->data);
    b->data = data;
    b->capacity = capacity;
    return 0;
}

int pvm_mkbuf(int encoding)
{
    int id;
    if (encoding != PvmDataDefault && encoding != PvmDataRaw && encoding != PvmDataInPlace)
        return pvm_fail("pvm_mkbuf", PvmBadParam);
    id = pvm_new_buffer();
    return id < 0 ? pvm_fail("pvm_mkbuf", id) : id;
}

int pvm_freebuf(int bufid)
{
    struct pvm_buffer *b = pvm_buffer_of(bufid);
    if (b == NULL)
        return pvm_fail("pvm_freebuf", bufid < 0 ? PvmBadParam : PvmNoSuchBuf);
    free(b->data);
    b->data = NULL;
    b->used = 0;
    if (bufid == sbuf)
        sbuf = 0;
    if (bufid == rbuf)
        rbuf = 0;
    return PvmOk;
}

int pvm_initsend(int encoding)
{
    int id = pvm_mkbuf(encoding);
    if (id < 0)
        return id;
    if (sbuf)
        pvm_freebuf(sbuf);
    sbuf = id;
    return id;
}

int pvm_getsbuf(void) { return sbuf; }
int pvm_getrbuf(void) { return rbuf; }

int pvm_setsbuf(int bufid)
{
    int old = sbuf;
    if (bufid && pvm_buffer_of(bufid) == NULL)
        return pvm_fail("pvm_setsbuf", PvmNoSuchBuf);
    sbuf = bufid;
    return old;
}

int pvm_setrbuf(int bufid)
{
    int old = rbuf;
    if (bufid && pvm_buffer_of(bufid) == NULL)
        return pvm_fail("pvm_setrbuf", PvmNoSuchBuf);
    rbuf = bufid;
    return old;
}

/* The host has matched a message (HC_PVM_RECV/NRECV/TRECV): it becomes the new active
 * receive buffer, the previous one is freed (as pvm_recv does in the real libpvm). */
int pvm_receive_into_new_buffer(void)
{
    struct pvm_msginfo_args info;
    struct pvm_buffer *b;
    int id = pvm_new_buffer();
    if (id < 0)
        return id;
    b = pvm_buffer_of(id);
    rt_hypercall(HC_PVM_MSGINFO, (long)&info, 0, 0);
    b->source = info.source;
    b->tag = info.tag;
    if (pvm_buffer_reserve(b, (int)info.length) < 0) {
        b->used = 0;
        return PvmNoMem;
    }
    b->length = info.length;
    rt_hypercall(HC_PVM_FETCH, (long)b->data, b->length, 0);
    if (rbuf)
        pvm_freebuf(rbuf);
    rbuf = id;
    return id;
}

int pvm_bufinfo(int bufid, int *bytes, int *msgtag, int *tid)
{
    struct pvm_buffer *b = pvm_buffer_of(bufid);
    if (b == NULL)
        return pvm_fail("pvm_bufinfo", bufid <= 0 ? PvmBadParam : PvmNoSuchBuf);
    if (bytes)
        *bytes = b->length;
    if (msgtag)
        *msgtag = b->tag;
    if (tid)
        *tid = b->source;
    return PvmOk;
}

int pvm_mytid(void)
{
    if (!my_tid)
        my_tid = (int)rt_hypercall(HC_PVM_MYTID, 0, 0, 0);
    return my_tid;
}

int pvm_setopt(int what, int value)
{
    int old;
    switch (what) {
    case PvmRoute:
        if (value < PvmDontRoute || value > PvmRouteDirect)
            return pvm_fail("pvm_setopt", PvmBadParam);
        old = route;
        route = value;
        rt_hypercall(HC_PVM_SETOPT, what, value, 0);
        return old;
    case PvmAutoErr:
        old = auto_error;
        auto_error = value;
        return old;
    default:
        return pvm_fail("pvm_setopt", PvmBadParam);
    }
}

int pvm_getopt(int what)
{
    switch (what) {
    case PvmRoute:
        return route;
    case PvmAutoErr:
        return auto_error;
    default:
        return pvm_fail("pvm_getopt", PvmBadParam);
    }
}

/* A blocking receive, and the task's poll-point while it waits: every pass asks the host
 * for a matching message; PVM_RECV_POLL means "a migration request is pending: pass your
 * poll-point first" (where a migratable build unwinds, collects and, on the destination,
 * rewinds to ask again). */
int pvm_recv(int tid, int tag)
{
    int cc = PVM_RECV_POLL;
    rt_flush();
    while (cc == PVM_RECV_POLL) {
#ifdef __MCL__
#pragma mcl poll
#endif
        cc = (int)rt_hypercall(HC_PVM_RECV, tid, tag, 0);
    }
    return pvm_received("pvm_recv", cc);
}

int pvm_probe(int tid, int tag)
{
    struct pvm_msginfo_args info;
    struct pvm_buffer *b;
    int cc = (int)rt_hypercall(HC_PVM_PROBE, tid, tag, 0);
    if (cc <= 0)
        return cc < 0 ? pvm_fail("pvm_probe", cc) : 0;
    if (pvm_buffer_of(probed) == NULL) {
        probed = pvm_new_buffer();
        if (probed < 0)
            return pvm_fail("pvm_probe", probed);
    }
    b = pvm_buffer_of(probed);
    rt_hypercall(HC_PVM_MSGINFO, (long)&info, 0, 0);
    b->length = info.length;
    b->source = info.source;
    b->tag = info.tag;
    return probed;
}
