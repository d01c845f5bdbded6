// The writer thread: drains every thread's rings into the raw file every TP_WRITER_PERIOD_NS,
// so a target that crashes or calls _exit still leaves all but the last few milliseconds.
// It is the agent's own thread: never sampled, all signals blocked, no interposed calls.
#include "tp_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TP_WRITE_BUFFER_BYTES (4u * 1024u * 1024u)
#define TP_NAME_CHECK_EVERY 10     // writer periods between thread-name checks
#define TP_COUNTERS_EVERY 50       // writer periods between counter snapshots
#define TP_MEMMAP_EVERY 20         // writer periods between re-reads of /proc/self/maps
#define TP_MEMMAP_SOONEST 2        // ... or this many when the handler met an unknown address
#define TP_DUMP_REQUEST_EVERY 10   // writer periods between looks for a `taskprof dump` request
#define TP_SETTLE_EVERY 10         // writer periods between looks for threads that block the sampling signal

static int tp_fd = -1;
static pid_t tp_stream_pid;        // the process whose stream tp_fd is
static dev_t tp_fd_dev;            // what tp_fd must still be: a program that closes every
static ino_t tp_fd_ino;            // descriptor (daemons do) may get the number back for its own file
static _Atomic uint64_t tp_lost_bytes, tp_reopens, tp_rearmed;
static int tp_rearm_due;           // the stream's descriptor was taken: the perf events' may have been too
#define TP_REVALIDATE_EVERY 100    // writer periods between checks of the threads' perf descriptors
static pthread_mutex_t tp_writer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t tp_writer_thread;
static _Atomic int tp_writer_stop;
static _Atomic uint32_t tp_writer_wake;     // futex word: bumped to wake the writer before its period ends
static _Atomic int tp_crash_pause_wanted;   // 1 while the Swift crash handler pauses threads
static _Atomic int tp_crash_pause_open;     // the writer's answer: SIGUSR2 is open on it
static _Atomic int tp_exec_pending;         // an exec is under way: the EXEC record stays the stream's last
static uint8_t tp_buffer[TP_WRITE_BUFFER_BYTES];
static uint32_t tp_used;
static uint64_t tp_cycle;
static uint64_t tp_memmap_cycle;
static uint64_t tp_seen_generation;
static char tp_notes[8][256];
static _Atomic int tp_note_count;

// Opens the stream; `append` after the program took the descriptor away (nothing is truncated).
static int tp_open_stream(int append) {
    int fd = tp_fd_high(open(tp_cfg.raw_path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_EXCL), 0644));
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    tp_fd = fd;
    tp_fd_dev = st.st_dev;
    tp_fd_ino = st.st_ino;
    return 0;
}

// Whether tp_fd is still the stream: same device and inode. When the program closed it (and
// maybe reopened the number for a file of its own), the agent neither writes to it nor closes
// it: it opens the stream again, appending, and counts that.
static int tp_fd_is_stream(void) {
    struct stat st;
    return tp_fd >= 0 && fstat(tp_fd, &st) == 0 && st.st_dev == tp_fd_dev && st.st_ino == tp_fd_ino;
}

static int tp_stream_is_ours(void) {
    if (tp_fd_is_stream()) return 1;
    tp_fd = -1;
    if (tp_open_stream(1) != 0) return 0;
    atomic_fetch_add(&tp_reopens, 1);
    tp_rearm_due = 1;
    return 1;
}

