// Thread registry: one slot per live thread of the target, found through an interposed
// pthread_create (libdispatch workers included) and /proc/self/task for threads that existed
// before the agent started. Slots and rings are set up before a thread's first sample.
#include "tp_internal.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct tp_thread tp_threads[TP_MAX_THREADS];

// initial-exec: the agent is preloaded, so its TLS is static and reading it never allocates,
// which keeps the signal handler async-signal-safe.
static __thread struct tp_thread *tp_self __attribute__((tls_model("initial-exec")));
static __thread int tp_is_agent_thread __attribute__((tls_model("initial-exec")));
static pthread_key_t tp_exit_key;
static pthread_once_t tp_key_once = PTHREAD_ONCE_INIT;

pid_t tp_gettid(void) { return (pid_t)syscall(SYS_gettid); }

// TLS only, for interposers on hot paths: a thread the agent has not registered is not tracked.
struct tp_thread *tp_thread_self_fast(void) { return tp_self; }

// Called from the handler: TLS first, then a scan for threads registered by another thread.
struct tp_thread *tp_thread_self(void) {
    struct tp_thread *t = tp_self;
    if (t) return t;
    if (tp_is_agent_thread) return NULL;
    pid_t tid = tp_gettid();
    for (int i = 0; i < TP_MAX_THREADS; i++) {
        if (atomic_load_explicit(&tp_threads[i].state, memory_order_acquire) == TP_SLOT_LIVE &&
            tp_threads[i].tid == tid) {
            tp_self = &tp_threads[i];
            return tp_self;
        }
    }
    return NULL;
}

static struct tp_thread *tp_slot_claim(pid_t tid, int kind) {
    for (int i = 0; i < TP_MAX_THREADS; i++) {
        int expected = TP_SLOT_FREE;
        struct tp_thread *t = &tp_threads[i];
        if (atomic_load_explicit(&t->state, memory_order_relaxed) != TP_SLOT_FREE) continue;
        // Claim with a transient state so the writer does not look at a half-built slot.
        if (!atomic_compare_exchange_strong(&t->state, &expected, -1)) continue;
        t->tid = tid;
        t->kind = kind;
        t->perf_fd = -1;
        t->timer = NULL;
        t->stack_lo = t->stack_hi = 0;
        t->from_proc = 0;
        // The handler's scratch and row memo, touched now, so a thread's first sample does not
        // pay page faults on them; an empty memo is also what a new thread needs.
        memset(&t->unwind_cache, 0, sizeof t->unwind_cache);
        memset(t->frames, 0, sizeof t->frames);
        memset(t->fps, 0, sizeof t->fps);
        memset(t->r14s, 0, sizeof t->r14s);
        t->sampled = 0;
        atomic_store(&t->jobs_run, 0);
        t->last_task_id = 0;
        memset(&t->job, 0, sizeof t->job);
        t->last_enqueued_job = NULL;
        atomic_store(&t->job_start_ns, 0);
        t->last_sample_ns = 0;
        t->captured_start_ns = 0;
        t->in_interposer = 0;
        t->event_loop = 0;
        t->tick_start_ns = 0;
        memset(t->job_agg, 0, sizeof t->job_agg);
        atomic_store(&t->sampling, 0);
        memset(t->reported_name, 0, sizeof t->reported_name);
        t->reported_kind = 0;
        t->reported_jobs = 0;
        memset(t->exit_name, 0, sizeof t->exit_name);
        if (tp_ring_init(&t->samples, tp_sample_ring_bytes) != 0 ||
            tp_ring_init(&t->events, tp_cfg.timeline_cap ? TP_EVENT_RING_TIMELINE_BYTES : TP_EVENT_RING_BYTES) != 0) {
            tp_ring_free(&t->samples);
            tp_ring_free(&t->events);
            atomic_store(&t->state, TP_SLOT_FREE);
            return NULL;
        }
        return t;
    }
    return NULL;
}

static void tp_thread_exit_cb(void *arg) {
    (void)arg;
    tp_thread_unregister_current();
}

static void tp_make_key(void) { pthread_key_create(&tp_exit_key, tp_thread_exit_cb); }

struct tp_thread *tp_thread_register_current(int kind) {
    if (tp_self) return tp_self;
    struct tp_thread *t = tp_slot_claim(tp_gettid(), kind);
    if (!t) {
        atomic_fetch_add(&tp_counters[TP_CTR_THREADS_UNSAMPLED], 1);
        return NULL;
    }
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr; size_t size;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            t->stack_lo = (uintptr_t)addr;
            t->stack_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    tp_self = t;
    pthread_once(&tp_key_once, tp_make_key);
    pthread_setspecific(tp_exit_key, t);   // non-NULL so the destructor runs at thread exit
    atomic_store_explicit(&t->state, TP_SLOT_LIVE, memory_order_release);
    atomic_fetch_add(&tp_counters[TP_CTR_THREADS], 1);
    if (tp_sampler_start_thread(t) != 0) atomic_fetch_add(&tp_counters[TP_CTR_THREADS_UNSAMPLED], 1);
    return t;
}

