// The raw stream the agent writes while the target runs ("taskprof raw", version 1).
//
// The one definition of the stream: the agent (CTaskProfAgent) writes these structs, and the
// `taskprof` reader (TaskProfRecord/RawRecording+Parse.swift) takes its record numbers, field
// offsets and counter names from them through this header-only target (CTaskProfFormat).
//
// Why a separate raw format: the agent must never symbolize or aggregate inside the target, so it
// streams fixed-layout records and the `taskprof` command turns them into a `.taskprof` profile
// after the target exits. Every record is self-delimiting, so a stream cut short by a crash is
// still readable up to its last whole record. Little-endian, native x86-64 layout, packed.
#ifndef TP_RAW_FORMAT_H
#define TP_RAW_FORMAT_H

#include <stdint.h>

#define TP_RAW_MAGIC "TPRAW\0\0\1"
#define TP_RAW_VERSION 1

enum tp_engine { TP_ENGINE_NONE = 0, TP_ENGINE_PERF = 1, TP_ENGINE_TIMER = 2 };

struct __attribute__((packed)) tp_raw_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint64_t pid;
    uint64_t start_realtime_ns;
    uint64_t start_monotonic_ns;
    uint32_t engine;         // enum tp_engine
    uint32_t rate_hz;        // requested rate per thread
    uint32_t signal;         // signal number used for samples
    uint32_t flags;          // TP_RAW_FLAG_*
    uint64_t max_frames;
    char engine_note[128];   // why the engine was chosen (e.g. perf_event_open errno)
};

#define TP_RAW_FLAG_JOB_TRACKING 1u   // __swift_run_job was found and wrapped

enum tp_record_type {
    TP_REC_SAMPLE = 1,
    TP_REC_THREAD = 2,       // thread seen or renamed
    TP_REC_THREAD_END = 3,
    TP_REC_TASK_NAME = 4,
    TP_REC_MODULE = 5,
    TP_REC_COUNTERS = 6,     // cumulative; the last one in the stream wins
    TP_REC_END = 7,          // clean end of recording
    TP_REC_JOB = 8,          // one Swift job run (issue: job tracking)
    TP_REC_NOTE = 9,         // free text the agent wants the user to see
    TP_REC_JOB_AGG = 10,     // cumulative job statistics of one task on one thread
    TP_REC_BLOCKING = 11,    // a blocking call on a runtime thread that took too long
    TP_REC_EXEC = 12,        // the process is about to exec: the path (not NUL-terminated); its new image writes a stream of its own
    TP_REC_PROCESS = 13,     // who this image is: parent pid, executable path, command line (once, after the header)
    TP_REC_TASK_DUMP = 14,   // a dump of the live tasks begins: the TP_REC_LIVE_TASK records that follow belong to it
    TP_REC_LIVE_TASK = 15,   // one task alive at a dump: its state, what it waits on, its await stack
    TP_REC_COUNT             // one past the last: the Swift reader's test checks it handles every type
};


struct __attribute__((packed)) tp_record_header {
    uint16_t type;
    uint16_t flags;
    uint32_t size;           // whole record, header included
};

#define TP_SAMPLE_FLAG_FP 1u          // some frames found by the frame-pointer rule (no CFI row for their pc)
#define TP_SAMPLE_FLAG_DWARF 2u       // some frames found with the agent's CFI tables (tp_cfi.h)
#define TP_SAMPLE_FLAG_TRUNCATED 4u   // hit the frame limit
#define TP_SAMPLE_FLAG_BROKEN 8u      // walk ended before the thread's start
#define TP_SAMPLE_FLAG_CAPTURE 16u    // not a CPU sample: the one-off stack of a long poll with none

struct __attribute__((packed)) tp_rec_sample {
    struct tp_record_header h;
    uint64_t time_ns;        // CLOCK_MONOTONIC
    uint64_t task_id;        // 0 when no Swift task was running
    uint32_t tid;
    uint16_t nframes;
    uint16_t reserved;
    uint64_t frames[];       // frames[0] is the interrupted pc, then return addresses
};

