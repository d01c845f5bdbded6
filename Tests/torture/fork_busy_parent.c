// Forks 30 children while four threads allocate and load/unload a library in a loop, so the
// fork often happens while another thread holds malloc's or the loader's locks. Each child
// computes for ~10 ms and leaves with _exit (no atexit). With --follow-children the agent starts
// recording in each child from fork's child handler, where only async-signal-safe calls are
// safe: it once called dl_iterate_phdr and pthread_create there (a child could hang on a lock
// held by a thread that does not exist in it), and a child leaving by _exit lost its samples.
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;
static volatile unsigned long sink;

static void *churn(void *arg) {
    (void)arg;
    while (!stop) {
        void *p = malloc(1000 + (sink & 4095));
        sink += (unsigned long)p;
        free(p);
        void *h = dlopen("libm.so.6", RTLD_NOW);
        if (h) dlclose(h);
    }
    return NULL;
}

__attribute__((noinline)) static void child_work(void) {
    for (long i = 0; i < 20000000L; i++) sink ^= sink * 31 + (unsigned long)i;
}

int main(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, churn, NULL);
    int ok = 0;
    for (int i = 0; i < 30; i++) {
        pid_t pid = fork();
        if (pid == 0) { child_work(); _exit(7); }
        int status = 0;
        if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7) ok++;
    }
    stop = 1;
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    printf("%d of 30 children exited 7\n", ok);
    return 0;
}
