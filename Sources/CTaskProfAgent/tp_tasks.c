// Live tasks: which Swift tasks are alive, and for a dump, what each one is doing.
//
// Why: a task suspended forever burns no CPU, runs no job and blocks no thread, so nothing else
// the agent records shows it. The runtime keeps no list of its tasks, so the agent keeps one:
//   - swift_task_create (interposed; programs call it through the PLT for Task {}, Task.detached,
//     async let and group.addTask) adds a task with its creator, creation time and call site;
//   - the job wrapper (tp_jobs.c) marks a task running on a thread, and not running when its job
//     returns (a task it never saw created is added then);
//   - the writer thread drops tasks that completed (tp_tasks_sweep).
// A dump (tp_tasks_dump, writer thread only, never the signal handler) reads each task's state
// out of the runtime's task object: its status flags, what its dependency record says it waits
// on, its resume function and the chain of async contexts behind it (the await stack). Every
// read of task memory goes through process_vm_readv, which fails instead of faulting, and every
// value read is checked before it is followed. The layout is the one of the Swift 6.3 runtime,
// checked at start against the runtime's own debug variables (_swift_concurrency_debug_*) and by
// Tests/TaskProfEndToEndTests/StuckTaskTests; another runtime gets a note and no dumps.
//
// Hot path (every job): one probe of a fixed open-addressing table keyed by task id, cached per
// thread for consecutive jobs of one task; no locks, no allocation; a full table drops the task
// and counts it.
#include "tp_internal.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <string.h>
#include <unistd.h>

#define TP_LIVE_SLOTS (1u << 16)
#define TP_LIVE_PROBE 32

struct tp_live_task {
    _Atomic uint64_t id;           // the key; 0: free
    _Atomic uint64_t ready;        // = id once the other fields are set: the sweep and dumps read only such entries
    _Atomic uintptr_t task;        // the AsyncTask *
    uint64_t creator_id;           // the task that created it (0: none, or not seen)
    uint64_t created_ns;           // 0: created before the agent saw it
    uintptr_t created_at[TP_CREATED_AT_FRAMES];   // return addresses out of swift_task_create, innermost first
    _Atomic uint64_t since_ns;     // when it last started or stopped running
    _Atomic uint32_t tid;          // the thread running it now, 0 when not running
    uint32_t create_flags;         // swift_task_create's flags (TaskCreateFlags), when seen
};

static struct tp_live_task tp_live[TP_LIVE_SLOTS];
static _Atomic uint32_t tp_live_used;
static int tp_tasks_on;
static char tp_tasks_off_note[128];

// ---- The runtime's layout (Swift 6.3.1, x86-64) ---------------------------------------------
// Read from the shipped libswift_Concurrency.so (swift_task_future_wait, swift_task_getJobTaskId,
// the status-record code) and confirmed by reading suspended tasks' memory on this runtime;
// Tests/TaskProfEndToEndTests/StuckTaskTests checks every value below through the dumps of
// Examples/StuckTasks. Names as in include/swift/ABI/Task.h and TaskPrivate.h.
enum {
    TP_JOB_FLAGS = 0x20,             // Job::Flags (JobFlags, 32 bits)
    TP_JOB_ID = 0x24,                // Job::Id: the task id's low 32 bits
    TP_JOB_RESUME = 0x38,            // Job::ResumeTask: where a suspended task continues
    TP_TASK_RESUME_CONTEXT = 0x40,   // AsyncTask::ResumeContext
    TP_TASK_STATUS = 0x60,           // PrivateStorage::_Status: u32 flags, u32 unused, innermost status record
    TP_TASK_ID_HIGH = 0x90,          // PrivateStorage::Id: the task id's high 32 bits
    TP_TASK_DEPENDENCY = 0xa0,       // PrivateStorage::dependencyRecord (TaskDependencyStatusRecord *)
};
// What the runtime's debug variables say of the layout above.
#define TP_KNOWN_LAYOUT_VERSION 1u
#define TP_KNOWN_TASK_SIZE 0xd0u
// JobFlags
#define TP_JF_KIND_MASK 0xffu
#define TP_JF_CHILD (1u << 24)
#define TP_JF_GROUP_CHILD (1u << 26)
#define TP_JF_ASYNC_LET (1u << 28)
// ActiveTaskStatus flags
#define TP_TS_CANCELLED 0x100u
#define TP_TS_RUNNING 0x800u
#define TP_TS_ENQUEUED 0x1000u
#define TP_TS_COMPLETE 0x2000u
#define TP_TS_DEPENDENCY 0x4000u
// TaskDependencyStatusRecord: { flags (kind 0), parent, waiting on, witness, u32 kind, waiting task }
#define TP_DEP_ON 0x10
#define TP_DEP_KIND 0x20
enum { TP_DEP_TASK = 1, TP_DEP_CONTINUATION = 2, TP_DEP_GROUP = 3, TP_DEP_EXECUTOR = 4 };
// TaskCreateFlags
#define TP_CF_INHERIT_CONTEXT (1u << 11)

