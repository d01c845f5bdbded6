// Shared state of the agent. Everything here lives inside the profiled program.
#ifndef TP_INTERNAL_H
#define TP_INTERNAL_H

#define _GNU_SOURCE
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <pthread.h>
#include "tp_raw_format.h"
#include "tp_unwind.h"

// Built with -fvisibility=hidden; only the interposed libc/dispatch entry points are exported.
#define TP_EXPORT __attribute__((visibility("default")))

// Named limits. Memory is bounded by TP_MAX_THREADS live threads times the two rings.
#define TP_MAX_THREADS 1024
#define TP_MAX_FRAMES 128
// A thread's sample ring holds four writer periods of its largest samples at the sampling rate
// (64 KB at 999 Hz; tp_rings_size), its event ring 64 KB (1 MB with `--timeline`); a record that
// does not fit is dropped and counted.
#define TP_SAMPLE_RING_MIN (32u * 1024u)
#define TP_SAMPLE_RING_MAX (4u * 1024u * 1024u)
#define TP_EVENT_RING_BYTES (64u * 1024u)
// With `record --timeline` every job is an event: 1 MB per thread holds about 20,000 jobs
// between two writer periods.
#define TP_EVENT_RING_TIMELINE_BYTES (1024u * 1024u)
extern uint32_t tp_sample_ring_bytes;
void tp_rings_size(uint32_t rate_hz);
#define TP_MAX_MODULES 1024
#define TP_TASK_SEEN_SLOTS (1u << 16)
#define TP_WRITER_PERIOD_NS (10u * 1000u * 1000u)

// Single-producer single-consumer byte ring. The producer is the owning thread (its signal
// handler for samples, its normal code for events); the consumer is the writer thread.
struct tp_ring {
    uint8_t *data;
    uint32_t capacity;                 // power of two
    _Atomic uint64_t head;             // next byte the producer writes
    _Atomic uint64_t tail;             // next byte the consumer reads
};

typedef void (*tp_emit_fn)(const void *record, uint32_t size);

#define TP_JOB_AGG_SLOTS 16
#define TP_JOB_AGG_PERIOD_NS (100u * 1000u * 1000u)

// Job statistics of one task on one thread, written only by that thread. The seqlock lets the
// writer thread copy a consistent snapshot of an idle thread's aggregate without stopping it.
struct tp_job_agg {
    _Atomic uint32_t seq;              // odd while the owner updates
    uint32_t gen;
    uint64_t task_id;                  // 0 for jobs that are not tasks
    uint64_t busy_ns, max_poll_ns, max_delay_ns, first_start_ns, last_end_ns;
    uint32_t polls, delays;            // polls == 0: slot unused
    uint32_t snapshot_seq;             // writer only: seq of the last snapshot written
    uint32_t poll_hist[TP_HANDLER_BUCKETS];
    uint32_t delay_hist[TP_HANDLER_BUCKETS];
};

enum tp_slot_state { TP_SLOT_FREE = 0, TP_SLOT_LIVE = 1, TP_SLOT_EXITED = 2 };

// What the job wrapper knows of the job running on a thread. A whole value, so a job that runs
// another synchronously (rare) saves it and restores it after.
struct tp_job_state {
    int in_job;                        // a Swift job is running on this thread
    int inner_jobs;                    // jobs run inside outer_job so far (an actor's drain)
    void *outer_job;                   // the Job * the dispatch wrapper is running, else NULL
    uint64_t task_id;                  // task of the job running now (inner or outer), 0 outside jobs
    uint64_t inner_task_id;            // the job running inside outer_job now, 0 for none
    uint64_t inner_start_ns, inner_enqueued_ns;
    uint64_t carried_enqueued_ns;      // a Task.yield's continuation job: its enqueue time, for the task it resumes
    void *inner_live;                  // the live-task entry of inner_task_id (tp_tasks.c), or NULL
};

