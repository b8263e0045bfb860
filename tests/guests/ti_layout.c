/* ti_layout: the types the Type-Information generator's tests (tests/test_ti.py) check.
 *
 * Nested structs, arrays of structs, pointers to pointers, char/short/double fields that
 * force padding, a self-referential struct, typedefs (of a tagged and of an anonymous
 * struct), an anonymous struct nested in a field, an enum, a const field, a _Bool, 2-D
 * arrays, a function pointer local (the one type fnptr), and things the generator must
 * skip without failing: a flat union local and a variable-length array (its element type).
 * main only exercises the data a little and prints one line.
 */
#include <stdio.h>
#include <stddef.h>

#define NSAMPLES 4

enum colour { RED, GREEN, BLUE, NCOLOURS };

/* c, 7 bytes padding, d, s, 6 bytes padding on both guests (doubles are 8-aligned) */
struct inner {
    char c;
    double d;
    short s;
};

/* self-referential */
struct node {
    int key;
    double weight;
    struct node *next;
    struct node *kids[2];
    char label[5];
    enum colour colour;
};

typedef struct node node_t;

/* anonymous: known by its typedef name only */
typedef struct {
    short x, y;
} point;

struct outer {
    unsigned char tag;
    struct inner in;            /* nested struct */
    struct inner row[3];        /* array of structs */
    int **pp;                   /* pointer to pointer */
    double samples[NSAMPLES];   /* flat array: one mig_put_array */
    int grid[2][3];             /* flat 2-D array */
    long long big;
    unsigned long long ubig;
    float ratio;
    unsigned short us;
    point corner;
    point *path;
    struct {                    /* anonymous struct nested in a field */
        char a;
        double b;
    } anon;
    node_t *head;
    void *opaque;
    const char *name;
    const int version;
    struct node *ring[NCOLOURS];
    _Bool flag;
};

struct outer the_outer;
node_t nodes[3];
double matrix[3][4];
int ***ppp;
point pts[2];
unsigned long counter;
char message[] = "hello";

static double total_weight(const node_t *n)
{
    double sum = 0.0;
    for (; n != NULL; n = n->next)
        sum += n->weight;
    return sum;
}

static int corner_sum(const struct outer *o, int extra)
{
    return o->corner.x + o->corner.y + extra + (int)sizeof(struct inner) / (int)sizeof(struct inner);
}

static int fill(int n)
{
    int values[n];              /* a variable-length array: a block of int */
    int i, s = 0;
    for (i = 0; i < n; i++)
        values[i] = i * i;
    for (i = 0; i < n; i++)
        s += values[i];
    return s;
}

int main(void)
{
    union { unsigned u; float f; } bits;   /* flat union: skipped, harmless */
    int (*op)(int) = fill;                 /* function pointer: one type, fnptr */
    int i, *cell = &the_outer.grid[1][2];

    for (i = 0; i < 3; i++) {
        nodes[i].key = i;
        nodes[i].weight = 0.5 * (i + 1);
        nodes[i].next = i < 2 ? &nodes[i + 1] : (node_t *)NULL;
    }
    the_outer.head = nodes;
    the_outer.corner.x = 3;
    the_outer.corner.y = 4;
    the_outer.pp = &cell;
    ppp = &the_outer.pp;
    **ppp[0] = 7;
    bits.f = 1.0f;
    counter = bits.u >> 23;
    printf("ti_layout %g %d %d %u %s\n", total_weight(the_outer.head),
           corner_sum(&the_outer, op(4)), the_outer.grid[1][2], (unsigned)counter, message);
    return 0;
}

/* Word-sized members (after main, so the line numbers above stay): {long, void *, double}
 * is 16 bytes on the ILP32 guests and 24 on LP64 ones; size_t and ptrdiff_t are longs to
 * the Type-Information (guests/runtime/include/stddef.h). */
struct words {
    char c;
    long l;
    void *p;
    double d;
    size_t n;
    ptrdiff_t diff;
    unsigned long ul[2];
};

struct words the_words;
