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

TP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    static tp_sigaction_fn real;
    if (!real) real = (tp_sigaction_fn)tp_real_symbol("sigaction");
    if (!real) { errno = ENOSYS; return -1; }
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
    return (prev.sa_flags & SA_SIGINFO) ? (tp_handler_fn)prev.sa_sigaction : prev.sa_handler;
}
