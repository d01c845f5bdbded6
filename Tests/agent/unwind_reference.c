// Compares the agent's table-driven walk (Sources/CTaskProfAgent/tp_cfi.c, tp_unwind.c) with
// libunwind on real code: a SIGPROF timer interrupts busy loops (libm's sin/cos/exp, libc's
// memcpy/strlen, a frameless leaf, recursions with and without frame pointers) and the handler
// walks the interrupted stack both ways, from the same ucontext. Built and run by
// AgentHarnessTests; prints the first mismatches and "ok: N samples, M agree", exit 1 when fewer
// than 99% of the samples agree.
//
// Two translation units from this one file: with REF_FP_PART defined it holds only the workload
// functions that keep frame pointers (built with -fno-omit-frame-pointer); without, everything
// else (built with -O2 -fomit-frame-pointer). clang has no per-function optimize attribute.
//
// libunwind is fine here: one thread, no interposers, and the handler is the only caller.
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

// ---- Workloads that keep frame pointers (REF_FP_PART) ---------------------------------------
double fp_recurse(int depth, double x);
double nofp_recurse(int depth, double x);
double fp_libm(int n, double x);
double nofp_leaf(const double *v, int n);
size_t nofp_libc(char *dst, const char *src, size_t n, int rounds);

extern volatile double sink;

#ifdef REF_FP_PART

NOINLINE double fp_libm(int n, double x) {
    double s = 0;
    for (int i = 0; i < n; i++) s += sin(x + i) * cos(x - i) + exp(-(double)(i & 7));
    return s;
}

// Alternates with nofp_recurse: frames with and without frame pointers on one stack.
NOINLINE double fp_recurse(int depth, double x) {
    if (depth == 0) return fp_libm(50, x);
    double r = (depth & 1) ? nofp_recurse(depth - 1, x * 1.01) : fp_recurse(depth - 1, x + 0.5);
    return r + sink * 0.5;
}

#else   // the rest, built with -fomit-frame-pointer

#include "../../Sources/CTaskProfAgent/tp_cfi.c"
#include "../../Sources/CTaskProfAgent/tp_unwind.c"
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

volatile double sink;

// A leaf with no calls and no frame: CFA = rsp + 8 throughout (checked by the test's author with
// objdump: no push, no stack adjustment).
NOINLINE double nofp_leaf(const double *v, int n) {
    double s = 0;
    for (int r = 0; r < 6; r++)
        for (int i = 0; i < n; i++) s = s * 0.999 + v[i] * (double)(r + 1);
    return s;
}

NOINLINE size_t nofp_libc(char *dst, const char *src, size_t n, int rounds) {
    size_t t = 0;
    for (int r = 0; r < rounds; r++) {
        memcpy(dst, src, n);
        dst[r % (n - 1)] = 'x';
        t += strlen(dst);
    }
    return t;
}

NOINLINE double nofp_recurse(int depth, double x) {
    if (depth == 0) {
        static double v[256];
        for (int i = 0; i < 256; i++) v[i] = x + i;
        return nofp_leaf(v, 256) + fp_libm(20, x);
    }
    double r = (depth % 3 == 0) ? fp_recurse(depth - 1, x - 0.25) : nofp_recurse(depth - 1, x * 0.99);
    return r * 0.5 + sink;
}

// ---- The agent's collaborators ----------------------------------------------------------------
#define MAX_MODULES 64
#define MAX_RANGES 256
static struct { uintptr_t lo, hi; const struct tp_cfi_table *cfi; const char *name; } ranges[MAX_RANGES];
static int nranges;

// One range table for the whole run: the row memo never needs emptying.
const void *tp_cfi_epoch(void) { return ranges; }

const struct tp_cfi_row *tp_cfi_lookup(uintptr_t pc, int *in_code) {
    for (int i = 0; i < nranges; i++) {
        if (pc >= ranges[i].lo && pc < ranges[i].hi) {
            *in_code = 1;
            return tp_cfi_find(ranges[i].cfi, pc);
        }
    }
    *in_code = 0;
    return NULL;
}

// As tp_util.c's: a read that reports a fault instead of taking it.
int tp_read_self(uintptr_t addr, void *out, size_t len) {
    struct iovec local = { out, len }, remote = { (void *)addr, len };
    long rc = syscall(SYS_process_vm_readv, (long)getpid(), (long)&local, 1L, (long)&remote, 1L, 0L);
    return rc == (long)len;
}

