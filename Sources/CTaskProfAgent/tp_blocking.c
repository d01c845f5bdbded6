// Blocking-call detection. Interposes the primitives that put a thread to sleep and, when one
// is called on a runtime thread — a thread running a Swift job, or a SwiftNIO event loop
// outside its wait for events — times it; a call that blocks at least TASKPROF_BLOCKING_NS is
// written with the caller's stack (the agent's table-driven walk, tp_unwind.c), task and thread.
//
// Calls on other threads, and the runtime's own parking (idle workers in sem_timedwait, an
// event loop in epoll_wait), are passed straight through. Locks are tried first, so an
// uncontended lock costs one trylock and no clock reads. Real functions are resolved before
// sampling starts, so no interposer ever calls dlsym late.
//
// The same file times SwiftNIO event-loop ticks: on a thread named NIO-ELT-*, the time from
// the return of one epoll_wait to the next call is one tick; a long one is a long poll.
#include "tp_internal.h"
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Every interposed function, once: its real_<name> pointer is declared and resolved from this list.
#define TP_INTERPOSED(X)                                                                                  \
    X(sleep) X(usleep) X(nanosleep) X(clock_nanosleep)                                                    \
    X(read) X(write) X(recv) X(recvfrom) X(recvmsg) X(send) X(sendto) X(sendmsg)                          \
    X(accept) X(accept4) X(connect) X(poll) X(ppoll) X(select) X(pselect) X(epoll_wait) X(epoll_pwait)    \
    X(pthread_mutex_lock) X(pthread_mutex_trylock)                                                        \
    X(pthread_rwlock_rdlock) X(pthread_rwlock_tryrdlock) X(pthread_rwlock_wrlock) X(pthread_rwlock_trywrlock) \
    X(pthread_cond_wait) X(pthread_cond_timedwait) X(sem_wait) X(sem_trywait) X(sem_timedwait)            \
    X(fsync) X(fdatasync) X(waitpid) X(getaddrinfo) X(flock)

#define TP_REAL(name) static __typeof__(&name) real_##name;
TP_INTERPOSED(TP_REAL)
static long (*real_syscall)(long, ...);

#define TP_RESOLVE(name) real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name)
#define TP_RESOLVE_ONE(name) TP_RESOLVE(name);

// Constructor time, before any interposer can be reached with tp_cfg.enabled set.
void tp_blocking_init(void) {
    TP_INTERPOSED(TP_RESOLVE_ONE)
    real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
}

// Before the constructor ran (another library's constructor calling in): resolve on the spot.
#define TP_ENSURE(name) do { if (!real_##name) TP_RESOLVE(name); } while (0)

static inline struct tp_thread *tp_candidate(void) {
    if (!tp_cfg.enabled) return NULL;
    struct tp_thread *t = tp_thread_self_fast();
    if (!t || t->in_interposer) return NULL;
    return (t->job.in_job || t->event_loop == 1) ? t : NULL;
}

static void tp_blocking_done(struct tp_thread *t, int primitive, uint64_t start) {
    uint64_t end = tp_now_ns();
    if (tp_elapsed(start, end) < tp_cfg.blocking_ns) return;
    t->in_interposer = 1;
    int saved_errno = errno;
    uint64_t frames[TP_MAX_FRAMES];
    uintptr_t fps[TP_MAX_FRAMES], r14s[TP_MAX_FRAMES];
    // The same table-driven walk as the sampling handler's: no lock, so no way to deadlock on a
    // lock this interposer itself wraps.
    int n = tp_walk_here(t, frames, fps, r14s);
    if (n > 0 && t->job.in_job) n = tp_async_splice(t, frames, fps, r14s, n, TP_MAX_FRAMES, (uintptr_t)__builtin_frame_address(0));
    if (n <= 0) { frames[0] = (uint64_t)(uintptr_t)__builtin_return_address(0); n = 1; }
    struct tp_rec_blocking rec = {
        .h = { TP_REC_BLOCKING, 0, (uint32_t)(sizeof rec + (size_t)n * 8) },
        .start_ns = start, .duration_ns = tp_elapsed(start, end), .task_id = t->job.in_job ? t->job.task_id : 0,
        .tid = (uint32_t)t->tid, .primitive = (uint16_t)primitive, .nframes = (uint16_t)n,
    };
    if (tp_ring_write(&t->events, &rec, sizeof rec, frames, (uint32_t)n * 8) != 0)
        atomic_fetch_add_explicit(&tp_counters[TP_CTR_EVENTS_DROPPED], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&tp_counters[TP_CTR_BLOCKING_CALLS], 1, memory_order_relaxed);
    errno = saved_errno;
    t->in_interposer = 0;
}

