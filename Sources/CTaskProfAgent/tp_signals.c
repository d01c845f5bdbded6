// sigaction/signal interposers for the sampling signal. A target that installs its own SIGPROF
// handler (setitimer profiling, the Swift crash handler pausing threads) would otherwise replace
// the agent's handler: samples would stop and the target's handler would receive the agent's
// signals. Instead the agent keeps its handler and forwards every signal that is not a sample to
// the target's, which sees sigaction report exactly what it installed.
#include "tp_internal.h"
#include <errno.h>
#include <signal.h>
#include <string.h>

typedef int (*tp_sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef void (*tp_handler_fn)(int);

static int tp_owns(int sig) { return tp_cfg.enabled && sig == tp_cfg.signal; }
static int tp_last_words_virtual(int sig, const struct sigaction *act, struct sigaction *old, tp_sigaction_fn real, int *rc);

// The Swift runtime's crash handler pauses every thread before printing a backtrace: it installs
// one handler for SIGPROF, SIGUSR1 and SIGUSR2, in that order, then signals each thread. When
// that handler arrives for SIGUSR2 too, the agent's writer (which blocks every signal) opens
// SIGUSR2 for the pause, and closes it when SIGUSR2 gets another handler back.
static void *tp_suspend_handler[2];   // last handlers set for SIGPROF and SIGUSR1
static int tp_crash_pausing;

static void tp_watch_crash_pause(int sig, const struct sigaction *act) {
    if (!act || (sig != SIGPROF && sig != SIGUSR1 && sig != SIGUSR2)) return;
    void *h = (act->sa_flags & SA_SIGINFO) ? (void *)act->sa_sigaction : (void *)act->sa_handler;
    if (sig == SIGPROF) tp_suspend_handler[0] = h;
    else if (sig == SIGUSR1) tp_suspend_handler[1] = h;
    else if (h != SIG_DFL && h != SIG_IGN && h == tp_suspend_handler[0] && h == tp_suspend_handler[1]) {
        tp_crash_pausing = 1;
        tp_writer_crash_pause(1);
    } else if (tp_crash_pausing) {
        tp_crash_pausing = 0;
        tp_writer_crash_pause(0);
    }
}

TP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    static tp_sigaction_fn real;
    if (!real) real = (tp_sigaction_fn)tp_real_symbol("sigaction");
    if (!real) { errno = ENOSYS; return -1; }
    if (tp_cfg.enabled) tp_watch_crash_pause(sig, act);
    int rc;
    if (tp_last_words_virtual(sig, act, old, real, &rc)) return rc;
    if (!tp_owns(sig)) return real(sig, act, old);
    struct sigaction prev;
    tp_sampler_get_chained(&prev);
    if (act) tp_sampler_set_chained(act);
    if (old) *old = prev;
    return 0;
}

TP_EXPORT tp_handler_fn signal(int sig, tp_handler_fn handler) {
    static tp_handler_fn (*real)(int, tp_handler_fn);
    if (!real) real = (tp_handler_fn (*)(int, tp_handler_fn))tp_real_symbol("signal");
    if (!real) { errno = ENOSYS; return SIG_ERR; }
    static tp_sigaction_fn real_sigaction;
    if (!real_sigaction) real_sigaction = (tp_sigaction_fn)tp_real_symbol("sigaction");
    struct sigaction want, was;
    memset(&want, 0, sizeof want);
    want.sa_handler = handler;
    want.sa_flags = SA_RESTART;
    sigemptyset(&want.sa_mask);
    int rc;
    if (real_sigaction && tp_last_words_virtual(sig, &want, &was, real_sigaction, &rc)) return rc == 0 ? was.sa_handler : SIG_ERR;
    if (!tp_owns(sig)) return real(sig, handler);
    struct sigaction prev, next;
    tp_sampler_get_chained(&prev);
    memset(&next, 0, sizeof next);
    next.sa_handler = handler;
    next.sa_flags = SA_RESTART;   // glibc's signal() has BSD semantics
    sigemptyset(&next.sa_mask);
    tp_sampler_set_chained(&next);
    // sa_handler and sa_sigaction share one union in glibc's struct sigaction: either way, this
    // is the handler the program had installed.
    return prev.sa_handler;
}