// The module's table, located and built as the agent does (tp_cfi_locate, tp_cfi_build).
static const struct tp_cfi_table *module_cfi(struct dl_phdr_info *info) {
    struct tp_cfi_source src;
    struct tp_cfi_stats st;
    return tp_cfi_locate(info, &src) ? tp_cfi_build(&src, &st) : NULL;
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size; (void)data;
    const struct tp_cfi_table *cfi = module_cfi(info);
    const char *name = info->dlpi_name && info->dlpi_name[0] ? strdup(info->dlpi_name) : "[main]";
    int any = 0;
    for (int i = 0; i < info->dlpi_phnum && nranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        ranges[nranges].lo = info->dlpi_addr + ph->p_vaddr;
        ranges[nranges].hi = ranges[nranges].lo + ph->p_memsz;
        ranges[nranges].cfi = cfi;
        ranges[nranges].name = name;
        nranges++;
        any = 1;
    }
    if (any) printf("module %-50s rows %6u%s\n", name, cfi ? cfi->count : 0, cfi ? "" : " (no table)");
    return 0;
}

// ---- Sampling ---------------------------------------------------------------------------------
#define MAX_SAMPLES 20000
#define MAX_FRAMES 128
struct sample {
    uint64_t ours[MAX_FRAMES];
    uint64_t theirs[MAX_FRAMES];
    uint8_t n_ours, n_theirs, stop, clean;
    uint16_t cfi, fp;
};
static struct sample *samples;
static volatile int nsamples;
static struct tp_stack_bounds stack_bounds;

static void on_prof(int sig, siginfo_t *si, void *ucv) {
    (void)sig; (void)si;
    if (nsamples >= MAX_SAMPLES) return;
    struct sample *s = &samples[nsamples];
    ucontext_t *uc = ucv;
    const greg_t *g = uc->uc_mcontext.gregs;
    struct tp_regs regs = { (uintptr_t)g[REG_RIP], (uintptr_t)g[REG_RSP], (uintptr_t)g[REG_RBP], (uintptr_t)g[REG_R14], 1, 1, 1 };
    uintptr_t fps[MAX_FRAMES], r14s[MAX_FRAMES];
    struct tp_walk_stats st;
    static struct tp_unwind_cache cache;   // as the agent's handler walks: through the row memo
    int n = tp_unwind(&stack_bounds, regs, s->ours, fps, r14s, MAX_FRAMES, &st, &cache);
    s->n_ours = (uint8_t)n;
    s->stop = st.stop_reason;
    s->clean = st.end_clean;
    s->cfi = st.cfi;
    s->fp = st.fp;

    unw_cursor_t c;
    int m = 0;
    if (unw_init_local2(&c, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) == 0) {
        do {
            unw_word_t ip;
            if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0) break;
            s->theirs[m++] = ip;
        } while (m < MAX_FRAMES && unw_step(&c) > 0);
    }
    s->n_theirs = (uint8_t)m;
    nsamples++;
}

// The program's own signal handler: samples taken in it walk through the kernel's signal frame
// (glibc's __restore_rt) back into the code the signal interrupted (raise).
static void on_usr1(int sig) {
    (void)sig;
    static char a[4096], b[4096];
    memset(a, 'b', sizeof a - 1);
    sink += fp_recurse(6, sink) + (double)nofp_libc(b, a, sizeof a - 1, 5);
}

// The agent records the signal trampoline and the pc a signal interrupted one byte in (so that
// readers can look every frame after the leaf up at pc - 1); libunwind reports both as they are.
static int is_signal_pc(uint64_t pc) {
    int in_code;
    const struct tp_cfi_row *r = tp_cfi_lookup((uintptr_t)pc, &in_code);
    return r && r->cfa_rule == TP_CFA_SIGNAL;
}
static int same_frames(const struct sample *s, int *signal_frames) {
    if (s->n_ours != s->n_theirs) return 0;
    for (int f = 0; f < s->n_ours; f++) {
        if (s->ours[f] == s->theirs[f]) continue;
        int tramp = f > 0 && s->ours[f] == s->theirs[f] + 1 && (is_signal_pc(s->theirs[f]) || is_signal_pc(s->theirs[f] - 1));
        int interrupted = f > 0 && s->ours[f] == s->theirs[f] + 1 && (is_signal_pc(s->theirs[f - 1]) || is_signal_pc(s->theirs[f - 1] - 1));
        if (!tramp && !interrupted) return 0;
        if (tramp) (*signal_frames)++;
    }
    return 1;
}

