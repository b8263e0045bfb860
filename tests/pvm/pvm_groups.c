#include <stdio.h>
#include "pvm3.h"
/* Groups: join with instance numbers, a barrier, a broadcast, leaving. */
#define N 3
int main(void)
{
    int parent = pvm_parent(), tids[N], inst, i, v;
    inst = pvm_joingroup("workers");
    if (parent == PvmNoParent) {
        pvm_spawn("pvm_groups", (char **)0, PvmTaskDefault, "", N, tids);
        pvm_barrier("workers", N + 1);
        printf("master is instance %d of %d; instance 2 is child %d\n", inst, pvm_gsize("workers"),
               pvm_gettid("workers", 2) == tids[1]);
        v = 42;
        pvm_initsend(PvmDataDefault);
        pvm_pkint(&v, 1, 1);
        pvm_bcast("workers", 5);
        for (i = 0; i < N; i++) {
            pvm_recv(-1, 6);
            pvm_upkint(&v, 1, 1);
            printf("got %d\n", v);
        }
        pvm_barrier("workers", -1);
        for (i = 0; i < N; i++)
            pvm_recv(-1, 7); /* each child has left the group */
        printf("after leaving: %d members, joining twice: %d, no group: %d\n", pvm_gsize("workers"),
               pvm_joingroup("workers"), pvm_gsize("nobody"));
        pvm_exit();
        return 0;
    }
    pvm_barrier("workers", N + 1);
    pvm_recv(parent, 5);
    pvm_upkint(&v, 1, 1);
    v = v * 100 + pvm_getinst("workers", pvm_mytid());
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&v, 1, 1);
    pvm_send(parent, 6);
    pvm_barrier("workers", -1);
    pvm_lvgroup("workers");
    pvm_initsend(PvmDataDefault);
    pvm_send(parent, 7);
    pvm_exit();
    return 0;
}