static uintptr_t tp_task_metadata;     // every AsyncTask's isa
static uint32_t tp_task_size;          // sizeof(AsyncTask): the fragments follow it (ChildFragment first)
// Resume functions that only hand over to the awaiting function (its own resume point is the
// context's ResumeParent): left out of await stacks.
static uintptr_t tp_resume_adapters[4];

typedef uint64_t (*tp_job_id_fn)(void *job);
static tp_job_id_fn tp_task_id_of;
static void tp_hook_destroy(void);

int tp_tasks_enabled(void) { return tp_tasks_on; }

void tp_tasks_init(void) {
    tp_task_id_of = (tp_job_id_fn)dlsym(RTLD_DEFAULT, "swift_task_getJobTaskId");
    if (!tp_task_id_of || !dlsym(RTLD_DEFAULT, "swift_task_getCurrent")) return;   // no Swift Concurrency
    // TASKPROF_LIVE_TASKS=0 leaves live tasks untracked (for comparison in `make bench`).
    const char *live = getenv("TASKPROF_LIVE_TASKS");
    if (live && live[0] == '0') {
        snprintf(tp_tasks_off_note, sizeof tp_tasks_off_note, "live tasks off: TASKPROF_LIVE_TASKS=0");
        return;
    }
    const uintptr_t *metadata = dlsym(RTLD_DEFAULT, "_swift_concurrency_debug_asyncTaskMetadata");
    const size_t *size = dlsym(RTLD_DEFAULT, "_swift_concurrency_debug_asyncTaskSize");
    const unsigned *version = dlsym(RTLD_DEFAULT, "_swift_concurrency_debug_internal_layout_version");
    if (!metadata || !size || !version) {
        snprintf(tp_tasks_off_note, sizeof tp_tasks_off_note, "live tasks off: the Swift runtime has no _swift_concurrency_debug_* layout variables");
        tp_agent_note(tp_tasks_off_note);
        return;
    }
    // TASKPROF_TASK_LAYOUT pretends another layout version (tests of the unknown-runtime path).
    const char *pretend = getenv("TASKPROF_TASK_LAYOUT");
    unsigned layout = pretend && pretend[0] ? (unsigned)strtoul(pretend, NULL, 10) : *version;
    if (layout != TP_KNOWN_LAYOUT_VERSION || *size != TP_KNOWN_TASK_SIZE) {
        snprintf(tp_tasks_off_note, sizeof tp_tasks_off_note,
                 "live tasks off: unknown Swift runtime task layout (version %u, task size %zu; known: %u, %u)", layout, *size,
                 TP_KNOWN_LAYOUT_VERSION, TP_KNOWN_TASK_SIZE);
        tp_agent_note(tp_tasks_off_note);
        return;
    }
    tp_task_metadata = *metadata;
    tp_task_size = (uint32_t)*size;
    tp_hook_destroy();
    const char *adapters[] = { "_swift_concurrency_debug_task_future_wait_resume_adapter",
                               "_swift_concurrency_debug_task_wait_throwing_resume_adapter",
                               "_swift_concurrency_debug_future_adapter", "_swift_concurrency_debug_non_future_adapter" };
    for (int i = 0; i < 4; i++) {
        const uintptr_t *a = dlsym(RTLD_DEFAULT, adapters[i]);
        tp_resume_adapters[i] = a ? *a : 0;
    }
    tp_tasks_on = 1;
}

static inline uint32_t tp_live_hash(uint64_t id) { return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 40); }

