/* <time.h> of the guest runtime (rt_time.c): simulated time. On an emulated machine,
 * clock() is the processor time of the instructions the guest has executed so far, priced
 * by the machine's cost model at its clock rate, and time() the same in whole seconds
 * since the program started (the epoch of a guest is its start). On the host build, a
 * deterministic stand-in: every call of either advances a counter by one millisecond. */
#ifndef RT_TIME_H
#define RT_TIME_H
#include <stddef.h>
typedef long clock_t;
typedef long time_t;
#define CLOCKS_PER_SEC 1000000L
clock_t clock(void);
time_t time(time_t *result);
double difftime(time_t end, time_t start);
#endif
