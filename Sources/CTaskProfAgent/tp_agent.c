// Agent entry: configuration from the environment `taskprof record` sets, start-up in a
// constructor, the final flush at exit, and fork handling.
//
// Environment (set by taskprof, removed again here so the target sees its own environment):
//   TASKPROF_RAW_DIR       directory for raw streams; each process writes <dir>/<pid>.raw
//   TASKPROF_RATE          samples per second per thread (default 999)
//   TASKPROF_SIGNAL        signal number for samples (default SIGPROF)
//   TASKPROF_ENGINE        "perf", "timer" or "auto" (default)
//   TASKPROF_FOLLOW        "1": keep LD_PRELOAD so children are profiled too
//   TASKPROF_PROCESS       with TASKPROF_FOLLOW: only processes matching one of these patterns
//                          (one per line) are profiled; the others stay dormant (tp_process.c)
//   TASKPROF_MEASURE       "1": time every handler run (benchmarks)
//   TASKPROF_LONG_POLL_NS  jobs at least this long are recorded one by one (default 10 ms)
//   TASKPROF_BLOCKING_NS   blocking calls on runtime threads at least this long are recorded (1 ms)
//   TASKPROF_ASYNC_STACKS  "0": physical stacks only (no async context chain; benchmarks)
//   TASKPROF_ACTOR_WAITS   "0": leave the Swift runtime's TSan hooks alone (no actor-queue waits)
//   TASKPROF_CLOCK         "kernel": clock_gettime for every timestamp instead of the TSC (tp_clock.c)
//   TASKPROF_KERNEL_RELEASE  tests only: the kernel release the engine choice believes (tp_sampler.c)
//   TASKPROF_PERF_PARANOID   tests only: the perf_event_paranoid it believes
//   TASKPROF_FIRST_PERIOD_NS tests only: every thread's first period, instead of a random one
#include "tp_internal.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tp_config tp_cfg;
static char tp_raw_dir[4000];
static char tp_agent_path[4096];

static void tp_at_exit(void) { tp_writer_final_flush(); }

// Removes the agent from LD_PRELOAD (keeping anything else the user preloads) and the
// TASKPROF_ variables, so that children and the target itself see the usual environment.
static void tp_clean_environment(void) {
    const char *pre = getenv("LD_PRELOAD");
    if (pre && tp_agent_path[0]) {
        char out[8192];
        if (tp_preload_others(pre, tp_agent_path, out, sizeof out)) setenv("LD_PRELOAD", out, 1);
        else unsetenv("LD_PRELOAD");
    }
    static const char *const names[] = {
        "TASKPROF_RAW_DIR", "TASKPROF_RATE", "TASKPROF_SIGNAL", "TASKPROF_ENGINE", "TASKPROF_MEASURE",
        "TASKPROF_AGENT", "TASKPROF_FOLLOW", "TASKPROF_LONG_POLL_NS", "TASKPROF_BLOCKING_NS",
        "TASKPROF_ASYNC_STACKS", "TASKPROF_ACTOR_WAITS", "TASKPROF_CLOCK", "TASKPROF_KERNEL_RELEASE",
        "TASKPROF_PROCESS", "TASKPROF_PERF_PARANOID", "TASKPROF_LIVE_TASKS", "TASKPROF_TASK_LAYOUT", "TASKPROF_TIMELINE",
        "TASKPROF_FIRST_PERIOD_NS",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unsetenv(names[i]);
}

// "<dir>/<pid>.raw", or "<dir>/<pid>.<image>.raw", without snprintf (fork's child handler uses it).
static void tp_stream_path(char *out, size_t cap, int pid, int image) {
    char digits[24];
    size_t n = 0, used = 0;
    #define TP_PUT(c) do { if (used + 1 < cap) out[used++] = (c); } while (0)
    for (const char *p = tp_raw_dir; *p; p++) TP_PUT(*p);
    TP_PUT('/');
    for (int v = pid, i = 0; i < 2; i++, v = image) {
        if (i == 1 && image == 0) break;
        if (i == 1) TP_PUT('.');
        n = 0;
        do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v > 0 && n < sizeof digits);
        while (n > 0) TP_PUT(digits[--n]);
    }
    for (const char *p = ".raw"; *p; p++) TP_PUT(*p);
    #undef TP_PUT
    out[used] = 0;
}

