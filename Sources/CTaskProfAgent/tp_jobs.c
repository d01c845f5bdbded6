// Swift job tracking. libswift_Concurrency submits every job to Dispatch through dispatch_async_f
// or dispatch_after_f with its file-local work function __swift_run_job (context = the Job *).
// We interpose those two, remember when each job was enqueued, and substitute a wrapper that
// stamps start and end, learns task names, and writes one JOB event per run.
//
// Runs in normal (not signal) context on the target's threads: no locks, no allocation, bounded
// probing; when a table is full the information is dropped and counted, never waited for.
#include "tp_internal.h"
#include <dlfcn.h>
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
static _Atomic(uintptr_t) tp_job_keys[TP_JOB_TABLE_SLOTS];
static uint64_t tp_job_enqueued[TP_JOB_TABLE_SLOTS];
static _Atomic uint64_t tp_task_seen[TP_TASK_SEEN_SLOTS];

int tp_jobs_enabled(void) { return tp_swift_run_job != NULL && tp_job_task_id != NULL; }

void tp_jobs_init(void) {
    tp_swift_run_job = (tp_work_fn)tp_find_local_symbol("libswift_Concurrency.so", "_ZL15__swift_run_jobPv");
    // File-local too; takes the task's status lock, so it is only called from the job wrapper.
    tp_task_get_name = (tp_task_name_fn)tp_find_local_symbol("libswift_Concurrency.so", "_Z22swift_task_getTaskNamePN5swift9AsyncTaskE");
    tp_job_task_id = (tp_job_id_fn)dlsym(RTLD_DEFAULT, "swift_task_getJobTaskId");
    tp_dispatch_time = (tp_dispatch_time_fn)dlsym(RTLD_DEFAULT, "dispatch_time");
    if (!tp_swift_run_job) tp_agent_note("job tracking off: __swift_run_job not found in libswift_Concurrency's symbol table");
    if (!tp_task_get_name) tp_agent_note("task names off: swift_task_getTaskName not found in libswift_Concurrency");
}

static inline uint32_t tp_mix(uintptr_t p) {
    uint64_t x = (uint64_t)p * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 40);
}

static void tp_job_remember(void *job, uint64_t when) {
    uint32_t h = tp_mix((uintptr_t)job);
    for (uint32_t i = 0; i < TP_JOB_PROBE; i++) {
        uint32_t slot = (h + i) & (TP_JOB_TABLE_SLOTS - 1);
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong_explicit(&tp_job_keys[slot], &expected, (uintptr_t)job,
                                                    memory_order_acq_rel, memory_order_relaxed)) {
            tp_job_enqueued[slot] = when;
            return;
        }
    }
    atomic_fetch_add_explicit(&tp_counters[TP_CTR_EVENTS_DROPPED], 1, memory_order_relaxed);
}

static uint64_t tp_job_forget(void *job) {
    uint32_t h = tp_mix((uintptr_t)job);
    for (uint32_t i = 0; i < TP_JOB_PROBE; i++) {
        uint32_t slot = (h + i) & (TP_JOB_TABLE_SLOTS - 1);
        if (atomic_load_explicit(&tp_job_keys[slot], memory_order_acquire) == (uintptr_t)job) {
            uint64_t when = tp_job_enqueued[slot];
            atomic_store_explicit(&tp_job_keys[slot], 0, memory_order_release);
            return when;
        }
    }
    return 0;
}

// True the first time a task id is seen. Lock-free insert into a fixed set.
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
    return 0;   // set full: names of later tasks are not captured (counted by the caller)
}

// A Job's flags word sits after the heap header and two scheduler words; kind 0 is a task.
static inline int tp_job_is_task(void *job) {
    uint32_t flags;
    memcpy(&flags, (uint8_t *)job + 32, sizeof flags);
    return (flags & 0xff) == 0;
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

static void tp_run_job(void *job) {
    struct tp_thread *t = tp_thread_self();
    uint64_t enqueued = tp_job_forget(job);
    uint64_t id = tp_job_task_id(job);
    if (t) {
        if (t->kind == TP_THREAD_OTHER) t->kind = TP_THREAD_SWIFT_POOL;
        if (id) tp_capture_task_name(t, job, id);
    }
    uint64_t start = tp_now_ns();
    tp_swift_run_job(job);   // the job may be freed from here on: do not touch it again
    uint64_t end = tp_now_ns();
    atomic_fetch_add_explicit(&tp_counters[TP_CTR_JOBS], 1, memory_order_relaxed);
    if (!t) return;
    atomic_fetch_add_explicit(&t->jobs_run, 1, memory_order_relaxed);
    struct tp_rec_job rec = {
        .h = { TP_REC_JOB, 0, sizeof rec },
        .task_id = id, .enqueue_ns = enqueued, .start_ns = start, .end_ns = end, .tid = (uint32_t)t->tid,
    };
    if (tp_ring_write(&t->events, &rec, sizeof rec, NULL, 0) != 0)
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_EVENTS_DROPPED], 1, memory_order_relaxed);
}

TP_EXPORT void dispatch_async_f(void *queue, void *ctx, tp_work_fn work) {
    static tp_async_f_fn real;
    if (!real) real = (tp_async_f_fn)tp_real_symbol("dispatch_async_f");
    if (work && work == tp_swift_run_job && tp_cfg.enabled && tp_jobs_enabled()) {
        tp_job_remember(ctx, tp_now_ns());
        work = tp_run_job;
    }
    real(queue, ctx, work);
}

TP_EXPORT void dispatch_after_f(uint64_t when, void *queue, void *ctx, tp_work_fn work) {
    static tp_after_f_fn real;
    if (!real) real = (tp_after_f_fn)tp_real_symbol("dispatch_after_f");
    if (work && work == tp_swift_run_job && tp_cfg.enabled && tp_jobs_enabled()) {
        // The job is due at its deadline: scheduling delay counts from then, not from now.
        uint64_t now = tp_now_ns(), due = now;
        if (tp_dispatch_time) {
            uint64_t dnow = tp_dispatch_time(0, 0);
            if (when != ~0ull && when > dnow && (when >> 62) == 0) due = now + (when - dnow);
        }
        tp_job_remember(ctx, due);
        work = tp_run_job;
    }
    real(when, queue, ctx, work);
}
