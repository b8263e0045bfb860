#include "pvm3.h"
/* Spawns a task that does not exist. */
int main(void)
{
    int tid;
    pvm_spawn("no_such_task", (char **)0, PvmTaskDefault, "", 1, &tid);
    pvm_exit();
    return 0;
}
