/* Memory, conversions and process control of the guest runtime (rt_libc.c, rt_stdlib.c).
 * malloc/free are untyped front ends of the typed allocator (rt.h); the MCL precompiler
 * rewrites them into typed calls. rand() is the C standard's portable generator, so the
 * sequence is the same everywhere; strtod is correctly rounded for up to 19 significant
 * digits and within one ulp beyond (see rt_stdlib.c). */
#ifndef RT_STDLIB_H
#define RT_STDLIB_H
#include <stddef.h>
#define RAND_MAX 32767
#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
typedef struct {
    int quot, rem;
} div_t;
typedef struct {
    long quot, rem;
} ldiv_t;
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void free(void *pointer);
void exit(int status);
void abort(void);
int abs(int value);
long labs(long value);
long long llabs(long long value);
div_t div(int numerator, int denominator);
ldiv_t ldiv(long numerator, long denominator);
int atoi(const char *text);
long atol(const char *text);
double atof(const char *text);
long strtol(const char *text, char **end, int base);
unsigned long strtoul(const char *text, char **end, int base);
long long strtoll(const char *text, char **end, int base);
unsigned long long strtoull(const char *text, char **end, int base);
double strtod(const char *text, char **end);
float strtof(const char *text, char **end);
int rand(void);
void srand(unsigned seed);
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t count, size_t size,
              int (*compare)(const void *, const void *));
#endif
