/* <ctype.h> of the guest runtime (rt_ctype.c): the "C" locale's classes, for arguments
 * that are an unsigned char value or EOF. */
#ifndef RT_CTYPE_H
#define RT_CTYPE_H
int isalnum(int c);
int isalpha(int c);
int isblank(int c);
int iscntrl(int c);
int isdigit(int c);
int isgraph(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int isspace(int c);
int isupper(int c);
int isxdigit(int c);
int tolower(int c);
int toupper(int c);
#endif
