#include <stdio.h>
#include <string.h>
#include "pvm3.h"
/* PVM between ILP32 and LP64 tasks. The parent spawns one child on every host by name,
 * with arguments (an argv array of the parent's pointers), multicasts them the parent's
 * own longs, and prints what each child sends back: its word size, its argv, the longs
 * it unpacked and longs at the 32-bit limits it packed. A 64-bit child then packs longs
 * wider than 32 bits, which PVM's XDR cannot carry: pvm_pklong and pvm_pkulong refuse
 * them with PvmOverflow and the buffer stays as it was. */
#define TAG_LONGS 1
#define TAG_REPORT 2

static void child(int parent, char **argv)
{
    long limits[2] = {-2147483647L - 1, 2147483647L}, got[2];
    unsigned long top = 4294967295UL;
    int wide = 0, wider = 0, bytes = 0, tag, tid;
    pvm_recv(parent, TAG_LONGS);
    pvm_upklong(got, 2, 1);
    pvm_initsend(PvmDataDefault);
    if (sizeof(long) > 4) { /* these longs do not fit XDR's 4 bytes */
        long big = 2147483647L + 1;
        unsigned long ubig = top + 1;
        wide = pvm_pklong(&big, 1, 1);
        wider = pvm_pkulong(&ubig, 1, 1);
    }
    pvm_bufinfo(pvm_getsbuf(), &bytes, &tag, &tid);
    pvm_pkint(&bytes, 1, 1);
    pvm_pkint(&wide, 1, 1);
    pvm_pkint(&wider, 1, 1);
    bytes = (int)sizeof(long);
    pvm_pkint(&bytes, 1, 1);
    pvm_pkstr(argv[1]);
    pvm_pkstr(argv[2]);
    pvm_pklong(got, 2, 1);
    pvm_pklong(limits, 2, 1);
    pvm_pkulong(&top, 1, 1);
    pvm_send(parent, TAG_REPORT);
}

int main(int argc, char **argv)
{
    int parent = pvm_parent(), nhost, narch, i, tids[16];
    struct pvmhostinfo *hosts;
    long mine[2] = {-1L, 123456789L};
    char *args[] = {"alpha", "beta-gamma", (char *)0};
    if (parent != PvmNoParent) {
        if (argc == 3)
            child(parent, argv);
        pvm_exit();
        return 0;
    }
    pvm_config(&nhost, &narch, &hosts);
    printf("%d hosts, %d arches, parent long %d bytes\n", nhost, narch, (int)sizeof(long));
    for (i = 0; i < nhost && i < 16; i++)
        if (pvm_spawn("pvm_words", args, PvmTaskHost, hosts[i].hi_name, 1, &tids[i]) != 1)
            return 1;
    pvm_initsend(PvmDataDefault);
    pvm_pklong(mine, 2, 1);
    pvm_mcast(tids, nhost, TAG_LONGS);
    for (i = 0; i < nhost && i < 16; i++) {
        int before, wide, wider, size;
        char a[16], b[16];
        long got[2], limits[2];
        unsigned long top;
        pvm_recv(tids[i], TAG_REPORT);
        pvm_upkint(&before, 1, 1);
        pvm_upkint(&wide, 1, 1);
        pvm_upkint(&wider, 1, 1);
        pvm_upkint(&size, 1, 1);
        pvm_upkstr(a);
        pvm_upkstr(b);
        pvm_upklong(got, 2, 1);
        pvm_upklong(limits, 2, 1);
        pvm_upkulong(&top, 1, 1);
        printf("%s (%s): long %d, argv %s %s, got %ld %ld, sent %ld %ld %lu, wide %d %d, %d bytes left\n",
               hosts[i].hi_name, hosts[i].hi_arch, size, a, b, got[0], got[1], limits[0], limits[1], top,
               wide, wider, before);
    }
    pvm_exit();
    return 0;
}
