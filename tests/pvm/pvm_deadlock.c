#include "pvm3.h"
/* Parent and child each wait for the other: a deadlock the testbed must report. */
int main(void)
{
    int parent = pvm_parent(), child;
    if (parent == PvmNoParent) {
        pvm_spawn("pvm_deadlock", (char **)0, PvmTaskDefault, "", 1, &child);
        pvm_recv(child, 2);
    } else {
        pvm_recv(parent, 1);
    }
    pvm_exit();
    return 0;
}