// Wraps a call: straight through unless on a runtime thread, else timed.
// Sleeps, waits for events and accept/connect are where a forked child starts its writer thread
// (tp_writer_poke): calls a program makes from ordinary code. Not read/write/waitpid, which crash
// handlers call from signal handlers, nor waits on locks, where an allocator may be waiting (the
// start allocates).
#define TP_POKES(prim) ((prim) <= TP_PRIM_CLOCK_NANOSLEEP || ((prim) >= TP_PRIM_ACCEPT && (prim) <= TP_PRIM_EPOLL_WAIT))

#define TP_TIMED(prim, name, ...)                                         \
    do {                                                                   \
        TP_ENSURE(name);                                                   \
        if (TP_POKES(prim) && tp_cfg.enabled) tp_writer_poke();            \
        struct tp_thread *t_ = tp_candidate();                             \
        if (!t_) return real_##name(__VA_ARGS__);                          \
        uint64_t s_ = tp_now_ns();                                         \
        __typeof__(real_##name(__VA_ARGS__)) r_ = real_##name(__VA_ARGS__); \
        tp_blocking_done(t_, prim, s_);                                    \
        return r_;                                                         \
    } while (0)

// Locks: an uncontended lock is taken by the try and never timed.
// `busy` says whether the try's result r_ means "held by another": only then is the blocking
// call made and timed. Any other result is the call's own answer: a robust mutex whose owner
// died is acquired by the try with EOWNERDEAD, and locking it again would fail with EDEADLK.
#define TP_LOCK(prim, name, tryname, busy, ...)                            \
    do {                                                                   \
        TP_ENSURE(name); TP_ENSURE(tryname);                               \
        struct tp_thread *t_ = tp_candidate();                             \
        if (!t_) return real_##name(__VA_ARGS__);                          \
        int r_ = real_##tryname(__VA_ARGS__);                              \
        if (!(busy)) return r_;                                            \
        uint64_t s_ = tp_now_ns();                                         \
        r_ = real_##name(__VA_ARGS__);                                     \
        tp_blocking_done(t_, prim, s_);                                    \
        return r_;                                                         \
    } while (0)

TP_EXPORT unsigned int sleep(unsigned int s) { TP_TIMED(TP_PRIM_SLEEP, sleep, s); }
TP_EXPORT int usleep(useconds_t us) { TP_TIMED(TP_PRIM_USLEEP, usleep, us); }
TP_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem) { TP_TIMED(TP_PRIM_NANOSLEEP, nanosleep, req, rem); }
TP_EXPORT int clock_nanosleep(clockid_t c, int f, const struct timespec *req, struct timespec *rem) {
    TP_TIMED(TP_PRIM_CLOCK_NANOSLEEP, clock_nanosleep, c, f, req, rem);
}
TP_EXPORT ssize_t read(int fd, void *b, size_t n) { TP_TIMED(TP_PRIM_READ, read, fd, b, n); }
TP_EXPORT ssize_t write(int fd, const void *b, size_t n) { TP_TIMED(TP_PRIM_WRITE, write, fd, b, n); }
TP_EXPORT ssize_t recv(int fd, void *b, size_t n, int f) { TP_TIMED(TP_PRIM_RECV, recv, fd, b, n, f); }
TP_EXPORT ssize_t recvfrom(int fd, void *b, size_t n, int f, struct sockaddr *a, socklen_t *l) {
    TP_TIMED(TP_PRIM_RECV, recvfrom, fd, b, n, f, a, l);
}
TP_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int f) { TP_TIMED(TP_PRIM_RECV, recvmsg, fd, m, f); }
TP_EXPORT ssize_t send(int fd, const void *b, size_t n, int f) { TP_TIMED(TP_PRIM_SEND, send, fd, b, n, f); }
TP_EXPORT ssize_t sendto(int fd, const void *b, size_t n, int f, const struct sockaddr *a, socklen_t l) {
    TP_TIMED(TP_PRIM_SEND, sendto, fd, b, n, f, a, l);
}
TP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int f) { TP_TIMED(TP_PRIM_SEND, sendmsg, fd, m, f); }
TP_EXPORT int accept(int fd, struct sockaddr *a, socklen_t *l) { TP_TIMED(TP_PRIM_ACCEPT, accept, fd, a, l); }
TP_EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *l, int f) { TP_TIMED(TP_PRIM_ACCEPT, accept4, fd, a, l, f); }
TP_EXPORT int connect(int fd, const struct sockaddr *a, socklen_t l) { TP_TIMED(TP_PRIM_CONNECT, connect, fd, a, l); }
TP_EXPORT int poll(struct pollfd *p, nfds_t n, int timeout) {
    TP_ENSURE(poll);
    if (timeout == 0) return real_poll(p, n, timeout);
    TP_TIMED(TP_PRIM_POLL, poll, p, n, timeout);
}
TP_EXPORT int ppoll(struct pollfd *p, nfds_t n, const struct timespec *ts, const sigset_t *m) {
    TP_TIMED(TP_PRIM_POLL, ppoll, p, n, ts, m);
}
TP_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) { TP_TIMED(TP_PRIM_SELECT, select, n, r, w, e, tv); }
TP_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts, const sigset_t *m) {
    TP_TIMED(TP_PRIM_SELECT, pselect, n, r, w, e, ts, m);
}

