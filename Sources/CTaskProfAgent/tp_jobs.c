// Swift job tracking. libswift_Concurrency submits every job to Dispatch through dispatch_async_f
// or dispatch_after_f with its file-local work function __swift_run_job (context = the Job *).
// We interpose those two, remember when each job was enqueued, and substitute a wrapper that
// stamps start and end, learns task names, and writes one JOB event per run.
//
// Runs in normal (not signal) context on the target's threads: no locks, no allocation, bounded
// probing; when a table is full the information is dropped and counted, never waited for.
#include "tp_internal.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#define TP_JOB_TABLE_SLOTS (1u << 16)
#define TP_JOB_PROBE 16
#define TP_TASK_NAME_MAX 200

typedef void (*tp_work_fn)(void *);
typedef void (*tp_async_f_fn)(void *queue, void *ctx, tp_work_fn work);
typedef void (*tp_after_f_fn)(uint64_t when, void *queue, void *ctx, tp_work_fn work);
typedef uint64_t (*tp_dispatch_time_fn)(uint64_t when, int64_t delta);
typedef uint64_t (*tp_job_id_fn)(void *job);
typedef const char *(*tp_task_name_fn)(void *task);

static tp_work_fn tp_swift_run_job;
static tp_job_id_fn tp_job_task_id;
static tp_task_name_fn tp_task_get_name;
static tp_dispatch_time_fn tp_dispatch_time;
static uintptr_t tp_nullary_process;
// Key and time side by side: the enqueueing and the running thread each touch one cache line.
struct tp_job_slot { _Atomic(uintptr_t) job; uint64_t enqueued_ns; };
static struct tp_job_slot tp_job_table[TP_JOB_TABLE_SLOTS];
static _Atomic uint64_t tp_task_seen[TP_TASK_SEEN_SLOTS];
_Atomic uint64_t tp_actor_wait_hist[TP_HANDLER_BUCKETS];

int tp_jobs_enabled(void) { return tp_swift_run_job != NULL && tp_job_task_id != NULL; }
static void tp_inner_jobs_init(void);

void tp_jobs_init(void) {
    tp_swift_run_job = (tp_work_fn)tp_find_local_symbol("libswift_Concurrency.so", "_ZL15__swift_run_jobPv");
    // File-local too; takes the task's status lock, so it is only called from the job wrapper.
    tp_task_get_name = (tp_task_name_fn)tp_find_local_symbol("libswift_Concurrency.so", "_Z22swift_task_getTaskNamePN5swift9AsyncTaskE");
    tp_job_task_id = (tp_job_id_fn)dlsym(RTLD_DEFAULT, "swift_task_getJobTaskId");
    tp_dispatch_time = (tp_dispatch_time_fn)dlsym(RTLD_DEFAULT, "dispatch_time");
    // Task.yield() queues a NullaryContinuationJob, which queues the task when it runs (see
    // tp_run_job). Without the symbol, a yield's delay counts from the second queueing only.
    tp_nullary_process = tp_find_local_symbol("libswift_Concurrency.so", "_ZN5swift22NullaryContinuationJob7processEPNS_3JobE");
    if (!dlsym(RTLD_DEFAULT, "swift_task_getCurrent")) {
        // A program without Swift Concurrency: one note, not a list of missing runtime symbols.
        tp_agent_note("no Swift tasks: the program had not loaded the Swift Concurrency runtime at start (CPU samples only)");
        return;
    }
    if (!tp_swift_run_job) tp_agent_note("job tracking off: __swift_run_job not found in libswift_Concurrency's symbol table");
    if (!tp_task_get_name) tp_agent_note("task names off: swift_task_getTaskName not found in libswift_Concurrency");
    // TASKPROF_ACTOR_WAITS=0 leaves the runtime's TSan hooks alone (for comparison in `make bench`).
    const char *actor_waits = getenv("TASKPROF_ACTOR_WAITS");
    if (tp_jobs_enabled() && !(actor_waits && actor_waits[0] == '0')) tp_inner_jobs_init();
}

static inline uint32_t tp_mix(uintptr_t p) {
    uint64_t x = (uint64_t)p * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 40);
}