// A frame with this bit set is logical, not physical: the resume function of an awaiting async
// caller, read from the task's async context chain (bit 63 is never set in a user-space address).
// Logical frames sit, innermost first like the rest, between the resumed async function and the
// runtime frame that called it. Unlike return addresses they point at a function's first byte.
#define TP_ASYNC_FRAME_BIT (1ull << 63)

enum tp_thread_kind { TP_THREAD_OTHER = 0, TP_THREAD_MAIN = 1, TP_THREAD_SWIFT_POOL = 2 };

struct __attribute__((packed)) tp_rec_thread {
    struct tp_record_header h;
    uint64_t time_ns;
    uint32_t tid;
    uint32_t kind;           // enum tp_thread_kind, as far as the agent knows
    uint64_t jobs_run;
    char name[16];
};

struct __attribute__((packed)) tp_rec_task_name {
    struct tp_record_header h;
    uint64_t task_id;
    char name[];             // size - sizeof(header) bytes, not NUL-terminated
};

struct __attribute__((packed)) tp_rec_module {
    struct tp_record_header h;
    uint64_t bias;
    uint16_t nranges;
    uint16_t path_len;
    uint16_t build_id_len;
    uint16_t reserved;
    // uint64_t ranges[nranges][2]; char path[path_len]; uint8_t build_id[build_id_len];
};

// Every job feeds a per-thread aggregate; only jobs at least as long as the long-poll threshold
// are also written one by one (TP_REC_JOB), so a yield-heavy program does not flood the stream,
// unless `record --timeline` asked for every job (up to a cap).
// Aggregates are cumulative: for one (tid, slot, gen) the last record in the stream wins.
struct __attribute__((packed)) tp_rec_job_agg {
    struct tp_record_header h;
    uint64_t task_id;
    uint64_t busy_ns;
    uint64_t max_poll_ns;
    uint64_t max_delay_ns;
    uint64_t first_start_ns;
    uint64_t last_end_ns;
    uint32_t tid;
    uint32_t polls;
    uint32_t delays;
    uint32_t gen;            // reuse count of the aggregate slot
    uint16_t slot;
    uint16_t npoll;          // then npoll + ndelay uint32 entries: bucket << 24 | count
    uint16_t ndelay;
    uint16_t reserved;
    uint32_t buckets[];
};

struct __attribute__((packed)) tp_rec_job {
    struct tp_record_header h;
    uint64_t task_id;
    uint64_t enqueue_ns;     // 0 when unknown
    uint64_t start_ns;
    uint64_t end_ns;
    uint32_t tid;
    uint32_t reserved;
};

// The image's identity, so a run that follows children can name every process by its own
// command line. The command line is /proc/self/cmdline as read at start (arguments separated by
// NUL bytes, cut at TP_PROCESS_CMDLINE_MAX bytes).
#define TP_PROCESS_CMDLINE_MAX 3072
struct __attribute__((packed)) tp_rec_process {
    struct tp_record_header h;
    uint32_t ppid;
    uint16_t exe_len;
    uint16_t cmdline_len;
    // char exe[exe_len]; char cmdline[cmdline_len];
};

