/* Mlibpvm: the PVM 3.4 interface of the emulated cluster's tasks (docs/cluster.md).
 *
 * Source-compatible with the real pvm3.h (PVM 3.4.6, Debian's pvm-dev) for every call it
 * declares: the same names, signatures and constant values, so a plain PVM program builds
 * unmodified. Calls of the real header not declared here do not exist in Mlibpvm.
 * Messages use the XDR encoding whatever the packing style asked for, so tasks on mipsel
 * and sparc exchange every type exactly. Groups: joingroup, lvgroup, gsize, gettid,
 * getinst, barrier, bcast (no pvm_reduce, pvm_gather, pvm_scatter). The library
 * (guests/runtime/pvm/) talks to the host's Mpd through the HC_PVM_* hypercalls of
 * mig_protocol.h.
 */
#ifndef _PVM3_H_
#define _PVM3_H_

#include <stddef.h>
#include <sys/time.h> /* struct timeval, for pvm_trecv (as the real header includes it) */

#define PVM_MAJOR_VERSION 3
#define PVM_MINOR_VERSION 4
#define PVM_PATCH_VERSION 6

/* Data packing styles for pvm_initsend() */
#define PvmDataDefault 0 /* XDR encoding */
#define PvmDataRaw 1     /* Raw data copy (Mlibpvm: XDR as well, so it is exact across ISAs) */
#define PvmDataInPlace 2 /* Raw data, left in place (Mlibpvm: copied, XDR) */
#define PvmDataFoo PvmDataDefault
#define PvmDataTrace 4

/* pvm_spawn options */
#define PvmTaskDefault 0
#define PvmTaskHost 1 /* specify host */
#define PvmTaskArch 2 /* specify architecture */
#define PvmTaskDebug 4
#define PvmTaskTrace 8
#define PvmMppFront 16
#define PvmHostCompl 32
#define PvmNoSpawnParent 64

/* pvm_setopt and pvm_getopt */
#define PvmRoute 1
#define PvmDontRoute 1
#define PvmAllowDirect 2
#define PvmRouteDirect 3
#define PvmDebugMask 2
#define PvmAutoErr 3
#define PvmFragSize 10
#define PvmShowTids 18

#define PvmBaseContext 0

/* Libpvm error codes */
#define PvmOk 0
#define PvmBadParam -2
#define PvmMismatch -3
#define PvmOverflow -4
#define PvmNoData -5
#define PvmNoHost -6
#define PvmNoFile -7
#define PvmDenied -8
#define PvmNoMem -10
#define PvmBadMsg -12
#define PvmSysErr -14
#define PvmNoBuf -15
#define PvmNoSuchBuf -16
#define PvmNullGroup -17
#define PvmDupGroup -18
#define PvmNoGroup -19
#define PvmNotInGroup -20
#define PvmNoInst -21
#define PvmHostFail -22
#define PvmNoParent -23
#define PvmNotImpl -24
#define PvmDSysErr -25
#define PvmBadVersion -26
#define PvmOutOfRes -27
#define PvmDupHost -28
#define PvmCantStart -29
#define PvmAlready -30
#define PvmNoTask -31
#define PvmNotFound -32
#define PvmExists -33
#define PvmHostrNMstr -34
#define PvmParentNotSet -35
#define PvmIPLoopback -36

/* Data types for pvm_reduce(), pvm_psend(), pvm_precv() */
#define PVM_STR 0
#define PVM_BYTE 1
#define PVM_SHORT 2
#define PVM_INT 3
#define PVM_FLOAT 4
#define PVM_CPLX 5
#define PVM_DOUBLE 6
#define PVM_DCPLX 7
#define PVM_LONG 8
#define PVM_USHORT 9
#define PVM_UINT 10
#define PVM_ULONG 11

/* returned by pvm_config() */
struct pvmhostinfo {
    int hi_tid;    /* pvmd tid */
    char *hi_name; /* host name */
    char *hi_arch; /* host arch */
    int hi_speed;  /* cpu relative speed */
    int hi_dsig;   /* data signature */
};

int pvm_barrier(char *, int);
int pvm_bcast(char *, int);
int pvm_bufinfo(int, int *, int *, int *);
int pvm_config(int *, int *, struct pvmhostinfo **);
int pvm_exit(void);
int pvm_freebuf(int);
int pvm_getopt(int);
int pvm_getrbuf(void);
int pvm_getsbuf(void);
int pvm_getinst(char *, int);
int pvm_gettid(char *, int);
int pvm_gsize(char *);
int pvm_initsend(int);
int pvm_joingroup(char *);
int pvm_kill(int);
int pvm_lvgroup(char *);
int pvm_mcast(int *, int, int);
int pvm_mkbuf(int);
int pvm_mytid(void);
int pvm_nrecv(int, int);
int pvm_parent(void);
int pvm_perror(char *);
int pvm_pkbyte(char *, int, int);
int pvm_pkdouble(double *, int, int);
int pvm_pkfloat(float *, int, int);
int pvm_pkint(int *, int, int);
int pvm_pklong(long *, int, int);
int pvm_pkshort(short *, int, int);
int pvm_pkstr(char *);
int pvm_pkuint(unsigned int *, int, int);
int pvm_pkulong(unsigned long *, int, int);
int pvm_pkushort(unsigned short *, int, int);
int pvm_probe(int, int);
int pvm_recv(int, int);
int pvm_send(int, int);
int pvm_setopt(int, int);
int pvm_setrbuf(int);
int pvm_setsbuf(int);
int pvm_spawn(char *, char **, int, char *, int, int *);
int pvm_trecv(int, int, struct timeval *);
int pvm_upkbyte(char *, int, int);
int pvm_upkdouble(double *, int, int);
int pvm_upkfloat(float *, int, int);
int pvm_upkint(int *, int, int);
int pvm_upklong(long *, int, int);
int pvm_upkshort(short *, int, int);
int pvm_upkstr(char *);
int pvm_upkuint(unsigned int *, int, int);
int pvm_upkulong(unsigned long *, int, int);
int pvm_upkushort(unsigned short *, int, int);

/* The C library pieces PVM programs use that the runtime's headers do not declare (yet):
 * defined weakly in guests/runtime/pvm/pvm_libc.c, so a runtime definition wins. */
char *strcpy(char *, const char *);
char *strcat(char *, const char *);
char *strncpy(char *, const char *, size_t);

extern int pvm_errno; /* the last error a call returned, as in the real libpvm */
#endif
