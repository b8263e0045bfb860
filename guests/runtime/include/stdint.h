/* Freestanding <stdint.h> of the guest runtime: the fixed-width types the programs use. */
#ifndef RT_STDINT_H
#define RT_STDINT_H
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
#ifdef __MCL__ /* word-sized: longs to the precompiler, as size_t in stddef.h */
typedef long intptr_t;
typedef unsigned long uintptr_t;
#else
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;
#endif
#endif
