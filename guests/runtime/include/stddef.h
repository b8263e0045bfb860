/* Freestanding <stddef.h> of the guest runtime. Kept free of compiler built-ins other than
 * the predefined type macros so that the MCL precompiler (pycparser) can parse it. */
#ifndef RT_STDDEF_H
#define RT_STDDEF_H
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
#ifndef NULL
#define NULL ((void *)0)
#endif
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