static void tp_flush(void) {
    uint32_t off = 0;
    if (tp_used && tp_stream_is_ours()) {
        while (off < tp_used) {
            ssize_t n = write(tp_fd, tp_buffer + off, tp_used - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;   // disk full: the rest is lost and counted, the target is not disturbed
            off += (uint32_t)n;
        }
    }
    if (off < tp_used) atomic_fetch_add(&tp_lost_bytes, tp_used - off);
    tp_used = 0;
}

static void tp_emit(const void *rec, uint32_t size) {
    if (size > TP_WRITE_BUFFER_BYTES) return;
    if (tp_used + size > TP_WRITE_BUFFER_BYTES) tp_flush();
    memcpy(tp_buffer + tp_used, rec, size);
    tp_used += size;
}

void tp_agent_note(const char *text) {
    int i = atomic_fetch_add(&tp_note_count, 1);
    if (i < 8) strncpy(tp_notes[i], text, sizeof tp_notes[i] - 1);
}

static void tp_emit_notes(void) {
    static int emitted;
    int n = atomic_load(&tp_note_count);
    if (n > 8) n = 8;
    for (; emitted < n; emitted++) {
        uint8_t buf[sizeof(struct tp_record_header) + 256];
        struct tp_record_header *h = (struct tp_record_header *)buf;
        size_t len = strnlen(tp_notes[emitted], 255);
        h->type = TP_REC_NOTE; h->flags = 0; h->size = (uint32_t)(sizeof *h + len);
        memcpy(buf + sizeof *h, tp_notes[emitted], len);
        tp_emit(buf, h->size);
    }
}

static void tp_emit_thread(struct tp_thread *t, uint16_t type) {
    struct tp_rec_thread r;
    memset(&r, 0, sizeof r);
    r.h.type = type;
    r.h.size = sizeof r;
    r.time_ns = tp_now_ns();
    r.tid = (uint32_t)t->tid;
    r.kind = (uint32_t)t->kind;
    r.jobs_run = atomic_load(&t->jobs_run);
    memcpy(r.name, t->reported_name, sizeof r.name);
    t->reported_kind = t->kind;
    t->reported_jobs = r.jobs_run;
    tp_emit(&r, sizeof r);
}

// Emits the thread's record when its name changed (or when forced).
static void tp_report_name(struct tp_thread *t, const char name[16], int force) {
    if (force || strncmp(name, t->reported_name, sizeof t->reported_name) != 0) {
        memcpy(t->reported_name, name, sizeof t->reported_name);
        tp_emit_thread(t, TP_REC_THREAD);
    }
}

// "/proc/self/task/<tid>/comm", by hand: the end of a recording in _exit may be in a signal handler.
static void tp_comm_path(char out[64], pid_t tid) {
    static const char head[] = "/proc/self/task/", tail[] = "/comm";
    char digits[12];
    int n = 0, used = (int)sizeof head - 1;
    memcpy(out, head, sizeof head - 1);
    unsigned v = (unsigned)tid;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < (int)sizeof digits);
    while (n) out[used++] = digits[--n];
    memcpy(out + used, tail, sizeof tail);
}

static void tp_check_name(struct tp_thread *t, int force) {
    char path[64], name[16] = {0};
    tp_comm_path(path, t->tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && t->from_proc) {
        // A thread that existed before the agent started has no exit hook: its end shows here.
        // Its slot, event and rings are released as any exited thread's.
        tp_sampler_stop_thread(t);
        atomic_store_explicit(&t->state, TP_SLOT_EXITED, memory_order_release);
        return;
    }
    if (fd < 0) { if (force) tp_emit_thread(t, TP_REC_THREAD); return; }
    ssize_t n = read(fd, name, sizeof name - 1);
    close(fd);
    if (n > 0 && name[n - 1] == '\n') name[n - 1] = 0;
    tp_report_name(t, name, force);
}

static uint64_t tp_jobs_of_exited;

// Jobs run so far: threads count their own; exited threads' counts are kept here.
static uint64_t tp_jobs_total(void) {
    uint64_t n = tp_jobs_of_exited;
    for (int i = 0; i < TP_MAX_THREADS; i++) {
        int state = atomic_load(&tp_threads[i].state);
        if (state == TP_SLOT_LIVE || state == TP_SLOT_EXITED) n += atomic_load(&tp_threads[i].jobs_run);
    }
    return n;
}

