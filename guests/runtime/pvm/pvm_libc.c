/* The C library pieces PVM programs use that the guest runtime does not (yet) provide.
 * Weak, so that a definition the runtime's libc gains later takes precedence. */
#include <stddef.h>
#include <string.h>

#include "pvm3.h"
#include "rt.h"

__attribute__((weak)) char *strcpy(char *destination, const char *source)
{
    char *d = destination;
    while ((*d++ = *source++) != 0) {
    }
    return destination;
}

__attribute__((weak)) char *strncpy(char *destination, const char *source, size_t size)
{
    size_t i = 0;
    for (; i < size && source[i]; i++)
        destination[i] = source[i];
    for (; i < size; i++)
        destination[i] = 0;
    return destination;
}

__attribute__((weak)) char *strcat(char *destination, const char *source)
{
    strcpy(destination + strlen(destination), source);
    return destination;
}

/* The name of the emulated host this task runs on (HC_PVM_HOSTNAME). */
__attribute__((weak)) int gethostname(char *name, size_t length)
{
    return rt_hypercall(HC_PVM_HOSTNAME, (long)name, (long)length, 0) < 0 ? -1 : 0;
}