// A job enqueued on an actor and then on the global executor (the actor's own drain job) is
// remembered twice: the second time updates the first entry rather than taking a second one.
static void tp_job_remember(void *job, uint64_t when) {
    uint32_t h = tp_mix((uintptr_t)job);
    for (uint32_t i = 0; i < TP_JOB_PROBE; i++) {
        uint32_t slot = (h + i) & (TP_JOB_TABLE_SLOTS - 1);
        uintptr_t expected = 0, cur = atomic_load_explicit(&tp_job_table[slot].job, memory_order_relaxed);
        if (cur == (uintptr_t)job) {
            tp_job_table[slot].enqueued_ns = when;
            return;
        }
        if (cur != 0) continue;
        if (atomic_compare_exchange_strong_explicit(&tp_job_table[slot].job, &expected, (uintptr_t)job,
                                                    memory_order_acq_rel, memory_order_relaxed)) {
            tp_job_table[slot].enqueued_ns = when;
            return;
        }
    }
    atomic_fetch_add_explicit(&tp_counters[TP_CTR_EVENTS_DROPPED], 1, memory_order_relaxed);
}

// When `job` was enqueued, if it waits in the table now (0 otherwise); the entry stays. For
// dumps (writer thread): a task enqueued on an executor waits since then.
uint64_t tp_jobs_enqueued_at(void *job) {
    uint32_t h = tp_mix((uintptr_t)job);
    for (uint32_t i = 0; i < TP_JOB_PROBE; i++) {
        uint32_t slot = (h + i) & (TP_JOB_TABLE_SLOTS - 1);
        if (atomic_load_explicit(&tp_job_table[slot].job, memory_order_acquire) == (uintptr_t)job) return tp_job_table[slot].enqueued_ns;
    }
    return 0;
}

static uint64_t tp_job_forget(void *job) {
    uint32_t h = tp_mix((uintptr_t)job);
    for (uint32_t i = 0; i < TP_JOB_PROBE; i++) {
        uint32_t slot = (h + i) & (TP_JOB_TABLE_SLOTS - 1);
        if (atomic_load_explicit(&tp_job_table[slot].job, memory_order_acquire) == (uintptr_t)job) {
            uint64_t when = tp_job_table[slot].enqueued_ns;
            atomic_store_explicit(&tp_job_table[slot].job, 0, memory_order_release);
            return when;
        }
    }
    return 0;
}

// True the first time a task id is seen. Lock-free insert into a fixed set; when the probe finds
// no room (past ~64k live entries) the id takes its home slot from another, so a name is at worst
// captured again (the reader keeps the last), never lost.
static int tp_task_first_seen(uint64_t id) {
    uint32_t h = tp_mix((uintptr_t)id);
    for (uint32_t i = 0; i < TP_JOB_PROBE; i++) {
        uint32_t slot = (h + i) & (TP_TASK_SEEN_SLOTS - 1);
        uint64_t cur = atomic_load_explicit(&tp_task_seen[slot], memory_order_relaxed);
        if (cur == id) return 0;
        if (cur == 0) {
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong(&tp_task_seen[slot], &expected, id)) return 1;
            if (expected == id) return 0;
        }
    }
    atomic_store_explicit(&tp_task_seen[h & (TP_TASK_SEEN_SLOTS - 1)], id, memory_order_relaxed);
    return 1;
}

// A Job's flags word sits after the heap header and two scheduler words; kind 0 is a task.
static inline int tp_job_is_task(void *job) {
    uint32_t flags;
    memcpy(&flags, (uint8_t *)job + 32, sizeof flags);
    return (flags & 0xff) == 0;
}

// After the flags: a job id, the voucher and a reserved word, then the function that runs a job
// that is not a task (Job::RunJob). Every Job has these fields.
static inline int tp_job_is_yield_continuation(void *job) {
    if (!tp_nullary_process) return 0;
    uintptr_t run;
    memcpy(&run, (uint8_t *)job + 56, sizeof run);
    return run == tp_nullary_process;
}

// The time a job enqueued now counts its delay from: now, or, for the task a yield's
// continuation job resumes, when that continuation job was enqueued (the yield). Without the
// actor hooks, a task resumed onto an idle actor is queued by the actor's drain job, which then
// takes the yield's time instead.
static inline uint64_t tp_enqueue_time(struct tp_thread *t) {
    if (t && t->job.carried_enqueued_ns) {
        uint64_t when = t->job.carried_enqueued_ns;
        t->job.carried_enqueued_ns = 0;
        return when;
    }
    return tp_now_ns();
}

