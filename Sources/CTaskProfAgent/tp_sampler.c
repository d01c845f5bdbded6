// The sampling signal handler and the two engines that drive it.
//
// ASYNC-SIGNAL SAFETY: tp_on_signal runs at arbitrary points of the target's threads. It may only
// call: clock_gettime (vDSO), syscall(SYS_process_vm_readv / SYS_gettid), memcpy, C11 atomics,
// the tp_ring_* writers, swift_task_getCurrent / swift_task_getJobTaskId (thread-local reads,
// verified safe), tp_unwind (table lookups and validated reads, tp_unwind.c), tp_async_splice
// (its own reads go through the tp_memmap table or process_vm_readv); and, only to end the
// process for a SIGTRAP that is not a sample and has no handler of the target's, sigaction and
// tgkill. No malloc, no locks, no stdio, no Swift, no libunwind (it takes a process-wide mutex in
// every step: a sample inside the agent's own lock interposer deadlocked the thread).
#include "tp_internal.h"
#include "tp_unwind.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

// glibc 2.36 names neither TRAP_PERF nor the siginfo fields of a perf SIGTRAP; the kernel's
// layout (asm-generic/siginfo.h) puts si_perf_data right after si_addr and its 8-byte union
// padding, and si_perf_flags 12 bytes further.
#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif
#define TP_TRAP_PERF_FLAG_ASYNC 1u
_Static_assert(offsetof(siginfo_t, si_addr) == 16, "kernel siginfo layout");
static inline uint64_t tp_si_perf_data(const siginfo_t *si) {
    uint64_t v;
    memcpy(&v, (const char *)si + 24, sizeof v);
    return v;
}
static inline uint32_t tp_si_perf_flags(const siginfo_t *si) {
    uint32_t v;
    memcpy(&v, (const char *)si + 36, sizeof v);
    return v;
}

_Atomic uint64_t tp_counters[TP_CTR_COUNT];
_Atomic uint64_t tp_handler_hist[TP_HANDLER_BUCKETS];
_Atomic uint64_t tp_async_hist[TP_HANDLER_BUCKETS];

typedef void *(*tp_get_current_fn)(void);
typedef uint64_t (*tp_get_task_id_fn)(void *);
static tp_get_current_fn tp_swift_get_current;
static tp_get_task_id_fn tp_swift_get_job_task_id;
// The target's own handler for the sampling signal, if it installs one (through the sigaction /
// signal interposers in tp_signals.c). Two slots and an index, so the handler always reads a
// whole struct even while the target changes it.
static struct sigaction tp_chain_slots[2];
static _Atomic int tp_chain_index;
static uint64_t tp_period_ns;
static pid_t tp_pid;   // the sender a capture request must come from
// glibc's sigaction (async-signal-safe), past the agent's own interposer; resolved at install.
typedef int (*tp_sigaction_fn)(int, const struct sigaction *, struct sigaction *);
static tp_sigaction_fn tp_real_sigaction;

void tp_sampler_get_chained(struct sigaction *out) {
    *out = tp_chain_slots[atomic_load_explicit(&tp_chain_index, memory_order_acquire)];
}

static void tp_on_signal(int sig, siginfo_t *si, void *ucv);
static _Atomic int tp_restarting = 1;   // the agent's handler is installed with SA_RESTART

// The program's handler for the sampling signal decides whether a system call it interrupts
// restarts: one kernel sigaction serves both, so the agent's takes over the program's
// SA_RESTART (a program whose read relies on EINTR from its own signal must get it). While the
// program has no handler, the agent's samples restart what they interrupt.
static void tp_mirror_restart(const struct sigaction *act) {
    int handler = (act->sa_flags & SA_SIGINFO) ? act->sa_sigaction != NULL
                                               : act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
    int restart = !handler || (act->sa_flags & SA_RESTART);
    if (restart == atomic_load(&tp_restarting) || !tp_real_sigaction) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = tp_on_signal;
    sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
    sigemptyset(&sa.sa_mask);
    if (tp_real_sigaction(tp_cfg.signal, &sa, NULL) == 0) atomic_store(&tp_restarting, restart);
}

void tp_sampler_set_chained(const struct sigaction *act) {
    int next = 1 - atomic_load_explicit(&tp_chain_index, memory_order_relaxed);
    tp_chain_slots[next] = *act;
    atomic_store_explicit(&tp_chain_index, next, memory_order_release);
    tp_mirror_restart(act);
}

