/* Start-up and the hypercall trap of an emulated guest (no OS underneath).
 *
 * The host loads the ELF, sets the stack pointer, places argc/argv in the first two
 * argument registers and starts at _start. A hypercall is a trap the host catches:
 *   mips, mipsel: `syscall` with the number in $v0 and arguments in $a0-$a2, result in $v0;
 *   sparc:  `ta 0x10` with the number in %g1 and arguments in %o0-%o2, result in %o0;
 *   ppc32:  `sc` with the number in r0 and arguments in r3-r5, result in r3;
 *   aarch64: `svc #0` with the number in x8 and arguments in x0-x2, result in x0;
 *   riscv64: `ecall` with the number in a7 and arguments in a0-a2, result in a0;
 *   x86-64: `syscall` with the number in %rax and arguments in %rdi, %rsi, %rdx, result
 *           in %rax (%rcx and %r11 are clobbered, as the hardware does);
 *   mips64: as mips (n64 registers are 64 bits wide).
 * The protocol's values are 32-bit: a 64-bit guest passes longs whose low half the host
 * reads, and gets a 32-bit result sign-extended (guest addresses are below 2 GiB).
 * (See testbed/emu/isa/ for the host side of each.)
 */
#include "rt.h"

extern int main(int argc, char **argv);

long rt_hypercall(long number, long a0, long a1, long a2)
{
#if defined(__mips__)
    register long v0 __asm__("$2") = number;
    register long r4 __asm__("$4") = a0;
    register long r5 __asm__("$5") = a1;
    register long r6 __asm__("$6") = a2;
    __asm__ __volatile__("syscall" : "+r"(v0) : "r"(r4), "r"(r5), "r"(r6) : "memory");
    return v0;
#elif defined(__sparc__)
    register long g1 __asm__("g1") = number;
    register long o0 __asm__("o0") = a0;
    register long o1 __asm__("o1") = a1;
    register long o2 __asm__("o2") = a2;
    __asm__ __volatile__("ta 0x10" : "+r"(o0) : "r"(g1), "r"(o1), "r"(o2) : "memory");
    return o0;
#elif defined(__powerpc__)
    register long r0 __asm__("r0") = number;
    register long r3 __asm__("r3") = a0;
    register long r4 __asm__("r4") = a1;
    register long r5 __asm__("r5") = a2;
    __asm__ __volatile__("sc" : "+r"(r3) : "r"(r0), "r"(r4), "r"(r5) : "memory", "cr0");
    return r3;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    __asm__ __volatile__("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
#elif defined(__riscv) && __riscv_xlen == 64
    register long a7 __asm__("a7") = number;
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    __asm__ __volatile__("ecall" : "+r"(r_a0) : "r"(a7), "r"(r_a1), "r"(r_a2) : "memory");
    return r_a0;
#elif defined(__x86_64__)
    long result = number;
    __asm__ __volatile__("syscall" : "+a"(result) : "D"(a0), "S"(a1), "d"(a2) : "rcx", "r11", "memory", "cc");
    return result;
#else
#error "rt_guest.c is for the emulated ISAs; the host build uses rt_host.c"
#endif
}

void _start(int argc, char **argv) __attribute__((noreturn, section(".text.start")));
void _start(int argc, char **argv)
{
    int status;
#if defined(__mips__)
    /* small data (-G 8) is addressed relative to $gp, which the linker's _gp anchors */
    __asm__ __volatile__(".set noat\n\tlui $gp, %%hi(_gp)\n\taddiu $gp, $gp, %%lo(_gp)\n\t.set at" ::: "memory");
#endif
#if defined(__riscv)
    /* the linker relaxes accesses near __global_pointer$ to gp-relative ones; this load
     * itself must not be relaxed (gp is not set yet) */
    __asm__ __volatile__(".option push\n\t.option norelax\n\tla gp, __global_pointer$\n\t.option pop" ::: "memory");
#endif
    status = main(argc, argv);
    rt_flush();
    rt_hypercall(HC_EXIT, status, 0, 0);
    for (;;) {
    }
}