static void tp_capture_task_name(struct tp_thread *t, void *job, uint64_t id) {
    if (!tp_task_get_name || !tp_job_is_task(job) || !tp_task_first_seen(id)) return;
    const char *name = tp_task_get_name(job);
    if (!name || !name[0]) return;
    size_t len = strnlen(name, TP_TASK_NAME_MAX);
    struct tp_rec_task_name rec = { .h = { TP_REC_TASK_NAME, 0, (uint32_t)(sizeof rec + len) }, .task_id = id };
    if (tp_ring_write(&t->events, &rec, sizeof rec, name, (uint32_t)len) != 0)
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_TASK_NAMES_DROPPED], 1, memory_order_relaxed);
}

// Encodes an aggregate as a record: header fields, then the non-empty histogram buckets.
static uint32_t tp_encode_agg(const struct tp_job_agg *a, pid_t tid, uint16_t slot, uint8_t *buf, uint32_t cap) {
    struct tp_rec_job_agg *r = (struct tp_rec_job_agg *)buf;
    uint32_t n = 0, max = (cap - (uint32_t)sizeof *r) / 4;
    memset(r, 0, sizeof *r);
    r->h.type = TP_REC_JOB_AGG;
    r->task_id = a->task_id;
    r->busy_ns = a->busy_ns;
    r->max_poll_ns = a->max_poll_ns;
    r->max_delay_ns = a->max_delay_ns;
    r->first_start_ns = a->first_start_ns;
    r->last_end_ns = a->last_end_ns;
    r->tid = (uint32_t)tid;
    r->polls = a->polls;
    r->delays = a->delays;
    r->gen = a->gen;
    r->slot = slot;
    for (unsigned i = 0; i < TP_HANDLER_BUCKETS && n < max; i++)
        if (a->poll_hist[i]) { r->buckets[n++] = (i << 24) | (a->poll_hist[i] & 0xFFFFFFu); r->npoll++; }
    for (unsigned i = 0; i < TP_HANDLER_BUCKETS && n < max; i++)
        if (a->delay_hist[i]) { r->buckets[n++] = (i << 24) | (a->delay_hist[i] & 0xFFFFFFu); r->ndelay++; }
    r->h.size = (uint32_t)sizeof *r + n * 4;
    return r->h.size;
}

#define TP_AGG_RECORD_MAX (sizeof(struct tp_rec_job_agg) + 2 * TP_HANDLER_BUCKETS * 4)

// Owner thread: writes the aggregate's final state into the event ring and frees the slot.
static void tp_agg_retire(struct tp_thread *t, unsigned slot) {
    struct tp_job_agg *a = &t->job_agg[slot];
    if (!a->polls) return;
    uint8_t buf[TP_AGG_RECORD_MAX];
    uint32_t size = tp_encode_agg(a, t->tid, (uint16_t)slot, buf, sizeof buf);
    if (tp_ring_write(&t->events, buf, size, NULL, 0) != 0)
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_EVENTS_DROPPED], 1, memory_order_relaxed);
    uint32_t seq = atomic_load_explicit(&a->seq, memory_order_relaxed);
    atomic_store_explicit(&a->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    uint32_t gen = a->gen + 1;
    memset((uint8_t *)a + sizeof a->seq, 0, sizeof *a - sizeof a->seq);
    a->gen = gen;
    atomic_store_explicit(&a->seq, seq + 2, memory_order_release);
}

void tp_jobs_flush_thread(struct tp_thread *t) {
    for (unsigned i = 0; i < TP_JOB_AGG_SLOTS; i++) tp_agg_retire(t, i);
}

// Writer thread: a consistent copy of each aggregate that changed since the last snapshot.
void tp_jobs_snapshot_thread(struct tp_thread *t, tp_emit_fn emit) {
    for (unsigned i = 0; i < TP_JOB_AGG_SLOTS; i++) {
        struct tp_job_agg *a = &t->job_agg[i];
        uint32_t s1 = atomic_load_explicit(&a->seq, memory_order_acquire);
        if ((s1 & 1) || s1 == a->snapshot_seq) continue;
        struct tp_job_agg copy;
        memcpy(&copy, a, sizeof copy);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&a->seq, memory_order_relaxed) != s1 || !copy.polls) continue;
        uint8_t buf[TP_AGG_RECORD_MAX];
        emit(buf, tp_encode_agg(&copy, t->tid, (uint16_t)i, buf, sizeof buf));
        a->snapshot_seq = s1;
    }
}

