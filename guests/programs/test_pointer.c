/* test_pointer: synthetic pointer-rich data, to exercise what a migration must preserve.
 *
 * The data (n = argv[1] tree nodes):
 *   - a balanced binary tree of n heap nodes with parent back pointers (a cycle with every
 *     child link) and an in-order `next` thread whose last node points back to the first
 *     (a ring);
 *   - a pointer to an int, a pointer to an array of 10 ints and a pointer to an array of
 *     10 pointers to ints: some into that int array (interior pointers), two to the single
 *     int, one NULL, one to a global array and one to an array local to main;
 *   - a triangular lattice, a tree-like DAG of about n/2 heap nodes: node (k, j) has
 *     children (k+1, j) and (k+1, j+1), so every inner node is shared by two parents, and
 *     an `across` link to (k, j+1); each node points into a heap int array (its cell).
 *
 * The work, for a few rounds: subtree sums, a walk round the ring, climbs to the root along
 * parent pointers, a memoised count of the lattice's paths that visits each shared node
 * once, writes through one parent of a shared node read back through the other, and
 * updates through the pointer array. The printed checksums change if a pointer is
 * redirected, a shared node is duplicated or a cycle is broken, and the self-check tests
 * the same properties directly (ring length, parent links, distinct lattice nodes, writes
 * seen through both parents, cell offsets, pointer-array targets).
 *
 * Usage: test_pointer N   (N tree nodes, N >= MIN_NODES); exit 0 when the checks pass.
 */
#include <stdio.h>
#include <stdlib.h>

#define MIN_NODES 16
#define MAX_NODES (1 << 22)
#define ROUNDS 3
#define NPTR 10

/* Byte accounting of the data as a 32-bit machine migrates it: ints are 4 bytes and a
 * pointer 8, since a migrated pointer is encoded as (block id, offset). */
#define INT_BYTES 4
#define PTR_BYTES 8
#define TNODE_BYTES (2 * INT_BYTES + 4 * PTR_BYTES)
#define DNODE_BYTES (3 * INT_BYTES + 4 * PTR_BYTES)

struct tnode {
    unsigned key;
    unsigned sum;         /* sum of the keys of this subtree, recomputed by the work */
    struct tnode *left, *right;
    struct tnode *parent; /* back pointer; NULL at the root */
    struct tnode *next;   /* in-order successor; the last node's is the first (a ring) */
};

struct dnode {
    int value;
    unsigned paths;       /* memo: number of downward paths starting here */
    int visited;          /* round in which the memo was filled */
    struct dnode *left, *right; /* children (k+1, j) and (k+1, j+1): shared with neighbours */
    struct dnode *across; /* (k, j+1), or NULL at the end of a level */
    int *cell;            /* interior pointer: this node's slot in the heap array cells */
};

/* State of the in-order threading pass (a local of main, passed by pointer). */
struct thread_state {
    struct tnode *first, *last;
    int count;
};

/* Totals of one walk over the lattice (a local of main, passed by pointer). */
struct lattice_tally {
    int distinct;         /* nodes visited for the first time this round */
    unsigned value_sum;
};

int global_table[NPTR]; /* target of one entry of the pointer array */
unsigned rng_state = 20000417u;

unsigned next_random(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 4;
}

/* A balanced tree of count nodes below parent, keys drawn in preorder. */
struct tnode *build_tree(int count, struct tnode *parent)
{
    struct tnode *node, *child;
    unsigned key;
    int nleft;

    if (count <= 0)
        return NULL;
    node = (struct tnode *)malloc(sizeof(struct tnode));
    key = next_random();
    node->key = key;
    node->sum = 0;
    node->parent = parent;
    node->next = NULL;
    nleft = (count - 1) / 2;
    child = build_tree(nleft, node);
    node->left = child;
    child = build_tree(count - 1 - nleft, node);
    node->right = child;
    return node;
}

/* Link the nodes in order through `next`; the caller closes the ring. */
void thread_tree(struct tnode *node, struct thread_state *ts)
{
    if (node == NULL)
        return;
    thread_tree(node->left, ts);
    if (ts->last == NULL)
        ts->first = node;
    else
        ts->last->next = node;
    ts->last = node;
    ts->count++;
    thread_tree(node->right, ts);
}

