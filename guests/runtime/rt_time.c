/* <time.h>: simulated time from the host (see time.h for what it measures). */
#include <time.h>

#include "mig_protocol.h"
#include "rt.h"

clock_t clock(void) { return (clock_t)rt_hypercall(HC_CLOCK, 0, 0, 0); }

time_t time(time_t *result)
{
    time_t now = (time_t)rt_hypercall(HC_TIME, 0, 0, 0);
    if (result)
        *result = now;
    return now;
}

double difftime(time_t end, time_t start) { return (double)end - (double)start; }
