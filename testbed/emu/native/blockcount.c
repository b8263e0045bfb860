/* Unicorn hook callbacks in C: the block counter, and a code hook that does nothing.
 *
 * A Python block hook costs ~0.5 us per block, which slows call-heavy guest code ~10x.
 * tb_count_block is registered through unicorn's C API (uc_hook_add via ctypes, see
 * testbed/emu/ucnative.py) and does only integer work: the host prices blocks afterwards
 * from the counts, so pricing is exact (every executed block, priced by its own
 * instruction classes) and nearly free.
 *
 * Blocks starting inside [base, base + (slots << slot_shift)) are counted per start
 * address (a slot per 4 bytes on the fixed-width ISAs, per byte on x86-64); the
 * first size seen for a start address lives in `sizes`, and a block that later starts at
 * the same address with another size (a re-translation split differently) is counted in
 * an overflow table keyed by (address, size). When that table is full, emulation stops
 * before the block runs (or, in a delay slot, the block waits in `pending_key` and
 * emulation stops before the next one): the host drains the table into its own
 * dictionary and resumes (testbed/emu/counter.py), so no block is ever left unpriced.
 * Once `instructions` reaches the budget, emulation stops before the next block.
 * `last_address`/`last_size` name the
 * block that started last, which locates faults whose PC unicorn leaves stale.
 * A block has size / 4 instructions, except where `insn_starts` is given (x86-64):
 * insn_starts[i] counts the instructions starting before byte i of the text, so a block
 * in the text has insn_starts[end] - insn_starts[start].
 *
 * tb_code_nothing exists for its side effect on unicorn's MIPS translator (see
 * testbed/emu/workarounds.py). */
#include <stdint.h>

#define PENDING_SLOTS 16

typedef int (*emu_stop_fn)(void *uc);

typedef struct {
    uint64_t base;
    uint64_t slots;
    uint64_t *counts;
    uint32_t *sizes;
    const uint8_t *no_stop;  /* per slot: 1 if a block there starts in a delay slot */
    uint64_t instructions;   /* every block, in range or not */
    uint64_t outside;        /* instructions in blocks outside the counted range */
    uint64_t budget;         /* stop at the first block once instructions >= budget */
    emu_stop_fn emu_stop;
    uint32_t stopped;        /* 1 once the budget stopped emulation */
    uint32_t overflow_full;  /* 1 once a block found the overflow table full */
    uint64_t overflow_capacity;              /* a power of two */
    uint64_t overflow_used;
    uint64_t *overflow_key;  /* address << 20 | size; 0 = empty */
    uint64_t *overflow_count;
    uint64_t pending_used;   /* blocks that found the table full where no stop is possible */
    uint64_t pending_key[PENDING_SLOTS];
    uint64_t lost;           /* more of those than pending_key holds: the host reports it */
    uint64_t last_address;
    uint32_t last_size;
    uint32_t slot_shift;           /* log2 of the bytes per slot */
    const uint32_t *insn_starts;   /* NULL, or insn_bytes + 1 prefix counts */
    uint64_t insn_bytes;
} block_counter;

static int overflow_add(block_counter *c, uint64_t key)
{
    uint64_t mask = c->overflow_capacity - 1;
    uint64_t h = ((key * 0x9E3779B97F4A7C15ull) >> 40) & mask;
    uint64_t probes;
    for (probes = 0; probes < c->overflow_capacity; probes++, h = (h + 1) & mask) {
        if (c->overflow_key[h] == key) {
            c->overflow_count[h]++;
            return 1;
        }
        if (c->overflow_key[h] == 0) {
            c->overflow_key[h] = key;
            c->overflow_count[h] = 1;
            c->overflow_used++;
            return 1;
        }
    }
    return 0;
}

void tb_count_block(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    block_counter *c = (block_counter *)user_data;
    uint64_t offset = address - c->base;
    uint64_t slot = offset >> c->slot_shift;
    uint64_t n = size >> 2;
    int can_stop = !(c->no_stop && slot < c->slots && c->no_stop[slot]);
    c->last_address = address;
    c->last_size = size;
    /* A stop requested here takes effect before this block runs (unicorn checks for it
     * right after the block hook), and the block is hooked again when emulation resumes
     * at its address: so a block that stops emulation is not counted. Emulation resumes
     * with PC = the block's address and NPC = PC + 4, so never stop before a block that
     * starts in a delay slot (no_stop): stop before the next block instead. */
    if (can_stop && (c->overflow_full || c->instructions >= c->budget)) {
        c->stopped = c->instructions >= c->budget;
        c->emu_stop(uc);
        return;
    }
    if (c->insn_starts && offset < c->insn_bytes && size <= c->insn_bytes - offset)
        n = c->insn_starts[offset + size] - c->insn_starts[offset];
    if (slot < c->slots) {
        uint32_t known = c->sizes[slot];
        if (known == size || known == 0) {
            c->sizes[slot] = size;
            c->counts[slot]++;
        } else {
            uint64_t key = (address << 20) | size;
            if (!overflow_add(c, key)) {
                c->overflow_full = 1;
                if (can_stop) {
                    c->emu_stop(uc);
                    return;
                }
                if (c->pending_used < PENDING_SLOTS)
                    c->pending_key[c->pending_used++] = key;
                else
                    c->lost++;
            }
        }
    } else {
        c->outside += n;
    }
    c->instructions += n;
}

void tb_code_nothing(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    (void)uc, (void)address, (void)size, (void)user_data;
}