/* Recompute every subtree sum; returns this subtree's. */
unsigned subtree_sums(struct tnode *node)
{
    unsigned left_sum, right_sum;

    if (node == NULL)
        return 0;
    left_sum = subtree_sums(node->left);
    right_sum = subtree_sums(node->right);
    node->sum = node->key + left_sum + right_sum;
    return node->sum;
}

/* Count parent/child links that do not agree (a child whose parent is not this node). */
int bad_parent_links(struct tnode *node)
{
    int bad, sub;

    if (node == NULL)
        return 0;
    bad = 0;
    if (node->left != NULL && node->left->parent != node)
        bad++;
    if (node->right != NULL && node->right->parent != node)
        bad++;
    sub = bad_parent_links(node->left);
    bad += sub;
    sub = bad_parent_links(node->right);
    bad += sub;
    return bad;
}

/* Sum of the depths of all nodes, computed downwards (to compare with the climbs). */
int depth_sum(struct tnode *node, int depth)
{
    int total, sub;

    if (node == NULL)
        return 0;
    total = depth;
    sub = depth_sum(node->left, depth + 1);
    total += sub;
    sub = depth_sum(node->right, depth + 1);
    total += sub;
    return total;
}

/* The triangular lattice of `levels` levels; cell i of `cells` goes to the i-th node in
 * level order. Two temporary rows of pointers hold the level above while linking. */
struct dnode *build_lattice(int levels, int *cells)
{
    struct dnode **above, **row, **swap, *node, *walk, *apex;
    unsigned bits;
    int k, j, index;

    above = (struct dnode **)malloc(levels * sizeof(struct dnode *));
    row = (struct dnode **)malloc(levels * sizeof(struct dnode *));
    index = 0;
    apex = NULL;
    for (k = levels - 1; k >= 0; k--) {
        /* bottom-up, so that both children exist when a node is made */
        for (j = 0; j <= k; j++) {
            node = (struct dnode *)malloc(sizeof(struct dnode));
            bits = next_random();
            node->value = (int)(bits & 0xFFFF);
            node->paths = 0;
            node->visited = -1;
            node->left = k + 1 < levels ? above[j] : NULL;
            node->right = k + 1 < levels ? above[j + 1] : NULL;
            node->across = NULL;
            if (j > 0)
                row[j - 1]->across = node;
            row[j] = node;
        }
        swap = above;
        above = row;
        row = swap;
    }
    apex = above[0];
    free(above);
    free(row);
    /* cells in level order, top to bottom and left to right along `across` */
    for (node = apex; node != NULL; node = node->left) {
        for (walk = node; walk != NULL; walk = walk->across) {
            walk->cell = &cells[index];
            *walk->cell = 0;
            index++;
        }
    }
    return apex;
}

/* Number of downward paths from node (each path ends anywhere), memoised per round so
 * each shared node is expanded once; tallies the distinct nodes and feeds each cell. */
unsigned count_paths(struct dnode *node, int round, struct lattice_tally *t)
{
    unsigned below;

    if (node == NULL)
        return 0;
    if (node->visited == round)
        return node->paths;
    node->visited = round;
    t->distinct++;
    t->value_sum += (unsigned)node->value;
    *node->cell += node->value;
    node->paths = 1;
    below = count_paths(node->left, round, t);
    node->paths += below;
    below = count_paths(node->right, round, t);
    node->paths += below;
    return node->paths;
}

/* For each pair of neighbours a, b = a->across: write a token through a->right and read
 * it back through b->left (the same node when sharing is intact). Returns mismatches. */
int shared_writes(struct dnode *apex, int round, unsigned *hash)
{
    struct dnode *level, *a;
    int mismatches, token;

    mismatches = 0;
    token = round * 7919;
    for (level = apex; level != NULL; level = level->left) {
        for (a = level; a->across != NULL; a = a->across) {
            if (a->right == NULL)
                break;
            token = (token * 31 + 17) & 0xFFFF;
            a->right->value = token;
            if (a->across->left->value != token)
                mismatches++;
            a->across->left->value += 1; /* and back the other way */
            if (a->right->value != token + 1)
                mismatches++;
            *hash = *hash * 31u + (unsigned)a->across->left->value;
        }
    }
    return mismatches;
}

