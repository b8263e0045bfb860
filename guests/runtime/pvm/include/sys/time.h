/* struct timeval for pvm_trecv (the emulated guests have no OS clock of their own). */
#ifndef RT_SYS_TIME_H
#define RT_SYS_TIME_H
struct timeval {
    long tv_sec;
    long tv_usec;
};
#endif