static void tp_fill_counters(struct tp_rec_counters *cp) {
    struct tp_rec_counters c;
    memset(&c, 0, sizeof c);
    c.h.type = TP_REC_COUNTERS;
    c.h.size = sizeof c;
    c.time_ns = tp_now_ns();
    for (int i = 0; i < TP_CTR_COUNT; i++) c.values[i] = atomic_load(&tp_counters[i]);
    c.values[TP_CTR_JOBS] = tp_jobs_total();
    c.values[TP_CTR_CFI_ROWS] = atomic_load(&tp_cfi_rows);
    c.values[TP_CTR_CFI_BYTES] = atomic_load(&tp_cfi_bytes);
    c.values[TP_CTR_CFI_MISSING] = atomic_load(&tp_cfi_missing);
    c.values[TP_CTR_STREAM_REOPENED] = atomic_load(&tp_reopens);
    c.values[TP_CTR_STREAM_LOST_BYTES] = atomic_load(&tp_lost_bytes);
    c.values[TP_CTR_SAMPLING_REARMED] = atomic_load(&tp_rearmed);
    for (int i = 0; i < TP_HANDLER_BUCKETS; i++) c.handler_ns_hist[i] = atomic_load(&tp_handler_hist[i]);
    for (int i = 0; i < TP_HANDLER_BUCKETS; i++) c.async_ns_hist[i] = atomic_load(&tp_async_hist[i]);
    for (int i = 0; i < TP_HANDLER_BUCKETS; i++) c.actor_wait_hist[i] = atomic_load(&tp_actor_wait_hist[i]);
    c.clock_tsc = (uint64_t)tp_clock_uses_tsc();
    c.clock_max_skew_ns = atomic_load(&tp_clock_max_skew_ns);
    c.clock_resyncs = atomic_load(&tp_clock_resyncs);
    *cp = c;
}

static void tp_emit_counters(void) {
    static struct tp_rec_counters c;   // under the writer's lock; 3 KB off the caller's stack
    tp_fill_counters(&c);
    tp_emit(&c, sizeof c);
}

// A full disk takes the stream's last records with the rest, and with them the count of what was
// lost. So the stream gets a side file, <stream>.end, filled with zeros when the stream is
// created (its blocks then exist); at the end the final COUNTERS and END records are written
// over them in place, which needs no new block. `taskprof` reads it with the stream.
#define TP_END_FILE_BYTES ((sizeof(struct tp_rec_counters) + sizeof(struct tp_rec_end) + 4095) & ~(size_t)4095)
static char tp_end_path[sizeof tp_cfg.raw_path + 8];

