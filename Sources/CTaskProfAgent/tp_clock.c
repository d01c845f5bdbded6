// The agent's clock: CLOCK_MONOTONIC nanoseconds, read on the hot paths from the TSC.
//
// Why: the job wrapper reads the clock three times per Swift job (enqueue, start, end). The
// vDSO's clock_gettime costs about 22 ns on the machines we measured (an ordered rdtsc, the
// kernel's seqlock, the conversion), a bare rdtsc about 10 ns; at three reads per job that
// difference is a third of the per-job budget. So when the kernel itself keeps time with the TSC
// (its clocksource is "tsc": the counters are synchronized and run at a constant rate), the
// writer thread calibrates the TSC against CLOCK_MONOTONIC and publishes a linear map, and
// tp_now_ns() applies it. Elsewhere, or with TASKPROF_CLOCK=kernel, every read is clock_gettime.
//
// The map is published in two alternating parameter sets and a generation: a reader (any
// thread, signal handlers included) never waits for the writer; if the writer published twice
// while it read, which takes seconds, it reads the kernel's clock instead. The writer re-syncs
// every TP_CLOCK_RESYNC_NS and never steps the clock back (it slews instead). How far the TSC
// clock had drifted from CLOCK_MONOTONIC at each re-sync is kept: `clock.maxSkewNs` and
// `clock.resyncs` in the profile's counters.
#include "tp_internal.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TP_CLOCK_FIRST_NS (20u * 1000u * 1000u)      // first calibration: after 20 ms
#define TP_CLOCK_RESYNC_NS (1000u * 1000u * 1000u)   // then once a second
#define TP_CLOCK_PAIR_TRIES 5

struct tp_clock_params tp_clock_sets[2];
_Atomic uint32_t tp_clock_gen;
_Atomic uint64_t tp_clock_max_skew_ns, tp_clock_resyncs;
static int tp_clock_usable;
static uint64_t tp_clock_anchor_tsc, tp_clock_anchor_ns, tp_clock_last_ns;

uint64_t tp_clock_kernel_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);   // vDSO; async-signal-safe
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
// One (TSC, CLOCK_MONOTONIC) pair: the TSC halfway between two reads around clock_gettime, from
// the try with the shortest gap (the one least disturbed by an interrupt).
static void tp_clock_pair(uint64_t *tsc, uint64_t *ns) {
    uint64_t best_gap = UINT64_MAX;
    for (int i = 0; i < TP_CLOCK_PAIR_TRIES; i++) {
        uint64_t c0 = tp_rdtsc(), t = tp_clock_kernel_ns(), c1 = tp_rdtsc();
        if (c1 < c0 || c1 - c0 >= best_gap) continue;
        best_gap = c1 - c0;
        *tsc = c0 + best_gap / 2;
        *ns = t;
    }
    if (best_gap == UINT64_MAX) { *tsc = tp_rdtsc(); *ns = tp_clock_kernel_ns(); }
}

static int tp_kernel_clocksource_is_tsc(void) {
    char buf[32] = { 0 };
    int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n >= 3 && strncmp(buf, "tsc", 3) == 0 && (n == 3 || buf[3] == '\n');
}
#endif

void tp_clock_init(void) {
#if defined(__x86_64__)
    const char *choice = getenv("TASKPROF_CLOCK");
    if (choice && strcmp(choice, "kernel") == 0) return;
    if (!tp_kernel_clocksource_is_tsc()) return;
    tp_clock_pair(&tp_clock_anchor_tsc, &tp_clock_anchor_ns);
    tp_clock_last_ns = tp_clock_anchor_ns;
    tp_clock_usable = 1;
#endif
}

int tp_clock_uses_tsc(void) { return atomic_load_explicit(&tp_clock_gen, memory_order_relaxed) != 0; }

// Writer thread, once per cycle.
void tp_clock_tick(void) {
#if defined(__x86_64__)
    if (!tp_clock_usable) return;
    uint32_t gen = atomic_load_explicit(&tp_clock_gen, memory_order_relaxed);
    if (tp_clock_kernel_ns() - tp_clock_last_ns < (gen ? TP_CLOCK_RESYNC_NS : TP_CLOCK_FIRST_NS)) return;
    uint64_t tsc, ns;
    tp_clock_pair(&tsc, &ns);
    // ns per TSC tick, times 2^32, over everything since the anchor: the longer, the truer.
    unsigned __int128 ratio = tsc > tp_clock_anchor_tsc
        ? ((unsigned __int128)(ns - tp_clock_anchor_ns) << 32) / (tsc - tp_clock_anchor_tsc) : 0;
    uint64_t mult = (uint64_t)ratio;
    // Outside 0.1-10 GHz the TSC is not what the kernel said it was: back to clock_gettime.
    if (ratio < (1ull << 32) / 10 || ratio > (unsigned __int128)(1ull << 32) * 10) {
        tp_clock_usable = 0;
        atomic_store_explicit(&tp_clock_gen, 0, memory_order_release);
        return;
    }
    uint64_t base_ns = ns;
    if (gen) {
        const struct tp_clock_params *cur = &tp_clock_sets[gen & 1];   // only this thread writes them
        uint64_t ours = tp_clock_map(atomic_load_explicit(&cur->tsc, memory_order_relaxed), atomic_load_explicit(&cur->ns, memory_order_relaxed),
                                     atomic_load_explicit(&cur->mult, memory_order_relaxed), tsc);
        uint64_t skew = ours > ns ? ours - ns : ns - ours;
        if (skew > atomic_load_explicit(&tp_clock_max_skew_ns, memory_order_relaxed))
            atomic_store_explicit(&tp_clock_max_skew_ns, skew, memory_order_relaxed);
        if (ours > ns) {
            // Ahead of the kernel: never step back (a job's end must not precede its start);
            // run slower until the next re-sync instead, at no less than half speed, so the
            // clock meets CLOCK_MONOTONIC again even after a jump the TSC made alone.
            base_ns = ours;
            uint64_t period_ticks = (uint64_t)(((unsigned __int128)TP_CLOCK_RESYNC_NS << 32) / mult);
            uint64_t slower = (uint64_t)(((unsigned __int128)(ours - ns) << 32) / period_ticks);
            mult -= slower < mult / 2 ? slower : mult / 2;
        }
        atomic_fetch_add_explicit(&tp_clock_resyncs, 1, memory_order_relaxed);
    }
    uint32_t next = gen + 1 ? gen + 1 : 2;   // 0 means "not calibrated"; keep the parity
    struct tp_clock_params *p = &tp_clock_sets[next & 1];
    // Readers of this set (two generations ago) see the change of generation before new values.
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&p->tsc, tsc, memory_order_relaxed);
    atomic_store_explicit(&p->ns, base_ns, memory_order_relaxed);
    atomic_store_explicit(&p->mult, mult, memory_order_relaxed);
    atomic_store_explicit(&tp_clock_gen, next, memory_order_release);
    tp_clock_last_ns = ns;
#endif
}
