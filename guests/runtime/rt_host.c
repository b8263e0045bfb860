/* The host (native) side of the runtime's hypercalls, for reference runs.
 *
 * Compiled with the system C library; everything else of the runtime (printf, allocator,
 * math) is the same code as on the guests, so that output is byte-identical. Exit and
 * panic statuses match what the emulator reports for a guest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* by path: this file is compiled with the system headers, not the runtime's include/ */
#include "include/mig_protocol.h"

/* Present when the program was built migratable: the control block (mig_frames.c). */
extern struct mig_control mig_control __attribute__((weak));

/* Counting passages means arming the countdown (a poll counts only when armed). */
__attribute__((constructor)) static void arm_passage_count(void)
{
    if (&mig_control && getenv("TESTBED_REPORT_PASSAGES"))
        mig_control.flag = 1;
}

static const long host_heap_size = 1L << 30;

/* A native run of a migratable build reports its poll-point passages, which the scheduler
 * needs to turn "--at P%" into a passage count. Runs at exit however main ends. */
__attribute__((destructor)) static void report_passages(void)
{
    static int reported;
    if (&mig_control && getenv("TESTBED_REPORT_PASSAGES") && !reported) {
        char line[64];
        int n = snprintf(line, sizeof line, "mcl-passages %d\n", CTL_COUNTDOWN_NEVER - mig_control.countdown);
        (void)!write(2, line, (size_t)n);
        reported = 1;
    }
}

long rt_hypercall(long number, long a0, long a1, long a2)
{
    static void *heap;
    (void)a2;
    switch (number) {
    case HC_EXIT:
        report_passages();
        _exit((int)a0);
    case HC_MIG_START:
        return 0; /* a native run never restores */
    case HC_WRITE: {
        const char *p = (const char *)a1;
        long left = a2;
        while (left > 0) {
            ssize_t n = write((int)a0, p, (size_t)left);
            if (n <= 0)
                _exit(120);
            p += n;
            left -= n;
        }
        return a2;
    }
    case HC_HEAP_BASE:
        if (heap == NULL) {
            heap = mmap(NULL, (size_t)host_heap_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (heap == MAP_FAILED)
                _exit(121);
        }
        return (long)heap;
    case HC_HEAP_SIZE:
        return host_heap_size;
    case HC_PANIC: {
        const char prefix[] = "guest panic: ";
        (void)!write(2, prefix, sizeof prefix - 1);
        (void)!write(2, (const char *)a0, (size_t)a1);
        (void)!write(2, "\n", 1);
        _exit(134);
    }
    case HC_TIME:
    case HC_CLOCK: {
        /* No simulated machine here: a deterministic stand-in clock that every call
         * advances by one millisecond, so elapsed times are positive and runs repeatable. */
        static long microseconds;
        microseconds += 1000;
        return number == HC_CLOCK ? microseconds : microseconds / 1000000;
    }
    default:
        return -1;
    }
}
