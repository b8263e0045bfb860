/* The one build switch between the two runtime designs (docs/runtimes.md).
 *
 * -DMIG_RUNTIME_CLASSIC (testbed.build.runtime_flags("classic")) selects the original
 * design's MSR lookup table, its allocator and its stream encoding; without it, the modern ones. Where the
 * designs differ they differ in whole files, named here; nothing else tests the switch, so
 * the table and the allocator cannot get out of step.
 */
#ifndef RUNTIME_DESIGN_H
#define RUNTIME_DESIGN_H

#ifdef MIG_RUNTIME_CLASSIC
#define MSR_TABLE "msr_classic.c"        /* every block in one table sorted by address */
#define RT_ALLOCATOR "rt_alloc_classic.c" /* K&R first fit, reports each block to the table */
#define MIG_WALK "mig_walk_recursive.c"  /* blocks' contents through the generated code */
#define MIG_CRC "crc_bytes.c"            /* slicing by four, bytes assembled one by one */
#define MIG_COPY "copy_bytes.c"          /* flat data: memcpy or a byte loop */
#define MIG_CODEC "codec_xdr.c"          /* XDR units of four bytes, as the original wrote */
/* The classic runtime hands its TCP socket one encoded item per call in network mode (a
 * block header, a pointer, a scalar; an array of primitives as one): it counts the items it
 * encodes (published in mig_control.items) so that the host can price those calls
 * (testbed/migration/sockio.py). File mode goes through stdio, priced per XDR unit from the
 * stream's size (testbed/migration/fileio.py). */
#define ITEM() (mig_items++)
#else
#define MSR_TABLE "msr_modern.c"         /* heap blocks found through their headers */
#define RT_ALLOCATOR "rt_alloc_modern.c"  /* segregated fit, type and count in each header */
#define MIG_WALK "mig_walk_iterative.c"  /* blocks' contents by an explicit work stack */
#define MIG_CRC "crc_words.c"            /* slicing by eight over aligned words */
#define MIG_COPY "copy_words.c"          /* flat data: aligned words, shifted into place */
#define MIG_CODEC "codec_compact.c"      /* varints, bytes, primitives in their own size */
#define ITEM() ((void)0)
#endif

#endif