struct tp_thread {
    _Atomic int state;                 // enum tp_slot_state
    _Atomic int sampling;              // the handler may record for this thread
    pid_t tid;
    uintptr_t stack_lo, stack_hi;      // 0,0 when unknown: reads go through process_vm_readv
    int perf_fd;                       // -1 when none
    uint64_t perf_id;                  // the event's id (PERF_EVENT_IOC_ID): perf_fd is still it
    _Atomic int period_set;            // the real period replaced the random first one (handler or writer)
    uint64_t armed_cpu_ns;             // the thread's CPU time when its perf event was armed
    int sampled;                       // the handler has recorded a sample of this thread
    void *timer;                       // timer_t when the timer engine runs, else NULL
    int kind;                          // enum tp_thread_kind
    _Atomic uint64_t jobs_run;
    uint64_t last_task_id;             // job wrapper only: last task whose name was looked up
    uint64_t live_id;                  // job wrapper only: the last task whose live-task entry was looked up,
    void *live_entry;                  // and that entry (tp_tasks.c)
    struct tp_job_state job;           // the Swift job running now
    void *last_enqueued_job;           // the last job swift_task_enqueue queued from this thread
    _Atomic uint64_t job_start_ns;     // start of the job running now (inner or outer), 0 outside jobs
    uint64_t last_sample_ns;           // handler: time of the thread's last CPU sample
    uint64_t captured_start_ns;        // writer: the job whose one-off stack was requested
    int in_interposer;                 // re-entry guard for the blocking-call interposers
    int event_loop;                    // 0 unknown, 1 a SwiftNIO event loop, -1 not one
    int from_proc;                     // found in /proc/self/task at start: no exit hook, the writer notices its end
    uint64_t tick_start_ns;            // event loop: when the last epoll_wait returned
    struct tp_job_agg job_agg[TP_JOB_AGG_SLOTS];
    char reported_name[16];            // writer only: the name last emitted
    int reported_kind;                 // writer only: the kind last emitted
    uint64_t reported_jobs;            // writer only: the job count last emitted
    char exit_name[16];                // the thread's name when it unregistered, set by itself
    struct tp_ring samples;
    struct tp_ring events;
    uint64_t frames[TP_MAX_FRAMES];    // scratch for the handler, never shared
    uintptr_t fps[TP_MAX_FRAMES];      // frame pointer of each frame of `frames`, 0 when it keeps none
    uintptr_t r14s[TP_MAX_FRAMES];     // r14 (Swift's async context register) in each frame, 0 when unknown
    struct tp_unwind_cache unwind_cache;   // the handler's memo of CFI rows (tp_unwind.h)
};

struct tp_config {
    int enabled;
    int engine;                        // enum tp_engine actually running
    int signal;                        // the sampling signal; 0 until chosen (SIGTRAP with sigtrap)
    int perf_sigtrap;                  // perf engine delivers SIGTRAP itself (attr.sigtrap)
    uint32_t rate_hz;
    int measure_handler;
    int empty_handler;                 // benchmarks only: take the signals, record nothing
    int follow_children;
    char raw_path[4096];
    char engine_note[128];
    char kernel_release[64];           // TASKPROF_KERNEL_RELEASE (tests), else empty: uname's
    char perf_paranoid_override[8];    // TASKPROF_PERF_PARANOID (tests), else empty: /proc's
    uint64_t first_period_ns;          // TASKPROF_FIRST_PERIOD_NS (tests), else 0: random
    uint64_t long_poll_ns;             // jobs at least this long are written one by one
    uint64_t blocking_ns;              // blocking calls at least this long are recorded
    uint64_t timeline_cap;             // `record --timeline`: every job is written, up to this many; 0 = off
};

extern struct tp_config tp_cfg;
extern struct tp_thread tp_threads[TP_MAX_THREADS];
extern _Atomic uint64_t tp_counters[TP_CTR_COUNT];
extern _Atomic uint64_t tp_handler_hist[TP_HANDLER_BUCKETS];
extern _Atomic uint64_t tp_async_hist[TP_HANDLER_BUCKETS];        // cost of the logical-frame splice
extern _Atomic uint64_t tp_actor_wait_hist[TP_HANDLER_BUCKETS];   // waits in actors' queues (tp_jobs.c)
extern _Atomic uint64_t tp_dlopen_generation;

// tp_ring.c
int tp_ring_init(struct tp_ring *r, uint32_t capacity);
void tp_ring_free(struct tp_ring *r);
int tp_ring_write(struct tp_ring *r, const void *a, uint32_t alen, const void *b, uint32_t blen);
uint32_t tp_ring_read(struct tp_ring *r, void *out, uint32_t max);

