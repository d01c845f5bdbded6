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
