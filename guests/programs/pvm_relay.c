/* pvm_relay: a master hands out blocks of integers; each worker unpacks its block one
 * item at a time, packing a partial result after each, with heavy work in between (a
 * poll-point), so that a migrating worker carries a partly unpacked receive buffer and a
 * partly packed send buffer in its stream (MpPVM, docs/mppvm.md). Plain PVM 3 C.
 *
 * Usage: pvm_relay BLOCKS ITEMS WORKERS. WORKERS = 0 is the reference: the master does
 * every block itself, by the same arithmetic, so the output is identical.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pvm3.h"

#define MAX_WORKERS 64
#define MAX_ITEMS 4096
#define TAG_BLOCK 1
#define TAG_RESULT 2
#define TAG_STOP 3

/* Heavy work on one item: a deterministic integer mix. */
unsigned mix(unsigned x, int rounds)
{
    int i;
    for (i = 0; i < rounds; i++)
        x = x * 1103515245u + 12345u + (x >> 7);
    return x;
}

unsigned block_value(int block, int item) { return (unsigned)(block * 7919 + item * 104729); }

int worker(void)
{
    int block, items, i, item, bufid, tag, parent;
    unsigned partial;

    parent = pvm_parent();
    for (;;) {
        bufid = pvm_recv(parent, -1);
        pvm_bufinfo(bufid, (int *)0, &tag, (int *)0);
        if (tag == TAG_STOP)
            break;
        pvm_upkint(&block, 1, 1);
        pvm_upkint(&items, 1, 1);
        pvm_initsend(PvmDataDefault);
        pvm_pkint(&block, 1, 1);
        partial = 0;
        for (i = 0; i < items; i++) {
#pragma mcl poll
            pvm_upkint(&item, 1, 1); /* the receive buffer is partly unpacked here */
            partial = mix(partial ^ (unsigned)item, 2000);
            pvm_pkuint(&partial, 1, 1); /* and the send buffer partly packed */
        }
        pvm_send(parent, TAG_RESULT);
    }
    pvm_exit();
    return 0;
}

int main(int argc, char **argv)
{
    int blocks, items, nworkers, b, i, w, tids[MAX_WORKERS], sent = 0, got = 0, block, value;
    unsigned partial, total = 0, results[MAX_ITEMS];

    if (pvm_parent() != PvmNoParent) { /* braces: the precompiler turns this call into several statements */
        return worker();
    }
    blocks = argc == 4 ? atoi(argv[1]) : 0;
    items = argc == 4 ? atoi(argv[2]) : 0;
    nworkers = argc == 4 ? atoi(argv[3]) : -1;
    if (blocks < 1 || items < 1 || items > MAX_ITEMS || nworkers < 0 || nworkers > MAX_WORKERS) {
        printf("pvm_relay: usage: pvm_relay BLOCKS ITEMS WORKERS (ITEMS <= %d, WORKERS <= %d; 0: serial)\n",
               MAX_ITEMS, MAX_WORKERS);
        return 2;
    }
    if (nworkers == 0) {
        for (b = 0; b < blocks; b++) {
            partial = 0;
            for (i = 0; i < items; i++)
                partial = mix(partial ^ block_value(b, i), 2000);
            total = total * 31u + partial;
            printf("block %d: %u\n", b, partial);
        }
        printf("total = %u\n", total);
        return 0;
    }
    if (pvm_spawn(argv[0], (char **)0, PvmTaskDefault, "", nworkers, tids) < nworkers) {
        printf("pvm_relay: could not start %d workers\n", nworkers);
        pvm_exit();
        return 1;
    }
    /* blocks go out round robin; results come back in block order per worker */
    for (w = 0; w < nworkers && sent < blocks; w++, sent++) {
        pvm_initsend(PvmDataDefault);
        pvm_pkint(&sent, 1, 1);
        pvm_pkint(&items, 1, 1);
        for (i = 0; i < items; i++) {
            value = (int)block_value(sent, i);
            pvm_pkint(&value, 1, 1);
        }
        pvm_send(tids[w], TAG_BLOCK);
    }
    while (got < blocks) {
        w = got % nworkers;
        pvm_recv(tids[w], TAG_RESULT);
        pvm_upkint(&block, 1, 1);
        pvm_upkuint(results, items, 1);
        total = total * 31u + results[items - 1];
        printf("block %d: %u\n", block, results[items - 1]);
        got++;
        if (sent < blocks) {
            pvm_initsend(PvmDataDefault);
            pvm_pkint(&sent, 1, 1);
            pvm_pkint(&items, 1, 1);
            for (i = 0; i < items; i++) {
                value = (int)block_value(sent, i);
                pvm_pkint(&value, 1, 1);
            }
            pvm_send(tids[w], TAG_BLOCK);
            sent++;
        }
    }
    printf("total = %u\n", total);
    pvm_initsend(PvmDataDefault);
    pvm_mcast(tids, nworkers, TAG_STOP);
    pvm_exit();
    return 0;
}
