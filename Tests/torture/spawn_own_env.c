// Starts itself again with posix_spawn and an environment of its own that has no LD_PRELOAD and
// none of the agent's settings (as package-benchmark, SwiftPM and Foundation's Process may pass),
// and waits for it. The child computes for ~0.2 s. With --follow-children the child must be
// profiled all the same: posix_spawn execs inside glibc, past the exec interposers.
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void spawned_work(void) {
    for (long i = 0; i < 200000000L; i++) sink ^= sink * 31 + (unsigned long)i;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) { spawned_work(); return 3; }
    char *child_argv[] = { argv[0], "child", NULL };
    char *child_env[] = { "SPAWNED_BY=spawn_own_env", NULL };
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, child_argv, child_env) != 0) return 2;
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child exit %d\n", WEXITSTATUS(status));
    return 0;
}
