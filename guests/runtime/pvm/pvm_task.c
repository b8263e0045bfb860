/* Mlibpvm task calls: spawning, configuration, sending and receiving. Each is
 * one hypercall to the host's Mpd (HC_PVM_* in mig_protocol.h; docs/cluster.md); calls
 * with more than three arguments pass a pointer to a block of longs (PVMARG_*). The task
 * state (buffers, tid, options) and the blocking pvm_recv are in pvm_state.c. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm_internal.h"

/* The layouts the host reads, against their one definition in mig_protocol.h: a field
 * moved here or there fails the build, not a run on some other word size. */
#define WORD_AT(type, field, index) _Static_assert(offsetof(type, field) == (index) * sizeof(long), #type "." #field)
_Static_assert(sizeof(long) == sizeof(char *), "a PVM block word holds a pointer");
WORD_AT(struct pvm_send_args, body, PVMARG_SEND_BODY);
WORD_AT(struct pvm_send_args, length, PVMARG_SEND_LENGTH);
WORD_AT(struct pvm_send_args, tid, PVMARG_SEND_TID);
WORD_AT(struct pvm_send_args, tag, PVMARG_SEND_TAG);
_Static_assert(sizeof(struct pvm_send_args) == PVMARG_SEND_WORDS * sizeof(long), "pvm_send_args size");
WORD_AT(struct pvm_mcast_args, body, PVMARG_MCAST_BODY);
WORD_AT(struct pvm_mcast_args, length, PVMARG_MCAST_LENGTH);
WORD_AT(struct pvm_mcast_args, tids, PVMARG_MCAST_TIDS);
WORD_AT(struct pvm_mcast_args, ntask, PVMARG_MCAST_NTASK);
WORD_AT(struct pvm_mcast_args, tag, PVMARG_MCAST_TAG);
_Static_assert(sizeof(struct pvm_mcast_args) == PVMARG_MCAST_WORDS * sizeof(long), "pvm_mcast_args size");
WORD_AT(struct pvm_spawn_args, name, PVMARG_SPAWN_NAME);
WORD_AT(struct pvm_spawn_args, argv, PVMARG_SPAWN_ARGV);
WORD_AT(struct pvm_spawn_args, flag, PVMARG_SPAWN_FLAG);
WORD_AT(struct pvm_spawn_args, where, PVMARG_SPAWN_WHERE);
WORD_AT(struct pvm_spawn_args, ntask, PVMARG_SPAWN_NTASK);
WORD_AT(struct pvm_spawn_args, tids, PVMARG_SPAWN_TIDS);
_Static_assert(sizeof(struct pvm_spawn_args) == PVMARG_SPAWN_WORDS * sizeof(long), "pvm_spawn_args size");
WORD_AT(struct pvm_msginfo_args, length, PVMARG_MSGINFO_LENGTH);
WORD_AT(struct pvm_msginfo_args, source, PVMARG_MSGINFO_SOURCE);
WORD_AT(struct pvm_msginfo_args, tag, PVMARG_MSGINFO_TAG);
_Static_assert(sizeof(struct pvm_msginfo_args) == PVMARG_MSGINFO_WORDS * sizeof(long), "pvm_msginfo_args size");
WORD_AT(struct pvm_buffer, used, PVMBUF_USED);
WORD_AT(struct pvm_buffer, data, PVMBUF_DATA);
WORD_AT(struct pvm_buffer, length, PVMBUF_LENGTH);
WORD_AT(struct pvm_buffer, capacity, PVMBUF_CAPACITY);
WORD_AT(struct pvm_buffer, position, PVMBUF_POSITION);
WORD_AT(struct pvm_buffer, source, PVMBUF_SOURCE);
WORD_AT(struct pvm_buffer, tag, PVMBUF_TAG);
_Static_assert(sizeof(struct pvm_buffer) == PVMBUF_WORDS * sizeof(long), "pvm_buffer size");

int pvm_parent(void)
{
    int parent = (int)rt_hypercall(HC_PVM_PARENT, 0, 0, 0);
    return parent; /* PvmNoParent is an answer, not a failure: the real libpvm prints nothing */
}

int pvm_exit(void)
{
    rt_flush();
    rt_hypercall(HC_PVM_EXIT, 0, 0, 0);
    return PvmOk;
}

int pvm_kill(int tid)
{
    int cc = (int)rt_hypercall(HC_PVM_KILL, tid, 0, 0);
    return cc < 0 ? pvm_fail("pvm_kill", cc) : cc;
}

int pvm_spawn(char *task, char **argv, int flag, char *where, int ntask, int *tids)
{
    struct pvm_spawn_args block;
    int cc;
    if (task == NULL || ntask < 1)
        return pvm_fail("pvm_spawn", PvmBadParam);
    block.name = (long)task;
    block.argv = (long)argv;
    block.flag = flag;
    block.where = (long)where;
    block.ntask = ntask;
    block.tids = (long)tids;
    rt_flush(); /* output so far comes before the children's */
    cc = (int)rt_hypercall(HC_PVM_SPAWN, (long)&block, 0, 0);
    return cc < 0 ? pvm_fail("pvm_spawn", cc) : cc;
}

#define PVM_MAX_HOSTS 64
#define PVM_NAME_SIZE 64

