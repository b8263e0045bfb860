/* <stdarg.h> of the guest runtime: the compiler's builtins, as its own header defines them
 * (provided here so that -nostdinc builds and the MCL precompiler find it first). */
#ifndef RT_STDARG_H
#define RT_STDARG_H
typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(to, from) __builtin_va_copy(to, from)
#endif
