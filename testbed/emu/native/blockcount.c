/* Unicorn UC_HOOK_BLOCK callback that counts executed translation blocks, in C.
 *
 * A Python block hook costs ~0.5 us per block, which slows call-heavy guest code ~10x.
 * This callback is registered through unicorn's C API (uc_hook_add via ctypes) and does
 * only integer work: the host prices blocks afterwards from the counts, so pricing is
 * exact (every executed block, priced by its own instruction classes) and nearly free.
 *
 * Blocks starting inside [base, base + 4 * slots) are counted per start address; the
 * first size seen for a start address lives in `sizes`, and a block that later starts at
 * the same address with another size (a re-translation split differently) is counted in
 * a small overflow table keyed by (address, size), so nothing is mispriced. The budget
 * stops emulation once `instructions` reaches it. */
#include <stdint.h>

#define OVERFLOW_SLOTS 4096

typedef int (*emu_stop_fn)(void *uc);

typedef struct {
    uint64_t base;
    uint64_t slots;
    uint64_t *counts;
    uint32_t *sizes;
    uint64_t instructions;   /* every block, in range or not */
    uint64_t outside;        /* instructions in blocks outside the counted range */
    uint64_t budget;         /* stop when instructions >= budget */
    emu_stop_fn emu_stop;
    uint32_t stopped;        /* 1 once the budget stopped emulation */
    uint32_t overflow_used;
    uint64_t overflow_key[OVERFLOW_SLOTS];   /* address << 20 | size; 0 = empty */
    uint64_t overflow_count[OVERFLOW_SLOTS];
    uint32_t overflow_lost;  /* blocks that found the overflow table full */
} block_counter;

void tb_count_block(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    block_counter *c = (block_counter *)user_data;
    uint64_t slot = (address - c->base) >> 2;
    c->instructions += size >> 2;
    if (slot < c->slots) {
        uint32_t known = c->sizes[slot];
        if (known == size || known == 0) {
            c->sizes[slot] = size;
            c->counts[slot]++;
        } else {
            uint64_t key = (address << 20) | size;
            uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 52) & (OVERFLOW_SLOTS - 1);
            uint32_t probes;
            for (probes = 0; probes < OVERFLOW_SLOTS; probes++, h = (h + 1) & (OVERFLOW_SLOTS - 1)) {
                if (c->overflow_key[h] == key) {
                    c->overflow_count[h]++;
                    break;
                }
                if (c->overflow_key[h] == 0) {
                    c->overflow_key[h] = key;
                    c->overflow_count[h] = 1;
                    c->overflow_used++;
                    break;
                }
            }
            if (probes == OVERFLOW_SLOTS)
                c->overflow_lost++;
        }
    } else {
        c->outside += size >> 2;
    }
    if (c->instructions >= c->budget && !c->stopped) {
        c->stopped = 1;
        c->emu_stop(uc);
    }
}
