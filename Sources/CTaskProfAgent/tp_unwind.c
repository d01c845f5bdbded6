// The stack walk: tp_unwind.h says what it gives.
//
// ASYNC-SIGNAL SAFETY: runs in the sampling handler. It calls only tp_cfi_lookup (binary searches
// of tables that are never freed) and tp_read_self (process_vm_readv, for reads off the thread's
// stack); no lock, no allocation. Every value read from the stack is checked before it is used:
// the CFA must lie above the frame's sp, the next pc inside known code, and a frame pointer inside
// the thread's stack.
#include "tp_unwind.h"
#include <stddef.h>
#include <string.h>

int tp_read_self(uintptr_t addr, void *out, size_t len);

// The interrupted registers in a signal frame: the kernel's rt_sigframe puts a ucontext at the
// trampoline's rsp, its mcontext's general registers 40 bytes in (uc_flags, uc_link, uc_stack),
// in the order of glibc's REG_* indices.
#define TP_UC_GREGS 40
#define TP_UC_R14 6
#define TP_UC_RBP 10
#define TP_UC_RSP 15
#define TP_UC_RIP 16

// A word of the stack. Inside the thread's stack and at or above the frame's sp the memory is
// mapped and read directly; anywhere else the read is a syscall that reports a bad address.
static inline int tp_uw_read(const struct tp_stack_bounds *b, uintptr_t sp, uintptr_t addr, uintptr_t *out) {
    if (addr & 7) return 0;
    if (b->hi && sp >= b->lo && sp < b->hi && addr >= sp && addr <= b->hi - 8) {
        *out = *(const uintptr_t *)addr;
        return 1;
    }
    return tp_read_self(addr, out, sizeof *out) == 1;
}

// A caller's register from its save slot (CFA + off), or kept, or lost.
static inline int tp_restore(const struct tp_stack_bounds *b, uintptr_t sp, uintptr_t cfa, int16_t off,
                             uintptr_t *value, uint8_t *known) {
    if (off == TP_REG_SAME) return 1;
    if (off == TP_REG_UNKNOWN) { *known = 0; return 1; }
    if (!tp_uw_read(b, sp, cfa + (intptr_t)off, value)) return 0;
    *known = 1;
    return 1;
}

// The row for pc (NULL for none), through the thread's memo when there is one. A memo hit
// is one probe and a copy that is already in cache: no binary search, no table access.
static inline const struct tp_cfi_row *tp_lookup(struct tp_unwind_cache *cache, uintptr_t pc, int *in_code) {
    if (!cache) return tp_cfi_lookup(pc, in_code);
    unsigned i = (unsigned)((pc ^ (pc >> 8) ^ (pc >> 16)) & (TP_UNWIND_CACHE_SLOTS - 1));
    if (cache->slot[i].pc != pc) {
        const struct tp_cfi_row *row = tp_cfi_lookup(pc, in_code);
        cache->slot[i].pc = 0;   // never a half-written entry under a matching pc
        if (row) cache->slot[i].row = *row;
        cache->slot[i].row.pc = (*in_code ? TP_MEMO_IN_CODE : 0u) | (row ? TP_MEMO_HAS_ROW : 0u);
        cache->slot[i].pc = pc;
    }
    uint32_t flags = cache->slot[i].row.pc;
    *in_code = (flags & TP_MEMO_IN_CODE) != 0;
    return (flags & TP_MEMO_HAS_ROW) ? &cache->slot[i].row : NULL;
}

