// Forks a child that exits at once (no exec), waits for it, then computes for ~0.3 s.
// The parent must go on being sampled: the agent's fork handler in the child once disabled the
// perf events it shares with the parent, and the parent was never sampled again.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void compute_after_fork(long n) {
    for (long i = 0; i < n; i++) sink ^= sink * 31 + (unsigned long)i;
}

int main(void) {
    pid_t pid = fork();
    if (pid == 0) _exit(5);
    int status = 0;
    waitpid(pid, &status, 0);
    compute_after_fork(300000000L);
    printf("child exit %d\n", WEXITSTATUS(status));
    return 0;
}