static void tp_resolve_swift(void) {
    // Looked up once at start: libswift_Concurrency is a DT_NEEDED of every async Swift program,
    // so it is loaded before any constructor runs.
    tp_swift_get_current = (tp_get_current_fn)dlsym(RTLD_DEFAULT, "swift_task_getCurrent");
    tp_swift_get_job_task_id = (tp_get_task_id_fn)dlsym(RTLD_DEFAULT, "swift_task_getJobTaskId");
}

static inline void *tp_current_task(void) {
    return tp_swift_get_current && tp_swift_get_job_task_id ? tp_swift_get_current() : NULL;
}

uint64_t tp_current_task_id(void) {
    void *task = tp_current_task();
    return task ? tp_swift_get_job_task_id(task) : 0;
}

// The walk from the interrupted registers, and its counters.
static int tp_walk(const struct tp_thread *t, struct tp_regs regs, uint64_t *frames, uintptr_t *fps, uintptr_t *r14s,
                   uint16_t *flags, struct tp_unwind_cache *cache) {
    struct tp_stack_bounds bounds = { t->stack_lo, t->stack_hi };
    struct tp_walk_stats ws;
    int n = tp_unwind(&bounds, regs, frames, fps, r14s, TP_MAX_FRAMES, &ws, cache);
    *flags = (uint16_t)((ws.cfi || ws.signal ? TP_SAMPLE_FLAG_DWARF : 0) | (ws.fp ? TP_SAMPLE_FLAG_FP : 0));
    atomic_fetch_add_explicit(&tp_counters[TP_CTR_FRAMES_CFI], ws.cfi, memory_order_relaxed);
    if (ws.fp) atomic_fetch_add_explicit(&tp_counters[TP_CTR_FRAMES_FP], ws.fp, memory_order_relaxed);
    if (ws.signal) atomic_fetch_add_explicit(&tp_counters[TP_CTR_FRAMES_SIGNAL], ws.signal, memory_order_relaxed);
    if (ws.stop_reason == TP_STOP_FULL) {
        *flags |= TP_SAMPLE_FLAG_TRUNCATED;
    } else if (!ws.end_clean) {
        *flags |= TP_SAMPLE_FLAG_BROKEN;
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_UNWIND_BROKEN], 1, memory_order_relaxed);
    }
    return n;
}

// The calling thread's own stack, from here: the blocking-call interposers' call sites. Each
// register is read on its own so none is overwritten before it is read; the pc is this function's
// own, whose CFI row describes the rsp and rbp read here.
__attribute__((noinline)) int tp_walk_here(const struct tp_thread *t, uint64_t *frames, uintptr_t *fps, uintptr_t *r14s) {
    struct tp_regs regs;
    memset(&regs, 0, sizeof regs);
    __asm__ volatile("movq %%r14, %0" : "=r"(regs.r14));
    __asm__ volatile("movq %%rsp, %0" : "=r"(regs.sp));
    __asm__ volatile("movq %%rbp, %0" : "=r"(regs.fp));
    __asm__ volatile("leaq 0(%%rip), %0" : "=r"(regs.pc));
    regs.fp_known = regs.r14_known = regs.exact_pc = 1;
    uint16_t flags;
    return tp_walk(t, regs, frames, fps, r14s, &flags, NULL);   // the row memo is the handler's alone
}

// Signals that are not our samples (the target's own SIGPROF timer, the Swift crash handler's
// thread pauses) go to the handler the target installed. With none, they are ignored rather
// than killing the process with the default action.
//
// A SIGTRAP that is not a sample (an int3, a debugger trap, raise) with no handler of the target's
// must still end the process as it would have: the default action is restored and the signal
// raised again, to be delivered as soon as this handler returns.
static void tp_chain(int sig, siginfo_t *si, void *uc) {
    const struct sigaction *prev = &tp_chain_slots[atomic_load_explicit(&tp_chain_index, memory_order_acquire)];
    int handler = (prev->sa_flags & SA_SIGINFO) ? prev->sa_sigaction != NULL
                : prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN && prev->sa_handler;
    if (handler) {
        // The program's handler runs with the mask it asked for (sa_mask), as the kernel would
        // have set it; the signal itself is blocked already (the agent's handler has no SA_NODEFER).
        sigset_t old;
        pthread_sigmask(SIG_BLOCK, &prev->sa_mask, &old);
        if (prev->sa_flags & SA_SIGINFO) prev->sa_sigaction(sig, si, uc);
        else prev->sa_handler(sig);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    } else if (prev->sa_handler == SIG_DFL && sig == SIGTRAP) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        if (tp_real_sigaction) tp_real_sigaction(sig, &dfl, NULL);
        syscall(SYS_tgkill, (long)getpid(), (long)tp_gettid(), (long)sig);
    }
}

