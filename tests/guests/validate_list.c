/* The validator is iterative: a stream of an N-node singly linked list (N = argv[1],
 * default 1,000,000) nests N blocks one inside the other, and the validator must walk it
 * with its own work stack in the heap, not the process's stack (a recursive walk needs
 * far more than the 8 MiB a native process has).
 *
 * Built natively with the runtime's one translation unit (mig.c), so that the static
 * validate_stream() is callable here, and a Type-Information and site table written by
 * hand: type 0 int, 1 struct node *, 2 struct node { int value; struct node *next; }, and
 * main stopped at poll-point 1 with one live pointer to the list.
 *
 * With argv[2] = "interior", the last node's pointer leaf ordinal is 1 (the `next` leaf
 * inside the previous node, not a node): the stream must be refused, which the native
 * runtime reports as a panic with the validator's message (exit 134).
 */
#include "mig.c"

struct node {
    int value;
    struct node *next;
};

static void unused_save(const void *p, uint32_t n) { (void)p; (void)n; }
static void unused_restore(void *p, uint32_t n) { (void)p; (void)n; }

static const struct mig_field node_fields[] = {
    { offsetof(struct node, value), 0, 0u },
    { offsetof(struct node, next), 1, 1u },
};

const struct mig_type mig_types[] = {
    { .name = "int", .kind = MIG_KIND_PRIM, .prim = MIG_I32, .size = sizeof(int), .target = -1, .leaves = 1u,
      .save = unused_save, .restore = unused_restore },
    { .name = "struct node *", .kind = MIG_KIND_PTR, .has_pointers = 1, .size = sizeof(struct node *), .target = 2,
      .leaves = 1u, .save = unused_save, .restore = unused_restore },
    { .name = "struct node", .kind = MIG_KIND_STRUCT, .has_pointers = 1, .size = sizeof(struct node), .target = -1,
      .leaves = 2u, .nfields = 2u, .fields = node_fields, .save = unused_save, .restore = unused_restore },
};
const uint32_t mig_ntypes = 3u;
const uint32_t mig_fingerprint = 0x6c697374u;
const uint32_t mig_nword_prims = 0u;

static const struct mig_site_value main_values[] = { { VAL_PTR, 2, 0u } };
const struct mig_site mig_sites[] = { { 0, 1, 1, -1, 0u, 1u, main_values } };
const uint32_t mig_nsites = 1u;
/* no function pointers and no read-only objects: empty tables */
const mig_func_t mig_functions[] = { NULL };
const uint32_t mig_nfunctions = 0u;
const int32_t mig_function_frames[] = { -1 };
const struct mig_rodata mig_rodata[] = { { NULL, -1, 0u } };
const uint32_t mig_nrodata = 0u;

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 1000000u, i, at = HDR_SIZE, length;
    int interior = argc > 2 && strcmp(argv[2], "interior") == 0;
    /* per node: tag, segment, type + 1, count, ordinal (1 byte each) and the int */
    unsigned char *s = rt_alloc_typed(RT_TYPE_INTERNAL, HDR_SIZE + 8 + 9u * n + STREAM_TRAILER_SIZE, 1);
    s[at++] = 0; /* main */
    s[at++] = 1; /* its poll-point */
    s[at++] = 1; /* one value */
    s[at++] = VAL_PTR;
    for (i = 0; i < n; i++) {
        s[at++] = TAG_NEW;
        s[at++] = SEG_HEAP;
        s[at++] = 3; /* struct node, + 1 */
        s[at++] = 1; /* one element */
        s[at++] = (unsigned char)(interior && i == n - 1);
        be32(s + at, i);
        at += 4;
    }
    s[at++] = TAG_NULL; /* the last node's next */
    s[at++] = STREAM_END_MARKER;
    length = at + STREAM_TRAILER_SIZE;
    be32(s + HDR_MAGIC_OFFSET, STREAM_MAGIC);
    s[HDR_VERSION_OFFSET] = 0;
    s[HDR_VERSION_OFFSET + 1] = STREAM_VERSION;
    s[HDR_FLAGS_OFFSET] = s[HDR_FLAGS_OFFSET + 1] = 0;
    be32(s + HDR_ISA_OFFSET, ISA_HOST);
    be32(s + HDR_FINGERPRINT_OFFSET, mig_fingerprint);
    be32(s + HDR_PAYLOAD_OFFSET, at - HDR_SIZE);
    be32(s + HDR_FRAMES_OFFSET, 1);
    be32(s + HDR_BLOCKS_OFFSET, n);
    be32(s + HDR_BINDING_OFFSET, 0);
    crc_init();
    be32(s + at, crc32(s, at));
    in = s;
    in_pos = 0;
    in_end = length;
    validate_stream(length);
    printf("valid: %u nested blocks\n", (unsigned)nvblocks);
    return 0;
}
