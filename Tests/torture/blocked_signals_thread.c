// A thread that blocks every signal while it computes, as some libraries do around critical work
// (and glibc does around clone). Its samples cannot be delivered while it runs: the agent must
// neither kill the process (perf's sigtrap before Linux 5.19) nor take late signals for samples.
// Prints "done" and exits 0.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

static volatile unsigned long sink;

static void *blocked_worker(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (unsigned long i = 0; i < 400000000; i++) sink += i ^ (i >> 9);
    pthread_sigmask(SIG_UNBLOCK, &all, NULL);
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, blocked_worker, NULL);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}
