/* <string.h> beyond rt_libc.c's memory primitives: the byte-at-a-time versions, the same
 * code on every machine. */
#include <stdlib.h>
#include <string.h>

void *memchr(const void *s, int c, size_t size)
{
    const unsigned char *p = s;
    for (; size; size--, p++)
        if (*p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

size_t strnlen(const char *s, size_t limit)
{
    size_t n = 0;
    while (n < limit && s[n])
        n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t limit)
{
    for (; limit; limit--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

char *strcpy(char *destination, const char *source)
{
    char *d = destination;
    while ((*d++ = *source++))
        ;
    return destination;
}

/* Copies at most size bytes and pads with NULs: no terminator when source is longer. */
char *strncpy(char *destination, const char *source, size_t size)
{
    size_t i = 0;
    for (; i < size && source[i]; i++)
        destination[i] = source[i];
    for (; i < size; i++)
        destination[i] = '\0';
    return destination;
}

char *strcat(char *destination, const char *source)
{
    strcpy(destination + strlen(destination), source);
    return destination;
}

char *strncat(char *destination, const char *source, size_t limit)
{
    char *d = destination + strlen(destination);
    while (limit-- && *source)
        *d++ = *source++;
    *d = '\0';
    return destination;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++)
        if (strncmp(haystack, needle, n) == 0)
            return (char *)haystack;
    return n == 0 ? (char *)haystack : NULL;
}

size_t strspn(const char *s, const char *accept)
{
    size_t n = 0;
    while (s[n] && strchr(accept, s[n]))
        n++;
    return n;
}

size_t strcspn(const char *s, const char *reject)
{
    size_t n = 0;
    while (s[n] && !strchr(reject, s[n]))
        n++;
    return n;
}

char *strpbrk(const char *s, const char *accept)
{
    s += strcspn(s, accept);
    return *s ? (char *)s : NULL;
}

char *strtok(char *s, const char *delimiters)
{
    static char *rest;
    char *token;
    if (s == NULL)
        s = rest;
    if (s == NULL)
        return NULL;
    s += strspn(s, delimiters);
    if (!*s) {
        rest = NULL;
        return NULL;
    }
    token = s;
    s += strcspn(s, delimiters);
    if (*s)
        *s++ = '\0';
    else
        s = NULL;
    rest = s;
    return token;
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    return copy ? memcpy(copy, s, n) : NULL;
}