// The task's entry, added when absent and `add` (a racing add of the same id by another thread
// finds the winner's). NULL when the table has no room near the id's home slot (counted).
static struct tp_live_task *tp_live_find(uint64_t id, uintptr_t task, int add) {
    uint32_t h = tp_live_hash(id);
    for (uint32_t i = 0; i < TP_LIVE_PROBE; i++) {
        struct tp_live_task *e = &tp_live[(h + i) & (TP_LIVE_SLOTS - 1)];
        uint64_t cur = atomic_load_explicit(&e->id, memory_order_acquire);
        if (cur == id) return e;
        if (cur != 0 || !add) continue;
        if (!atomic_compare_exchange_strong_explicit(&e->id, &cur, id, memory_order_acq_rel, memory_order_acquire)) {
            if (cur == id) return e;
            continue;
        }
        atomic_store_explicit(&e->task, task, memory_order_relaxed);
        e->creator_id = 0;
        e->created_ns = 0;
        memset(e->created_at, 0, sizeof e->created_at);
        e->create_flags = 0;
        atomic_store_explicit(&e->tid, 0, memory_order_relaxed);
        atomic_store_explicit(&e->since_ns, 0, memory_order_relaxed);
        atomic_store_explicit(&e->ready, id, memory_order_release);
        atomic_fetch_add_explicit(&tp_live_used, 1, memory_order_relaxed);
        return e;
    }
    if (add) atomic_fetch_add_explicit(&tp_counters[TP_CTR_TASKS_UNTRACKED], 1, memory_order_relaxed);
    return NULL;
}

// ---- Creation --------------------------------------------------------------------------------
// SWIFT_CC(swift) AsyncTaskAndContext swift_task_create(size_t flags, TaskOptionRecord *options,
//     const Metadata *futureResultType, void *closureEntry, HeapObject *closureContext);
// Two pointers come back in rax:rdx, as a C struct of two pointers does.
struct tp_task_and_context { void *task; void *context; };
typedef struct tp_task_and_context (*tp_task_create_fn)(size_t, void *, const void *, void *, void *) __attribute__((swiftcall));

// The return addresses of the frames out of swift_task_create, through the frame-pointer chain
// (Swift code keeps frame pointers; a frame outside the thread's stack ends the walk).
__attribute__((noinline)) static void tp_creation_site(uintptr_t *site) {
    struct tp_thread *t = tp_thread_self_fast();
    // This function's frame, then the interposer's: the interposer's return address is the first.
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    if (!t || !t->stack_hi) return;
    uintptr_t words[2];
    if (fp < t->stack_lo || fp + 16 > t->stack_hi) return;
    memcpy(words, (const void *)fp, sizeof words);
    fp = words[0];   // the interposer's frame
    for (int k = 0; k < TP_CREATED_AT_FRAMES; k++) {
        if (fp & 7 || fp < t->stack_lo || fp + 16 > t->stack_hi) return;
        memcpy(words, (const void *)fp, sizeof words);
        site[k] = words[1];
        if (words[0] <= fp) return;
        fp = words[0];
    }
}

TP_EXPORT __attribute__((swiftcall)) struct tp_task_and_context swift_task_create(size_t flags, void *options, const void *type,
                                                                                  void *entry, void *context) {
    static tp_task_create_fn real;
    if (!real) real = (tp_task_create_fn)tp_real_symbol("swift_task_create");
    if (!real) abort();   // the program called it, so the runtime has it
    uintptr_t site[TP_CREATED_AT_FRAMES] = { 0 };
    if (tp_tasks_on && tp_cfg.enabled) tp_creation_site(site);
    uint64_t creator = tp_tasks_on && tp_cfg.enabled ? tp_current_task_id() : 0;
    struct tp_task_and_context r = real(flags, options, type, entry, context);
    if (!tp_tasks_on || !tp_cfg.enabled || !r.task) return r;
    atomic_fetch_add_explicit(&tp_counters[TP_CTR_TASKS_CREATED], 1, memory_order_relaxed);
    uint64_t id = tp_task_id_of(r.task);
    struct tp_live_task *e = id ? tp_live_find(id, (uintptr_t)r.task, 1) : NULL;
    if (e) {
        e->creator_id = creator;
        memcpy(e->created_at, site, sizeof site);
        e->create_flags = (uint32_t)flags;
        e->created_ns = tp_now_ns();
        if (!atomic_load_explicit(&e->since_ns, memory_order_relaxed)) atomic_store_explicit(&e->since_ns, e->created_ns, memory_order_relaxed);
    }
    return r;
}

