// The stack walk of the sampling handler and of the blocking-call interposers: one step per
// frame with the module's CFI table (tp_cfi.h), the frame-pointer rule only where no table row
// exists. Async-signal-safe: no lock, no allocation, every read of the stack validated.
#ifndef TP_UNWIND_H
#define TP_UNWIND_H

#include <stdint.h>
#include "tp_cfi.h"

// The registers a step needs, in the frame being unwound.
struct tp_regs {
    uintptr_t pc, sp, fp, r14;
    uint8_t fp_known, r14_known;
    uint8_t exact_pc;    // pc is where the frame was interrupted (leaf, or after a signal frame),
                         // not a return address: look it up as is, not at pc - 1
};

// Where a walk may read: [lo, hi) is the thread's stack (0, 0 when unknown); reads elsewhere
// (a signal stack, a coroutine's stack) go through tp_read_self, which reports a fault instead
// of taking it.
struct tp_stack_bounds { uintptr_t lo, hi; };

// How each frame was found, for the profile's counters.
struct tp_walk_stats { uint16_t cfi, fp, signal; uint8_t end_clean, stop_reason; };

enum tp_walk_stop {
    TP_STOP_END = 0,       // the outermost frame: a clean end
    TP_STOP_FULL,          // the frame buffer is full
    TP_STOP_NO_RULE,       // no CFI row and no usable frame pointer
    TP_STOP_BAD_READ,      // a saved value could not be read
    TP_STOP_BAD_FRAME,     // the next frame made no sense (stack going down, pc outside code)
};

// A thread's memo of the rows its last walks looked up, so a deep or repeated stack costs a hash
// probe per frame instead of two binary searches. Only the thread's own sampling handler uses it
// (a handler is never re-entered by its own signal). It is valid for one published range table
// (`epoch`): tables are immutable, and a new one (after a dlopen) empties the memo.
#define TP_UNWIND_CACHE_SLOTS 256
struct tp_unwind_cache {
    const void *epoch;
    struct {
        uintptr_t pc;                        // 0: empty
        struct tp_cfi_row row;               // a copy; its pc field holds TP_MEMO_* flags instead
    } slot[TP_UNWIND_CACHE_SLOTS];
};
#define TP_MEMO_IN_CODE 1u                   // pc is in a known module
#define TP_MEMO_HAS_ROW 2u                   // and its table has a row for it

// Walks from `r` (the interrupted registers), filling frames (pcs, leaf first), fps (each frame's
// rbp when that frame keeps a frame pointer, else 0) and r14s (each frame's r14 when known, else
// 0). `cache` may be NULL. Returns the number of frames.
int tp_unwind(const struct tp_stack_bounds *stack, struct tp_regs r, uint64_t *frames, uintptr_t *fps,
              uintptr_t *r14s, int cap, struct tp_walk_stats *stats, struct tp_unwind_cache *cache);

// The table row for pc: the module's table through the executable-range table. Defined in
// tp_modules.c (and by the test harness), with the current range table's identity.
const struct tp_cfi_row *tp_cfi_lookup(uintptr_t pc, int *in_code);
const void *tp_cfi_epoch(void);

#endif
