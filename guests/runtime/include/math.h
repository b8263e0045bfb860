/* Portable math of the guest runtime: plain C on every ISA and on the host, so results
 * are bit-identical everywhere (no FMA contraction, no x87 excess precision). */
#ifndef RT_MATH_H
#define RT_MATH_H
double fabs(double x);
double sqrt(double x);
#endif
