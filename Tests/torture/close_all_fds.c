// A daemon that closes every descriptor above 2 while it works, then opens files of its own and
// writes them. Without a profiler it prints "files ok" and exits 0. An agent that keeps writing
// to its old descriptor number could write into the program's files; one that gives up loses the
// rest of the profile.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile unsigned long sink;

static void work(unsigned long n) { for (unsigned long i = 0; i < n; i++) sink += i ^ (i >> 7); }

int main(void) {
    work(300000000);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    for (int fd = 3; fd < (int)rl.rlim_cur && fd < 65536; fd++) close(fd);
    // Take low and high numbers alike, as a daemon that opens many files would.
    char path[64], text[64];
    int fds[8];
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "/tmp/close_all_fds.%d.%d", (int)getpid(), i);
        fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fds[i] < 0) { perror("open"); return 1; }
        if (i == 7) { int high = fcntl(fds[i], F_DUPFD, 1000); if (high >= 0) { close(fds[i]); fds[i] = high; } }
    }
    for (int round = 0; round < 4; round++) {
        work(200000000);
        for (int i = 0; i < 8; i++) {
            snprintf(text, sizeof text, "file %d round %d\n", i, round);
            if (write(fds[i], text, strlen(text)) != (ssize_t)strlen(text)) { perror("write"); return 1; }
        }
    }
    int bad = 0;
    for (int i = 0; i < 8; i++) {
        char want[256] = "", got[512];
        for (int round = 0; round < 4; round++) {
            snprintf(text, sizeof text, "file %d round %d\n", i, round);
            strcat(want, text);
        }
        ssize_t n = pread(fds[i], got, sizeof got - 1, 0);
        got[n < 0 ? 0 : n] = 0;
        if (strcmp(got, want) != 0) bad++;
        close(fds[i]);
        snprintf(path, sizeof path, "/tmp/close_all_fds.%d.%d", (int)getpid(), i);
        unlink(path);
    }
    printf(bad ? "files corrupted: %d\n" : "files ok\n", bad);
    return bad ? 1 : 0;
}