// The registers are plain locals, not a struct copied per frame: the copies went through memory
// and stalled on store forwarding (most of a walk's time).
int tp_unwind(const struct tp_stack_bounds *stack, struct tp_regs r, uint64_t *frames, uintptr_t *fps,
              uintptr_t *r14s, int cap, struct tp_walk_stats *stats, struct tp_unwind_cache *cache) {
    memset(stats, 0, sizeof *stats);
    if (cache) {
        const void *epoch = tp_cfi_epoch();
        if (cache->epoch != epoch) {
            for (int i = 0; i < TP_UNWIND_CACHE_SLOTS; i++) cache->slot[i].pc = 0;
            cache->epoch = epoch;
        }
    }
    uintptr_t pc = r.pc, sp = r.sp, fp = r.fp, r14 = r.r14;
    uint8_t fp_known = r.fp_known, r14_known = r.r14_known, exact = r.exact_pc;
    uint16_t n_cfi = 0, n_fp = 0, n_signal = 0;
    uint8_t stop = TP_STOP_END, clean = 0;
    int n = 0;
    for (;;) {
        uintptr_t look = exact ? pc : pc - 1;
        int in_code = 0;
        const struct tp_cfi_row *row = tp_lookup(cache, look, &in_code);
        if (n > 0 && !in_code) { stop = TP_STOP_BAD_FRAME; break; }
        if (n == cap) { stop = TP_STOP_FULL; break; }
        uint8_t rule = row ? row->cfa_rule : TP_CFA_NONE;
        // Readers look every frame after the leaf up at address - 1 (a return address is past its
        // call). Two frames are no return addresses: the signal trampoline (the handler "returns"
        // to its first byte) and the pc a signal interrupted; they are recorded one byte in.
        frames[n] = n > 0 && (exact || rule == TP_CFA_SIGNAL) ? pc + 1 : pc;
        // Each frame's rbp, when that frame keeps it as its frame pointer (its CFA rule is
        // rbp-based, or no rule exists and the frame-pointer rule is all there is).
        fps[n] = fp_known && (rule == TP_CFA_RBP || !row) ? fp : 0;
        r14s[n] = r14_known ? r14 : 0;
        n++;

        uintptr_t ra;
        if (rule == TP_CFA_END) {
            clean = 1;
            break;
        } else if (rule == TP_CFA_SIGNAL) {
            // The program's signal handler returned into the trampoline: go on in the code the
            // signal interrupted, on whatever stack that was (sigaltstack or not).
            uintptr_t g = sp + TP_UC_GREGS, v[4];
            if (!tp_uw_read(stack, sp, g + TP_UC_RIP * 8, &v[0]) || !tp_uw_read(stack, sp, g + TP_UC_RSP * 8, &v[1]) ||
                !tp_uw_read(stack, sp, g + TP_UC_RBP * 8, &v[2]) || !tp_uw_read(stack, sp, g + TP_UC_R14 * 8, &v[3])) {
                stop = TP_STOP_BAD_READ;
                break;
            }
            pc = v[0]; sp = v[1]; fp = v[2]; r14 = v[3];
            fp_known = r14_known = exact = 1;
            n_signal++;
            if (pc == 0) { clean = 1; break; }
            continue;
        } else if (row) {
            uintptr_t cfa;
            if (rule == TP_CFA_RSP) {
                cfa = sp + (intptr_t)row->cfa_off;
            } else if (rule == TP_CFA_RBP) {
                if (!fp_known) { stop = TP_STOP_NO_RULE; break; }
                cfa = fp + (intptr_t)row->cfa_off;
            } else {   // TP_CFA_PLT: the stub has pushed once its pc passed byte plt_k of 16
                cfa = sp + (intptr_t)row->cfa_off + ((pc & 15) >= row->plt_k ? 8 : 0);
            }
            // The CFA is above every slot of the frame: a CFA at or below sp is garbage.
            if (cfa <= sp || cfa - sp > (1u << 24)) { stop = TP_STOP_BAD_FRAME; break; }
            if (!tp_uw_read(stack, sp, cfa + (intptr_t)row->ra_off, &ra) ||
                !tp_restore(stack, sp, cfa, row->rbp_off, &fp, &fp_known) ||
                !tp_restore(stack, sp, cfa, row->r14_off, &r14, &r14_known)) {
                stop = TP_STOP_BAD_READ;
                break;
            }
            sp = cfa;
            n_cfi++;
        } else {
            // No rule for this pc (a module without CFI, generated code): the frame-pointer rule,
            // with rbp checked against both ends of the stack; code built without frame pointers
            // uses rbp as a general register, and this is where that would show.
            if (fp_known && fp == 0) { clean = 1; break; }   // a thread's first frame
            if (!fp_known || fp < sp || (fp & 7) || (stack->hi && (fp < stack->lo || fp > stack->hi - 16))) {
                stop = TP_STOP_NO_RULE;
                break;
            }
            uintptr_t saved;
            if (!tp_uw_read(stack, sp, fp, &saved) || !tp_uw_read(stack, sp, fp + 8, &ra)) {
                stop = TP_STOP_BAD_READ;
                break;
            }
            sp = fp + 16;
            fp = saved;
            fp_known = 1;
            r14_known = 0;
            n_fp++;
        }
        if (ra == 0) { clean = 1; break; }
        pc = ra;
        exact = 0;
    }
    stats->cfi = n_cfi;
    stats->fp = n_fp;
    stats->signal = n_signal;
    stats->end_clean = clean;
    stats->stop_reason = clean ? TP_STOP_END : stop;
    return n;
}