static const char *sym(uint64_t pc, char *buf, size_t len) {
    Dl_info di;
    if (dladdr((void *)(uintptr_t)pc, &di) && di.dli_sname)
        snprintf(buf, len, "%s+%#lx", di.dli_sname, (unsigned long)(pc - (uintptr_t)di.dli_saddr));
    else if (dladdr((void *)(uintptr_t)pc, &di) && di.dli_fname)
        snprintf(buf, len, "%s@%#lx", strrchr(di.dli_fname, '/') ? strrchr(di.dli_fname, '/') + 1 : di.dli_fname,
                 (unsigned long)(pc - (uintptr_t)di.dli_fbase));
    else
        snprintf(buf, len, "%#lx", (unsigned long)pc);
    return buf;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    samples = calloc(MAX_SAMPLES, sizeof *samples);
    dl_iterate_phdr(scan_cb, NULL);
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr; size_t size;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) stack_bounds = (struct tp_stack_bounds){ (uintptr_t)addr, (uintptr_t)addr + size };
        pthread_attr_destroy(&attr);
    }
    // libunwind's first use outside the handler (its caches, its own lazy set-up).
    unw_context_t ctx;
    unw_cursor_t cur;
    unw_getcontext(&ctx);
    unw_init_local(&cur, &ctx);
    while (unw_step(&cur) > 0) {}

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_prof;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPROF, &sa, NULL);
    struct itimerval it = { { 0, 200 }, { 0, 200 } };   // as fast as the kernel will (its tick)
    setitimer(ITIMER_PROF, &it, NULL);
    // The profiling timer fires at the kernel's tick (250 Hz here); a high-resolution timer on
    // the monotonic clock adds SIGPROFs every 250 us, at other points of the code.
    timer_t fast;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGPROF;
    int have_fast = timer_create(CLOCK_MONOTONIC, &sev, &fast) == 0;
    struct itimerspec fast_it = { { 0, 250000 }, { 0, 250000 } };
    if (have_fast) timer_settime(fast, 0, &fast_it, NULL);
    signal(SIGUSR1, on_usr1);

    static char src[8192], dst[8192];
    memset(src, 'a', sizeof src - 1);
    double t0 = now();
    for (int round = 0; now() - t0 < seconds && nsamples < MAX_SAMPLES; round++) {
        sink += fp_recurse(12 + round % 7, round * 0.01);
        sink += nofp_recurse(9 + round % 5, round * 0.02);
        sink += (double)nofp_libc(dst, src, sizeof src - 1 - (size_t)(round % 100), 20);
        sink += fp_libm(200, round);
        if (round % 4 == 0) raise(SIGUSR1);
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_PROF, &off, NULL);
    if (have_fast) { struct itimerspec stop = { { 0, 0 }, { 0, 0 } }; timer_settime(fast, 0, &stop, NULL); }

    int signal_frames = 0;
    int agree = 0, shown = 0, ours_clean = 0, theirs_longer = 0, ours_longer = 0;
    uint64_t frames_cfi = 0, frames_fp = 0;
    // Where the samples landed (leaf function), to show the workloads were all hit.
    struct { char name[96]; int n; } leaves[64];
    int nleaves = 0;
    for (int i = 0; i < nsamples; i++) {
        struct sample *s = &samples[i];
        frames_cfi += s->cfi;
        frames_fp += s->fp;
        ours_clean += s->clean;
        char buf[256], buf2[256];
        sym(s->ours[0], buf, sizeof buf);
        char *cut = strchr(buf, '+');
        if (!cut) cut = strchr(buf, '@');
        if (cut) *cut = 0;
        int k;
        for (k = 0; k < nleaves && strcmp(leaves[k].name, buf); k++) {}
        if (k == nleaves && nleaves < 64) { snprintf(leaves[k].name, sizeof leaves[k].name, "%s", buf); leaves[k].n = 0; nleaves++; }
        if (k < nleaves) leaves[k].n++;
        int same = same_frames(s, &signal_frames);
        if (same) { agree++; continue; }
        if (s->n_theirs > s->n_ours) theirs_longer++; else if (s->n_ours > s->n_theirs) ours_longer++;
        if (shown++ >= 8) continue;
        printf("MISMATCH sample %d: ours %d frames (stop %d clean %d), libunwind %d\n", i, s->n_ours, s->stop, s->clean, s->n_theirs);
        int n = s->n_ours > s->n_theirs ? s->n_ours : s->n_theirs;
        for (int f = 0; f < n && f < 40; f++)
            printf("  %c[%2d] %-48s %s\n", f < s->n_ours && f < s->n_theirs && s->ours[f] == s->theirs[f] ? ' ' : '*', f,
                   f < s->n_ours ? sym(s->ours[f], buf, sizeof buf) : "-", f < s->n_theirs ? sym(s->theirs[f], buf2, sizeof buf2) : "-");
    }
    printf("leaf functions sampled:");
    for (int k = 0; k < nleaves; k++) printf(" %s=%d", leaves[k].name, leaves[k].n);
    printf("\nframes by CFI %llu, by frame pointer %llu; clean ends %d of %d; samples through a signal frame %d; "
           "mismatches: libunwind longer %d, ours longer %d\n",
           (unsigned long long)frames_cfi, (unsigned long long)frames_fp, ours_clean, nsamples, signal_frames, theirs_longer, ours_longer);
    if (nsamples < 200) { printf("FAILED: only %d samples\n", nsamples); return 1; }
    int ok = (double)agree >= 0.99 * nsamples;
    printf("%s: %d samples, %d agree\n", ok ? "ok" : "FAILED", nsamples, agree);
    return ok ? 0 : 1;
}

#endif