static void tp_agg_add(struct tp_thread *t, uint64_t id, uint64_t start, uint64_t end, uint64_t enqueued) {
    unsigned slot = (unsigned)(id % TP_JOB_AGG_SLOTS);   // task ids are sequential: no collisions among neighbours
    struct tp_job_agg *a = &t->job_agg[slot];
    // Another task in the slot, a full 24-bit count, or an old aggregate: retire it first.
    if (a->polls && (a->task_id != id || a->polls >= 0xFFFFF0u || tp_elapsed(a->first_start_ns, start) > TP_JOB_AGG_PERIOD_NS))
        tp_agg_retire(t, slot);
    uint32_t seq = atomic_load_explicit(&a->seq, memory_order_relaxed);
    atomic_store_explicit(&a->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    uint64_t d = end - start;
    // An aggregate is in use once it counts a poll: jobs that are not tasks (task id 0, such as
    // an actor's drain job) are aggregated too, under task 0.
    if (!a->polls) { a->task_id = id; a->first_start_ns = start; }
    a->last_end_ns = end;
    a->polls++;
    a->busy_ns += d;
    if (d > a->max_poll_ns) a->max_poll_ns = d;
    a->poll_hist[tp_handler_bucket(d)]++;
    if (enqueued && start >= enqueued) {
        uint64_t w = start - enqueued;
        a->delays++;
        if (w > a->max_delay_ns) a->max_delay_ns = w;
        a->delay_hist[tp_handler_bucket(w)]++;
    }
    atomic_store_explicit(&a->seq, seq + 2, memory_order_release);
}

// Records one finished run of a task: its aggregate, and a JOB event when it was a long poll (or
// for every job with `--timeline`; a job the timeline cannot hold counts as timeline.dropped).
static void tp_job_finished(struct tp_thread *t, uint64_t id, uint64_t start, uint64_t end, uint64_t enqueued) {
    if (end < start) end = start;   // a thread that moved to a core whose TSC lags by a few ns
    // Only this thread writes its count: a plain load and store, no contended atomic per job.
    atomic_store_explicit(&t->jobs_run, atomic_load_explicit(&t->jobs_run, memory_order_relaxed) + 1, memory_order_relaxed);
    tp_agg_add(t, id, start, end, enqueued);
    if (end - start < tp_cfg.long_poll_ns) {
        // `record --timeline`: every job, up to the cap (one shared count: far rarer than the
        // per-thread work above, and only when asked for).
        if (!tp_cfg.timeline_cap) return;
        if (atomic_fetch_add_explicit(&tp_counters[TP_CTR_TIMELINE_JOBS], 1, memory_order_relaxed) >= tp_cfg.timeline_cap) {
            atomic_fetch_add_explicit(&tp_counters[TP_CTR_TIMELINE_DROPPED], 1, memory_order_relaxed);
            return;
        }
    }
    struct tp_rec_job rec = {
        .h = { TP_REC_JOB, 0, sizeof rec },
        .task_id = id, .enqueue_ns = enqueued, .start_ns = start, .end_ns = end, .tid = (uint32_t)t->tid,
    };
    if (tp_ring_write(&t->events, &rec, sizeof rec, NULL, 0) != 0) {
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_EVENTS_DROPPED], 1, memory_order_relaxed);
        if (tp_cfg.timeline_cap) atomic_fetch_add_explicit(&tp_counters[TP_CTR_TIMELINE_DROPPED], 1, memory_order_relaxed);
    }
}

static void tp_inner_job_end(struct tp_thread *t, uint64_t end) {
    if (!t->job.inner_task_id) return;
    tp_tasks_job_end(t->job.inner_live, t->job.inner_task_id, (uint32_t)t->tid, end);
    t->job.inner_live = NULL;
    tp_job_finished(t, t->job.inner_task_id, t->job.inner_start_ns, end, t->job.inner_enqueued_ns);
    t->job.inner_task_id = 0;
}