// ---- Destruction -----------------------------------------------------------------------------
// A task leaves the table when the runtime destroys it: every AsyncTask's heap metadata names the
// function that destroys it (HeapMetadataHeader::destroy, 16 bytes before the isa), and the
// metadata lives in libswift_Concurrency's writable data. The agent puts a wrapper there that
// drops the task, then calls the runtime's destroyTask. Only when the slot holds exactly the
// runtime's own destroyTask (found in its symbol table); otherwise the sweep alone finds the
// tasks that are gone. `async let` children live in their parent's allocator and are never
// destroyed this way: the sweep finds them.
typedef void (*tp_destroy_fn)(void *object __attribute__((swift_context))) __attribute__((swiftcall));
static tp_destroy_fn tp_real_destroy_task;

static void tp_live_remove(struct tp_live_task *e, uint64_t id);

__attribute__((swiftcall)) static void tp_destroy_task(void *object __attribute__((swift_context))) {
    uint32_t low, high;
    memcpy(&low, (const uint8_t *)object + TP_JOB_ID, 4);
    memcpy(&high, (const uint8_t *)object + TP_TASK_ID_HIGH, 4);
    uint64_t id = (uint64_t)high << 32 | low;
    struct tp_live_task *e = id ? tp_live_find(id, 0, 0) : NULL;
    if (e) tp_live_remove(e, id);
    tp_real_destroy_task(object);
}

static void tp_hook_destroy(void) {
    uintptr_t destroy = tp_find_local_symbol("libswift_Concurrency.so", "_ZL11destroyTaskPN5swift10HeapObjectE");
    _Atomic(uintptr_t) *slot = (_Atomic(uintptr_t) *)(tp_task_metadata - 16);
    if (!destroy || atomic_load(slot) != destroy) {
        tp_agent_note("live tasks: finished tasks are found by a sweep once a second (the runtime's destroyTask was not where expected)");
        return;
    }
    tp_real_destroy_task = (tp_destroy_fn)destroy;
    // Written with process_vm_writev, which fails instead of faulting if a runtime of the same
    // layout keeps its metadata read-only.
    uintptr_t value = (uintptr_t)tp_destroy_task;
    struct iovec local = { &value, sizeof value }, remote = { (void *)slot, sizeof value };
    if (syscall(SYS_process_vm_writev, (long)getpid(), (long)&local, 1L, (long)&remote, 1L, 0L) != (long)sizeof value)
        tp_agent_note("live tasks: finished tasks are found by a sweep once a second (the task metadata is read-only)");
}

// ---- Jobs (tp_jobs.c) ------------------------------------------------------------------------
void *tp_tasks_job_start(struct tp_thread *t, void *job, uint64_t id, uint64_t now) {
    if (!tp_tasks_on || !id) return NULL;
    struct tp_live_task *e = t->live_id == id ? t->live_entry : NULL;
    if (e && atomic_load_explicit(&e->id, memory_order_relaxed) != id) e = NULL;
    if (!e) {
        e = tp_live_find(id, (uintptr_t)job, 1);
        t->live_id = id;
        t->live_entry = e;
    }
    if (e) {
        atomic_store_explicit(&e->tid, (uint32_t)t->tid, memory_order_relaxed);
        atomic_store_explicit(&e->since_ns, now, memory_order_relaxed);
    }
    return e;
}

// Only when the task is still marked running on this thread: a task that suspended during the
// job may already run again on another thread, before this wrapper returns.
void tp_tasks_job_end(void *entry, uint64_t id, uint32_t tid, uint64_t now) {
    struct tp_live_task *e = entry;
    if (!e || atomic_load_explicit(&e->id, memory_order_relaxed) != id) return;
    uint32_t mine = tid;
    if (atomic_compare_exchange_strong_explicit(&e->tid, &mine, 0, memory_order_relaxed, memory_order_relaxed))
        atomic_store_explicit(&e->since_ns, now, memory_order_relaxed);
}

// A followed fork child: the parent's tasks are not its own (its memory holds copies of them).
// Async-signal-safe: only the entries in use are written (the rest stay shared with the parent).
void tp_tasks_after_fork_child(void) {
    if (!tp_tasks_on) return;
    for (uint32_t i = 0; i < TP_LIVE_SLOTS; i++) {
        if (!atomic_load_explicit(&tp_live[i].id, memory_order_relaxed)) continue;
        atomic_store_explicit(&tp_live[i].ready, 0, memory_order_relaxed);
        atomic_store_explicit(&tp_live[i].id, 0, memory_order_relaxed);
    }
    atomic_store_explicit(&tp_live_used, 0, memory_order_relaxed);
}

