/* Freestanding <stddef.h> of the guest runtime. Kept free of compiler built-ins other than
 * the predefined type macros so that the MCL precompiler (pycparser) can parse it. */
#ifndef RT_STDDEF_H
#define RT_STDDEF_H
#ifdef __MCL__
/* The precompiler's view, the same whichever compiler preprocesses for it: word-sized
 * integers are longs (4 bytes on ILP32, 8 on LP64), which travel in 8 bytes and are
 * range-checked on arrival (testbed/mcl/ctype.py WORD_PRIMS). Each ISA's compiler sees
 * its own definitions below, which agree with these in size. */
typedef unsigned long size_t;
typedef long ptrdiff_t;
#else
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