// Event loops: classify a thread once, by name, at its first wait for events.
static int tp_event_loop_thread(struct tp_thread *t) {
    if (t->event_loop == 0) {
        char name[17] = {0};
        prctl(PR_GET_NAME, name, 0, 0, 0);
        t->event_loop = strncmp(name, "NIO-ELT", 7) == 0 ? 1 : -1;
        if (t->event_loop == 1) t->kind = TP_THREAD_OTHER;
    }
    return t->event_loop == 1;
}

static void tp_tick_end(struct tp_thread *t) {
    uint64_t now = tp_now_ns();
    if (t->tick_start_ns && tp_elapsed(t->tick_start_ns, now) >= tp_cfg.long_poll_ns) {
        struct tp_rec_job rec = {
            .h = { TP_REC_JOB, TP_JOB_FLAG_EVENT_LOOP_TICK, sizeof rec },
            .task_id = 0, .enqueue_ns = 0, .start_ns = t->tick_start_ns, .end_ns = now, .tid = (uint32_t)t->tid,
        };
        if (tp_ring_write(&t->events, &rec, sizeof rec, NULL, 0) != 0)
            atomic_fetch_add_explicit(&tp_counters[TP_CTR_EVENTS_DROPPED], 1, memory_order_relaxed);
    }
}

