// exec: the profile goes on in the program's new image (`swift` execs `swift-build`; so do `env`,
// `nice`, `sh -c 'exec …'`). Before the profiled process replaces its image, the exec
// interposers drain every ring into the stream and mark it with an EXEC record, then hand the
// new image the agent and its settings (LD_PRELOAD and the TASKPROF_ variables, which the agent
// removed from the program's own environment at start). The new image writes a stream of its
// own: <pid>.1.raw, <pid>.2.raw, … (tp_agent.c); docs/FORMAT.md says how `record` names the
// profiles.
//
// Only the process being profiled marks its stream: in a forked or vfork'ed child (another pid)
// nothing is written. When children are followed, execve, execv, execvp, execvpe, posix_spawn and
// posix_spawnp pass the agent on, whatever environment the program gives its child (execl,
// execlp, system and popen use the program's own environment, which keeps it; execle with an
// environment of its own does not). Nothing is allocated.
#include "tp_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <unistd.h>

#define TP_EXEC_MAX_ENV 2048      // a larger environment is passed through as is (no profile after exec)
#define TP_EXEC_SETTINGS 16

static char tp_settings[TP_EXEC_SETTINGS][4200];  // "TASKPROF_X=value", as the agent was started with
                                                  // (`record` keeps --process patterns within this)
static int tp_settings_count;
static char tp_preload[4200];                     // "LD_PRELOAD=<agent>"
static pid_t tp_exec_pid;                         // the process whose exec continues the profile

// tp_agent.c, before it cleans the environment: what a new image needs to load the agent again.
void tp_exec_remember_settings(const char *agent_path) {
    extern char **environ;
    tp_settings_count = 0;
    for (char **e = environ; e && *e && tp_settings_count < TP_EXEC_SETTINGS; e++) {
        if (strncmp(*e, "TASKPROF_", 9) != 0 || strlen(*e) >= sizeof tp_settings[0]) continue;
        strcpy(tp_settings[tp_settings_count++], *e);
    }
    if (agent_path && agent_path[0]) snprintf(tp_preload, sizeof tp_preload, "LD_PRELOAD=%s", agent_path);
    tp_exec_pid = getpid();
}

// A followed child that execs goes on being profiled as the parent's exec would.
void tp_exec_after_fork_child(void) { tp_exec_pid = getpid(); }

// envp as the new image must see it: the program's own variables, then LD_PRELOAD with the agent
// first (and whatever else the program preloads, as much as fits; the agent's own entry, there
// when children are followed, is not repeated), then the agent's settings. `env` has room for
// n + TP_EXEC_SETTINGS + 2 entries. Stack and static memory only: a forked child may run this.
static void tp_env_with_agent(char *const envp[], size_t n, char **env, char *preload, size_t cap) {
    size_t m = 0;
    const char *user_preload = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(envp[i], "TASKPROF_", 9) == 0) continue;
        if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0) { user_preload = envp[i] + 11; continue; }
        env[m++] = envp[i];
    }
    size_t used = (size_t)snprintf(preload, cap, "%s", tp_preload);
    if (user_preload && used + 1 < cap) {
        preload[used] = ':';
        if (!tp_preload_others(user_preload, tp_preload + 11, preload + used + 1, cap - used - 1)) preload[used] = 0;
    }
    env[m++] = preload;
    for (int i = 0; i < tp_settings_count; i++) env[m++] = tp_settings[i];
    env[m] = NULL;
}

static size_t tp_env_count(char *const envp[]) {
    size_t n = 0;
    while (envp && envp[n]) n++;
    return n;
}

// Calls `real` with the agent's environment: in the process being recorded (its stream drained and
// marked first), and, when children are followed, in any process, recorded or dormant, since a
// program that passes its own environment (package-benchmark sets LD_PRELOAD for its benchmark)
// would otherwise drop the agent.
static int tp_exec_with_agent(const char *path, char *const envp[], int (*real)(const char *, char *const[], char *const[]),
                              char *const argv[]) {
    int recording = tp_cfg.enabled && getpid() == tp_exec_pid;
    if (!tp_preload[0] || !(recording || tp_cfg.follow_children)) return real(path, argv, envp);
    size_t n = tp_env_count(envp);
    if (n > TP_EXEC_MAX_ENV) return real(path, argv, envp);
    char *env[n + TP_EXEC_SETTINGS + 2];
    char preload[sizeof tp_preload + 4096];
    tp_env_with_agent(envp, n, env, preload, sizeof preload);
    if (!recording) return real(path, argv, env);
    tp_writer_before_exec(path);
    int rc = real(path, argv, env);   // returns only when the exec failed: the recording goes on
    int saved = errno;
    tp_writer_exec_failed();
    errno = saved;
    return rc;
}

typedef int (*tp_execve_fn)(const char *, char *const[], char *const[]);

static int tp_real_execve(const char *path, char *const argv[], char *const envp[]) {
    static tp_execve_fn real;
    if (!real) real = (tp_execve_fn)tp_real_symbol("execve");
    if (!real) { errno = ENOSYS; return -1; }
    return real(path, argv, envp);
}

static int tp_real_execvpe(const char *file, char *const argv[], char *const envp[]) {
    static tp_execve_fn real;
    if (!real) real = (tp_execve_fn)tp_real_symbol("execvpe");
    if (!real) { errno = ENOSYS; return -1; }
    return real(file, argv, envp);
}

// The adapters put argv/envp in the order tp_exec_with_agent passes them to `real`.
static int tp_call_execve(const char *p, char *const a[], char *const e[]) { return tp_real_execve(p, a, e); }
static int tp_call_execvpe(const char *p, char *const a[], char *const e[]) { return tp_real_execvpe(p, a, e); }

TP_EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
    return tp_exec_with_agent(path, envp, tp_call_execve, argv);
}

TP_EXPORT int execv(const char *path, char *const argv[]) {
    extern char **environ;
    return tp_exec_with_agent(path, environ, tp_call_execve, argv);
}

TP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
    return tp_exec_with_agent(file, envp, tp_call_execvpe, argv);
}

TP_EXPORT int execvp(const char *file, char *const argv[]) {
    extern char **environ;
    return tp_exec_with_agent(file, environ, tp_call_execvpe, argv);
}

// posix_spawn execs inside glibc, past the exec interposers: when children are followed, the
// spawned program gets the agent's environment here (Foundation's Process, SwiftPM and
// package-benchmark start their children this way).
typedef int (*tp_spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                           char *const[], char *const[]);

static int tp_spawn_with_agent(const char *name, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                               const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    static tp_spawn_fn reals[2];
    int which = name[11] == 'p';   // "posix_spawnp"
    if (!reals[which]) reals[which] = (tp_spawn_fn)tp_real_symbol(name);
    if (!reals[which]) return ENOSYS;
    size_t n = tp_env_count(envp);
    if (!tp_cfg.follow_children || !tp_preload[0] || n > TP_EXEC_MAX_ENV) return reals[which](pid, path, fa, attr, argv, envp);
    char *env[n + TP_EXEC_SETTINGS + 2];
    char preload[sizeof tp_preload + 4096];
    tp_env_with_agent(envp, n, env, preload, sizeof preload);
    return reals[which](pid, path, fa, attr, argv, env);
}

TP_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    return tp_spawn_with_agent("posix_spawn", pid, path, fa, attr, argv, envp);
}

TP_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    return tp_spawn_with_agent("posix_spawnp", pid, file, fa, attr, argv, envp);
}