static void tp_end_file_reserve(void) {
    size_t n = strnlen(tp_cfg.raw_path, sizeof tp_cfg.raw_path);
    memcpy(tp_end_path, tp_cfg.raw_path, n);
    memcpy(tp_end_path + n, ".end", 5);
    int fd = open(tp_end_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { tp_end_path[0] = 0; return; }
    static const uint8_t zeros[4096];
    for (size_t done = 0; done < TP_END_FILE_BYTES; done += sizeof zeros) {
        if (write(fd, zeros, sizeof zeros) != (ssize_t)sizeof zeros) { tp_end_path[0] = 0; break; }
    }
    close(fd);
}

static void tp_end_file_write(void) {
    if (!tp_end_path[0]) return;
    static struct { struct tp_rec_counters c; struct tp_rec_end e; } __attribute__((packed)) tail;
    tp_fill_counters(&tail.c);
    tail.e = (struct tp_rec_end){ .h = { TP_REC_END, 0, sizeof tail.e }, .time_ns = tp_now_ns() };
    int fd = open(tp_end_path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (pwrite(fd, &tail, sizeof tail, 0) < 0) {
        // Nothing more to do: even the reserved blocks were refused.
    }
    close(fd);
}

static void tp_drain_ring(struct tp_ring *r) {
    for (;;) {
        if (TP_WRITE_BUFFER_BYTES - tp_used < tp_sample_ring_bytes) tp_flush();
        uint32_t n = tp_ring_read(r, tp_buffer + tp_used, TP_WRITE_BUFFER_BYTES - tp_used);
        if (n == 0) return;
        tp_used += n;
    }
}

// One pass over all threads. Caller holds tp_writer_lock.
// final: 0 a writer period, 1 the end (atexit, exec), 2 the end from _exit, which may run in a
// signal handler: then no module rescan (the loader's lock, malloc), the modules already written
// stand for the whole recording.
static void tp_cycle_locked(int final) {
    uint64_t gen = atomic_load(&tp_dlopen_generation);
    if (gen != tp_seen_generation && final != 2) {
        tp_seen_generation = gen;
        tp_modules_refresh(tp_emit);
    }
    tp_emit_notes();
    // Checked every cycle, not only when there is something to write: the close that took the
    // stream's descriptor took the perf events' too, and then nothing more is sampled.
    tp_stream_is_ours();
    // Threads whose perf descriptor the program closed (a daemon closing every descriptor) get a
    // new event: checked when the stream's own descriptor was found taken, and once a second.
    if (!final && (tp_rearm_due || tp_cycle % TP_REVALIDATE_EVERY == 0)) {
        tp_rearm_due = 0;
        for (int i = 0; i < TP_MAX_THREADS; i++) {
            struct tp_thread *t = &tp_threads[i];
            if (atomic_load_explicit(&t->state, memory_order_acquire) == TP_SLOT_LIVE && tp_sampler_revalidate(t))
                atomic_fetch_add(&tp_rearmed, 1);
        }
    }
    // The readable-memory table behind logical async stacks: re-read now and then so freed
    // mappings leave it, sooner when the handler asked about an address it did not know.
    if (tp_async_enabled() && !final) {
        uint64_t since = tp_cycle - tp_memmap_cycle;
        if (since >= TP_MEMMAP_EVERY || (since >= TP_MEMMAP_SOONEST && tp_memmap_wants_refresh())) {
            tp_memmap_refresh();
            tp_memmap_cycle = tp_cycle;
        }
    }
    int names = final || (tp_cycle % TP_NAME_CHECK_EVERY) == 0;
    tp_clock_tick();
    uint64_t now = tp_now_ns();
    for (int i = 0; i < TP_MAX_THREADS; i++) {
        struct tp_thread *t = &tp_threads[i];
        int state = atomic_load_explicit(&t->state, memory_order_acquire);
        if (state != TP_SLOT_LIVE && state != TP_SLOT_EXITED) continue;
        if (state == TP_SLOT_LIVE && (names || !t->reported_name[0])) tp_check_name(t, !t->reported_name[0]);
        // A thread that became a pool worker or ran its first Swift job (a custom executor's
        // thread) is reported again at once, its job count now and then and at the end, so a
        // profile cut short still knows what each thread was.
        if (state == TP_SLOT_LIVE) {
            uint64_t jobs = atomic_load_explicit(&t->jobs_run, memory_order_relaxed);
            int periodic = final || (tp_cycle % TP_COUNTERS_EVERY) == 0;
            if (t->kind != t->reported_kind || (jobs && !t->reported_jobs) || (periodic && jobs != t->reported_jobs))
                tp_emit_thread(t, TP_REC_THREAD);
        }
        if (state == TP_SLOT_LIVE && !final) tp_sampler_request_capture(t, now);
        if (state == TP_SLOT_LIVE && !final && tp_cycle % TP_SETTLE_EVERY == 0 && tp_sampler_settle_period(t))
            atomic_fetch_add_explicit(&tp_counters[TP_CTR_PERIOD_SETTLED], 1, memory_order_relaxed);
        tp_drain_ring(&t->samples);
        tp_drain_ring(&t->events);
        // Aggregates of threads that went idle are never retired by their owner until it runs
        // again: copy them now and then so the stream is complete at any moment.
        if (state == TP_SLOT_LIVE && (final || (tp_cycle % TP_COUNTERS_EVERY) == 0)) tp_jobs_snapshot_thread(t, tp_emit);
        if (state == TP_SLOT_EXITED) {
            if (t->exit_name[0]) tp_report_name(t, t->exit_name, 0);
            tp_emit_thread(t, TP_REC_THREAD_END);
            tp_jobs_of_exited += atomic_load(&t->jobs_run);
            tp_ring_free(&t->samples);
            tp_ring_free(&t->events);
            atomic_store_explicit(&t->state, TP_SLOT_FREE, memory_order_release);
        }
    }
    if (!final && tp_tasks_sweep_due(tp_cycle)) tp_tasks_sweep();
    uint32_t request = !final && tp_cycle % TP_DUMP_REQUEST_EVERY == 0 ? tp_tasks_take_request() : 0;
    if (request) tp_tasks_dump(tp_emit, TP_DUMP_REQUEST, request);
    if (final || (tp_cycle % TP_COUNTERS_EVERY) == 0 || request) tp_emit_counters();
    tp_cycle++;
    tp_flush();
    if (request) tp_tasks_answer_request(request);
}

// The Swift runtime's crash handler pauses every thread before it prints a backtrace, with the
// first of SIGUSR1, SIGUSR2 and SIGPROF that the thread's mask lets through; a thread that blocks
// all three is reported ("failed to suspend thread"). While it pauses, the writer opens SIGUSR2
// (tp_writer_crash_pause, from the sigaction interposer, which recognizes the pause).
static void tp_follow_crash_pause(void) {
    static int opened;
    int want = atomic_load(&tp_crash_pause_wanted);
    if (want == opened) return;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(want ? SIG_UNBLOCK : SIG_BLOCK, &s, NULL);
    opened = want;
    atomic_store(&tp_crash_pause_open, want);
}

// Async-signal-safe (the crash handler runs in a signal handler): wakes the writer and, when
// opening, waits up to 100 ms for it to have SIGUSR2 open before the crash handler reads masks.
void tp_writer_crash_pause(int pausing) {
    atomic_store(&tp_crash_pause_wanted, pausing);
    atomic_fetch_add(&tp_writer_wake, 1);
    syscall(SYS_futex, &tp_writer_wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    if (!pausing || tp_fd < 0) return;
    uint64_t start = tp_clock_kernel_ns();
    while (atomic_load(&tp_crash_pause_open) != 1 && tp_elapsed(start, tp_clock_kernel_ns()) < 100000000ull) sched_yield();
}

static int tp_writer_last_words(void);

static void *tp_writer_main(void *arg) {
    (void)arg;
    tp_thread_mark_agent();
    // Every signal stays blocked here (the thread was created with all blocked): a
    // process-directed signal must reach the program's threads, or stay pending for its sigwait.
    pthread_mutex_lock(&tp_writer_lock);
    tp_modules_build_deferred(tp_emit);
    pthread_mutex_unlock(&tp_writer_lock);
    while (!atomic_load(&tp_writer_stop)) {
        struct timespec ts = { 0, TP_WRITER_PERIOD_NS };
        // Straight to the kernel: the agent's own sleeps must not pass through its interposers.
        uint32_t seen = atomic_load(&tp_writer_wake);
        syscall(SYS_futex, &tp_writer_wake, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
        tp_follow_crash_pause();
        if (tp_writer_last_words()) break;
        pthread_mutex_lock(&tp_writer_lock);
        if (tp_fd >= 0 && !atomic_load(&tp_exec_pending)) tp_cycle_locked(0);
        pthread_mutex_unlock(&tp_writer_lock);
    }
    return NULL;
}

// The stream's first records, with async-signal-safe calls only (open, write and the agent's own
// code): a followed child starts here, inside fork's child handler.
static int tp_writer_open(void) {
    if (tp_open_stream(0) != 0) return errno == EEXIST ? -2 : -1;
    struct tp_raw_header hd;
    memset(&hd, 0, sizeof hd);
    memcpy(hd.magic, TP_RAW_MAGIC, 8);
    hd.version = TP_RAW_VERSION;
    hd.header_size = sizeof hd;
    tp_stream_pid = getpid();
    hd.pid = (uint64_t)tp_stream_pid;
    hd.start_realtime_ns = tp_realtime_ns();
    hd.start_monotonic_ns = tp_now_ns();
    hd.engine = (uint32_t)tp_cfg.engine;
    hd.rate_hz = tp_cfg.rate_hz;
    hd.signal = (uint32_t)tp_cfg.signal;
    hd.flags = tp_jobs_enabled() ? TP_RAW_FLAG_JOB_TRACKING : 0;
    hd.max_frames = TP_MAX_FRAMES;
    memcpy(hd.engine_note, tp_cfg.engine_note, sizeof hd.engine_note);
    tp_end_file_reserve();
    tp_emit(&hd, sizeof hd);
    static uint8_t process[TP_PROCESS_RECORD_MAX];
    tp_emit(process, tp_process_record(process));
    return 0;
}

// The rest of the start: the modules (dl_iterate_phdr; not when `modules_known`), the heap map,
// the writer thread.
static int tp_writer_begin(int modules_known) {
    tp_seen_generation = atomic_load(&tp_dlopen_generation);
    if (!modules_known) tp_modules_refresh(tp_emit);
    if (tp_async_enabled()) tp_memmap_refresh();
    tp_flush();
    if (tp_create_agent_thread(&tp_writer_thread, tp_writer_main, NULL) != 0) {
        close(tp_fd);
        tp_fd = -1;
        return -1;
    }
    return 0;
}

int tp_writer_start(void) {
    int rc = tp_writer_open();
    return rc != 0 ? rc : tp_writer_begin(0);
}

// A followed child (fork without exec) opens its stream in fork's child handler, where only
// async-signal-safe calls are allowed: the parent's MODULE records are replayed (the child has
// the same mappings, and the unwind tables it inherited), and the writer thread is left for the
// child's first call into an interposer (tp_writer_poke) or its exit. Samples wait in the rings.
_Atomic int tp_writer_pending;   // the pid of the child whose writer thread is still to start

int tp_writer_start_in_child(void) {
    int rc = tp_writer_open();
    if (rc != 0) return rc;
    tp_modules_replay(tp_emit);
    tp_flush();
    atomic_store(&tp_writer_pending, (int)getpid());
    return 0;
}

pid_t tp_writer_stream_pid(void) { return tp_stream_pid; }

// Only tried: the caller may be the agent itself holding the lock (its own write() passes
// through the interposers), and then a later call starts it.
// A vfork child of that child (another pid, the same memory) leaves it alone.
void tp_writer_start_pending(void) {
    int expected = (int)getpid();
    if (!atomic_compare_exchange_strong(&tp_writer_pending, &expected, 0)) return;
    if (pthread_mutex_trylock(&tp_writer_lock) != 0) {
        atomic_store(&tp_writer_pending, expected);
        return;
    }
    // The modules are the parent's, already written: the loader is asked again only when a
    // dlopen came since (its write lock is one fork does not reset).
    if (tp_fd >= 0 && !atomic_load(&tp_writer_stop)) tp_writer_begin(tp_modules_replay_complete() && atomic_load(&tp_dlopen_generation) == tp_seen_generation);
    pthread_mutex_unlock(&tp_writer_lock);
}

// Before the process execs (tp_exec.c): everything recorded so far goes to the stream, then an
// EXEC record, and the writer holds off until tp_writer_exec_failed (the exec returned), so a
// successful exec leaves the EXEC record last. Sampling goes on meanwhile.
void tp_writer_exec_failed(void) { atomic_store(&tp_exec_pending, 0); }

void tp_writer_before_exec(const char *path) {
    pthread_mutex_lock(&tp_writer_lock);
    atomic_store(&tp_exec_pending, 1);
    if (tp_fd >= 0) {
        tp_cycle_locked(0);
        tp_emit_counters();
        uint8_t buf[sizeof(struct tp_record_header) + 1024];
        struct tp_record_header *h = (struct tp_record_header *)buf;
        size_t len = path ? strnlen(path, 1024) : 0;
        h->type = TP_REC_EXEC; h->flags = 0; h->size = (uint32_t)(sizeof *h + len);
        if (len) memcpy(buf + sizeof *h, path, len);
        tp_emit(buf, h->size);
        tp_flush();
    }
    pthread_mutex_unlock(&tp_writer_lock);
}

static uint32_t tp_final_dump_reason = TP_DUMP_END;
static _Atomic int tp_last_words;   // 1 asked, 2 done (tp_writer_flush_for_signal)

static void tp_final_flush_locked(int mode) {
    if (tp_fd >= 0) {
        tp_tasks_dump(tp_emit, tp_final_dump_reason, 0);
        tp_cycle_locked(mode);
        struct tp_rec_end e = { .h = { TP_REC_END, 0, sizeof e }, .time_ns = tp_now_ns() };
        tp_emit(&e, sizeof e);
        tp_flush();
        tp_end_file_write();
        if (tp_stream_is_ours()) close(tp_fd);
        tp_fd = -1;
    }
}

// At exit: stop sampling, drain what is left, mark the stream complete. Only in the process that
// owns the stream: exit() in a vfork child shares the parent's memory and descriptors.
void tp_writer_final_flush(void) {
    if (tp_fd < 0 || getpid() != tp_stream_pid) return;
    tp_sampler_shutdown();
    atomic_store(&tp_writer_stop, 1);
    pthread_mutex_lock(&tp_writer_lock);
    tp_final_flush_locked(1);
    pthread_mutex_unlock(&tp_writer_lock);
}

// _exit (tp_exit.c), which may be called from a signal handler: the same, but the writer's lock is
// only tried, for up to 100 ms (the writer finishes a cycle in far less), so a handler that
// interrupted the lock's holder does not wait for it forever.
void tp_writer_flush_at_exit(void) {
    if (tp_fd < 0 || getpid() != tp_stream_pid) return;
    tp_sampler_shutdown();
    atomic_store(&tp_writer_stop, 1);
    uint64_t start = tp_clock_kernel_ns();
    while (pthread_mutex_trylock(&tp_writer_lock) != 0) {
        if (tp_elapsed(start, tp_clock_kernel_ns()) > 100000000ull) return;
        sched_yield();
    }
    tp_final_flush_locked(2);
    pthread_mutex_unlock(&tp_writer_lock);
}

// Before death by SIGINT/SIGTERM (tp_signals.c, in the signal handler of whichever thread took
// the signal): the writer thread dumps the live tasks and makes the final flush (it blocks every
// signal and holds nothing the interrupted code may hold), while this thread waits for it, at
// most a second. Without a writer thread yet (a forked child before its first poke), the flush
// happens here, as at _exit.
void tp_writer_flush_for_signal(void) {
    if (tp_fd < 0 || getpid() != tp_stream_pid) return;
    tp_final_dump_reason = TP_DUMP_SIGNAL;
    if (atomic_load(&tp_writer_pending) == (int)getpid()) {
        tp_writer_flush_at_exit();
        return;
    }
    // No writer to ask (stopped by an exit flush under way): nothing to wait for.
    if (atomic_load(&tp_writer_stop)) return;
    // A second signal during the dump waits for the same dump rather than cutting it short.
    int expected = 0;
    if (atomic_compare_exchange_strong(&tp_last_words, &expected, 1)) {
        atomic_fetch_add(&tp_writer_wake, 1);
        syscall(SYS_futex, &tp_writer_wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
    uint64_t start = tp_clock_kernel_ns();
    while (atomic_load(&tp_last_words) != 2 && !atomic_load(&tp_writer_stop) && tp_elapsed(start, tp_clock_kernel_ns()) < 1000000000ull)
        sched_yield();
}

// Writer thread: the dump and final flush tp_writer_flush_for_signal asked for. No module rescan
// (the thread that took the signal may hold the loader's lock).
static int tp_writer_last_words(void) {
    if (atomic_load(&tp_last_words) != 1) return 0;
    tp_sampler_shutdown();
    pthread_mutex_lock(&tp_writer_lock);
    tp_final_flush_locked(2);
    pthread_mutex_unlock(&tp_writer_lock);
    atomic_store(&tp_last_words, 2);
    atomic_store(&tp_writer_stop, 1);
    return 1;
}

// The child of a fork has no writer thread and must not write into the parent's file.
void tp_writer_after_fork_child(void) {
    atomic_store(&tp_last_words, 0);
    pthread_mutex_init(&tp_writer_lock, NULL);
    if (tp_fd_is_stream()) close(tp_fd);
    tp_fd = -1;
    tp_used = 0;
    atomic_store(&tp_writer_stop, 0);
    atomic_store(&tp_writer_pending, 0);
    // The child's counters are its own (a merged profile sums them over the processes).
    atomic_store(&tp_lost_bytes, 0);
    atomic_store(&tp_reopens, 0);
    atomic_store(&tp_rearmed, 0);
}

void tp_writer_prepare_fork(void) { pthread_mutex_lock(&tp_writer_lock); }
void tp_writer_parent_after_fork(void) { pthread_mutex_unlock(&tp_writer_lock); }
