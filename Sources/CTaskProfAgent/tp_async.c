// Logical async stacks: the awaiting callers of the running async function.
//
// Why: Swift async functions return to their caller by tail-calling its continuation, so the
// thread's stack shows only the resumed function above the runtime. The callers live in the
// task's chain of async contexts instead. On x86-64 Linux (see ../shared/DESIGN.md) the function
// called from swift::runJobInEstablishedExecutorContext is the resumed one, its async context is
// at *(fp - 8) (in r14 when built without frame pointers), and a context starts { parent context,
// parent's resume function }.
//
// ASYNC-SIGNAL SAFETY: tp_async_splice runs in the sampling handler. It reads only the thread's
// own stack (bounds-checked) and other memory only through tp_memmap_read, checks every resume
// address against the executable-range table, caps the depth, and on any doubt leaves the
// physical stack alone and counts why.
#include "tp_internal.h"
#include <dlfcn.h>
#include <string.h>

static uintptr_t tp_runjob_lo, tp_runjob_hi;        // runJobInEstablishedExecutorContext

void tp_async_init(void) {
    uint64_t size = 0;
    uintptr_t start = tp_find_local_symbol_sized("libswift_Concurrency.so",
                                                 "_ZN5swift34runJobInEstablishedExecutorContextEPNS_3JobE", &size);
    if (!start || !size) {
        if (dlsym(RTLD_DEFAULT, "swift_task_getCurrent"))
            tp_agent_note("logical async stacks off: swift::runJobInEstablishedExecutorContext not found in libswift_Concurrency's symbol table");
        return;
    }
    tp_runjob_lo = start;
    tp_runjob_hi = start + size;
}

int tp_async_enabled(void) { return tp_runjob_hi != 0; }

// Follows a chain of async contexts from `ctx`, collecting resume functions (outermost last).
// Returns the number collected, or -1 when a pointer fails a check.
static int tp_follow_chain(uintptr_t ctx, uint64_t *chain) {
    int m = 0;
    for (;;) {
        uintptr_t words[2];   // { parent, resume }
        if (ctx == 0 || (ctx & 7) || !tp_memmap_read(ctx, words, sizeof words)) return -1;
        uintptr_t parent = words[0], resume = words[1];
        // The task's first context has no parent; its resume function completes the task.
        if (parent == 0) return m;
        if (!tp_range_lookup(resume)) return -1;
        if (m == TP_MAX_ASYNC_FRAMES) {
            atomic_fetch_add_explicit(&tp_counters[TP_CTR_ASYNC_TRUNCATED], 1, memory_order_relaxed);
            return m;
        }
        chain[m++] = (uint64_t)resume | TP_ASYNC_FRAME_BIT;
        ctx = parent;
    }
}

// Inserts the logical frames of the running task into `frames` (n physical frames, leaf first,
// with each frame's frame pointer in `fps`, 0 where the frame keeps none, and its r14 in `r14s`,
// 0 where unknown), right below the resumed async function. `sp` is the lowest stack address
// known to be in use: the stack below it (and the main thread's stack below what it has grown
// to) may be unmapped. Returns the new frame count (n when the stack has no resumed async
// function or its chain is not trusted).
//
// The resumed function's context: with a frame pointer, Swift's async frame keeps it right below
// the saved rbp (*(fp - 8)); built without frame pointers, the function has it in r14 (the
// swiftasync register, callee-saved for every ordinary function it calls, so the walk recovers
// it from their CFI). Each candidate must pass every check of the chain.
int tp_async_splice(const struct tp_thread *t, uint64_t *frames, const uintptr_t *fps, const uintptr_t *r14s, int n, int cap,
                    uintptr_t sp) {
    if (!tp_runjob_hi) return n;
    // The innermost frame called from runJobInEstablishedExecutorContext: an actor's drain job
    // runs tasks from inside an outer job, so the first match from the leaf is the running one.
    int k = -1;
    for (int i = 1; i < n; i++) {
        uintptr_t call_site = (uintptr_t)frames[i] - 1;
        if (call_site >= tp_runjob_lo && call_site < tp_runjob_hi) { k = i - 1; break; }
    }
    if (k < 0) return n;
    // Only a function outside the runtime is certainly async here: the runtime's own helpers
    // that runJob calls are plain functions whose fp - 8 and r14 hold anything.
    const struct tp_range *resumed = tp_range_lookup((uintptr_t)frames[k]);
    if (resumed && (resumed->flags & TP_RANGE_CONCURRENCY)) return n;

    uint64_t chain[TP_MAX_ASYNC_FRAMES];
    int m = -1;
    uintptr_t fp = fps[k];
    if (fp && t->stack_hi && fp >= sp + 8 && fp >= t->stack_lo + 8 && fp < t->stack_hi && !(fp & 7))
        m = tp_follow_chain(*(const uintptr_t *)(fp - 8), chain);
    if (m < 0 && r14s[k]) {
        m = tp_follow_chain(r14s[k], chain);
        if (m > 0) atomic_fetch_add_explicit(&tp_counters[TP_CTR_ASYNC_FROM_R14], 1, memory_order_relaxed);
    }
    if (m < 0) {
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_ASYNC_BAD], 1, memory_order_relaxed);
        return n;
    }
    if (m == 0) return n;
    // Room for the logical frames: the outermost physical frames (thread start) give way first.
    if (k + 1 + m > cap) m = cap - (k + 1);
    int tail = n - (k + 1);
    if (k + 1 + m + tail > cap) tail = cap - (k + 1) - m;
    memmove(frames + k + 1 + m, frames + k + 1, (size_t)tail * sizeof(uint64_t));
    memcpy(frames + k + 1, chain, (size_t)m * sizeof(uint64_t));
    atomic_fetch_add_explicit(&tp_counters[TP_CTR_ASYNC_CHAINS], 1, memory_order_relaxed);
    return k + 1 + m + tail;
}
