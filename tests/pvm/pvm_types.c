#include <stdio.h>
#include "pvm3.h"
/* Every type packed with a stride on one ISA, unpacked on the other. The bytes print as
 * signed char: a plain char is unsigned on some ABIs (AArch64, PowerPC), signed on others. */
int main(void)
{
    int parent = pvm_parent(), i, tids[2], k;
    if (parent == PvmNoParent) {
        if (pvm_spawn("pvm_types", (char **)0, PvmTaskArch, "PMAX", 1, &tids[0]) != 1 ||
            pvm_spawn("pvm_types", (char **)0, PvmTaskArch, "SUN4", 1, &tids[1]) != 1)
            return 1;
        for (k = 0; k < 2; k++) {
            char b[3], s[16]; short sh[3]; unsigned short us[3]; int in[3]; unsigned ui[3];
            long lo[3]; unsigned long ul[3]; float f[3]; double d[3];
            pvm_recv(tids[k], 7);
            pvm_upkbyte(b, 3, 1); pvm_upkshort(sh, 3, 1); pvm_upkushort(us, 3, 1); pvm_upkint(in, 3, 1);
            pvm_upkuint(ui, 3, 1); pvm_upklong(lo, 3, 1); pvm_upkulong(ul, 3, 1); pvm_upkfloat(f, 3, 1);
            pvm_upkdouble(d, 3, 1); pvm_upkstr(s);
            for (i = 0; i < 3; i++)
                printf("%d %d %u %d %u %ld %lu %.9g %.17g\n", (signed char)b[i], sh[i], us[i], in[i], ui[i], lo[i], ul[i],
                       (double)f[i], d[i]);
            printf("%s\n", s);
        }
        pvm_exit();
        return 0;
    }
    {
        char b[6] = {-7, 0, 65, 0, 127, 0};
        short sh[6] = {-32768, 0, 1234, 0, 32767, 0};
        unsigned short us[6] = {65535, 0, 1, 0, 40000, 0};
        int in[6] = {-2147483647 - 1, 0, -1, 0, 2147483647, 0};
        unsigned ui[6] = {4294967295u, 0, 0, 0, 3000000000u, 0};
        long lo[6] = {-123456789L, 0, 0, 0, 987654321L, 0};
        unsigned long ul[6] = {4000000000UL, 0, 5, 0, 6, 0};
        float f[6] = {-1.5f, 0, 3.14159274f, 0, 1e-38f, 0};
        double d[6] = {-0.1, 0, 2.718281828459045, 0, 1e308, 0};
        pvm_initsend(PvmDataDefault);
        pvm_pkbyte(b, 3, 2); pvm_pkshort(sh, 3, 2); pvm_pkushort(us, 3, 2); pvm_pkint(in, 3, 2);
        pvm_pkuint(ui, 3, 2); pvm_pklong(lo, 3, 2); pvm_pkulong(ul, 3, 2); pvm_pkfloat(f, 3, 2);
        pvm_pkdouble(d, 3, 2); pvm_pkstr("strings too");
        pvm_send(parent, 7);
    }
    pvm_exit();
    return 0;
}
