#include <stdio.h>
#include "pvm3.h"
/* Unpacks two ints from a message holding one: PvmNoData, as the real libpvm returns. */
int main(void)
{
    int parent = pvm_parent(), child, v[2] = {0, 0}, cc;
    if (parent == PvmNoParent) {
        pvm_spawn("pvm_overrun", (char **)0, PvmTaskDefault, "", 1, &child);
        pvm_recv(child, 1);
        cc = pvm_upkint(v, 2, 1);
        printf("pvm_upkint past the end returned %d (pvm_errno %d), PvmNoData is %d\n", cc, pvm_errno, PvmNoData);
    } else {
        pvm_initsend(PvmDataDefault);
        pvm_pkint(v, 1, 1);
        pvm_send(parent, 1);
    }
    pvm_exit();
    return 0;
}
