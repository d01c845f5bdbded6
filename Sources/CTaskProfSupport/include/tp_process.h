// Process control for `taskprof record`: spawning the target with the agent injected, waiting for
// it, and forwarding SIGINT/SIGTERM. In C because Swift cannot write a SA_SIGINFO handler.
#ifndef TP_PROCESS_H
#define TP_PROCESS_H
#include <sys/types.h>
#include <stdint.h>

/// Spawns `argv[0]` (a path) with `envp`, inheriting stdin/stdout/stderr. Returns the pid, or
/// -errno on failure.
pid_t tp_spawn(const char *path, char *const argv[], char *const envp[]);

/// Installs SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers that forward signals sent to taskprof by
/// another process (kill, a supervisor) to `child`. Signals from the terminal already reach the
/// whole foreground process group, so they are not sent twice.
void tp_forward_signals_to(pid_t child);

/// Restores default dispositions for the forwarded signals.
void tp_stop_forwarding(void);

struct tp_wait_result {
    int exited;        // 1: exit status in `status`; 0: killed by signal `status`
    int status;
    int core_dumped;
    int64_t user_cpu_us;
    int64_t system_cpu_us;
};

/// Waits for `child`, retrying EINTR. Returns 0 or -errno.
int tp_wait(pid_t child, struct tp_wait_result *result);
#endif