// Each thread's first period was a random fraction of the real one, so threads that live less
// than a period are still sampled in proportion to their CPU time; the first sample sets the
// real one (or the writer does, for a thread that blocks the signal: tp_sampler_settle_period).
// Both may set it at once; the second ioctl only restarts the period.
static inline void tp_set_real_period(struct tp_thread *t) {
    if (!atomic_load_explicit(&t->period_set, memory_order_relaxed) && t->perf_fd >= 0) {
        ioctl(t->perf_fd, PERF_EVENT_IOC_PERIOD, &tp_period_ns);
        atomic_store_explicit(&t->period_set, 1, memory_order_relaxed);
    }
}

// Whether a signal's payload points at one of the agent's thread slots.
static inline int tp_names_slot(uint64_t p) {
    return p >= (uint64_t)(uintptr_t)&tp_threads[0] && p < (uint64_t)(uintptr_t)&tp_threads[TP_MAX_THREADS];
}

static void tp_on_signal(int sig, siginfo_t *si, void *ucv) {
    int saved_errno = errno;
    struct tp_thread *t = tp_thread_self();
    // A perf signal is ours by its code; it belongs to this thread's event when it carries the
    // slot (sigtrap: sig_data) or the fd (fasync) of this thread.
    int perf_code = tp_cfg.engine == TP_ENGINE_PERF && si->si_code == (tp_cfg.perf_sigtrap ? TRAP_PERF : POLL_IN);
    int ours = (perf_code && t && (tp_cfg.perf_sigtrap ? tp_si_perf_data(si) == (uint64_t)(uintptr_t)t : si->si_fd == t->perf_fd)) ||
               (tp_cfg.engine == TP_ENGINE_TIMER && si->si_code == SI_TIMER && t && si->si_value.sival_ptr == t);
    // The writer's request for a one-off stack of a long poll (tp_sampler_request_capture).
    int capture = !ours && si->si_code == SI_QUEUE && t && si->si_pid == tp_pid && si->si_value.sival_ptr == (void *)t;
    if (capture) ours = 1;
    if (!ours) {
        // Still the agent's when it names one of its thread slots (a sigtrap's data, a timer's or
        // a capture request's value) but reached a thread that has since unregistered, or a
        // fasync perf signal: dropped and counted. Anything else is the program's own (its perf
        // events, its timers, its sigqueue) and goes to its handler.
        uint64_t named = tp_cfg.perf_sigtrap && si->si_code == TRAP_PERF ? tp_si_perf_data(si)
                       : si->si_code == SI_TIMER || si->si_code == SI_QUEUE ? (uint64_t)(uintptr_t)si->si_value.sival_ptr : 0;
        int stale = (perf_code && !tp_cfg.perf_sigtrap) || tp_names_slot(named);
        if (stale && si->si_code == SI_QUEUE) stale = si->si_pid == tp_pid;
        if (stale) atomic_fetch_add_explicit(&tp_counters[TP_CTR_DROPPED_NO_THREAD], 1, memory_order_relaxed);
        else tp_chain(sig, si, ucv);
        errno = saved_errno;
        return;
    }
    // A sigtrap sample raised while the thread blocked SIGTRAP arrives when it unblocks, at a
    // place that did not use the CPU time: not a sample of it.
    if (!capture && tp_cfg.perf_sigtrap && (tp_si_perf_flags(si) & TP_TRAP_PERF_FLAG_ASYNC)) {
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_DROPPED_BLOCKED], 1, memory_order_relaxed);
        errno = saved_errno;
        return;
    }
    if (!t || !atomic_load_explicit(&t->sampling, memory_order_acquire)) {
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_DROPPED_NO_THREAD], 1, memory_order_relaxed);
        errno = saved_errno;
        return;
    }
    if (tp_cfg.empty_handler && !capture) {
        tp_set_real_period(t);
        errno = saved_errno;
        return;
    }
    uint64_t start = tp_now_ns();
    ucontext_t *uc = ucv;
    const greg_t *g = uc->uc_mcontext.gregs;
    struct tp_regs regs = {
        .pc = (uintptr_t)g[REG_RIP], .sp = (uintptr_t)g[REG_RSP], .fp = (uintptr_t)g[REG_RBP], .r14 = (uintptr_t)g[REG_R14],
        .fp_known = 1, .r14_known = 1, .exact_pc = 1,
    };
    uint16_t flags;
    int n = tp_walk(t, regs, t->frames, t->fps, t->r14s, &flags, &t->unwind_cache);
    void *task = tp_current_task();
    if (task && tp_async_enabled()) {
        uint64_t async_start = tp_cfg.measure_handler ? tp_now_ns() : 0;
        n = tp_async_splice(t, t->frames, t->fps, t->r14s, n, TP_MAX_FRAMES, regs.sp);
        if (tp_cfg.measure_handler)
            atomic_fetch_add_explicit(&tp_async_hist[tp_handler_bucket(tp_elapsed(async_start, tp_now_ns()))], 1, memory_order_relaxed);
    }
    if (n >= TP_MAX_FRAMES && !(flags & TP_SAMPLE_FLAG_TRUNCATED)) flags |= TP_SAMPLE_FLAG_TRUNCATED;
    if (flags & TP_SAMPLE_FLAG_TRUNCATED) atomic_fetch_add_explicit(&tp_counters[TP_CTR_TRUNCATED], 1, memory_order_relaxed);

    struct tp_rec_sample rec;
    rec.h.type = TP_REC_SAMPLE;
    rec.h.flags = flags;
    rec.h.size = (uint32_t)(sizeof rec + (size_t)n * sizeof(uint64_t));
    rec.time_ns = start;
    rec.task_id = task ? tp_swift_get_job_task_id(task) : 0;
    rec.tid = (uint32_t)t->tid;
    rec.nframes = (uint16_t)n;
    rec.reserved = 0;
    if (capture) {
        rec.h.flags |= TP_SAMPLE_FLAG_CAPTURE;
    } else {
        t->sampled = 1;
        t->last_sample_ns = start;
        tp_set_real_period(t);
    }
    if (tp_ring_write(&t->samples, &rec, sizeof rec, t->frames, (uint32_t)(n * sizeof(uint64_t))) == 0)
        atomic_fetch_add_explicit(&tp_counters[capture ? TP_CTR_CAPTURES : TP_CTR_SAMPLES], 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_DROPPED_RING_FULL], 1, memory_order_relaxed);

    if (tp_cfg.measure_handler) {
        uint64_t d = tp_elapsed(start, tp_now_ns());
        atomic_fetch_add_explicit(&tp_handler_hist[tp_handler_bucket(d)], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_HANDLER_NS_TOTAL], d, memory_order_relaxed);
    }
    errno = saved_errno;
}

