// A program with perf events of its own that raise SIGTRAP (attr.sigtrap, as the agent's do), and
// a SIGTRAP handler installed with SIGUSR1 in its sa_mask. Its traps must reach its handler
// (not be taken for the agent's), with the mask it asked for, and so must the traps it raises.
// Prints "traps yes, mask ok".
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif
#define MY_DATA 0x5eed

static volatile int traps, masked = 1;
static volatile unsigned long sink;

static void on_trap(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    if (!sigismember(&now, SIGUSR1)) masked = 0;
    uint64_t data;
    memcpy(&data, (const char *)si + 24, sizeof data);   // si_perf_data (kernel layout)
    if (si->si_code == TRAP_PERF && data == MY_DATA) traps++;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR1);
    sigaction(SIGTRAP, &sa, NULL);
    struct perf_event_attr pe;
    memset(&pe, 0, sizeof pe);
    pe.type = PERF_TYPE_SOFTWARE;
    pe.size = sizeof pe;
    pe.config = PERF_COUNT_SW_TASK_CLOCK;
    pe.sample_period = 5000000;   // 5 ms of CPU
    pe.exclude_kernel = 1;
    pe.exclude_hv = 1;
    pe.sigtrap = 1;
    pe.remove_on_exec = 1;
    pe.sig_data = MY_DATA;
    int fd = (int)syscall(SYS_perf_event_open, &pe, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) { printf("no perf events here\n"); return 0; }
    for (unsigned long i = 0; i < 400000000; i++) sink += i ^ (i >> 3);
    close(fd);
    for (int i = 0; i < 5; i++) raise(SIGTRAP);   // plain traps reach the handler with its mask too
    printf("traps %s, mask %s\n", traps > 0 ? "yes" : "no", masked ? "ok" : "lost");
    return 0;
}