// ---- Jobs inside jobs --------------------------------------------------------------------------
// A default actor runs the jobs queued on it one after another inside a single Dispatch job (its
// drain), so the wrapper above sees the drain and not the task jobs, nor how long each waited in
// the actor's queue. The Swift runtime's ThreadSanitizer support gives both: libswiftCore exports
// two function pointers, `_swift_tsan_acquire` and `_swift_tsan_release`, which are NULL unless
// TSan is loaded and which libswift_Concurrency calls when set, among other places with the Job *
// in swift_task_enqueue (release: a job is queued on any executor) and at the start of
// swift::runJobInEstablishedExecutorContext (acquire: a job starts). The agent sets them, tells
// those two call sites apart from the others by the return address, and leaves them alone when a
// real TSan runtime has set them.
typedef void (*tp_tsan_fn)(void *);
static uintptr_t tp_enqueue_lo, tp_enqueue_hi, tp_runjob_lo, tp_runjob_hi;

static void tp_tsan_release(void *addr) {
    uintptr_t ra = (uintptr_t)__builtin_return_address(0);
    if (ra - tp_enqueue_lo >= tp_enqueue_hi - tp_enqueue_lo || !addr || !tp_cfg.enabled) return;
    struct tp_thread *t = tp_thread_self_fast();
    tp_job_remember(addr, tp_enqueue_time(t));
    // A job for the global executor reaches dispatch_async_f next, on this thread: it need not
    // be remembered (nor the clock read) a second time there.
    if (t) t->last_enqueued_job = addr;
}

static void tp_tsan_acquire(void *addr) {
    uintptr_t ra = (uintptr_t)__builtin_return_address(0);
    if (ra - tp_runjob_lo >= tp_runjob_hi - tp_runjob_lo || !addr || !tp_cfg.enabled) return;
    struct tp_thread *t = tp_thread_self_fast();
    if (!t || addr == t->job.outer_job) return;   // the wrapper's own job: already tracked
    uint64_t now = tp_now_ns(), enqueued = tp_job_forget(addr);
    // Outside any wrapped job (a job started some other way than Dispatch or the swift_job_run
    // wrappers below) the job's end is not seen: only its table entry is freed.
    if (!t->job.in_job) return;
    tp_inner_job_end(t, now);
    t->job.inner_jobs++;
    t->job.inner_task_id = tp_job_task_id(addr);
    t->job.inner_live = tp_tasks_job_start(t, addr, t->job.inner_task_id, now);
    t->job.inner_start_ns = now;
    t->job.inner_enqueued_ns = enqueued;
    atomic_store_explicit(&t->job_start_ns, now, memory_order_relaxed);
    if (t->job.inner_task_id) t->job.task_id = t->job.inner_task_id;
    if (enqueued && now >= enqueued) {
        // Shared counters, one update per actor job: far rarer than samples or global jobs.
        uint64_t w = now - enqueued, max = atomic_load_explicit(&tp_counters[TP_CTR_ACTOR_WAIT_MAX_NS], memory_order_relaxed);
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_ACTOR_JOBS], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_ACTOR_WAIT_NS], w, memory_order_relaxed);
        atomic_fetch_add_explicit(&tp_actor_wait_hist[tp_handler_bucket(w)], 1, memory_order_relaxed);
        while (w > max && !atomic_compare_exchange_weak_explicit(&tp_counters[TP_CTR_ACTOR_WAIT_MAX_NS], &max, w,
                                                                 memory_order_relaxed, memory_order_relaxed)) {}
    }
}

static void tp_inner_jobs_init(void) {
    tp_tsan_fn *acquire = (tp_tsan_fn *)dlsym(RTLD_DEFAULT, "_swift_tsan_acquire");
    tp_tsan_fn *release = (tp_tsan_fn *)dlsym(RTLD_DEFAULT, "_swift_tsan_release");
    uint64_t enqueue_size = 0, runjob_size = 0;
    tp_enqueue_lo = tp_find_local_symbol_sized("libswift_Concurrency.so", "swift_task_enqueue", &enqueue_size);
    tp_runjob_lo = tp_find_local_symbol_sized("libswift_Concurrency.so", "_ZN5swift34runJobInEstablishedExecutorContextEPNS_3JobE", &runjob_size);
    if (!acquire || !release || !tp_enqueue_lo || !tp_runjob_lo || !enqueue_size || !runjob_size) {
        tp_agent_note("actor queue waits off: the Swift runtime's TSan hooks or their call sites were not found");
        return;
    }
    if (*acquire || *release) {
        tp_agent_note("actor queue waits off: ThreadSanitizer is using the Swift runtime's TSan hooks");
        return;
    }
    tp_enqueue_hi = tp_enqueue_lo + enqueue_size;
    tp_runjob_hi = tp_runjob_lo + runjob_size;
    *acquire = tp_tsan_acquire;
    *release = tp_tsan_release;
}