// ---- Reading a task (writer thread) ------------------------------------------------------------
struct tp_task_view {
    uint64_t id;
    uint32_t job_flags, status_flags;
    uintptr_t resume, resume_context, dependency;
    uintptr_t parent;                // ChildFragment::Parent
};

static int tp_read(uintptr_t addr, void *out, size_t len) {
    if (!addr || addr < 4096 || (addr & 7)) return 0;
    return tp_read_self(addr, out, len);
}

#define TP_HEADER_BYTES (TP_TASK_ID_HIGH + 8)   // a task's header up to the id's high half

// The id of the task whose header (at least TP_HEADER_BYTES) is `b`; 0 when it is not a task's.
static uint64_t tp_header_task_id(const uint8_t *b) {
    uintptr_t isa;
    uint32_t low, high;
    memcpy(&isa, b, 8);
    if (isa != tp_task_metadata) return 0;
    memcpy(&low, b + TP_JOB_ID, 4);
    memcpy(&high, b + TP_TASK_ID_HIGH, 4);
    return (uint64_t)high << 32 | low;
}

// 1 when `task` is a live task with id `id`; fills `v`. 0 when it is gone (freed, reused,
// complete) or unreadable. The runtime changes the status word with a 16-byte compare-and-swap,
// which a read from this thread may tear: the task is read until two reads agree on it.
static int tp_task_read(uintptr_t task, uint64_t id, struct tp_task_view *v) {
    uint8_t buf[2][256];
    uint32_t len = tp_task_size + 16;   // the task and its ChildFragment
    if (len > sizeof buf[0] || !tp_read(task, buf[0], len)) return 0;
    int cur = 0;
    for (int tries = 0;; tries++) {
        if (!tp_read(task, buf[cur ^ 1], len)) return 0;
        cur ^= 1;
        if (memcmp(buf[0] + TP_TASK_STATUS, buf[1] + TP_TASK_STATUS, 16) == 0 &&
            memcmp(buf[0] + TP_TASK_DEPENDENCY, buf[1] + TP_TASK_DEPENDENCY, 8) == 0)
            break;
        if (tries == 3) return 0;
    }
    const uint8_t *b = buf[cur];
    if (tp_header_task_id(b) != id) return 0;
    memset(v, 0, sizeof *v);
    v->id = id;
    memcpy(&v->job_flags, b + TP_JOB_FLAGS, 4);
    if ((v->job_flags & TP_JF_KIND_MASK) != 0) return 0;
    memcpy(&v->status_flags, b + TP_TASK_STATUS, 4);
    if (v->status_flags & TP_TS_COMPLETE) return 0;
    memcpy(&v->dependency, b + TP_TASK_DEPENDENCY, 8);
    memcpy(&v->resume, b + TP_JOB_RESUME, 8);
    memcpy(&v->resume_context, b + TP_TASK_RESUME_CONTEXT, 8);
    if (v->job_flags & TP_JF_CHILD) memcpy(&v->parent, b + tp_task_size, 8);
    return 1;
}

// The task id of a task object, 0 when it is not a readable task.
static uint64_t tp_task_id_at(uintptr_t task) {
    uint8_t buf[TP_HEADER_BYTES];
    return tp_read(task, buf, sizeof buf) ? tp_header_task_id(buf) : 0;
}

// What the task's dependency record says it waits on, if it has one.
static void tp_task_wait(const struct tp_task_view *v, struct tp_rec_live_task *out) {
    if (!(v->status_flags & TP_TS_DEPENDENCY) || !v->dependency) return;
    uint8_t rec[0x30];
    if (!tp_read(v->dependency, rec, sizeof rec) || rec[0] != 0) return;   // kind 0: TaskDependency
    uintptr_t on;
    uint32_t kind;
    memcpy(&on, rec + TP_DEP_ON, 8);
    memcpy(&kind, rec + TP_DEP_KIND, 4);
    out->waiting_on = on;
    if (kind == TP_DEP_TASK) { out->wait = TP_WAIT_TASK; out->waiting_on_id = tp_task_id_at(on); }
    else if (kind == TP_DEP_CONTINUATION) out->wait = TP_WAIT_CONTINUATION;
    else if (kind == TP_DEP_GROUP) out->wait = TP_WAIT_GROUP;
    else if (kind == TP_DEP_EXECUTOR) out->wait = TP_WAIT_EXECUTOR;
    else out->waiting_on = 0;
}

