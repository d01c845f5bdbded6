// A program that installs its own SIGPROF handler without SA_RESTART and relies on it: a read
// of an empty pipe must end with EINTR when SIGPROF arrives (a timeout done the old way). When
// the agent samples with SIGPROF too (`--signal SIGPROF`, or kernels before 5.19), its handler
// is the one the kernel knows; with SA_RESTART the read was restarted and only ended when the
// helper thread gave up and wrote to the pipe two seconds later.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static pthread_t reader;
static volatile sig_atomic_t got;

static void on_prof(int sig) { (void)sig; got++; }

static void *interrupter(void *arg) {
    (void)arg;
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    pthread_kill(reader, SIGPROF);
    ts.tv_sec = 2; ts.tv_nsec = 0;
    nanosleep(&ts, NULL);
    if (write(fds[1], "x", 1) != 1) return NULL;   // the read was restarted: end it anyway
    return NULL;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;   // no SA_RESTART
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPROF, &sa, NULL);
    if (pipe(fds) != 0) return 2;
    reader = pthread_self();
    pthread_t t;
    pthread_create(&t, NULL, interrupter, NULL);
    char c;
    ssize_t n = read(fds[0], &c, 1);
    int err = errno;
    printf("read %s, handler ran %d time(s)\n", n < 0 && err == EINTR ? "interrupted (EINTR)" : "restarted", (int)got);
    pthread_join(t, NULL);
    return 0;
}
