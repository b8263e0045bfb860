/* The migration runtime: MSR Lookup Table, collection and restoration of the process's
 * data, and the records of unwound frames. See mig.h for the interface the generated code
 * uses and docs/stream-format.md for the bytes.
 *
 * The runtime is compiled as one translation unit from the files below, one concern each:
 * their internal functions stay static, and the compiler inlines across them as it did
 * when they were one file. The order matters beyond declarations: it is the order in which
 * the compiler emits the functions, and through interprocedural register allocation it
 * shapes their code; this one reproduces the one-file runtime's collection and program
 * instruction counts exactly (the classic runtime's transcripts pin them).
 * runtime_design.h picks the MSR table's implementation (the one build switch).
 */
#include "mig_internal.h"

#include "mig_leaf.c"     /* type sizes and leaf ordinals */
#include "msr.h"          /* the MSR lookup table's interface ... */
#include MSR_TABLE        /* ... its implementation, msr_modern.c or msr_classic.c ... */
#include "msr.c"          /* ... and what both share */
#include "mig_buf.c"      /* runtime memory, output and input buffers, varints, CRC-32 */
#include "mig_frames.c"   /* poll state, frame records, unwinding and rewinding */
#include "mig_encode.c"   /* collection */
#include "mig_validate.c" /* the received stream's checks */
#include "mig_decode.c"   /* restoration */
#include MIG_WALK         /* blocks' contents: mig_walk_recursive.c or mig_walk_iterative.c */
