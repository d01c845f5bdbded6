// Which process this image is, and whether `record --process` asked for it.
//
// Why: `record --follow-children -- swift package benchmark` reaches the driver, SwiftPM, the
// compilers, the linker and the plugin host before the benchmark itself. `--process` names the
// processes the user wants (TASKPROF_PROCESS: one pattern per line). Every other process keeps
// the agent loaded, since its children may be wanted, but stays dormant: no sampling, no stream,
// no hooks, its interposers passing straight through (tp_cfg.enabled stays 0).
//
// Also why: each profile names its own process. The command line is read here, once, at start,
// and written as the stream's PROCESS record (tp_raw_format.h).
#include "tp_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <string.h>
#include <unistd.h>

static char tp_exe[1024];
static uint16_t tp_exe_len;
static char tp_cmdline[TP_PROCESS_CMDLINE_MAX];
static uint16_t tp_cmdline_len;

// Constructor time (tp_cfg.enabled is 0, so read() is not timed by the blocking interposer).
void tp_process_identify(void) {
    ssize_t n = readlink("/proc/self/exe", tp_exe, sizeof tp_exe - 1);
    tp_exe_len = n > 0 ? (uint16_t)n : 0;
    tp_exe[tp_exe_len] = 0;
    size_t used = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while (used < sizeof tp_cmdline) {
            ssize_t r = read(fd, tp_cmdline + used, sizeof tp_cmdline - used);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            used += (size_t)r;
        }
        close(fd);
    }
    tp_cmdline_len = (uint16_t)used;
}

static int tp_basename_is(const char *path, size_t len, const char *name) {
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    size_t n = strlen(name);
    return n == len - start && n > 0 && memcmp(path + start, name, n) == 0;
}

// A pattern made only of a file name's usual characters names an executable: it matches the file
// name of /proc/self/exe or of argv[0], and nothing else (`MyBench` must not select the compiler
// whose command line builds MyBench). Any other pattern is a POSIX extended regular expression
// searched in the command line, its arguments joined by spaces. Swift's ProcessPattern says the same.
static int tp_is_plain_name(const char *p) {
    for (; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '+')) return 0;
    }
    return 1;
}

static int tp_pattern_matches(const char *pattern, const char *joined) {
    if (tp_is_plain_name(pattern)) {
        return tp_basename_is(tp_exe, tp_exe_len, pattern) || tp_basename_is(tp_cmdline, strnlen(tp_cmdline, tp_cmdline_len), pattern);
    }
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) return 0;   // `record` checked it
    int hit = regexec(&re, joined, 0, NULL, 0) == 0;
    regfree(&re);
    return hit;
}

int tp_process_selected(const char *patterns) {
    if (!patterns || !patterns[0]) return 1;
    char joined[TP_PROCESS_CMDLINE_MAX + 1];
    size_t n = tp_cmdline_len;
    while (n > 0 && tp_cmdline[n - 1] == 0) n--;
    for (size_t i = 0; i < n; i++) joined[i] = tp_cmdline[i] ? tp_cmdline[i] : ' ';
    joined[n] = 0;
    char pattern[1024];
    const char *p = patterns;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 && len < sizeof pattern) {
            memcpy(pattern, p, len);
            pattern[len] = 0;
            if (tp_pattern_matches(pattern, joined)) return 1;
        }
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

// The PROCESS record into buf (at least sizeof(struct tp_rec_process) + 1024 +
// TP_PROCESS_CMDLINE_MAX bytes); returns its size.
uint32_t tp_process_record(uint8_t *buf) {
    struct tp_rec_process r;
    memset(&r, 0, sizeof r);
    r.h.type = TP_REC_PROCESS;
    r.ppid = (uint32_t)getppid();
    r.exe_len = tp_exe_len;
    r.cmdline_len = tp_cmdline_len;
    r.h.size = (uint32_t)(sizeof r + tp_exe_len + tp_cmdline_len);
    memcpy(buf, &r, sizeof r);
    memcpy(buf + sizeof r, tp_exe, tp_exe_len);
    memcpy(buf + sizeof r + tp_exe_len, tp_cmdline, tp_cmdline_len);
    return r.h.size;
}