// Threads alive before the agent started, other than the caller. Their stack bounds are
// unknown, so the handler reads their frames through process_vm_readv, which cannot fault.
void tp_thread_register_existing(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return;
    pid_t self = tp_gettid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == self) continue;
        struct tp_thread *t = tp_slot_claim(tid, TP_THREAD_OTHER);
        if (!t) { atomic_fetch_add(&tp_counters[TP_CTR_THREADS_UNSAMPLED], 1); continue; }
        t->from_proc = 1;
        atomic_store_explicit(&t->state, TP_SLOT_LIVE, memory_order_release);
        atomic_fetch_add(&tp_counters[TP_CTR_THREADS], 1);
        if (tp_sampler_start_thread(t) != 0) atomic_fetch_add(&tp_counters[TP_CTR_THREADS_UNSAMPLED], 1);
    }
    closedir(d);
}

void tp_thread_unregister_current(void) {
    struct tp_thread *t = tp_self;
    if (!t) return;
    atomic_store(&t->sampling, 0);
    tp_sampler_stop_thread(t);
    tp_jobs_flush_thread(t);
    // A thread that lived less than a writer cycle (or a main thread that left by pthread_exit,
    // as dispatch_main does) would otherwise never have its name read.
    prctl(PR_GET_NAME, t->exit_name, 0, 0, 0);
    tp_self = NULL;
    // The writer drains the rings, reports the end, then frees the slot.
    atomic_store_explicit(&t->state, TP_SLOT_EXITED, memory_order_release);
}

void tp_thread_mark_agent(void) { tp_is_agent_thread = 1; }

// ---- pthread_create interposer ---------------------------------------------------------------

struct tp_start { void *(*fn)(void *); void *arg; };

static void *tp_thread_trampoline(void *p) {
    struct tp_start s = *(struct tp_start *)p;
    free(p);
    if (tp_cfg.enabled) tp_thread_register_current(TP_THREAD_OTHER);
    return s.fn(s.arg);   // the key destructor unregisters, also after pthread_exit
}

typedef int (*tp_pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

TP_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
    static tp_pthread_create_fn real;
    if (!real) real = (tp_pthread_create_fn)tp_real_symbol("pthread_create");
    if (!real) return EAGAIN;
    if (!tp_cfg.enabled) return real(thread, attr, fn, arg);
    tp_writer_poke();
    struct tp_start *s = malloc(sizeof *s);
    if (!s) return real(thread, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    int rc = real(thread, attr, tp_thread_trampoline, s);
    if (rc != 0) free(s);
    return rc;
}

// The agent's own threads are created with the real pthread_create and never registered.
// The agent's threads start with every signal blocked (a new thread inherits its creator's mask,
// so there is no moment when a process-directed signal could land on one).
int tp_create_agent_thread(pthread_t *thread, void *(*fn)(void *), void *arg) {
    tp_pthread_create_fn real = (tp_pthread_create_fn)tp_real_symbol("pthread_create");
    if (!real) return -1;
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    int rc = real(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return rc;
}

void tp_thread_forget_self(void) { tp_self = NULL; }

// Fork's child handler (async-signal-safe: no pthread_getattr_np, no allocation): the thread
// that forked, with the stack bounds it had in the parent (the same memory). Its exit destructor
// is already set: the child inherited the thread's key value. Unknown bounds (a thread the agent
// had not registered) leave its frames to process_vm_readv, as for threads found in /proc.
struct tp_thread *tp_thread_register_forked(int kind, uintptr_t stack_lo, uintptr_t stack_hi) {
    struct tp_thread *t = tp_slot_claim(tp_gettid(), kind);
    if (!t) {
        atomic_fetch_add(&tp_counters[TP_CTR_THREADS_UNSAMPLED], 1);
        return NULL;
    }
    t->stack_lo = stack_lo;
    t->stack_hi = stack_hi;
    t->from_proc = stack_lo == 0;
    tp_self = t;
    atomic_store_explicit(&t->state, TP_SLOT_LIVE, memory_order_release);
    atomic_fetch_add(&tp_counters[TP_CTR_THREADS], 1);
    if (tp_sampler_start_thread(t) != 0) atomic_fetch_add(&tp_counters[TP_CTR_THREADS_UNSAMPLED], 1);
    return t;
}