// The CPU clock of any thread of this process, by tid (the kernel's CPUCLOCK_SCHED encoding).
static clockid_t tp_thread_cpu_clock(pid_t tid) { return (clockid_t)((~(unsigned)tid) << 3) | 6; }

// The CPU time a thread of this process has used, or 0 when it cannot be read (it has exited).
static uint64_t tp_thread_cpu_ns(pid_t tid) {
    struct timespec ts;
    if (clock_gettime(tp_thread_cpu_clock(tid), &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// A random first period in (0, period], from a per-thread xorshift seed.
static uint64_t tp_first_period(pid_t tid) {
    if (tp_cfg.first_period_ns) return tp_cfg.first_period_ns;
    uint64_t x = tp_now_ns() ^ ((uint64_t)tid << 32) ^ 0x9E3779B97F4A7C15ull;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return 1 + x % tp_period_ns;
}

// With `sigtrap`, the kernel sends SIGTRAP (si_code TRAP_PERF, si_perf_data = `data`) to the
// thread itself on the way back to user space. In a single-threaded busy loop on this project's
// VMs, with an empty handler at 1 kHz, that cost 1 % of CPU against 3 % for the fasync signal
// (O_ASYNC + F_SETSIG), whose wake-up goes through an irq_work self-interrupt.
static int tp_perf_open(pid_t tid, int sigtrap, uint64_t data) {
    struct perf_event_attr pe;
    memset(&pe, 0, sizeof pe);
    pe.type = PERF_TYPE_SOFTWARE;
    pe.size = sizeof pe;
    pe.config = PERF_COUNT_SW_TASK_CLOCK;
    pe.sample_period = tp_first_period(tid);
    pe.disabled = 1;
    pe.exclude_kernel = 1;   // perf_event_paranoid 2 allows user space only
    pe.exclude_hv = 1;
    pe.wakeup_events = 1;
    if (sigtrap) {
        pe.sigtrap = 1;
        pe.remove_on_exec = 1;   // the kernel requires it: no SIGTRAPs into an exec'd program
        pe.sig_data = data;
    }
    return (int)syscall(SYS_perf_event_open, &pe, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static int tp_perf_arm(int fd, pid_t tid, int sigtrap) {
    struct f_owner_ex owner = { F_OWNER_TID, tid };
    if (!sigtrap && (fcntl(fd, F_SETFL, O_ASYNC) != 0 || fcntl(fd, F_SETSIG, tp_cfg.signal) != 0 ||
                     fcntl(fd, F_SETOWN_EX, &owner) != 0))
        return -1;
    if (ioctl(fd, PERF_EVENT_IOC_RESET, 0) != 0 || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) return -1;
    return 0;
}

// Whether perf's sigtrap is safe on this kernel: before Linux 5.19 a sigtrap raised while the
// thread blocks SIGTRAP kills the process (glibc blocks every signal around clone in
// pthread_create and posix_spawn); 5.19 delivers it asynchronously instead. TASKPROF_KERNEL_RELEASE
// stands in for uname's release (the tests use it).
static int tp_kernel_has_async_sigtrap(char *release, size_t len) {
    struct utsname u;
    if (tp_cfg.kernel_release[0]) snprintf(release, len, "%s", tp_cfg.kernel_release);
    else if (uname(&u) == 0) snprintf(release, len, "%s", u.release);
    else return 0;
    int major = 0, minor = 0;
    if (sscanf(release, "%d.%d", &major, &minor) != 2) return 0;
    return major > 5 || (major == 5 && minor >= 19);
}

// The perf engine's delivery: sigtrap unless the user chose a signal or the kernel is too old for
// it, then fasync with it.
// perf_event_paranoid, or -100 when unreadable; TASKPROF_PERF_PARANOID pretends a value (tests,
// with `record`'s own check reading the same).
static int tp_perf_paranoid(void) {
    if (tp_cfg.perf_paranoid_override[0]) return atoi(tp_cfg.perf_paranoid_override);
    char buf[16] = {0};
    int fd = open("/proc/sys/kernel/perf_event_paranoid", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -100;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 ? atoi(buf) : -100;
}

static int tp_choose_perf(void) {
    if (tp_cfg.perf_paranoid_override[0] && tp_perf_paranoid() > 2) { errno = EACCES; return -1; }
    int fd = -1, sigtrap_err = 0, old_kernel = 0;
    char release[64] = "";
    if (tp_cfg.signal == 0 && !tp_kernel_has_async_sigtrap(release, sizeof release)) {
        old_kernel = 1;
        tp_cfg.signal = SIGPROF;
    }
    if (tp_cfg.signal == 0) {
        fd = tp_perf_open(tp_gettid(), 1, 0);
        if (fd >= 0) {
            close(fd);
            tp_cfg.perf_sigtrap = 1;
            tp_cfg.signal = SIGTRAP;
            strncpy(tp_cfg.engine_note, "perf_event_open task-clock, SIGTRAP per overflow (sigtrap)", sizeof tp_cfg.engine_note - 1);
            return 0;
        }
        sigtrap_err = errno;
        tp_cfg.signal = SIGPROF;
    }
    fd = tp_perf_open(tp_gettid(), 0, 0);
    if (fd < 0) return -1;
    close(fd);
    if (old_kernel)
        snprintf(tp_cfg.engine_note, sizeof tp_cfg.engine_note,
                 "perf_event_open task-clock, signal %d per overflow (fasync; kernel %.24s predates 5.19's safe sigtrap)",
                 tp_cfg.signal, release);
    else if (sigtrap_err)
        snprintf(tp_cfg.engine_note, sizeof tp_cfg.engine_note,
                 "perf_event_open task-clock, signal %d per overflow (fasync; sigtrap failed, errno %d)", tp_cfg.signal, sigtrap_err);
    else
        snprintf(tp_cfg.engine_note, sizeof tp_cfg.engine_note,
                 "perf_event_open task-clock, signal %d per overflow (fasync)", tp_cfg.signal);
    return 0;
}

int tp_sampler_install(void) {
    tp_period_ns = 1000000000ull / tp_cfg.rate_hz;
    tp_pid = getpid();
    tp_resolve_swift();

    // Engine choice: perf task-clock when the kernel allows it, else per-thread CPU timers.
    if (tp_cfg.engine != TP_ENGINE_TIMER && tp_choose_perf() == 0) {
        tp_cfg.engine = TP_ENGINE_PERF;
    } else {
        if (tp_cfg.engine != TP_ENGINE_TIMER) {
            int err = errno;
            if (err == EACCES || err == EPERM) {
                snprintf(tp_cfg.engine_note, sizeof tp_cfg.engine_note,
                         "perf_event_open not permitted (perf_event_paranoid %d); per-thread CPU timers, tick-limited", tp_perf_paranoid());
            } else {
                const char *why = err == ENOSYS || err == ENOENT ? "not supported by this kernel" : "failed";
                snprintf(tp_cfg.engine_note, sizeof tp_cfg.engine_note,
                         "perf_event_open %s (errno %d); per-thread CPU timers, tick-limited", why, err);
            }
        } else {
            strncpy(tp_cfg.engine_note, "per-thread CPU timers (requested)", sizeof tp_cfg.engine_note - 1);
        }
        tp_cfg.engine = TP_ENGINE_TIMER;
        tp_cfg.perf_sigtrap = 0;
        if (tp_cfg.signal == 0) tp_cfg.signal = SIGPROF;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = tp_on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    tp_real_sigaction = (tp_sigaction_fn)tp_real_symbol("sigaction");
    struct sigaction prev;
    if (!tp_real_sigaction || tp_real_sigaction(tp_cfg.signal, &sa, &prev) != 0) return -1;
    atomic_store(&tp_restarting, 1);
    tp_sampler_set_chained(&prev);
    return 0;
}

int tp_sampler_start_thread(struct tp_thread *t) {
    if (tp_cfg.engine == TP_ENGINE_PERF) {
        int fd = tp_fd_high(tp_perf_open(t->tid, tp_cfg.perf_sigtrap, (uint64_t)(uintptr_t)t));
        if (fd < 0) return -1;
        if (ioctl(fd, PERF_EVENT_IOC_ID, &t->perf_id) != 0) t->perf_id = 0;
        t->perf_fd = fd;
        atomic_store(&t->period_set, 0);
        t->armed_cpu_ns = tp_thread_cpu_ns(t->tid);
        atomic_store_explicit(&t->sampling, 1, memory_order_release);
        if (tp_perf_arm(fd, t->tid, tp_cfg.perf_sigtrap) != 0) {
            atomic_store(&t->sampling, 0);
            close(fd);
            t->perf_fd = -1;
            return -1;
        }
        return 0;
    }
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev._sigev_un._tid = t->tid;
    sev.sigev_signo = tp_cfg.signal;
    sev.sigev_value.sival_ptr = t;
    timer_t timer;
    if (timer_create(tp_thread_cpu_clock(t->tid), &sev, &timer) != 0) return -1;
    uint64_t period = tp_period_ns, first = tp_first_period(t->tid);
    struct itimerspec its = {
        .it_interval = { (time_t)(period / 1000000000ull), (long)(period % 1000000000ull) },
        .it_value = { (time_t)(first / 1000000000ull), (long)(first % 1000000000ull) },
    };
    t->timer = timer;
    atomic_store_explicit(&t->sampling, 1, memory_order_release);
    if (timer_settime(timer, 0, &its, NULL) != 0) {
        atomic_store(&t->sampling, 0);
        timer_delete(timer);
        t->timer = NULL;
        return -1;
    }
    return 0;
}

// Whether t->perf_fd is still the thread's event: a program that closes every descriptor (a
// daemon) takes it away, and may get the number back for a file of its own.
static int tp_perf_fd_is_ours(const struct tp_thread *t) {
    uint64_t id;
    return t->perf_fd >= 0 && ioctl(t->perf_fd, PERF_EVENT_IOC_ID, &id) == 0 && id == t->perf_id;
}

// Closes the thread's event if the descriptor is still it; never a descriptor of the program's.
// In a forked child: the descriptor is a copy sharing the parent's open event, so it is only
// closed; PERF_EVENT_IOC_DISABLE here would stop the parent's sampling (it did: a program that
// forked once was never sampled again).
void tp_sampler_forget_perf(struct tp_thread *t) {
    if (tp_perf_fd_is_ours(t)) close(t->perf_fd);
    t->perf_fd = -1;
}

void tp_sampler_release_perf(struct tp_thread *t) {
    if (tp_perf_fd_is_ours(t)) {
        ioctl(t->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
        close(t->perf_fd);
    }
    t->perf_fd = -1;
}

// Writer thread: a live thread whose event the program closed gets a new one. Returns 1 then.
int tp_sampler_revalidate(struct tp_thread *t) {
    // A thread on its way out has stopped sampling before it closes its event: left alone.
    if (t->perf_fd < 0 || !atomic_load_explicit(&t->sampling, memory_order_acquire) || tp_perf_fd_is_ours(t)) return 0;
    atomic_store_explicit(&t->sampling, 0, memory_order_release);
    t->perf_fd = -1;
    return tp_sampler_start_thread(t) == 0;
}

// Writer thread: a thread that has used two periods of CPU since its event was armed without its
// handler running blocks the signal (some libraries block every signal around their work). Its
// random first period would stay in force until it unblocks, and a first period of a few
// nanoseconds makes the event overflow at every tick of the kernel's 10 µs floor: such a thread
// (TortureTests' blocked_signals_thread) crawled for minutes. The writer sets the real period for
// it. Returns 1 then.
int tp_sampler_settle_period(struct tp_thread *t) {
    if (tp_cfg.engine != TP_ENGINE_PERF || atomic_load_explicit(&t->period_set, memory_order_relaxed) ||
        !atomic_load_explicit(&t->sampling, memory_order_acquire))
        return 0;
    uint64_t cpu = tp_thread_cpu_ns(t->tid);
    if (cpu < t->armed_cpu_ns + 2 * tp_period_ns || !tp_perf_fd_is_ours(t)) return 0;
    tp_set_real_period(t);
    return 1;
}

void tp_sampler_stop_thread(struct tp_thread *t) {
    atomic_store_explicit(&t->sampling, 0, memory_order_release);
    if (t->perf_fd >= 0) tp_sampler_release_perf(t);
    if (t->timer) {
        timer_delete((timer_t)t->timer);
        t->timer = NULL;
    }
}

// Writer thread: a job that has run longer than the long-poll threshold without a CPU sample gets
// one stack, taken by signalling its thread, so its long poll is not reported without one. Only a
// thread that is running or runnable is signalled: a signal would cut short a sleep or a blocking
// call (those have their own stacks, from the blocking-call interposers).
void tp_sampler_request_capture(struct tp_thread *t, uint64_t now) {
    uint64_t start = atomic_load_explicit(&t->job_start_ns, memory_order_relaxed);
    if (!start || tp_elapsed(start, now) < tp_cfg.long_poll_ns || t->last_sample_ns >= start || t->captured_start_ns == start ||
        t->in_interposer || !atomic_load_explicit(&t->sampling, memory_order_acquire))
        return;
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)t->tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    const char *paren = strrchr(buf, ')');   // the name may hold spaces and parentheses
    if (!paren || paren[1] != ' ' || paren[2] != 'R') return;
    t->captured_start_ns = start;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = tp_cfg.signal;
    si.si_code = SI_QUEUE;
    si.si_pid = tp_pid;
    si.si_uid = getuid();
    si.si_value.sival_ptr = t;
    syscall(SYS_rt_tgsigqueueinfo, (long)tp_pid, (long)t->tid, (long)tp_cfg.signal, &si);
}

// A followed child is another process: capture requests come from its own pid.
void tp_sampler_after_fork_child(void) { tp_pid = getpid(); }

void tp_sampler_shutdown(void) {
    for (int i = 0; i < TP_MAX_THREADS; i++) {
        struct tp_thread *t = &tp_threads[i];
        if (atomic_load(&t->state) == TP_SLOT_LIVE) tp_sampler_stop_thread(t);
    }
}