enum tp_counter {
    TP_CTR_SAMPLES = 0,
    TP_CTR_DROPPED_RING_FULL,
    TP_CTR_DROPPED_NO_THREAD,
    TP_CTR_FRAMES_CFI,         // frames stepped with a CFI table row
    TP_CTR_FRAMES_FP,          // frames stepped with the frame-pointer rule (no row for their pc)
    TP_CTR_TRUNCATED,
    TP_CTR_THREADS,
    TP_CTR_THREADS_UNSAMPLED,  // no slot or no timer for the thread
    TP_CTR_EVENTS_DROPPED,
    TP_CTR_TASK_NAMES_DROPPED,
    TP_CTR_HANDLER_NS_TOTAL,
    TP_CTR_JOBS,
    TP_CTR_BLOCKING_CALLS,
    TP_CTR_ASYNC_CHAINS,       // samples and blocking calls given logical (async) frames
    TP_CTR_ASYNC_BAD,          // chains given up on: a pointer failed validation
    TP_CTR_ASYNC_TRUNCATED,    // chains cut at TP_MAX_ASYNC_FRAMES
    TP_CTR_FRAMES_SIGNAL,      // signal frames stepped through (the kernel's trampoline)
    TP_CTR_DROPPED_BLOCKED,    // sigtrap samples delivered late because the thread blocked SIGTRAP
    TP_CTR_ACTOR_JOBS,         // jobs that ran inside another job (an actor's drain) with a known enqueue
    TP_CTR_ACTOR_WAIT_NS,      // their total wait from enqueue to start
    TP_CTR_ACTOR_WAIT_MAX_NS,  // and the longest
    TP_CTR_CAPTURES,           // one-off stacks taken of long polls that had no sample
    TP_CTR_UNWIND_BROKEN,      // walks that stopped before the thread's first frame (not for a full buffer)
    TP_CTR_ASYNC_FROM_R14,     // async chains found through r14 (the resumed function keeps no frame pointer)
    TP_CTR_CFI_ROWS,           // rows in the unwind tables built so far
    TP_CTR_CFI_BYTES,          // their memory
    TP_CTR_CFI_MISSING,        // modules without usable CFI (frame-pointer rule only)
    TP_CTR_STREAM_REOPENED,    // times the program closed the raw stream's descriptor and the agent reopened it
    TP_CTR_STREAM_LOST_BYTES,  // bytes of the stream that could not be written (disk full, no descriptor)
    TP_CTR_SAMPLING_REARMED,   // threads whose perf event the program closed, given a new one
    TP_CTR_TASKS_CREATED,      // tasks the agent saw created (swift_task_create)
    TP_CTR_TASKS_UNTRACKED,    // tasks left out of the live-task table (it was full)
    TP_CTR_TASK_DUMPS,         // dumps of the live tasks written
    TP_CTR_TIMELINE_JOBS,      // `record --timeline`: short jobs seen (long polls are always written one by one)
    TP_CTR_TIMELINE_DROPPED,   // jobs the timeline left out: past its cap, or a full event ring
    TP_CTR_PERIOD_SETTLED,     // threads whose real period the writer set: they blocked the sampling signal
    TP_CTR_COUNT
};

// The name each counter has in a profile (`taskprof report --json`, docs/FORMAT.md). Defined here
// so a counter cannot be added on one side only: tp_format.c is built with -Wall -Werror (-Wswitch).
static inline const char *tp_counter_name(enum tp_counter c) {
    switch (c) {
    case TP_CTR_SAMPLES: return "samples";
    case TP_CTR_DROPPED_RING_FULL: return "dropped.ringFull";
    case TP_CTR_DROPPED_NO_THREAD: return "dropped.noThread";
    case TP_CTR_FRAMES_CFI: return "unwind.framesCFI";
    case TP_CTR_FRAMES_FP: return "unwind.framesFP";
    case TP_CTR_TRUNCATED: return "stacks.truncated";
    case TP_CTR_THREADS: return "threads";
    case TP_CTR_THREADS_UNSAMPLED: return "threads.unsampled";
    case TP_CTR_EVENTS_DROPPED: return "events.dropped";
    case TP_CTR_TASK_NAMES_DROPPED: return "taskNames.dropped";
    case TP_CTR_HANDLER_NS_TOTAL: return "handler.nsTotal";
    case TP_CTR_JOBS: return "jobs";
    case TP_CTR_BLOCKING_CALLS: return "blockingCalls";
    case TP_CTR_ASYNC_CHAINS: return "async.chains";
    case TP_CTR_ASYNC_BAD: return "async.bad";
    case TP_CTR_ASYNC_TRUNCATED: return "async.truncated";
    case TP_CTR_FRAMES_SIGNAL: return "unwind.signalFrames";
    case TP_CTR_DROPPED_BLOCKED: return "dropped.blocked";
    case TP_CTR_ACTOR_JOBS: return "actor.jobs";
    case TP_CTR_ACTOR_WAIT_NS: return "actor.waitNsTotal";
    case TP_CTR_ACTOR_WAIT_MAX_NS: return "actor.waitNsMax";
    case TP_CTR_CAPTURES: return "longPoll.captures";
    case TP_CTR_UNWIND_BROKEN: return "unwind.broken";
    case TP_CTR_ASYNC_FROM_R14: return "async.fromR14";
    case TP_CTR_CFI_ROWS: return "unwind.cfiRows";
    case TP_CTR_CFI_BYTES: return "unwind.cfiBytes";
    case TP_CTR_CFI_MISSING: return "unwind.cfiMissing";
    case TP_CTR_STREAM_REOPENED: return "stream.reopened";
    case TP_CTR_STREAM_LOST_BYTES: return "stream.lostBytes";
    case TP_CTR_SAMPLING_REARMED: return "sampling.rearmed";
    case TP_CTR_TASKS_CREATED: return "tasks.created";
    case TP_CTR_TASKS_UNTRACKED: return "tasks.untracked";
    case TP_CTR_TASK_DUMPS: return "tasks.dumps";
    case TP_CTR_TIMELINE_JOBS: return "timeline.jobs";
    case TP_CTR_TIMELINE_DROPPED: return "timeline.dropped";
    case TP_CTR_PERIOD_SETTLED: return "sampling.periodSettled";
    case TP_CTR_COUNT: break;
    }
    return 0;
}

