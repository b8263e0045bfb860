/* Idioms of GCC's torture suite that the full run (testbed conformance) found migrating
 * wrongly or not building: each comment names what went wrong before. */
#include <stdio.h>
#include <stdlib.h>

/* one declaration, two declarators: the generated C defined struct tag twice */
struct tag { int m1; char *m2[3]; } s1, *p1;
enum colour { RED, GREEN, BLUE } c1, c2;
typedef struct pair { int x, y; } pair_t, *pair_p;

/* compound literals at file scope: unnamed static objects (collection failed) */
struct A { int i; int j; };
struct B { struct A *a; struct A *b; };
struct C { struct B *c; struct A *d; };
struct C e = { &(struct B) { &(struct A) { 1, 2 }, &(struct A) { 3, 4 } }, &(struct A) { 5, 6 } };
int *row = (int[]) { 7, 8, 9 };

/* string pointers and an int pointer into a global table (const-addr-expr-1.c: the
 * literal "2" lay right after a global, and was sent as one past that global's end) */
typedef struct foo { int id; char *name; } FOO;
FOO items[] = { { 1, "1" }, { 2, "2" }, { 0, NULL } };
int *minor_id = &(items + 1)->id;

/* a C library function stored as a value (collection: no function of the program) */
typedef void (*action)(void);
action on_error[] = { abort };

/* the predefined type macros named by the program: expanded by the mipsel preprocessor,
 * they were the ILP32 types on every ISA (the unit is one text for all) */
typedef __SIZE_TYPE__ size_type;
typedef __UINTPTR_TYPE__ address_type;
typedef __INT64_TYPE__ wide_type;

long b;
int w = 4;
int ids;

static int next_id(void)
{
    return ++ids;
}

/* a migratable callee: resumed here, main's call is made again, and its arguments with
 * side effects ran a second time (b and ids off by one) */
static long step(long h, long j, int id)
{
    long i, s = 0;
    for (i = 0; i < 40; i++) {
#pragma mcl poll
        s += (h + i) % (j == 0 ? 7 : j) + id;
    }
    return s;
}

/* an initialiser with a side effect before the rewind dispatch: run again on resume */
static int mixed(int x, int y, int z)
{
    int r = z - ((z - w++) & -(x < y));
    int k, t = 0;
    for (k = 0; k < 30; k++) {
#pragma mcl poll
        t += (r + k) & 7;
    }
    return t;
}

int main(void)
{
    /* a static local with a designated initialiser naming a field like the variable
     * (the field was renamed with the variable: no member __mcl_static_main_s) */
    static struct { unsigned int : 1; unsigned int s : 1; } s = { .s = 1 };
    long total = 0;
    int round;
    size_type count = sizeof items / sizeof items[0];
    address_type steps = 2;
    wide_type wide = 1;
    /* the allocation idioms that name no type (refused as untyped) */
    struct A *cells = malloc(3 * sizeof *cells);
    double *weights = calloc(4, sizeof weights[0]);
    pair_t pr = { 1, 2 };
    pair_p pp = &pr;
    p1 = &s1;
    s1.m1 = 3;
    s1.m2[1] = items[1].name;
    for (round = 0; round < 3; round++)
        cells[round].i = cells[round].j = round;
    c1 = GREEN;
    c2 = BLUE;
    for (round = 0; round < 6; round++) {
#pragma mcl poll
        long m = step(round, --b, next_id());
        total += m + mixed(round, 7 - round, 12) + s.s + pp->y + c1 + c2;
        total += e.c->a->i + e.c->b->j + e.d->i + row[round % 3] + *minor_id + p1->m1;
        e.d->j += round;
        cells[round % 3].i += round;
        weights[round % 4] += 0.5 * round + cells[(round + 1) % 3].i;
        wide = wide * 3 + (wide_type)count + (wide_type)steps;
    }
    printf("%ld %ld %d %d %d %s %s %d %lld %g %d\n", total, b, ids, w, e.d->j, p1->m2[1], items[0].name,
           on_error[0] == abort, (long long)wide, weights[0] + weights[3], cells[2].i);
    return 0;
}