// tp_threads.c
struct tp_thread *tp_thread_self(void);
struct tp_thread *tp_thread_register_current(int kind);
void tp_thread_register_existing(void);
void tp_thread_unregister_current(void);
pid_t tp_gettid(void);
void tp_thread_mark_agent(void);
void tp_thread_forget_self(void);
struct tp_thread *tp_thread_register_forked(int kind, uintptr_t stack_lo, uintptr_t stack_hi);
int tp_create_agent_thread(pthread_t *thread, void *(*fn)(void *), void *arg);

// tp_sampler.c
int tp_sampler_install(void);
int tp_sampler_start_thread(struct tp_thread *t);
void tp_sampler_stop_thread(struct tp_thread *t);
void tp_sampler_shutdown(void);
void tp_sampler_request_capture(struct tp_thread *t, uint64_t now);
void tp_sampler_release_perf(struct tp_thread *t);
void tp_sampler_forget_perf(struct tp_thread *t);
void tp_sampler_after_fork_child(void);
int tp_sampler_revalidate(struct tp_thread *t);
int tp_sampler_settle_period(struct tp_thread *t);
int tp_walk_here(const struct tp_thread *t, uint64_t *frames, uintptr_t *fps, uintptr_t *r14s);
struct sigaction;
void tp_sampler_get_chained(struct sigaction *out);
void tp_sampler_set_chained(const struct sigaction *act);

// tp_writer.c
int tp_writer_start(void);
int tp_writer_start_in_child(void);
void tp_writer_start_pending(void);
void tp_writer_flush_at_exit(void);
void tp_writer_flush_for_signal(void);
// tp_signals.c
void tp_last_words_init(void);
pid_t tp_writer_stream_pid(void);

// tp_exit.c
void tp_exit_init(void);
extern _Atomic int tp_writer_pending;
// Interposers call this on their way in: a followed child starts its writer thread at its first
// call from ordinary code (fork's child handler may not create threads).
// The flag holds the pid of the child that waits (tp_writer.c).
static inline void tp_writer_poke(void) {
    if (__builtin_expect(atomic_load_explicit(&tp_writer_pending, memory_order_relaxed), 0)) tp_writer_start_pending();
}
void tp_writer_final_flush(void);
void tp_writer_after_fork_child(void);
void tp_writer_prepare_fork(void);
void tp_writer_parent_after_fork(void);
void tp_writer_crash_pause(int pausing);
void tp_writer_before_exec(const char *path);
void tp_writer_exec_failed(void);

// tp_exec.c
void tp_exec_remember_settings(const char *agent_path);
void tp_exec_after_fork_child(void);

// tp_process.c
#define TP_PROCESS_RECORD_MAX (sizeof(struct tp_rec_process) + 1024 + TP_PROCESS_CMDLINE_MAX)
void tp_process_identify(void);
int tp_process_selected(const char *patterns);
uint32_t tp_process_record(uint8_t *buf);

uint64_t tp_current_task_id(void);

// tp_tasks.c: the live tasks, and dumps of them
void tp_tasks_init(void);
int tp_tasks_enabled(void);
void *tp_tasks_job_start(struct tp_thread *t, void *job, uint64_t id, uint64_t now);
void tp_tasks_job_end(void *entry, uint64_t id, uint32_t tid, uint64_t now);
void tp_tasks_after_fork_child(void);
void tp_tasks_sweep(void);
int tp_tasks_sweep_due(uint64_t cycle);
void tp_tasks_dump(tp_emit_fn emit, uint32_t reason, uint32_t sequence);
uint32_t tp_tasks_take_request(void);
void tp_tasks_answer_request(uint32_t sequence);

// tp_jobs.c
void tp_jobs_init(void);
uint64_t tp_jobs_enqueued_at(void *job);
int tp_jobs_enabled(void);
void tp_jobs_flush_thread(struct tp_thread *t);                       // owner, at thread exit
void tp_jobs_snapshot_thread(struct tp_thread *t, tp_emit_fn emit);    // writer thread

// tp_modules.c: executable ranges the handler may trust, published lock-free
#define TP_RANGE_CONCURRENCY 8u // the Swift concurrency runtime (logical stacks start outside it)
struct tp_cfi_table;
struct tp_range { uintptr_t start, end; uint32_t flags; uint32_t module; const struct tp_cfi_table *cfi; };
struct tp_range_table { uint32_t count; struct tp_range ranges[]; };
const struct tp_range *tp_range_lookup(uintptr_t pc);
extern _Atomic uint64_t tp_cfi_rows, tp_cfi_bytes, tp_cfi_missing;   // the unwind tables built so far
void tp_modules_refresh(tp_emit_fn emit);
void tp_reset_reported_modules(void);
void tp_modules_replay(tp_emit_fn emit);
int tp_modules_replay_complete(void);
void tp_modules_build_deferred(tp_emit_fn emit);
void tp_modules_prepare_fork(void);
void tp_modules_parent_after_fork(void);
void tp_modules_child_after_fork(void);

