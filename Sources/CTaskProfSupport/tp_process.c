#define _GNU_SOURCE
#include "tp_process.h"
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

static volatile pid_t tp_child;
static const int tp_forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

pid_t tp_spawn(const char *path, char *const argv[], char *const envp[]) {
    pid_t pid;
    int rc = posix_spawn(&pid, path, NULL, NULL, argv, envp);
    return rc == 0 ? pid : -rc;
}

static void tp_forward(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    // si_code <= 0: sent by a process (kill, sigqueue, tgkill). Terminal-generated signals
    // (SI_KERNEL) went to the child's process group already.
    if (tp_child > 0 && si->si_code <= 0) kill(tp_child, sig);
}

void tp_forward_signals_to(pid_t child) {
    tp_child = child;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = tp_forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof tp_forwarded / sizeof tp_forwarded[0]; i++) sigaction(tp_forwarded[i], &sa, NULL);
}

void tp_stop_forwarding(void) {
    tp_child = 0;
    for (size_t i = 0; i < sizeof tp_forwarded / sizeof tp_forwarded[0]; i++) signal(tp_forwarded[i], SIG_DFL);
}

int tp_wait(pid_t child, struct tp_wait_result *r) {
    int status = 0;
    struct rusage ru;
    for (;;) {
        pid_t p = wait4(child, &status, 0, &ru);
        if (p == child) break;
        if (p < 0 && errno == EINTR) continue;
        return -errno;
    }
    memset(r, 0, sizeof *r);
    if (WIFEXITED(status)) { r->exited = 1; r->status = WEXITSTATUS(status); }
    else if (WIFSIGNALED(status)) { r->exited = 0; r->status = WTERMSIG(status); r->core_dumped = WCOREDUMP(status); }
    r->user_cpu_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
    r->system_cpu_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    return 0;
}
