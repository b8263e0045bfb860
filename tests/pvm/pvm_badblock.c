#include "pvm3.h"
/* A multicast whose tids array is a pointer to nowhere: one readable error, naming it. */
int main(void)
{
    pvm_initsend(PvmDataDefault);
    return pvm_mcast((int *)16, 2, 1);
}
