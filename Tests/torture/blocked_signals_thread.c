// A thread that blocks every signal while it computes, as some libraries do around critical work
// (and glibc does around clone). Its samples cannot be delivered while it runs: the agent must
// neither kill the process (perf's sigtrap before Linux 5.19) nor take late signals for samples.
// Prints "done" and exits 0. An argument sets the loop's iterations (400 million by default).
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long sink;
static unsigned long iterations = 400000000;

static void *blocked_worker(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (unsigned long i = 0; i < iterations; i++) sink += i ^ (i >> 9);
    pthread_sigmask(SIG_UNBLOCK, &all, NULL);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) iterations = strtoul(argv[1], NULL, 10);
    // The worker starts with every signal blocked, as threads do that a program creates after
    // blocking signals in main (so that one thread handles them): no sample handler can run on it
    // before its loop.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_t t;
    pthread_create(&t, NULL, blocked_worker, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}
