// Feeds the sampling handler's async-chain splice (Sources/CTaskProfAgent/tp_async.c) hand-made
// stacks and async contexts, good and corrupt, and checks what it makes of them. Built and run by
// AgentHarnessTests; prints one line per failed check and exits 1 if any failed.
//
// The splice trusts nothing it reads: the frame pointer must lie in the thread's stack, every
// context must be aligned and readable (tp_memmap_read), every resume function must be in a known
// executable range, and the chain is capped. Here those collaborators are stubs with fixed
// answers, so each case exercises one check.
#include "../../Sources/CTaskProfAgent/tp_async.c"
#include <stdio.h>
#include <stdlib.h>

// ---- Stubs for what tp_async.c uses from the rest of the agent ---------------------------------
_Atomic uint64_t tp_counters[TP_CTR_COUNT];

#define RUNJOB_LO 0x10000u     // swift::runJobInEstablishedExecutorContext
#define RUNJOB_SIZE 0x100u
#define APP_LO 0x20000u        // the app's code: resume functions live here
#define APP_HI 0x30000u
#define RUNTIME_LO 0x40000u    // libswift_Concurrency's other code
#define RUNTIME_HI 0x50000u

uintptr_t tp_find_local_symbol_sized(const char *library, const char *symbol, uint64_t *size) {
    (void)library; (void)symbol;
    *size = RUNJOB_SIZE;
    return RUNJOB_LO;
}
void tp_agent_note(const char *text) { (void)text; }

static const struct tp_range tp_app = { APP_LO, APP_HI, 0, 1 };
static const struct tp_range tp_runtime = { RUNTIME_LO, RUNTIME_HI, TP_RANGE_CONCURRENCY, 2 };
const struct tp_range *tp_range_lookup(uintptr_t pc) {
    if (pc >= APP_LO && pc < APP_HI) return &tp_app;
    if (pc >= RUNTIME_LO && pc < RUNTIME_HI) return &tp_runtime;
    return NULL;
}

// Readable heap: only inside this arena, as the mappings table would say.
static uintptr_t tp_heap[256] __attribute__((aligned(16)));
int tp_memmap_read(uintptr_t addr, void *out, size_t len) {
    uintptr_t lo = (uintptr_t)tp_heap, hi = lo + sizeof tp_heap;
    if (addr < lo || addr + len > hi || addr + len < addr) return 0;
    memcpy(out, (const void *)addr, len);
    return 1;
}

// ---- Harness -----------------------------------------------------------------------------------
static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static uintptr_t stack_area[64] __attribute__((aligned(16)));
static struct tp_thread thread;

// A context at tp_heap[i]: { parent, resume }.
static uintptr_t ctx_at(int i, uintptr_t parent, uintptr_t resume) {
    tp_heap[i] = parent;
    tp_heap[i + 1] = resume;
    return (uintptr_t)&tp_heap[i];
}

// Physical stack, leaf first: leaf, the resumed function (whose frame holds the context at
// fp - 8), the return into runJob, then two outer frames.
struct sample { uint64_t frames[TP_MAX_FRAMES]; uintptr_t fps[TP_MAX_FRAMES]; uintptr_t r14s[TP_MAX_FRAMES]; int n; };
static struct sample make_sample(uintptr_t resumed_pc, uintptr_t ctx) {
    struct sample s;
    memset(&s, 0, sizeof s);
    uintptr_t fp = (uintptr_t)&stack_area[32];
    stack_area[31] = ctx;   // *(fp - 8)
    uint64_t frames[] = { APP_LO + 0x500, resumed_pc, RUNJOB_LO + 0x40, 0x60000, 0x60100 };
    s.n = 5;
    for (int i = 0; i < s.n; i++) { s.frames[i] = frames[i]; s.fps[i] = fp + (uintptr_t)i * 16; }
    s.fps[1] = fp;
    return s;
}

