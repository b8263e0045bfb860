/* bitonic: bitonic sort of random keys kept in a binary tree, after the Olden "bisort"
 * benchmark (Bilardi and Nicolau's adaptive bitonic sorting).
 *
 * n keys are held as a complete binary tree of n - 1 heap nodes, one malloc per node,
 * plus one spare value carried along in the recursion (spr_val): read in order, the
 * tree followed by the spare value is the sequence being sorted. Bisort sorts a subtree
 * by sorting its halves in opposite directions and merging them with Bimerge, which
 * swaps values and whole subtrees between the left and right halves. The program sorts
 * forward (ascending), then backward (descending), checking each result by an in-order
 * walk: the sequence must be ordered and hold the same keys as before (same sum).
 *
 * Usage: bitonic N   (N keys, a power of two >= 2); exit 0 when the checks pass.
 */
#include <stdio.h>
#include <stdlib.h>

#define FORWARD 0  /* ascending */
#define BACKWARD 1 /* descending */
#define MAX_KEYS (1 << 24)

struct node {
    int value;
    struct node *left, *right;
};

/* What an in-order walk accumulates: kept in main and passed down by pointer. */
struct walk {
    int count;         /* values seen so far */
    int first;         /* the first value seen */
    int previous;      /* the last value seen */
    int disorder;      /* neighbours out of the expected order */
    int direction;     /* FORWARD or BACKWARD */
    unsigned sum;      /* order-independent: the multiset of keys is preserved */
    unsigned hash;     /* order-dependent checksum of the sequence */
};

/* The random keys: a 32-bit LCG (Numerical Recipes constants), same on every machine. */
unsigned rng_state = 12345768u;

int next_key(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (int)(rng_state >> 8); /* 24 random bits: non-negative, duplicates are rare */
}

/* A complete tree holding n - 1 random keys (n a power of two); NULL when n is 1. */
struct node *random_tree(int n)
{
    struct node *h, *child;
    int key;

    if (n <= 1)
        return NULL;
    h = (struct node *)malloc(sizeof(struct node));
    key = next_key();
    h->value = key;
    child = random_tree(n / 2);
    h->left = child;
    child = random_tree(n / 2);
    h->right = child;
    return h;
}

void swap_val_left(struct node *l, struct node *r, struct node *ll, struct node *rl,
                   int lval, int rval)
{
    r->value = lval;
    r->left = ll;
    l->left = rl;
    l->value = rval;
}

void swap_val_right(struct node *l, struct node *r, struct node *lr, struct node *rr,
                    int lval, int rval)
{
    r->value = lval;
    r->right = lr;
    l->right = rr;
    l->value = rval;
}

/* Merge the bitonic sequence (tree root, spare value) into direction dir; returns the new
 * spare value. Walks the two halves side by side, exchanging values and subtrees, then
 * merges each half recursively. */
int bimerge(struct node *root, int spr_val, int dir)
{
    struct node *pl, *pll, *plr, *pr, *prl, *prr, *rl, *rr;
    int rightexchange, elementexchange, lv, rv, value;

    rv = root->value;
    pl = root->left;
    pr = root->right;
    rightexchange = (rv > spr_val) ^ dir;
    if (rightexchange) {
        root->value = spr_val;
        spr_val = rv;
    }
    while (pl != NULL) {
        lv = pl->value;
        pll = pl->left;
        plr = pl->right;
        rv = pr->value;
        prl = pr->left;
        prr = pr->right;
        elementexchange = (lv > rv) ^ dir;
        if (rightexchange) {
            if (elementexchange) {
                swap_val_right(pl, pr, plr, prr, lv, rv);
                pl = pll;
                pr = prl;
            } else {
                pl = plr;
                pr = prr;
            }
        } else {
            if (elementexchange) {
                swap_val_left(pl, pr, pll, prl, lv, rv);
                pl = plr;
                pr = prr;
            } else {
                pl = pll;
                pr = prl;
            }
        }
    }
    if (root->left != NULL) {
        rl = root->left;
        rr = root->right;
        value = root->value;
        value = bimerge(rl, value, dir);
        root->value = value;
        spr_val = bimerge(rr, spr_val, dir);
    }
    return spr_val;
}

/* Sort the sequence (tree root, spare value) into direction dir; returns the new spare. */
int bisort(struct node *root, int spr_val, int dir)
{
    struct node *l, *r;
    int value;

    if (root->left == NULL) {
        if ((root->value > spr_val) ^ dir) {
            value = spr_val;
            spr_val = root->value;
            root->value = value;
        }
        return spr_val;
    }
    l = root->left;
    r = root->right;
    value = root->value;
    value = bisort(l, value, dir);
    root->value = value;
    spr_val = bisort(r, spr_val, !dir);
    spr_val = bimerge(root, spr_val, dir);
    return spr_val;
}

/* Feed one value of the sequence to the walk. */
void visit(struct walk *w, int value)
{
    if (w->count == 0)
        w->first = value;
    else if (w->direction == FORWARD ? value < w->previous : value > w->previous)
        w->disorder++;
    w->previous = value;
    w->count++;
    w->sum += (unsigned)value;
    w->hash = w->hash * 31u + (unsigned)value;
}

void inorder(struct node *h, struct walk *w)
{
    if (h == NULL)
        return;
    inorder(h->left, w);
    visit(w, h->value);
    inorder(h->right, w);
}

/* Walk the tree in order and then the spare value, expecting direction dir; print it. */
void walk_sequence(const char *label, struct node *root, int spr_val, int dir, struct walk *w)
{
    w->count = 0;
    w->first = 0;
    w->previous = 0;
    w->disorder = 0;
    w->direction = dir;
    w->sum = 0;
    w->hash = 0;
    inorder(root, w);
    visit(w, spr_val);
    printf("%-8s keys %d, sum %u, checksum %08x, first %d, last %d, out of order %d\n",
           label, w->count, w->sum, w->hash, w->first, w->previous, w->disorder);
}

int is_power_of_two(int n) { return n >= 2 && (n & (n - 1)) == 0; }

int main(int argc, char **argv)
{
    struct node *root;
    struct walk w;
    int n, spr_val, ok, valid;
    unsigned key_sum;

    n = argc == 2 ? atoi(argv[1]) : 0;
    valid = is_power_of_two(n);
    if (!valid || n > MAX_KEYS) {
        printf("bitonic: the number of keys must be a power of two in 2..%d, not %s\n",
               MAX_KEYS, argc == 2 ? argv[1] : "(missing)");
        return 2;
    }
    printf("bitonic: %d keys (%d tree nodes and a spare value)\n", n, n - 1);

    root = random_tree(n);
    spr_val = next_key();
    walk_sequence("random", root, spr_val, FORWARD, &w);
    key_sum = w.sum;

    spr_val = bisort(root, spr_val, FORWARD);
#ifdef INJECT_FAULT
    /* test hook (tests/test_programs.py): a subtree left in the wrong place by the sort */
    {
        struct node *t = root->left;
        root->left = root->right;
        root->right = t;
    }
#endif
    walk_sequence("forward", root, spr_val, FORWARD, &w);
    ok = w.disorder == 0 && w.sum == key_sum && w.count == n;

    spr_val = bisort(root, spr_val, BACKWARD);
    walk_sequence("backward", root, spr_val, BACKWARD, &w);
    ok = ok && w.disorder == 0 && w.sum == key_sum && w.count == n;

    printf("self-check: %s (both sorts ordered, same %d keys)\n", ok ? "PASS" : "FAIL", n);
    return ok ? 0 : 1;
}