// A job run as the wrapper sees it: what tp_job_begin saved for tp_job_end.
struct tp_job_run {
    struct tp_thread *t;
    struct tp_job_state outer;
    uint64_t outer_job_start, start, enqueued, id;
    void *live;                        // the task's live-task entry (tp_tasks.c)
};

// Before a job runs: its enqueue time, task and name. Returns 0 when the thread is not tracked
// (the job only leaves the table).
static int tp_job_begin(struct tp_job_run *r, void *job) {
    tp_writer_poke();
    struct tp_thread *t = tp_thread_self();
    r->t = t;
    r->enqueued = tp_job_forget(job);
    r->id = tp_job_task_id(job);
    if (!t) return 0;
    // Consecutive jobs of one task on one thread are common (yields, loops): skip the shared
    // seen-set for them.
    if (r->id && r->id != t->last_task_id) {
        t->last_task_id = r->id;
        tp_capture_task_name(t, job, r->id);
    }
    r->start = tp_now_ns();
    // Jobs nest when a job runs another synchronously (rare); restore the outer state after,
    // including an actor job the outer one was running, which must not end here.
    r->outer = t->job;
    t->job = (struct tp_job_state){ .in_job = 1, .outer_job = job, .task_id = r->id };
    // A yield queues a continuation job that queues the task: the task's delay counts from the
    // yield, so this job hands its enqueue time on and counts no delay of its own.
    if (r->id == 0 && r->enqueued && tp_job_is_yield_continuation(job)) {
        t->job.carried_enqueued_ns = r->enqueued;
        r->enqueued = 0;
    }
    r->outer_job_start = atomic_load_explicit(&t->job_start_ns, memory_order_relaxed);
    atomic_store_explicit(&t->job_start_ns, r->start, memory_order_relaxed);
    r->live = tp_tasks_job_start(t, job, r->id, r->start);
    return 1;
}

// After it ran (the job may be freed by now: only what tp_job_begin kept is used).
static void tp_job_end(struct tp_job_run *r) {
    struct tp_thread *t = r->t;
    uint64_t end = tp_now_ns();
    atomic_store_explicit(&t->job_start_ns, r->outer_job_start, memory_order_relaxed);
    tp_inner_job_end(t, end);
    int inner_jobs = t->job.inner_jobs;
    t->job = r->outer;
    tp_tasks_job_end(r->live, r->id, (uint32_t)t->tid, end);
    // A drain that ran task jobs is counted through them; its own span would count them twice.
    if (!(r->id == 0 && inner_jobs > 0)) tp_job_finished(t, r->id, r->start, end, r->enqueued);
}

static void tp_run_job(void *job) {
    struct tp_job_run r;
    int tracked = tp_job_begin(&r, job);
    if (tracked && r.t->kind == TP_THREAD_OTHER) r.t->kind = TP_THREAD_SWIFT_POOL;
    tp_swift_run_job(job);
    if (tracked) tp_job_end(&r);
}

// For the wrappers below: whether to track this run. Not when the job is already being tracked
// on this thread (a runtime that reached a wrapper from its own Dispatch path). A custom
// executor's thread keeps its kind; the profile counts it as a worker by the jobs it ran.
static int tp_job_begin_custom(struct tp_job_run *r, void *job) {
    if (!tp_cfg.enabled || !tp_jobs_enabled()) return 0;
    struct tp_thread *t = tp_thread_self_fast();
    if (t && t->job.in_job && t->job.outer_job == job) return 0;
    return tp_job_begin(r, job);
}

