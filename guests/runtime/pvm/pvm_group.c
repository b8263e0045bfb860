/* Mlibpvm group calls: membership is kept by the host (the group server, HC_PVM_GROUP);
 * pvm_barrier blocks in simulated time (HC_PVM_BARRIER); pvm_bcast is a multicast of the
 * active send buffer to every other member, as in PVM 3.4 (the caller gets no copy). */
#include <stdlib.h>

#include "pvm_internal.h"

static int group_call(const char *function, int op, char *group, int argument)
{
    int cc;
    if (group == NULL || !*group)
        return pvm_fail(function, PvmNullGroup);
    cc = (int)rt_hypercall(HC_PVM_GROUP, op, (long)group, argument);
    return cc < 0 ? pvm_fail(function, cc) : cc;
}

int pvm_joingroup(char *group) { return group_call("pvm_joingroup", PVM_GROUP_JOIN, group, 0); }
int pvm_lvgroup(char *group) { return group_call("pvm_lvgroup", PVM_GROUP_LEAVE, group, 0); }
int pvm_gsize(char *group) { return group_call("pvm_gsize", PVM_GROUP_SIZE, group, 0); }
int pvm_gettid(char *group, int inst) { return group_call("pvm_gettid", PVM_GROUP_TID, group, inst); }
int pvm_getinst(char *group, int tid) { return group_call("pvm_getinst", PVM_GROUP_INST, group, tid); }

int pvm_barrier(char *group, int count)
{
    int cc;
    if (group == NULL || !*group)
        return pvm_fail("pvm_barrier", PvmNullGroup);
    rt_flush();
    cc = (int)rt_hypercall(HC_PVM_BARRIER, (long)group, count, 0);
    return cc < 0 ? pvm_fail("pvm_barrier", cc) : PvmOk;
}

int pvm_bcast(char *group, int msgtag)
{
    int size = pvm_gsize(group), *tids, n = 0, inst, me = pvm_mytid(), cc;
    if (size < 0)
        return size;
    tids = (int *)malloc((size ? size : 1) * sizeof(int));
    if (tids == NULL)
        return pvm_fail("pvm_bcast", PvmNoMem);
    /* instances may have holes after a member left: look up to twice the size */
    for (inst = 0; n < size && inst < 2 * size + 64; inst++) {
        int tid = (int)rt_hypercall(HC_PVM_GROUP, PVM_GROUP_TID, (long)group, inst);
        if (tid > 0 && tid != me)
            tids[n++] = tid;
        else if (tid == me)
            size--;
    }
    cc = n ? pvm_mcast(tids, n, msgtag) : PvmOk;
    free(tids);
    return cc;
}