// ---- Last words: a dump of the live tasks before death by SIGINT or SIGTERM ------------------
// A program stopped with Ctrl-C or `kill` dies without exit handlers, so without this its stuck
// tasks (often why it was stopped) would never be dumped. When the program leaves SIGINT or
// SIGTERM at the default action, the agent installs a handler that writes the dump, flushes the
// stream, and dies of the same signal (the default action again, re-raised), so the program's
// exit status is unchanged. The program never sees the handler: sigaction and signal report
// SIG_DFL, and a handler of its own replaces the agent's.
static const int tp_last_words_signals[2] = { SIGINT, SIGTERM };
static _Atomic int tp_last_words_on[2];
static pid_t tp_last_words_pid;   // the process that installed them (a vfork child shares this memory, not the actions)

static int tp_last_words_slot(int sig) {
    for (int i = 0; i < 2; i++)
        if (tp_last_words_signals[i] == sig) return i;
    return -1;
}

// ASYNC-SIGNAL SAFETY: the handler only asks the writer thread (futex wake) and waits for it
// with sched_yield, at most a second (a forked child without a writer yet flushes here, as _exit
// does: process_vm_readv, write(2), the writer's lock only tried); raise is async-signal-safe.
static void tp_last_words(int sig, siginfo_t *si, void *uc) {
    (void)si;
    (void)uc;
    int saved = errno;
    int slot = tp_last_words_slot(sig);
    if (slot >= 0 && atomic_exchange(&tp_last_words_on[slot], 0)) tp_writer_flush_for_signal();
    // SA_RESETHAND put the default action back; the signal is blocked until this returns, then
    // the re-raised one kills the process as the first would have.
    raise(sig);
    errno = saved;
}

void tp_last_words_init(void) {
    static tp_sigaction_fn real;
    if (!real) real = (tp_sigaction_fn)tp_real_symbol("sigaction");
    // PID 1 of a namespace never dies of a signal it leaves at the default action: a handler
    // would make it take SIGTERM (dump, end the recording) and then ignore the re-raise.
    if (!real || getpid() == 1) return;
    tp_last_words_pid = getpid();
    for (int i = 0; i < 2; i++) {
        struct sigaction cur;
        if (real(tp_last_words_signals[i], NULL, &cur) != 0) continue;
        if ((cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL) continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = tp_last_words;
        sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_RESTART;
        sigfillset(&sa.sa_mask);
        if (real(tp_last_words_signals[i], &sa, NULL) == 0) atomic_store(&tp_last_words_on[i], 1);
    }
}

// sigaction/signal for SIGINT and SIGTERM while the agent's handler is in place: the program
// sees SIG_DFL; setting SIG_DFL keeps the agent's handler, anything else replaces it.
// Returns 1 when it handled the call.
static int tp_last_words_virtual(int sig, const struct sigaction *act, struct sigaction *old, tp_sigaction_fn real, int *rc) {
    int slot = tp_last_words_slot(sig);
    if (slot < 0 || !atomic_load(&tp_last_words_on[slot]) || getpid() != tp_last_words_pid) return 0;
    // Only while the agent's handler is really in place: glibc's own calls (sigset, system, …)
    // change the action without passing through here.
    struct sigaction cur;
    if (real(sig, NULL, &cur) != 0 || !(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != tp_last_words) {
        atomic_store(&tp_last_words_on[slot], 0);
        return 0;
    }
    *rc = 0;
    if (act && ((act->sa_flags & SA_SIGINFO) || act->sa_handler != SIG_DFL)) {
        *rc = real(sig, act, NULL);
        if (*rc != 0) return 1;   // the agent's handler stays, and so does the flag
        atomic_store(&tp_last_words_on[slot], 0);
    }
    if (old) {
        memset(old, 0, sizeof *old);
        old->sa_handler = SIG_DFL;
    }
    return 1;
}
