// _exit and _Exit: a program that leaves this way (a forked worker, a daemon's child, Swift's
// `_exit(5)`) skips atexit, and with it the agent's final flush. What the writer had not drained
// (its last period; for a forked child whose writer thread never started, everything) was lost.
// The interposers drain it first, in the process that owns the stream only: a vfork child shares
// the parent's memory and must not touch it.
#include "tp_internal.h"
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef void (*tp_exit_fn)(int);
static tp_exit_fn tp_real_exit, tp_real_Exit;

// Constructor time: dlsym is no call for a signal handler or a vfork child.
void tp_exit_init(void) {
    tp_real_exit = (tp_exit_fn)tp_real_symbol("_exit");
    tp_real_Exit = (tp_exit_fn)tp_real_symbol("_Exit");
}

static __attribute__((noreturn)) void tp_exit_via(tp_exit_fn real, int status) {
    if (tp_cfg.enabled) tp_writer_flush_at_exit();   // only in the stream's own process
    if (real) real(status);
    for (;;) syscall(SYS_exit_group, status);
}

TP_EXPORT void _exit(int status) { tp_exit_via(tp_real_exit, status); }
TP_EXPORT void _Exit(int status) { tp_exit_via(tp_real_Exit, status); }