int pvm_config(int *nhost, int *narch, struct pvmhostinfo **hostp)
{
    static struct pvmhostinfo hosts[PVM_MAX_HOSTS];
    static char names[PVM_MAX_HOSTS][PVM_NAME_SIZE];
    int n, i, j, arches = 0;
    n = (int)rt_hypercall(HC_PVM_CONFIG, 0, (long)names[0], PVM_NAME_SIZE);
    if (n > PVM_MAX_HOSTS)
        n = PVM_MAX_HOSTS;
    for (i = 0; i < n; i++) {
        if (i)
            rt_hypercall(HC_PVM_CONFIG, i, (long)names[i], PVM_NAME_SIZE);
        hosts[i].hi_tid = (i + 1) << 18;
        hosts[i].hi_name = names[i];
        hosts[i].hi_arch = names[i] + strlen(names[i]) + 1;
        hosts[i].hi_speed = 1000;
        hosts[i].hi_dsig = 0;
        for (j = 0; j < i && strcmp(hosts[j].hi_arch, hosts[i].hi_arch); j++) {
        }
        arches += j == i;
    }
    if (nhost)
        *nhost = n;
    if (narch)
        *narch = arches;
    if (hostp)
        *hostp = hosts;
    return PvmOk;
}

/* ---- sending ---- */

/* The active send buffer, or NULL after reporting PvmNoBuf. */
static struct pvm_buffer *send_buffer(const char *function, int *error)
{
    struct pvm_buffer *b = pvm_buffer_of(pvm_current_sbuf());
    if (b == NULL)
        *error = pvm_fail(function, PvmNoBuf);
    return b;
}

static int sent(const char *function, long number, void *block)
{
    int cc = (int)rt_hypercall(number, (long)block, 0, 0);
    return cc < 0 ? pvm_fail(function, cc) : PvmOk;
}

int pvm_send(int tid, int tag)
{
    struct pvm_send_args block;
    int error = 0;
    struct pvm_buffer *b = send_buffer("pvm_send", &error);
    if (b == NULL)
        return error;
    block.body = (long)b->data;
    block.length = b->length;
    block.tid = tid;
    block.tag = tag;
    return sent("pvm_send", HC_PVM_SEND, &block);
}

int pvm_mcast(int *tids, int ntask, int tag)
{
    struct pvm_mcast_args block;
    int error = 0;
    struct pvm_buffer *b;
    if (ntask < 0 || tids == NULL)
        return pvm_fail("pvm_mcast", PvmBadParam);
    b = send_buffer("pvm_mcast", &error);
    if (b == NULL)
        return error;
    block.body = (long)b->data;
    block.length = b->length;
    block.tids = (long)tids;
    block.ntask = ntask;
    block.tag = tag;
    return sent("pvm_mcast", HC_PVM_MCAST, &block);
}

/* ---- receiving: the host answers 1 (matched), 0 (nothing) or an error ---- */

int pvm_received(const char *function, int cc)
{
    if (cc < 0)
        return pvm_fail(function, cc);
    if (cc == 0)
        return 0;
    cc = pvm_receive_into_new_buffer();
    return cc < 0 ? pvm_fail(function, cc) : cc;
}

int pvm_nrecv(int tid, int tag)
{
    return pvm_received("pvm_nrecv", (int)rt_hypercall(HC_PVM_NRECV, tid, tag, 0));
}

int pvm_trecv(int tid, int tag, struct timeval *timeout)
{
    long microseconds = -1; /* no timeout: blocks like pvm_recv, but is not a poll-point */
    if (timeout != NULL && (timeout->tv_sec < 0 || timeout->tv_usec < 0))
        return pvm_fail("pvm_trecv", PvmBadParam);
    /* The host takes the timeout as a 32-bit argument on every guest: a longer one waits
     * the longest it can carry (2^31 - 1 us, 35 min) instead of overflowing or, on LP64,
     * being cut to its low half. */
    if (timeout != NULL)
        microseconds = timeout->tv_sec >= 2147 ? 0x7fffffffL
                       : (long)timeout->tv_sec * 1000000L + timeout->tv_usec;
    if (microseconds > 0x7fffffffL)
        microseconds = 0x7fffffffL;
    rt_flush();
    return pvm_received("pvm_trecv", (int)rt_hypercall(HC_PVM_TRECV, tid, tag, microseconds));
}

/* ---- errors ---- */

static const char *const error_texts[] = {
    "Error 0", "Error 1", "Bad parameter", "Count mismatch", "Value too large", "End of buffer",
    "No such host", "No such file", "Permission denied", "Error 9", "Malloc failed", "Error 11",
    "Can't decode message", "Error 13", "Can't contact local daemon", "No current buffer",
    "No such buffer", "Null group name", "Already in group", "No such group", "Not in group",
    "No such instance", "Host failed", "No parent task", "Not implemented", "Pvmd system error",
    "Version mismatch", "Out of resources", "Duplicate host", "Can't start pvmd",
    "Already in progress", "No such task", "Not Found", "Already exists",
    "Hoster run on non-master host", "Spawning parent set PvmNoSpawnParent",
    "Master Host's IP is Loopback",
};

const char *pvm_error_text(int code)
{
    int index = -code;
    if (index < 0 || index >= (int)(sizeof error_texts / sizeof error_texts[0]))
        return "Unknown error";
    return error_texts[index];
}

static void write_error_line(const char *what, const char *text)
{
    char line[160];
    int n = snprintf(line, sizeof line, "libpvm [t%x]: %s: %s\n", pvm_mytid(), what, text);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    rt_flush();
    rt_hypercall(HC_WRITE, 2, (long)line, n);
}

int pvm_fail(const char *function, int code)
{
    pvm_errno = code;
    if (pvm_auto_error()) {
        char what[48];
        snprintf(what, sizeof what, "%s()", function);
        write_error_line(what, pvm_error_text(code));
    }
    return code;
}

int pvm_perror(char *message)
{
    write_error_line(message ? message : "", pvm_error_text(pvm_errno));
    return PvmOk;
}