static int tp_is_adapter(uintptr_t fn) {
    for (int i = 0; i < 4; i++)
        if (fn && fn == tp_resume_adapters[i]) return 1;
    return 0;
}

// The await stack of a suspended task, innermost first: where it resumes (ResumeTask, unless
// that only hands over to the awaiting function), then the resume point in each caller (each
// async context's ResumeParent). A context's own ResumeParent is where its function's caller
// resumes; a continuation's context is the awaiting function's, so its ResumeParent repeats
// ResumeTask. Stops at the task's first context (no parent: its resume completes the task) or
// at the first pointer that fails a check.
static uint16_t tp_task_await_stack(const struct tp_task_view *v, uint64_t *frames, uint16_t cap) {
    uint16_t n = 0;
    if (v->resume && !tp_is_adapter(v->resume) && tp_range_lookup(v->resume)) frames[n++] = v->resume;
    uintptr_t ctx = v->resume_context;
    while (ctx && n < cap) {
        uintptr_t words[2];   // { parent, resume parent }
        if (!tp_read(ctx, words, sizeof words) || words[0] == 0) break;
        if (!tp_range_lookup(words[1])) break;
        if (!(n > 0 && frames[n - 1] == words[1])) frames[n++] = (uint64_t)words[1];
        ctx = words[0];
    }
    return n;
}

// ---- Sweeping and dumping (writer thread) ----------------------------------------------------
// Writer thread, after a read of `task` said it is gone: drops the entry unless it changed since
// (a new task that just took the slot has its id stored before its task pointer; with the old
// pointer its check failed, and it is left for the next look).
static void tp_live_drop(struct tp_live_task *e, uint64_t id, uintptr_t task) {
    if (atomic_load_explicit(&e->ready, memory_order_acquire) != id || atomic_load_explicit(&e->task, memory_order_acquire) != task) return;
    tp_live_remove(e, id);
}

static void tp_live_remove(struct tp_live_task *e, uint64_t id) {
    // `ready` first, and only if it is still this task's (a second remover of the same id must
    // not clear the mark of a task that took the slot since), then the slot.
    uint64_t mark = id;
    atomic_compare_exchange_strong_explicit(&e->ready, &mark, 0, memory_order_acq_rel, memory_order_relaxed);
    uint64_t expected = id;
    if (atomic_compare_exchange_strong_explicit(&e->id, &expected, 0, memory_order_acq_rel, memory_order_relaxed))
        atomic_fetch_sub_explicit(&tp_live_used, 1, memory_order_relaxed);
}

// Whether a task header (read whole, so the flags word cannot be torn) is still the live task
// `id`: the isa of every task, the same id, not complete.
static int tp_header_alive(const uint8_t *b, uint64_t id) {
    uint32_t status;
    memcpy(&status, b + TP_TASK_STATUS, 4);
    return tp_header_task_id(b) == id && !(status & TP_TS_COMPLETE);
}

#define TP_SWEEP_BATCH 256

// Drops the tasks that are gone. Not while one is running: its job holds it alive. The headers
// are read TP_SWEEP_BATCH at a time with one process_vm_readv, which stops at the first task
// whose memory is gone (that one is dropped, the batch goes on after it).
void tp_tasks_sweep(void) {
    if (!tp_tasks_on) return;
    static uint8_t headers[TP_SWEEP_BATCH][TP_HEADER_BYTES];
    static uint32_t slots[TP_SWEEP_BATCH];
    static uint64_t ids[TP_SWEEP_BATCH];
    static uintptr_t tasks[TP_SWEEP_BATCH];
    struct iovec local[TP_SWEEP_BATCH], remote[TP_SWEEP_BATCH];
    uint32_t i = 0;
    while (i < TP_LIVE_SLOTS) {
        int n = 0;
        for (; i < TP_LIVE_SLOTS && n < TP_SWEEP_BATCH; i++) {
            struct tp_live_task *e = &tp_live[i];
            uint64_t id = atomic_load_explicit(&e->ready, memory_order_acquire);   // 0 while being added
            uintptr_t task = atomic_load_explicit(&e->task, memory_order_relaxed);
            if (!id || !task || atomic_load_explicit(&e->tid, memory_order_relaxed)) continue;
            if (task & 7) {
                tp_live_drop(e, id, task);
                continue;
            }
            slots[n] = i;
            ids[n] = id;
            tasks[n] = task;
            local[n] = (struct iovec){ headers[n], TP_HEADER_BYTES };
            remote[n] = (struct iovec){ (void *)task, TP_HEADER_BYTES };
            n++;
        }
        for (int done = 0; done < n;) {
            long got = syscall(SYS_process_vm_readv, (long)getpid(), (long)(local + done), (long)(n - done), (long)(remote + done),
                               (long)(n - done), 0L);
            if (got < 0 && (errno == EPERM || errno == ENOSYS)) {
                // A sandbox (seccomp) that forbids reading our own memory this way: no dumps.
                strncpy(tp_tasks_off_note, "live tasks off: process_vm_readv is not allowed here", sizeof tp_tasks_off_note - 1);
                tp_tasks_on = 0;
                return;
            }
            int whole = got > 0 ? (int)(got / TP_HEADER_BYTES) : 0;
            for (int k = done; k < done + whole; k++)
                if (!tp_header_alive(headers[k], ids[k])) tp_live_drop(&tp_live[slots[k]], ids[k], tasks[k]);
            done += whole;
            if (done < n) tp_live_drop(&tp_live[slots[done]], ids[done], tasks[done]);   // unreadable: gone
            done++;
        }
    }
}

