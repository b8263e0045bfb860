/* The C library subset of the guest runtime: strings, conversions, exit (math: rt_math.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

void *memcpy(void *destination, const void *source, size_t size)
{
    unsigned char *d = destination;
    const unsigned char *s = source;
    /* word copies when both are aligned: most block copies are arrays of doubles */
    if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
        while (size >= 4) {
            *(uint32_t *)d = *(const uint32_t *)s;
            d += 4;
            s += 4;
            size -= 4;
        }
    }
    while (size--)
        *d++ = *s++;
    return destination;
}

void *memmove(void *destination, const void *source, size_t size)
{
    unsigned char *d = destination;
    const unsigned char *s = source;
    if (d == s || size == 0)
        return destination;
    if (d < s || d >= s + size)
        return memcpy(destination, source, size);
    while (size--)
        d[size] = s[size];
    return destination;
}

void *memset(void *destination, int value, size_t size)
{
    unsigned char *d = destination;
    if (((uintptr_t)d & 3) == 0 && size >= 4) {
        uint32_t word = (unsigned char)value;
        word |= word << 8;
        word |= word << 16;
        while (size >= 4) {
            *(uint32_t *)d = word;
            d += 4;
            size -= 4;
        }
    }
    while (size--)
        *d++ = (unsigned char)value;
    return destination;
}

int memcmp(const void *a, const void *b, size_t size)
{
    const unsigned char *x = a, *y = b;
    for (; size; size--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int abs(int value) { return value < 0 ? -value : value; }
long labs(long value) { return value < 0 ? -value : value; }

long atol(const char *text)
{
    long value = 0;
    int negative = 0;
    while (*text == ' ')
        text++;
    if (*text == '-' || *text == '+')
        negative = *text++ == '-';
    while (*text >= '0' && *text <= '9')
        value = value * 10 + (*text++ - '0');
    return negative ? -value : value;
}

int atoi(const char *text) { return (int)atol(text); }

void exit(int status)
{
    rt_flush();
    rt_hypercall(HC_EXIT, status, 0, 0);
    for (;;) {
    }
}

void rt_panic(const char *message)
{
    rt_flush();
    rt_hypercall(HC_PANIC, (long)message, (long)strlen(message), 0);
    for (;;) {
    }
}

void abort(void) { rt_panic("abort() called"); }
