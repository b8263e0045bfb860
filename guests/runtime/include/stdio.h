/* Output of the guest runtime. printf is the runtime's own (guests/runtime/rt_printf.c) on
 * every ISA and on the host, so that output is byte-identical everywhere: doubles are
 * formatted from their exact binary value and correctly rounded. Supported conversions:
 * %d %i %u %x %X %o %c %s %p %% with the l and ll length modifiers, %e %f %g with precision,
 * flags "-0+ " and field widths. %g without a precision prints 17 significant digits,
 * enough to read the same double back (round-trip exact). */
#ifndef RT_STDIO_H
#define RT_STDIO_H
#include <stdarg.h>
#include <stddef.h>
#define EOF (-1)
int printf(const char *format, ...);
int sprintf(char *buffer, const char *format, ...);
int snprintf(char *buffer, size_t size, const char *format, ...);
int vprintf(const char *format, va_list ap);
int vsprintf(char *buffer, const char *format, va_list ap);
int vsnprintf(char *buffer, size_t size, const char *format, va_list ap);
int putchar(int c);
int puts(const char *s);
#endif