#define TP_HANDLER_BUCKETS 128

// Bucket of a handler duration: exact below 4 ns, then 4 sub-buckets per power of two
// (bucket 4*b + s covers [2^b + s*2^(b-2), 2^b + (s+1)*2^(b-2)) ns), so percentiles are
// accurate to about 25 %.
static inline unsigned tp_handler_bucket(uint64_t ns) {
    if (ns < 4) return (unsigned)ns;
    unsigned b = 63u - (unsigned)__builtin_clzll(ns);
    unsigned idx = b * 4u + (unsigned)((ns >> (b - 2)) & 3u);
    return idx < TP_HANDLER_BUCKETS ? idx : TP_HANDLER_BUCKETS - 1;
}

struct __attribute__((packed)) tp_rec_counters {
    struct tp_record_header h;
    uint64_t time_ns;
    uint64_t values[TP_CTR_COUNT];
    // Handler cost histogram, four buckets per power of two: see tp_handler_bucket().
    uint64_t handler_ns_hist[TP_HANDLER_BUCKETS];
    // Of which the logical-frame splice (tp_async.c), same buckets.
    uint64_t async_ns_hist[TP_HANDLER_BUCKETS];
    // Waits of the jobs counted in TP_CTR_ACTOR_JOBS, same buckets.
    uint64_t actor_wait_hist[TP_HANDLER_BUCKETS];
    // The agent's clock (tp_clock.c): 1 when it reads the TSC, 0 for clock_gettime; how far the
    // TSC clock had drifted from CLOCK_MONOTONIC at its worst re-sync, in ns; and re-syncs so far.
    uint64_t clock_tsc;
    uint64_t clock_max_skew_ns;
    uint64_t clock_resyncs;
};

struct __attribute__((packed)) tp_rec_end {
    struct tp_record_header h;
    uint64_t time_ns;
};

// TP_REC_JOB with this flag is a SwiftNIO event-loop tick (task_id 0): from the return of one
// epoll_wait to the next call, on a thread named NIO-ELT-*.
#define TP_JOB_FLAG_EVENT_LOOP_TICK 1u

enum tp_primitive {
    TP_PRIM_SLEEP = 1, TP_PRIM_USLEEP, TP_PRIM_NANOSLEEP, TP_PRIM_CLOCK_NANOSLEEP,
    TP_PRIM_READ, TP_PRIM_WRITE, TP_PRIM_RECV, TP_PRIM_SEND, TP_PRIM_ACCEPT, TP_PRIM_CONNECT,
    TP_PRIM_POLL, TP_PRIM_SELECT, TP_PRIM_EPOLL_WAIT,
    TP_PRIM_MUTEX_LOCK, TP_PRIM_RWLOCK_RDLOCK, TP_PRIM_RWLOCK_WRLOCK, TP_PRIM_COND_WAIT, TP_PRIM_COND_TIMEDWAIT,
    TP_PRIM_SEM_WAIT, TP_PRIM_SEM_TIMEDWAIT, TP_PRIM_FUTEX_WAIT,
    TP_PRIM_FSYNC, TP_PRIM_FDATASYNC, TP_PRIM_WAITPID, TP_PRIM_GETADDRINFO, TP_PRIM_FLOCK,
    TP_PRIM_COUNT
};