// tp_memmap.c: which addresses the handler may read (private writable mappings), from
// /proc/self/maps, refreshed by the writer thread
void tp_memmap_refresh(void);
int tp_memmap_read(uintptr_t addr, void *out, size_t len);
int tp_memmap_wants_refresh(void);

// tp_async.c: the logical (awaiting) frames of the running task
#define TP_MAX_ASYNC_FRAMES 32
void tp_async_init(void);
int tp_async_enabled(void);
int tp_async_splice(const struct tp_thread *t, uint64_t *frames, const uintptr_t *fps, const uintptr_t *r14s, int n, int cap,
                    uintptr_t sp);

// tp_blocking.c
struct tp_thread *tp_thread_self_fast(void);
void tp_blocking_init(void);

// tp_clock.c: CLOCK_MONOTONIC nanoseconds, from the TSC once calibrated (see there)
struct tp_clock_params { _Atomic uint64_t tsc, ns, mult; };   // ns = ns + (rdtsc - tsc) * mult / 2^32
extern struct tp_clock_params tp_clock_sets[2];
extern _Atomic uint32_t tp_clock_gen;                          // 0: not calibrated, use the kernel's clock
extern _Atomic uint64_t tp_clock_max_skew_ns, tp_clock_resyncs;
void tp_clock_init(void);
void tp_clock_tick(void);
int tp_clock_uses_tsc(void);
uint64_t tp_clock_kernel_ns(void);

#if defined(__x86_64__)
#include <x86intrin.h>
static inline uint64_t tp_rdtsc(void) { return __rdtsc(); }
// The map itself. A TSC a little behind base_tsc (a core whose counter lags) gives a time a
// little before base_ns.
static inline uint64_t tp_clock_map(uint64_t base_tsc, uint64_t base_ns, uint64_t mult, uint64_t tsc) {
    int64_t d = (int64_t)(tsc - base_tsc);
    return base_ns + (uint64_t)(int64_t)(((__int128)d * (__int128)mult) >> 32);
}
#endif

// Async-signal-safe and wait-free. A read that raced a re-sync is retried with the new set (the
// writer publishes once a second, each set complete when its generation appears); only a reader
// held up across several re-syncs, or a clock the writer turned off, reads the kernel's clock.
static inline uint64_t tp_now_ns(void) {
#if defined(__x86_64__)
    uint32_t gen = atomic_load_explicit(&tp_clock_gen, memory_order_acquire);
    for (int tries = 0; gen && tries < 3; tries++) {
        const struct tp_clock_params *p = &tp_clock_sets[gen & 1];
        uint64_t base_tsc = atomic_load_explicit(&p->tsc, memory_order_relaxed);
        uint64_t base_ns = atomic_load_explicit(&p->ns, memory_order_relaxed);
        uint64_t mult = atomic_load_explicit(&p->mult, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        uint32_t again = atomic_load_explicit(&tp_clock_gen, memory_order_relaxed);
        if (again == gen) return tp_clock_map(base_tsc, base_ns, mult, tp_rdtsc());
        gen = again;
        atomic_thread_fence(memory_order_acquire);
    }
#endif
    return tp_clock_kernel_ns();
}

// end - start, or 0 when end is earlier (clocks read on two cores, or across a clock change):
// a duration must never wrap to 2^64.
static inline uint64_t tp_elapsed(uint64_t start, uint64_t end) { return end > start ? end - start : 0; }

// tp_util.c
uint64_t tp_realtime_ns(void);
void *tp_real_symbol(const char *name);
int tp_read_self(uintptr_t addr, void *out, size_t len);
uintptr_t tp_find_local_symbol(const char *library_substring, const char *symbol);
uintptr_t tp_find_local_symbol_sized(const char *library_substring, const char *symbol, uint64_t *size);
void tp_agent_note(const char *text);
int tp_fd_high(int fd);
size_t tp_preload_others(const char *list, const char *agent, char *out, size_t cap);

#endif