static uint64_t counter(int c) { return atomic_load(&tp_counters[c]); }
static void reset(void) { for (int i = 0; i < TP_CTR_COUNT; i++) atomic_store(&tp_counters[i], 0); memset(tp_heap, 0, sizeof tp_heap); }
static uintptr_t sp(void) { return (uintptr_t)&stack_area[0]; }

int main(void) {
    tp_async_init();
    thread.stack_lo = (uintptr_t)stack_area;
    thread.stack_hi = (uintptr_t)(stack_area + 64);

    // 1. A good chain of two awaiting callers goes in right below the resumed function.
    reset();
    uintptr_t root = ctx_at(0, 0, APP_LO + 0x900);              // the task's first context
    uintptr_t mid = ctx_at(2, root, APP_LO + 0x200);
    uintptr_t top = ctx_at(4, mid, APP_LO + 0x300);
    struct sample s = make_sample(APP_LO + 0x100, top);
    int n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 7, "good chain: %d frames, want 7", n);
    CHECK(s.frames[2] == ((APP_LO + 0x300) | TP_ASYNC_FRAME_BIT) && s.frames[3] == ((APP_LO + 0x200) | TP_ASYNC_FRAME_BIT),
          "good chain: logical frames %llx %llx", (unsigned long long)s.frames[2], (unsigned long long)s.frames[3]);
    CHECK(s.frames[4] == RUNJOB_LO + 0x40 && s.frames[6] == 0x60100, "good chain: physical frames kept after the logical ones");
    CHECK(counter(TP_CTR_ASYNC_CHAINS) == 1 && counter(TP_CTR_ASYNC_BAD) == 0, "good chain: counters");

    // 2. Each corruption leaves the physical stack exactly as it was and counts a bad chain.
    struct { const char *what; uintptr_t resumed_pc; uintptr_t ctx; int in_stack; } bad[] = {
        { "context pointer outside readable memory", APP_LO + 0x100, 0xdead0000, 1 },
        { "misaligned context", APP_LO + 0x100, (uintptr_t)&tp_heap[4] + 3, 1 },
        { "null context", APP_LO + 0x100, 0, 1 },
        { "frame pointer outside the thread's stack", APP_LO + 0x100, 0, 0 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        s = make_sample(bad[i].resumed_pc, bad[i].ctx);
        if (!bad[i].in_stack) s.fps[1] = 0x7000;
        struct sample before = s;
        n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
        CHECK(n == before.n && memcmp(s.frames, before.frames, sizeof s.frames) == 0, "%s: stack changed (%d frames)", bad[i].what, n);
        CHECK(counter(TP_CTR_ASYNC_BAD) == 1 && counter(TP_CTR_ASYNC_CHAINS) == 0, "%s: counted bad %llu", bad[i].what,
              (unsigned long long)counter(TP_CTR_ASYNC_BAD));
    }

    // 3. A resume function that is not code, or a parent that points outside memory, halfway up.
    reset();
    root = ctx_at(0, 0, APP_LO + 0x900);
    mid = ctx_at(2, root, 0x12345678);                          // not in any executable range
    top = ctx_at(4, mid, APP_LO + 0x300);
    s = make_sample(APP_LO + 0x100, top);
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 5 && counter(TP_CTR_ASYNC_BAD) == 1, "resume outside code: %d frames, bad %llu", n, (unsigned long long)counter(TP_CTR_ASYNC_BAD));
    reset();
    top = ctx_at(4, 0xbad000, APP_LO + 0x300);
    s = make_sample(APP_LO + 0x100, top);
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 5 && counter(TP_CTR_ASYNC_BAD) == 1, "parent outside memory: %d frames", n);

    // 4. A cycle (a context that is its own ancestor) stops at the cap and is counted truncated.
    reset();
    uintptr_t a = (uintptr_t)&tp_heap[10], b = (uintptr_t)&tp_heap[12];
    ctx_at(10, b, APP_LO + 0x400);
    ctx_at(12, a, APP_LO + 0x410);
    s = make_sample(APP_LO + 0x100, a);
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 5 + TP_MAX_ASYNC_FRAMES, "cycle: %d frames, want %d", n, 5 + TP_MAX_ASYNC_FRAMES);
    CHECK(counter(TP_CTR_ASYNC_TRUNCATED) == 1, "cycle: truncated %llu", (unsigned long long)counter(TP_CTR_ASYNC_TRUNCATED));

    // 5. A stack already near the frame cap: outermost physical frames give way, never past cap.
    reset();
    root = ctx_at(0, 0, APP_LO + 0x900);
    mid = ctx_at(2, root, APP_LO + 0x200);
    top = ctx_at(4, mid, APP_LO + 0x300);
    s = make_sample(APP_LO + 0x100, top);
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, 4, sp());
    CHECK(n == 4 && s.frames[2] == ((APP_LO + 0x300) | TP_ASYNC_FRAME_BIT) && s.frames[3] == ((APP_LO + 0x200) | TP_ASYNC_FRAME_BIT),
          "cap 4: %d frames", n);
    s = make_sample(APP_LO + 0x100, top);
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, 3, sp());
    CHECK(n == 3 && s.frames[2] == ((APP_LO + 0x300) | TP_ASYNC_FRAME_BIT), "cap 3: %d frames", n);

    // 6. Not an async resume: a runtime function called from runJob, or no runJob frame at all.
    reset();
    s = make_sample(RUNTIME_LO + 0x10, top);
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 5 && counter(TP_CTR_ASYNC_BAD) == 0 && counter(TP_CTR_ASYNC_CHAINS) == 0, "runtime helper: %d frames", n);
    s = make_sample(APP_LO + 0x100, top);
    s.frames[2] = 0x60050;
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 5 && counter(TP_CTR_ASYNC_CHAINS) == 0, "no runJob frame: %d frames", n);

    // 7. Built without frame pointers: the resumed function keeps no frame pointer (fps 0) and
    //    its context is in r14, recovered by the walk; the chain is found there and counted.
    reset();
    root = ctx_at(0, 0, APP_LO + 0x900);
    mid = ctx_at(2, root, APP_LO + 0x200);
    top = ctx_at(4, mid, APP_LO + 0x300);
    s = make_sample(APP_LO + 0x100, 0);
    s.fps[1] = 0;
    s.r14s[1] = top;
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 7 && s.frames[2] == ((APP_LO + 0x300) | TP_ASYNC_FRAME_BIT), "r14 context: %d frames, want 7", n);
    CHECK(counter(TP_CTR_ASYNC_FROM_R14) == 1 && counter(TP_CTR_ASYNC_CHAINS) == 1, "r14 context: counters");

    // 8. A frame pointer whose fp - 8 is garbage, with a good r14: r14 is the second candidate.
    reset();
    root = ctx_at(0, 0, APP_LO + 0x900);
    top = ctx_at(4, root, APP_LO + 0x300);
    s = make_sample(APP_LO + 0x100, 0xdead0000);
    s.r14s[1] = top;
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 6 && counter(TP_CTR_ASYNC_FROM_R14) == 1 && counter(TP_CTR_ASYNC_BAD) == 0, "fp garbage, r14 good: %d frames", n);

    // 9. Both candidates bad (r14 misaligned, no frame pointer): the physical stack, one bad chain.
    reset();
    s = make_sample(APP_LO + 0x100, 0);
    s.fps[1] = 0;
    s.r14s[1] = (uintptr_t)&tp_heap[4] + 4;
    struct sample before = s;
    n = tp_async_splice(&thread, s.frames, s.fps, s.r14s, s.n, TP_MAX_FRAMES, sp());
    CHECK(n == 5 && memcmp(s.frames, before.frames, sizeof s.frames) == 0 && counter(TP_CTR_ASYNC_BAD) == 1, "both bad: %d frames", n);

    printf("%s: %d failed checks\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