/* Cells whose pointer is not at its level-order offset in the array. */
int misplaced_cells(struct dnode *apex, int *cells, unsigned *hash)
{
    struct dnode *level, *node;
    int index, bad;

    index = 0;
    bad = 0;
    for (level = apex; level != NULL; level = level->left) {
        for (node = level; node != NULL; node = node->across) {
            if (node->cell - cells != index)
                bad++;
            *hash = *hash * 31u + (unsigned)*node->cell;
            index++;
        }
    }
    return bad;
}

/* Weighted sum of an int array, so that moving a value to another slot shows. */
unsigned weighted(int *values, int count)
{
    unsigned total;
    int i;

    total = 0;
    for (i = 0; i < count; i++)
        total += (unsigned)(i + 1) * (unsigned)values[i];
    return total;
}

int main(int argc, char **argv)
{
    int local_table[NPTR];  /* target of one entry of the pointer array */
    int *pint;              /* pointer to an int */
    int (*parr)[NPTR];      /* pointer to an array of 10 ints */
    int *(*pptr)[NPTR];     /* pointer to an array of 10 pointers to ints */
    int *cells;
    struct tnode *root, *node, *up;
    struct dnode *apex;
    struct thread_state ts;
    struct lattice_tally tally;
    unsigned ring_hash, ring_sum, root_sum, lattice_hash, paths, expect_paths, pointer_sum;
    unsigned weight_before, weight_after, expect_delta;
    int n, levels, nodes_lattice, i, round, steps, climbed, depths, bad, ok;
    int bad_ring, bad_parents, bad_distinct, bad_shared, bad_cells, bad_pointers, bad_paths;
    long bytes;

    n = argc == 2 ? atoi(argv[1]) : 0;
    if (n < MIN_NODES || n > MAX_NODES) {
        printf("test_pointer: usage: test_pointer N with N tree nodes in %d..%d\n",
               MIN_NODES, MAX_NODES);
        return 2;
    }
    /* the lattice: the most levels with at most n/2 nodes */
    levels = 1;
    while ((levels + 1) * (levels + 2) / 2 <= n / 2)
        levels++;
    nodes_lattice = levels * (levels + 1) / 2;
    bytes = (long)n * TNODE_BYTES + (long)nodes_lattice * (DNODE_BYTES + INT_BYTES)
            + INT_BYTES + NPTR * INT_BYTES + NPTR * PTR_BYTES            /* *pint, *parr, *pptr */
            + NPTR * INT_BYTES + INT_BYTES                               /* globals */
            + NPTR * INT_BYTES + 7 * PTR_BYTES;                          /* main's arrays, roots */
    printf("test_pointer: %d tree nodes, lattice of %d levels (%d nodes), %ld data bytes\n",
           n, levels, nodes_lattice, bytes);

    /* the tree, its thread and the ring */
    root = build_tree(n, NULL);
    ts.first = NULL;
    ts.last = NULL;
    ts.count = 0;
    thread_tree(root, &ts);
    ts.last->next = ts.first;

    /* the small pointers */
    pint = (int *)malloc(sizeof(int));
    *pint = 1000;
    parr = (int (*)[NPTR])malloc(NPTR * sizeof(int));
    pptr = (int *(*)[NPTR])malloc(NPTR * sizeof(int *));
    for (i = 0; i < NPTR; i++) {
        (*parr)[i] = 100 * i;
        global_table[i] = 10 * i;
        local_table[i] = -i;
    }
    for (i = 0; i < 5; i++)
        (*pptr)[i] = &(*parr)[2 * i + 1]; /* interior pointers into the heap array */
    (*pptr)[5] = pint;
    (*pptr)[6] = pint;
    (*pptr)[7] = NULL;
    (*pptr)[8] = &global_table[3];
    (*pptr)[9] = &local_table[4];

    /* the lattice */
    cells = (int *)malloc(nodes_lattice * sizeof(int));
    apex = build_lattice(levels, cells);
    expect_paths = 0;
    for (i = 0; i < levels; i++)
        expect_paths = expect_paths * 2u + 1u; /* 2^levels - 1: the sum of a Pascal triangle */

#ifdef INJECT_FAULT
    /* test hook (tests/test_programs.py): break one structure, chosen by the value */
    if (INJECT_FAULT == 1)
        ts.last->next = ts.first->next; /* the ring skips its first node */
    if (INJECT_FAULT == 2) {
        /* a shared lattice node duplicated: its two parents no longer see one node */
        struct dnode *copy = (struct dnode *)malloc(sizeof(struct dnode));
        *copy = *apex->left->right;
        apex->left->right = copy;
    }
    if (INJECT_FAULT == 3)
        (*pptr)[0] = &(*parr)[0]; /* a pointer redirected within its array */
    if (INJECT_FAULT == 4)
        root->left->left->parent = root; /* a back pointer redirected */
    if (INJECT_FAULT == 5)
        apex->left->across->cell = apex->left->cell; /* an interior pointer redirected */
#endif
    bad_ring = 0;
    bad_parents = 0;
    bad_paths = 0;
    bad_distinct = 0;
    bad_shared = 0;
    bad_cells = 0;
    bad_pointers = 0;
    if (ts.count != n)
        bad_ring++;
    for (round = 0; round < ROUNDS; round++) {
        /* tree: subtree sums against a walk round the ring, then new keys along the ring */
        root_sum = subtree_sums(root);
        ring_sum = 0;
        ring_hash = 0;
        node = ts.first;
        steps = 0;
        do {
            ring_sum += node->key;
            ring_hash = ring_hash * 31u + node->key;
            node->key = node->key * 5u + (unsigned)round;
            node = node->next;
            steps++;
        } while (node != ts.first && steps <= n);
        if (steps != n || ring_sum != root_sum)
            bad_ring++;

        /* parent pointers: climb from every node to the root */
        bad = bad_parent_links(root);
        bad_parents += bad;
        depths = depth_sum(root, 0);
        climbed = 0;
        node = ts.first;
        for (i = 0; i < n; i++) {
            for (up = node; up->parent != NULL; up = up->parent)
                climbed++;
            if (up != root)
                bad_parents++;
            node = node->next;
        }
        if (climbed != depths)
            bad_parents++;

        /* lattice: memoised path count, shared writes, cells */
        tally.distinct = 0;
        tally.value_sum = 0;
        paths = count_paths(apex, round, &tally);
        if (paths != expect_paths)
            bad_paths++;
        if (tally.distinct != nodes_lattice)
            bad_distinct++;
        lattice_hash = tally.value_sum;
        bad = shared_writes(apex, round, &lattice_hash);
        bad_shared += bad;
        bad = misplaced_cells(apex, cells, &lattice_hash);
        bad_cells += bad;

        /* pointer array: add i + 1 + round through every non-NULL entry */
        weight_before = weighted(*parr, NPTR);
        weight_before += 100u * (unsigned)*pint + 1000u * (unsigned)global_table[3]
                         + 10000u * (unsigned)local_table[4];
        for (i = 0; i < NPTR; i++) {
            if ((*pptr)[i] != NULL)
                *(*pptr)[i] += i + 1 + round;
        }
        weight_after = weighted(*parr, NPTR);
        weight_after += 100u * (unsigned)*pint + 1000u * (unsigned)global_table[3]
                        + 10000u * (unsigned)local_table[4];
        expect_delta = 0;
        for (i = 0; i < 5; i++)
            expect_delta += (unsigned)(2 * i + 2) * (unsigned)(i + 1 + round);
        expect_delta += 100u * (unsigned)(6 + round + 7 + round) + 1000u * (unsigned)(9 + round)
                        + 10000u * (unsigned)(10 + round);
        if (weight_after - weight_before != expect_delta)
            bad_pointers++;
        pointer_sum = weight_after;

        printf("round %d: tree sum %08x ring %08x depths %d | lattice paths %08x hash %08x |"
               " pointers %08x\n", round, root_sum, ring_hash, depths, paths, lattice_hash,
               pointer_sum);
    }

    printf("checks: ring %d, parents %d, paths %d, distinct %d, shared %d, cells %d,"
           " pointers %d\n", bad_ring, bad_parents, bad_paths, bad_distinct, bad_shared,
           bad_cells, bad_pointers);
    ok = bad_ring + bad_parents + bad_paths + bad_distinct + bad_shared + bad_cells
         + bad_pointers == 0;
    printf("self-check: %s (every structure intact after %d rounds)\n", ok ? "PASS" : "FAIL",
           ROUNDS);
    return ok ? 0 : 1;
}
