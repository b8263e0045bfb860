/* The runtime's C library beyond libm: every function prints what it returned, so
 * tests/test_libc.py can compare the three targets and check the values. Exit status:
 * argv[1] = "assert" ends in a failed assertion (status 134). */
#include <assert.h>
#include <ctype.h>
#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int formatted(char *buffer, size_t size, const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vsnprintf(buffer, size, format, ap);
    va_end(ap);
    return n;
}

int main(int argc, char **argv)
{
    static const char *decimals[] = {"0.1", "1e23", "-2.5e-3", "123456789012345", "3.141592653589793",
                                     "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
                                     "1e400", "-1e-400", "  +7.25xyz", "0x10", "inf", "-nan", ".5", "5.",
                                     "9007199254740993", "123456789012345678901234567890e-10"};
    /* long is 32 bits on the guests and 64 on the host: strtol and strtoul get values that
     * fit both; saturation is checked with strtoll, 64 bits everywhere */
    static const char *integers[] = {"42", "  -17", "+0x1fz", "0777", "z", "2147483647", "-2147483648",
                                     "99999999999999999999", "-9223372036854775809", "0x7fffffffffffffff"};
    int values[64], i, key, found = 0;
    char buffer[96], copy[16], *end;
    clock_t start = clock();
    bool flag = true;
    if (argc > 1 && strcmp(argv[1], "assert") == 0) {
        assert(flag);
        assert(argc == 1);
    }
    srand(7);
    for (i = 0; i < 64; i++)
        values[i] = rand();
    printf("rand");
    for (i = 0; i < 8; i++)
        printf(" %d", values[i]);
    printf("\n");
    qsort(values, 64, sizeof values[0], compare_ints);
    for (i = 1; i < 64; i++)
        if (values[i - 1] > values[i])
            printf("qsort: out of order at %d\n", i);
    key = values[37];
    printf("bsearch %d %d\n", (int *)bsearch(&key, values, 64, sizeof values[0], compare_ints) - values >= 0,
           bsearch(&found, values, 64, sizeof values[0], compare_ints) == NULL || values[0] == 0);
    printf("qsort min %d max %d\n", values[0], values[63]);
    for (i = 0; i < (int)(sizeof decimals / sizeof decimals[0]); i++) {
        double d = strtod(decimals[i], &end);
        printf("strtod %s -> %.17g rest \"%s\"\n", decimals[i], d, end);
    }
    for (i = 0; i < (int)(sizeof integers / sizeof integers[0]); i++) {
        long v = strtol(integers[i], &end, 0);
        printf("strtol %s -> %ld rest \"%s\" strtoul %lu strtoll %lld\n", integers[i], i < 7 ? v : 0, end,
               i < 7 && v >= 0 ? strtoul(integers[i], NULL, 0) : 0, strtoll(integers[i], NULL, 0));
    }
    printf("atoi %d atol %ld atof %.17g abs %d labs %ld\n", atoi("-123"), atol("456"), atof("2.5e1"), abs(-9),
           labs(-10L));
    printf("strchr %s strrchr %s strstr %s memchr %s\n", strchr("banana", 'n'), strrchr("banana", 'n'),
           strstr("haystack needle", "need"), (char *)memchr("abcdef", 'd', 6));
    printf("strchr-nul %d strstr-miss %d\n", strchr("abc", '\0') != NULL, strstr("abc", "abd") == NULL);
    strncpy(copy, "truncate me", 8);
    copy[8] = '\0';
    strcpy(buffer, "con");
    strcat(buffer, "cat");
    strncat(buffer, "enation!", 5);
    printf("strncpy %s strcat %s strncmp %d %d memcmp %d strlen %d\n", copy, buffer,
           strncmp("abcd", "abce", 3) == 0, strncmp("abcd", "abce", 4) < 0, memcmp("ab", "ac", 2) < 0,
           (int)strlen(buffer));
    printf("strspn %d strcspn %d strpbrk %s\n", (int)strspn("aabbc", "ab"), (int)strcspn("hello", "lo"),
           strpbrk("hello", "ol"));
    printf("ctype %d%d%d%d%d%d %c%c\n", isalpha('x'), isdigit('7'), isspace('\t'), isupper('a'), ispunct('!'),
           isxdigit('G'), toupper('q'), tolower('Q'));
    i = snprintf(buffer, 8, "%s-%d", "overflowing", 12345);
    printf("snprintf %d \"%s\"\n", i, buffer);
    sprintf(buffer, "%5.1f|%-4d|%04x|%c", 3.14159, 7, 255, 'z');
    printf("sprintf \"%s\"\n", buffer);
    formatted(buffer, sizeof buffer, "%s=%g", "vsnprintf", 0.5);
    printf("%s\n", buffer);
    printf("limits %d %d %u %d %d\n", INT_MAX, INT_MIN, UINT_MAX, CHAR_BIT, SCHAR_MIN);
    printf("float.h %d %d %.17g %.17g %.9g\n", DBL_MANT_DIG, DBL_DIG, DBL_EPSILON, DBL_MAX, (double)FLT_EPSILON);
    printf("div %d %d ldiv %ld %ld\n", div(-7, 2).quot, div(-7, 2).rem, ldiv(7L, -2L).quot, ldiv(7L, -2L).rem);
    printf("clock advances %d\n", clock() > start);
    return 0;
}