// <pid>.raw, or for a later image of the same process (after exec) <pid>.1.raw, <pid>.2.raw, …:
// the first name not taken (the writer creates the file exclusively).
static int tp_start_recording(int (*start)(void)) {
    for (int image = 0; image < 64; image++) {
        tp_stream_path(tp_cfg.raw_path, sizeof tp_cfg.raw_path, (int)getpid(), image);
        int rc = start();
        if (rc == 0) return 0;
        if (rc != -2) break;   // -2: that name is taken
    }
    tp_cfg.enabled = 0;
    return -1;
}

// The writer's lock, then the module tables' (the order the writer takes them in).
static void tp_fork_prepare(void) {
    if (!tp_cfg.enabled) return;
    tp_writer_prepare_fork();
    tp_modules_prepare_fork();
}
static void tp_fork_parent(void) {
    if (!tp_cfg.enabled) return;
    tp_modules_parent_after_fork();
    tp_writer_parent_after_fork();
}

// Async-signal-safe only: the child of a multithreaded program may not allocate, take the
// loader's lock or create threads here. The writer thread starts later (tp_writer_poke).
static void tp_fork_child(void) {
    if (!tp_cfg.enabled) return;
    struct tp_thread *self = tp_thread_self_fast();
    int kind = self ? self->kind : TP_THREAD_OTHER;
    uintptr_t stack_lo = self ? self->stack_lo : 0, stack_hi = self ? self->stack_hi : 0;
    tp_modules_child_after_fork();
    tp_writer_after_fork_child();
    // Slots of the parent's threads describe threads that do not exist here; perf fds are
    // copies that would keep the parent's events alive.
    for (int i = 0; i < TP_MAX_THREADS; i++) {
        struct tp_thread *t = &tp_threads[i];
        atomic_store(&t->sampling, 0);
        if (atomic_load(&t->state) != TP_SLOT_FREE) tp_sampler_forget_perf(t);
        t->perf_fd = -1;
        tp_ring_free(&t->samples);   // the parent's rings: this process never drains them
        tp_ring_free(&t->events);
        t->timer = NULL;
        atomic_store(&t->state, TP_SLOT_FREE);
    }
    tp_thread_forget_self();
    // The child's counters count the child (the parent's are in the parent's stream).
    for (int i = 0; i < TP_CTR_COUNT; i++) atomic_store(&tp_counters[i], 0);
    for (int i = 0; i < TP_HANDLER_BUCKETS; i++) {
        atomic_store(&tp_handler_hist[i], 0);
        atomic_store(&tp_async_hist[i], 0);
        atomic_store(&tp_actor_wait_hist[i], 0);
    }
    if (!tp_cfg.follow_children) {
        tp_cfg.enabled = 0;
        return;
    }
    tp_sampler_after_fork_child();
    tp_exec_after_fork_child();
    tp_tasks_after_fork_child();
    if (tp_start_recording(tp_writer_start_in_child) == 0) tp_thread_register_forked(kind, stack_lo, stack_hi);
}

