/* BSD <strings.h>, which PVM's examples include when SYSVSTR is not defined. */
#ifndef RT_STRINGS_H
#define RT_STRINGS_H
#include <string.h>
char *strcpy(char *, const char *);
char *strcat(char *, const char *);
#endif
