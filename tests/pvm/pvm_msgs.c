#include <stdio.h>
#include "pvm3.h"
/* Wildcards, FIFO per pair, many-to-one, mcast, nrecv and probe. */
#define NCHILD 3
#define NMSG 5
int main(void)
{
    int parent = pvm_parent(), tids[NCHILD], i, k, v, tag, src, bytes, got[NCHILD], seq[NCHILD][NMSG];
    if (parent == PvmNoParent) {
        pvm_spawn("pvm_msgs", (char **)0, PvmTaskDefault, "", NCHILD, tids);
        printf("nrecv before anything: %d, probe: %d\n", pvm_nrecv(-1, -1), pvm_probe(-1, -1));
        pvm_initsend(PvmDataDefault);
        pvm_pkint(tids, NCHILD, 1);
        pvm_mcast(tids, NCHILD, 99);
        {
            int polls = 0, b;
            struct timeval wait = {0, 20000};
            while ((b = pvm_probe(tids[1], 5)) == 0)
                polls++;
            pvm_bufinfo(b, &bytes, &tag, &src);
            printf("probe(child 1, 5): found after polling, tag %d, %d bytes\n", tag, bytes);
            b = pvm_nrecv(tids[1], 5);
            pvm_upkint(&v, 1, 1);
            printf("nrecv(child 1, 5): %s, value %d\n", b > 0 ? "a buffer" : "nothing", v);
            printf("trecv(child 1, 5, 20 ms): %d\n", pvm_trecv(tids[1], 5, &wait));
        }
        /* a specific tag from anyone, then a specific sender with any tag */
        pvm_bufinfo(pvm_recv(-1, 3), &bytes, &tag, &src);
        pvm_upkint(&v, 1, 1);
        printf("recv(-1, 3): tag %d value %d from child %d\n", tag, v, src == tids[0] ? 0 : src == tids[1] ? 1 : 2);
        pvm_bufinfo(pvm_recv(tids[2], -1), &bytes, &tag, &src);
        pvm_upkint(&v, 1, 1);
        printf("recv(child 2, -1): tag %d value %d, %d bytes\n", tag, v, bytes);
        for (k = 0; k < NCHILD; k++)
            got[k] = 0;
        for (i = 0; i < NCHILD * NMSG - 3; i++) {
            pvm_bufinfo(pvm_recv(-1, -1), &bytes, &tag, &src);
            pvm_upkint(&v, 1, 1);
            for (k = 0; src != tids[k]; k++) {
            }
            seq[k][got[k]++] = v;
        }
        printf("probe after all: %d, nrecv after all: %d\n", pvm_probe(-1, -1), pvm_nrecv(-1, -1));
        for (k = 0; k < NCHILD; k++) {
            printf("child %d:", k);
            for (i = 0; i < got[k]; i++)
                printf(" %d", seq[k][i]);
            printf("\n");
        }
        pvm_exit();
        return 0;
    }
    pvm_recv(parent, 99);
    pvm_upkint(tids, NCHILD, 1);
    for (k = 0; tids[k] != pvm_mytid(); k++) {
    }
    for (i = 1; i <= NMSG; i++) {
        v = 100 * k + i;
        pvm_initsend(PvmDataDefault);
        pvm_pkint(&v, 1, 1);
        pvm_send(parent, i);
    }
    pvm_exit();
    return 0;
}
