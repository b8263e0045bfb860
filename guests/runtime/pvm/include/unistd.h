/* The POSIX pieces PVM tasks call: gethostname names the task's emulated host. */
#ifndef RT_UNISTD_H
#define RT_UNISTD_H
#include <stddef.h>
int gethostname(char *name, size_t length);
#endif