// Due once a second, every 100 ms when the table is a quarter full.
int tp_tasks_sweep_due(uint64_t cycle) {
    if (!tp_tasks_on) return 0;
    uint32_t used = atomic_load_explicit(&tp_live_used, memory_order_relaxed);
    return used > 0 && (cycle % 100 == 50 || (used > TP_LIVE_SLOTS / 4 && cycle % 10 == 5));
}


#define TP_LIVE_RECORD_MAX (sizeof(struct tp_rec_live_task) + TP_MAX_ASYNC_FRAMES * 8)

void tp_tasks_dump(tp_emit_fn emit, uint32_t reason, uint32_t sequence) {
    struct tp_rec_task_dump d;
    memset(&d, 0, sizeof d);
    d.h = (struct tp_record_header){ TP_REC_TASK_DUMP, 0, sizeof d };
    d.time_ns = tp_now_ns();
    d.reason = reason;
    d.sequence = sequence;
    if (!tp_tasks_on) {
        // No snprintf: this may run at _exit from a signal handler.
        const char *why = tp_tasks_off_note[0] ? tp_tasks_off_note : "live tasks off: no Swift Concurrency runtime";
        strncpy(d.note, why, sizeof d.note - 1);
        emit(&d, sizeof d);
        return;
    }
    // The tasks alive now, found first (the dump's record says how many follow), then written:
    // each with the id and task pointer it was found with, whatever the table holds by then.
    static uint32_t found_slot[TP_LIVE_SLOTS];
    static uint64_t found_id[TP_LIVE_SLOTS];
    static uintptr_t found_task[TP_LIVE_SLOTS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < TP_LIVE_SLOTS; i++) {
        struct tp_live_task *e = &tp_live[i];
        uint64_t id = atomic_load_explicit(&e->ready, memory_order_acquire);   // 0 while being added
        uintptr_t task = atomic_load_explicit(&e->task, memory_order_acquire);
        if (!id || !task) continue;
        struct tp_task_view v;
        if (atomic_load_explicit(&e->tid, memory_order_relaxed) || tp_task_read(task, id, &v)) {
            found_slot[n] = i;
            found_id[n] = id;
            found_task[n] = task;
            n++;
        } else {
            tp_live_drop(e, id, task);
            d.unreadable++;
        }
    }
    d.tasks = n;
    emit(&d, sizeof d);
    uint8_t buf[TP_LIVE_RECORD_MAX];
    for (uint32_t j = 0; j < n; j++) {
        struct tp_live_task *e = &tp_live[found_slot[j]];
        struct tp_rec_live_task *r = (struct tp_rec_live_task *)buf;
        memset(r, 0, sizeof *r);
        r->task_id = found_id[j];
        // The entry's own facts, unless another task took the slot since it was found.
        struct tp_live_task snap;
        memset(&snap, 0, sizeof snap);
        if (atomic_load_explicit(&e->id, memory_order_acquire) == found_id[j]) {
            snap.creator_id = e->creator_id;
            snap.created_ns = e->created_ns;
            memcpy(snap.created_at, e->created_at, sizeof snap.created_at);
            snap.create_flags = e->create_flags;
            atomic_store_explicit(&snap.since_ns, atomic_load_explicit(&e->since_ns, memory_order_relaxed), memory_order_relaxed);
            atomic_store_explicit(&snap.tid, atomic_load_explicit(&e->tid, memory_order_relaxed), memory_order_relaxed);
        }
        e = &snap;
        r->created_ns = e->created_ns;
        for (int k = 0; k < TP_CREATED_AT_FRAMES; k++) r->created_at[k] = e->created_at[k];
        r->since_ns = atomic_load_explicit(&e->since_ns, memory_order_relaxed);
        r->tid = atomic_load_explicit(&e->tid, memory_order_relaxed);
        if (e->created_ns) r->flags |= TP_LIVE_FLAG_SEEN_CREATED;
        struct tp_task_view v;
        int readable = tp_task_read(found_task[j], r->task_id, &v);
        if (readable) {
            if (v.status_flags & TP_TS_CANCELLED) r->flags |= TP_LIVE_FLAG_CANCELLED;
            r->kind = (v.job_flags & TP_JF_GROUP_CHILD) ? TP_KIND_GROUP_CHILD
                    : (v.job_flags & TP_JF_ASYNC_LET) ? TP_KIND_ASYNC_LET
                    : (v.job_flags & TP_JF_CHILD) ? TP_KIND_UNKNOWN
                    : !e->created_ns ? TP_KIND_UNKNOWN
                    : (e->create_flags & TP_CF_INHERIT_CONTEXT) ? TP_KIND_UNSTRUCTURED : TP_KIND_DETACHED;
            r->parent_id = v.parent ? tp_task_id_at(v.parent) : e->creator_id;
        } else {
            r->parent_id = e->creator_id;
        }
        if (r->tid) {
            r->state = TP_TASK_RUNNING;
        } else if (readable && (v.status_flags & (TP_TS_ENQUEUED | TP_TS_RUNNING))) {
            r->state = TP_TASK_ENQUEUED;
            uint64_t when = tp_jobs_enqueued_at((void *)found_task[j]);
            if (when) r->since_ns = when;
            tp_task_wait(&v, r);
        } else {
            r->state = TP_TASK_SUSPENDED;
            if (readable) {
                tp_task_wait(&v, r);
                r->resume = v.resume;
                r->nframes = tp_task_await_stack(&v, r->frames, TP_MAX_ASYNC_FRAMES);
            }
        }
        r->h = (struct tp_record_header){ TP_REC_LIVE_TASK, 0, (uint32_t)(sizeof *r + r->nframes * 8u) };
        emit(r, r->h.size);
    }
    atomic_fetch_add_explicit(&tp_counters[TP_CTR_TASK_DUMPS], 1, memory_order_relaxed);
}