// ---- Jobs on custom executors ------------------------------------------------------------------
// An executor of the program's own (a thread behind an actor's `unownedExecutor`, a SwiftNIO
// event loop used as a task executor or as the global executor) runs its jobs with
// `runSynchronously(on:)`, which calls these exported runtime entry points and never Dispatch.
// The runtime's own calls to them are direct, so only such executors reach these wrappers. They
// use the Swift calling convention; the executor references are two words each.
typedef void (*tp_job_run_fn)(void *job, uintptr_t id, uintptr_t impl) __attribute__((swiftcall));
typedef void (*tp_job_run2_fn)(void *job, uintptr_t id, uintptr_t impl, uintptr_t id2, uintptr_t impl2) __attribute__((swiftcall));

// Runs a job through the real entry point `name`, tracked (profiles never show agent frames).
static void tp_run_custom(tp_job_run_fn *real, const char *name, void *job, uintptr_t executor, uintptr_t impl) {
    if (!*real) *real = (tp_job_run_fn)tp_real_symbol(name);
    if (!*real) abort();   // the program called it, so the runtime has it
    struct tp_job_run r;
    int tracked = tp_job_begin_custom(&r, job);
    (*real)(job, executor, impl);
    if (tracked) tp_job_end(&r);
}

TP_EXPORT __attribute__((swiftcall)) void swift_job_run(void *job, uintptr_t executor, uintptr_t impl) {
    static tp_job_run_fn real;
    tp_run_custom(&real, "swift_job_run", job, executor, impl);
}

TP_EXPORT __attribute__((swiftcall)) void swift_job_run_on_task_executor(void *job, uintptr_t executor, uintptr_t impl) {
    static tp_job_run_fn real;
    tp_run_custom(&real, "swift_job_run_on_task_executor", job, executor, impl);
}

TP_EXPORT __attribute__((swiftcall)) void swift_job_run_on_serial_and_task_executor(void *job, uintptr_t serial, uintptr_t serial_impl,
                                                                                  uintptr_t task, uintptr_t task_impl) {
    static tp_job_run2_fn real;
    if (!real) real = (tp_job_run2_fn)tp_real_symbol("swift_job_run_on_serial_and_task_executor");
    if (!real) abort();
    struct tp_job_run r;
    int tracked = tp_job_begin_custom(&r, job);
    real(job, serial, serial_impl, task, task_impl);
    if (tracked) tp_job_end(&r);
}

TP_EXPORT void dispatch_async_f(void *queue, void *ctx, tp_work_fn work) {
    static tp_async_f_fn real;
    if (!real) real = (tp_async_f_fn)tp_real_symbol("dispatch_async_f");
    if (work && work == tp_swift_run_job && tp_cfg.enabled && tp_jobs_enabled()) {
        struct tp_thread *t = tp_thread_self_fast();
        if (!t || t->last_enqueued_job != ctx) tp_job_remember(ctx, tp_enqueue_time(t));
        // Only the very next submission can be that job: a stale pointer must not match later.
        if (t) t->last_enqueued_job = NULL;
        work = tp_run_job;
    }
    real(queue, ctx, work);
}

TP_EXPORT void dispatch_after_f(uint64_t when, void *queue, void *ctx, tp_work_fn work) {
    static tp_after_f_fn real;
    if (!real) real = (tp_after_f_fn)tp_real_symbol("dispatch_after_f");
    if (work && work == tp_swift_run_job && tp_cfg.enabled && tp_jobs_enabled()) {
        // The job is due at its deadline: scheduling delay counts from then, not from now. The
        // top two bits of a dispatch_time_t name its clock: 00 uptime (SuspendingClock), 10
        // monotonic time that counts suspend (ContinuousClock, what Task.sleep(for:) uses), 11
        // wall time (never from Swift). Dispatch's own "now" in that clock says how far ahead
        // the deadline is; anything else counts from now.
        uint64_t now = tp_now_ns(), due = now;
        unsigned kind = (unsigned)(when >> 62);
        if (tp_dispatch_time && when != ~0ull && (kind == 0 || kind == 2)) {
            uint64_t dnow = tp_dispatch_time(kind == 2 ? 1ull << 63 : 0, 0);
            if (when > dnow) due = now + (when - dnow);
        }
        tp_job_remember(ctx, due);
        work = tp_run_job;
    }
    real(when, queue, ctx, work);
}