#define TP_EPOLL(name, ...)                                                 \
    do {                                                                   \
        TP_ENSURE(name);                                                   \
        if (tp_cfg.enabled) tp_writer_poke();                              \
        struct tp_thread *t_ = tp_cfg.enabled ? tp_thread_self_fast() : NULL; \
        if (t_ && !t_->in_interposer && tp_event_loop_thread(t_)) {        \
            tp_tick_end(t_);                                               \
            atomic_store_explicit(&t_->job_start_ns, 0, memory_order_relaxed); \
            int r_ = real_##name(__VA_ARGS__);                             \
            t_->tick_start_ns = tp_now_ns();                               \
            /* a tick is a poll too: one with no sample gets a stack */    \
            atomic_store_explicit(&t_->job_start_ns, t_->tick_start_ns, memory_order_relaxed); \
            return r_;                                                     \
        }                                                                  \
        if (timeout == 0) return real_##name(__VA_ARGS__);                 \
        TP_TIMED(TP_PRIM_EPOLL_WAIT, name, __VA_ARGS__);                   \
    } while (0)

TP_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout) { TP_EPOLL(epoll_wait, ep, ev, max, timeout); }
TP_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout, const sigset_t *m) {
    TP_EPOLL(epoll_pwait, ep, ev, max, timeout, m);
}

TP_EXPORT int pthread_mutex_lock(pthread_mutex_t *m) { TP_LOCK(TP_PRIM_MUTEX_LOCK, pthread_mutex_lock, pthread_mutex_trylock, r_ == EBUSY, m); }
TP_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l) {
    TP_LOCK(TP_PRIM_RWLOCK_RDLOCK, pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, r_ == EBUSY, l);
}
TP_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l) {
    TP_LOCK(TP_PRIM_RWLOCK_WRLOCK, pthread_rwlock_wrlock, pthread_rwlock_trywrlock, r_ == EBUSY, l);
}
TP_EXPORT int sem_wait(sem_t *s) { TP_LOCK(TP_PRIM_SEM_WAIT, sem_wait, sem_trywait, r_ == -1 && errno == EAGAIN, s); }
TP_EXPORT int sem_timedwait(sem_t *s, const struct timespec *ts) { TP_TIMED(TP_PRIM_SEM_TIMEDWAIT, sem_timedwait, s, ts); }
TP_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { TP_TIMED(TP_PRIM_COND_WAIT, pthread_cond_wait, c, m); }
TP_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts) {
    TP_TIMED(TP_PRIM_COND_TIMEDWAIT, pthread_cond_timedwait, c, m, ts);
}
TP_EXPORT int fsync(int fd) { TP_TIMED(TP_PRIM_FSYNC, fsync, fd); }
TP_EXPORT int fdatasync(int fd) { TP_TIMED(TP_PRIM_FDATASYNC, fdatasync, fd); }
TP_EXPORT pid_t waitpid(pid_t p, int *st, int o) {
    TP_ENSURE(waitpid);
    if (o & WNOHANG) return real_waitpid(p, st, o);
    TP_TIMED(TP_PRIM_WAITPID, waitpid, p, st, o);
}
TP_EXPORT int getaddrinfo(const char *n, const char *s, const struct addrinfo *h, struct addrinfo **r) {
    TP_TIMED(TP_PRIM_GETADDRINFO, getaddrinfo, n, s, h, r);
}
TP_EXPORT int flock(int fd, int op) {
    TP_ENSURE(flock);
    if (op & LOCK_NB) return real_flock(fd, op);
    TP_TIMED(TP_PRIM_FLOCK, flock, fd, op);
}

// futex waits through syscall(2): Synchronization.Mutex and other lock implementations that
// bypass pthread. Every other system call passes through untouched.
TP_EXPORT long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    if (!real_syscall) real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    if (number == SYS_futex) {
        int op = (int)a2 & FUTEX_CMD_MASK;
        if (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET || op == FUTEX_LOCK_PI || op == FUTEX_WAIT_REQUEUE_PI) {
            struct tp_thread *t = tp_candidate();
            if (t) {
                uint64_t s = tp_now_ns();
                long r = real_syscall(number, a1, a2, a3, a4, a5, a6);
                tp_blocking_done(t, TP_PRIM_FUTEX_WAIT, s);
                return r;
            }
        }
    }
    return real_syscall(number, a1, a2, a3, a4, a5, a6);
}
