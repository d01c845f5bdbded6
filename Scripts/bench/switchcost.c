// What a sampling event costs a thread at each context switch, with no sample taken: two threads
// pass a byte back and forth through pipes (two switches per round trip) on one CPU, for two
// seconds, with one of:
//   none     no event (the unprofiled program)
//   thread   a task-clock event of each thread's own, period 1 s: what the perf engine opens today
//   inherit  one task-clock event opened before the second thread starts, inherited by it
//            (inherit, inherit_thread, sigtrap, remove_on_exec): the threads' contexts are
//            clones, which the kernel may swap at a switch instead of scheduling each event
//   timer    a per-thread CPU-time POSIX timer, period 1 s: the timer engine
// Prints "MODE ROUND_TRIPS_PER_SECOND". Scripts/bench.py runs it (make bench).
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int ab[2], ba[2];
static const char *mode;

static void open_event(int inherit) {
    struct perf_event_attr pe;
    memset(&pe, 0, sizeof pe);
    pe.type = PERF_TYPE_SOFTWARE;
    pe.size = sizeof pe;
    pe.config = PERF_COUNT_SW_TASK_CLOCK;
    pe.sample_period = 1000000000ull;
    pe.exclude_kernel = 1;
    pe.exclude_hv = 1;
    if (inherit) {
        pe.inherit = 1;
        pe.inherit_thread = 1;
        pe.sigtrap = 1;
        pe.remove_on_exec = 1;
    }
    if (syscall(SYS_perf_event_open, &pe, 0, -1, -1, PERF_FLAG_FD_CLOEXEC) < 0) {
        perror("perf_event_open");
        exit(1);
    }
}

// This thread's own event or timer (modes thread, timer).
static void arm_own(void) {
    if (!strcmp(mode, "thread")) open_event(0);
    if (!strcmp(mode, "timer")) {
        struct sigevent sev;
        memset(&sev, 0, sizeof sev);
        sev.sigev_notify = SIGEV_THREAD_ID;
        sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
        sev.sigev_signo = SIGPROF;
        timer_t t;
        struct itimerspec its = { { 1, 0 }, { 1, 0 } };
        if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t) != 0 || timer_settime(t, 0, &its, NULL) != 0) {
            perror("timer");
            exit(1);
        }
    }
}

static void *peer(void *arg) {
    (void)arg;
    arm_own();
    char c;
    while (read(ab[0], &c, 1) == 1 && write(ba[1], &c, 1) == 1) {}
    return NULL;
}

int main(int argc, char **argv) {
    mode = argc > 1 ? argv[1] : "none";
    signal(SIGPROF, SIG_IGN);
    signal(SIGTRAP, SIG_IGN);
    if (pipe(ab) != 0 || pipe(ba) != 0) return 1;
    if (!strcmp(mode, "inherit")) open_event(1);
    pthread_t t;
    pthread_create(&t, NULL, peer, NULL);
    arm_own();
    struct timespec s, e;
    clock_gettime(CLOCK_MONOTONIC, &s);
    char c = 'x';
    long n = 0;
    double elapsed = 0;
    while (elapsed < 2.0) {
        for (int i = 0; i < 1024; i++, n++)
            if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) return 1;
        clock_gettime(CLOCK_MONOTONIC, &e);
        elapsed = (double)(e.tv_sec - s.tv_sec) + (double)(e.tv_nsec - s.tv_nsec) / 1e9;
    }
    printf("%s %.0f\n", mode, (double)n / elapsed);
    return 0;
}