__attribute__((constructor)) static void tp_agent_init(void) {
    tp_blocking_init();   // first: the agent's own syscall() calls go through its interposer
    tp_exit_init();       // _exit may come from a signal handler: resolved now, dormant or not
    const char *dir = getenv("TASKPROF_RAW_DIR");
    if (!dir || !dir[0]) return;
    const char *agent = getenv("TASKPROF_AGENT");
    if (agent) strncpy(tp_agent_path, agent, sizeof tp_agent_path - 1);
    strncpy(tp_raw_dir, dir, sizeof tp_raw_dir - 1);
    const char *rate = getenv("TASKPROF_RATE");
    const char *sig = getenv("TASKPROF_SIGNAL");
    const char *engine = getenv("TASKPROF_ENGINE");
    const char *measure = getenv("TASKPROF_MEASURE");
    const char *follow = getenv("TASKPROF_FOLLOW");
    const char *async_stacks = getenv("TASKPROF_ASYNC_STACKS");
    const char *long_poll = getenv("TASKPROF_LONG_POLL_NS");
    tp_cfg.long_poll_ns = long_poll ? strtoull(long_poll, NULL, 10) : 10000000ull;
    const char *blocking = getenv("TASKPROF_BLOCKING_NS");
    tp_cfg.blocking_ns = blocking ? strtoull(blocking, NULL, 10) : 1000000ull;
    const char *timeline = getenv("TASKPROF_TIMELINE");
    tp_cfg.timeline_cap = timeline ? strtoull(timeline, NULL, 10) : 0;
    tp_cfg.rate_hz = rate ? (uint32_t)strtoul(rate, NULL, 10) : 999;
    if (tp_cfg.rate_hz < 1 || tp_cfg.rate_hz > 100000) tp_cfg.rate_hz = 999;
    tp_rings_size(tp_cfg.rate_hz);
    // No signal given: the sampler picks one (SIGTRAP from perf sigtrap, else SIGPROF).
    tp_cfg.signal = sig ? atoi(sig) : 0;
    if (tp_cfg.signal < 0 || tp_cfg.signal >= NSIG) tp_cfg.signal = SIGPROF;
    tp_cfg.engine = engine && strcmp(engine, "timer") == 0 ? TP_ENGINE_TIMER
                  : engine && strcmp(engine, "perf") == 0 ? TP_ENGINE_PERF : TP_ENGINE_NONE;
    tp_cfg.measure_handler = measure && measure[0] == '1';
    // `make bench` measures what the kernel alone charges for the sampling signals with this.
    tp_cfg.empty_handler = measure && strcmp(measure, "empty") == 0;
    tp_cfg.follow_children = follow && follow[0] == '1';
    const char *kernel = getenv("TASKPROF_KERNEL_RELEASE");
    if (kernel) snprintf(tp_cfg.kernel_release, sizeof tp_cfg.kernel_release, "%s", kernel);
    const char *first = getenv("TASKPROF_FIRST_PERIOD_NS");
    tp_cfg.first_period_ns = first ? strtoull(first, NULL, 10) : 0;
    const char *paranoid = getenv("TASKPROF_PERF_PARANOID");
    if (paranoid) snprintf(tp_cfg.perf_paranoid_override, sizeof tp_cfg.perf_paranoid_override, "%s", paranoid);
    tp_exec_remember_settings(tp_agent_path);
    tp_process_identify();
    // A process `--process` did not ask for keeps the environment (its children may be wanted)
    // and does nothing else: no hooks, no tables, no sampling, no stream.
    if (tp_cfg.follow_children && !tp_process_selected(getenv("TASKPROF_PROCESS"))) return;
    tp_clock_init();   // reads TASKPROF_CLOCK
    tp_jobs_init();    // reads TASKPROF_ACTOR_WAITS
    if (tp_jobs_enabled()) tp_tasks_init();
    if (!tp_cfg.follow_children) tp_clean_environment();

    if (!(async_stacks && async_stacks[0] == '0')) tp_async_init();
    // The unwind tables of the modules loaded now (the large ones follow in the writer thread,
    // tp_modules.c), before any thread is sampled: the building itself is never sampled as the
    // program's time, and a sample of its first milliseconds is walked like any other.
    tp_modules_refresh(NULL);
    if (tp_sampler_install() != 0) return;
    tp_cfg.enabled = 1;
    // The target's threads are registered before the writer thread exists: a scan of
    // /proc/self/task after it would take the writer for a target thread and sample it, and its
    // signals were then dropped as `dropped.noThread` (up to 15 % of a short run's samples).
    // Samples taken before the writer starts wait in the threads' rings.
    tp_thread_register_current(TP_THREAD_MAIN);
    tp_thread_register_existing();
    if (tp_start_recording(tp_writer_start) != 0) {
        tp_sampler_shutdown();
        return;
    }
    pthread_atfork(tp_fork_prepare, tp_fork_parent, tp_fork_child);
    atexit(tp_at_exit);
    tp_last_words_init();
}