// ---- Requests (`taskprof dump PID`) ----------------------------------------------------------
// `taskprof dump PID` finds the stream directory in /proc/PID/environ (TASKPROF_RAW_DIR), writes
// <dir>/<pid>.dump-request, and waits for <dir>/<pid>.dump-done: the writer checks for the request
// every TP_REQUEST_EVERY periods, writes a dump into the stream, flushes it, and answers with the
// request's number.
static void tp_request_path(char *out, size_t cap, const char *suffix) {
    snprintf(out, cap, "%s", tp_cfg.raw_path);
    char *slash = strrchr(out, '/');
    size_t at = slash ? (size_t)(slash - out) + 1 : 0;
    snprintf(out + at, cap - at, "%d.%s", (int)getpid(), suffix);
}

// 0 when no request is waiting, else its number (1 when it gives none).
uint32_t tp_tasks_take_request(void) {
    char path[sizeof tp_cfg.raw_path + 32];
    tp_request_path(path, sizeof path, "dump-request");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return 0;
    char text[24] = { 0 };
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    unlink(path);
    uint32_t seq = 0;
    for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++) seq = seq * 10 + (uint32_t)(text[i] - '0');
    return seq ? seq : 1;
}

void tp_tasks_answer_request(uint32_t sequence) {
    char path[sizeof tp_cfg.raw_path + 32], tmp[sizeof path + 8];
    tp_request_path(path, sizeof path, "dump-done");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return;
    char text[16];
    int len = snprintf(text, sizeof text, "%u\n", sequence);
    ssize_t w = write(fd, text, (size_t)len);
    close(fd);
    if (w == len) rename(tmp, path); else unlink(tmp);
}
