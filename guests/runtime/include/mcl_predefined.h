/* The compiler's predefined type macros, as the MCL precompiler spells them.
 *
 * A program may name __SIZE_TYPE__ and its kin itself (`typedef __SIZE_TYPE__ size_t;`,
 * as GCC's torture tests do). They expand differently on each ISA (unsigned int on ILP32,
 * unsigned long on LP64), but the migratable unit is one text for every ISA: its
 * preprocessing maps each to a name of its own (testbed/mcl/cparse.py ANALYSIS_DEFINES,
 * this header given with -include), which the generated unit keeps and which every ISA's
 * compiler defines here from its own macro. The precompiler sees them as longs, the same
 * size as the macros' types on every ISA (as stddef.h's size_t). */
#ifndef RT_MCL_PREDEFINED_H
#define RT_MCL_PREDEFINED_H
#ifdef __MCL__
typedef unsigned long __mcl_size_t;
typedef long __mcl_ptrdiff_t;
typedef long __mcl_intptr_t;
typedef unsigned long __mcl_uintptr_t;
#else
typedef __SIZE_TYPE__ __mcl_size_t;
typedef __PTRDIFF_TYPE__ __mcl_ptrdiff_t;
typedef __INTPTR_TYPE__ __mcl_intptr_t;
typedef __UINTPTR_TYPE__ __mcl_uintptr_t;
#endif
#endif
