// A daemon that takes SIGUSR1 with sigwait: it blocks SIGUSR1 before it starts any thread, works,
// and waits for the signal, which a helper thread sends to the process while the work goes on.
// Without a profiler it prints "got SIGUSR1" and exits 0; a profiler thread that leaves SIGUSR1
// unblocked takes the process-directed signal instead, and its default action ends the process.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile unsigned long sink;

static void *sender(void *arg) {
    (void)arg;
    usleep(50000);
    kill(getpid(), SIGUSR1);
    return NULL;
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t t;
    pthread_create(&t, NULL, sender, NULL);
    for (unsigned long i = 0; i < 300000000; i++) sink += i ^ (i >> 5);   // ~0.2 s of work
    int sig = 0;
    sigwait(&set, &sig);
    pthread_join(t, NULL);
    printf("got %s\n", sig == SIGUSR1 ? "SIGUSR1" : "something else");
    return 0;
}
