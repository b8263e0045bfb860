/* Memory and process control of the guest runtime. malloc/free are untyped front ends of
 * the typed allocator (rt.h); the MCL precompiler rewrites them into typed calls. */
#ifndef RT_STDLIB_H
#define RT_STDLIB_H
#include <stddef.h>
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void free(void *pointer);
void exit(int status);
void abort(void);
int abs(int value);
long labs(long value);
int atoi(const char *text);
long atol(const char *text);
#endif