struct __attribute__((packed)) tp_rec_blocking {
    struct tp_record_header h;
    uint64_t start_ns;
    uint64_t duration_ns;
    uint64_t task_id;        // 0 on an event-loop thread
    uint32_t tid;
    uint16_t primitive;      // enum tp_primitive
    uint16_t nframes;
    uint64_t frames[];       // the caller's stack, innermost first (return addresses)
};

// ---- Live tasks ("why is my task stuck") ------------------------------------------------------
// The agent keeps a table of the tasks alive (tp_tasks.c) and, at the end of the recording, on
// `taskprof dump PID` and before the program dies of SIGINT/SIGTERM, reads each one's state out
// of the Swift runtime's task object (validated reads, on the writer thread) into a dump.
enum tp_dump_reason { TP_DUMP_END = 1, TP_DUMP_REQUEST = 2, TP_DUMP_SIGNAL = 3 };

struct __attribute__((packed)) tp_rec_task_dump {
    struct tp_record_header h;
    uint64_t time_ns;
    uint32_t reason;         // enum tp_dump_reason
    uint32_t sequence;       // 1, 2, … in this process; a request's number for TP_DUMP_REQUEST
    uint32_t tasks;          // live-task records that follow
    uint32_t unreadable;     // tasks in the table whose memory could not be read or was not a task
    char note[128];          // why the dump is empty or partial (unknown runtime layout), else empty
};

enum tp_task_state { TP_TASK_RUNNING = 1, TP_TASK_ENQUEUED = 2, TP_TASK_SUSPENDED = 3 };

// What the runtime says the task waits on (its dependency record), where it says it.
enum tp_task_wait {
    TP_WAIT_UNKNOWN = 0,
    TP_WAIT_TASK = 1,          // another task's value: waiting_on_id
    TP_WAIT_CONTINUATION = 2,  // a continuation: waiting_on is its context
    TP_WAIT_GROUP = 3,         // a task group's next child: waiting_on is the group
    TP_WAIT_EXECUTOR = 4,      // enqueued on an executor (an actor): waiting_on is the executor's identity
};

// How the task was made. From the runtime's job flags (child tasks) and the agent's
// swift_task_create hook (the others).
enum tp_task_kind {
    TP_KIND_UNKNOWN = 0, TP_KIND_UNSTRUCTURED = 1, TP_KIND_DETACHED = 2, TP_KIND_GROUP_CHILD = 3, TP_KIND_ASYNC_LET = 4,
};

// Task {} is inlined code of the program (@_alwaysEmitIntoClient): the creating function is one
// or two frames out from swift_task_create.
#define TP_CREATED_AT_FRAMES 4

#define TP_LIVE_FLAG_CANCELLED 1u
#define TP_LIVE_FLAG_SEEN_CREATED 2u   // the agent saw it created: creator_id and created_ns are known

struct __attribute__((packed)) tp_rec_live_task {
    struct tp_record_header h;
    uint64_t task_id;
    uint64_t parent_id;      // a child task's parent; an unstructured task's creator; 0 when none or unknown
    uint64_t created_ns;     // 0 when unknown
    uint64_t since_ns;       // in its state since (0 when unknown)
    uint64_t waiting_on_id;  // TP_WAIT_TASK: the awaited task
    uint64_t waiting_on;     // the awaited object's address (continuation context, group, executor)
    uint64_t created_at[TP_CREATED_AT_FRAMES];   // return addresses of the code that created it, innermost first, 0 when unknown
    uint64_t resume;         // a suspended task's resume function (where it continues), 0 when not suspended
    uint32_t tid;            // TP_TASK_RUNNING: the thread
    uint8_t state;           // enum tp_task_state
    uint8_t kind;            // enum tp_task_kind
    uint8_t wait;            // enum tp_task_wait
    uint8_t flags;           // TP_LIVE_FLAG_*
    uint16_t nframes;        // then nframes resume functions of the awaiting callers, innermost first
    uint16_t reserved;
    uint64_t frames[];
};

#endif
