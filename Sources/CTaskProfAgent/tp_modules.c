// Loaded modules: the table of executable ranges the signal handler checks return addresses
// against, each with the module's unwind table (tp_cfi.h), and the MODULE records the profile
// needs to symbolize later (path, bias, build-id).
//
// The table is rebuilt outside the handler (start-up, after each dlopen/dlclose) and published
// through one atomic pointer. Old tables are never freed: a handler may still be reading one,
// and their number is bounded by the number of dlopen calls that changed the module list. A
// module's unwind table is built once, the first time the module is seen, and kept for good (a
// handler may be reading it while the module is unloaded).
#include "tp_internal.h"
#include "tp_cfi.h"
#include "tp_unwind.h"
#include <dlfcn.h>
#include <errno.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TP_MAX_RANGES 4096
#define TP_MAX_BUILD_ID 64

static _Atomic(struct tp_range_table *) tp_table;
_Atomic uint64_t tp_cfi_rows, tp_cfi_bytes, tp_cfi_missing;

// Modules with more FDEs than this (libswiftCore, Foundation, ICU: 10-16k each) are built by the
// writer thread once it runs, so start-up stays short; until then their frames are stepped by the
// frame-pointer rule (the Swift runtime and Foundation keep frame pointers). The program itself
// and the small libraries every stack passes through (libc, libm, the concurrency runtime,
// Dispatch) are built before the first sample.
#define TP_CFI_EAGER_FDES 4000
static int tp_cfi_deferring = 1;
static int tp_cfi_deferred;   // modules skipped while deferring

// Unwind tables built so far, by module (load address and path).
static struct { uintptr_t bias; uint64_t name_hash; const struct tp_cfi_table *cfi; } tp_cfi_known[TP_MAX_MODULES];
static int tp_cfi_known_count;
_Atomic uint64_t tp_dlopen_generation;

// Every MODULE record written, so a forked child can write them again without the loader
// (tp_modules_replay). A program with more modules than fit is rescanned by the child's writer.
#define TP_MODULE_LOG_BYTES (256u * 1024u)
static uint8_t tp_module_log[TP_MODULE_LOG_BYTES];
static uint32_t tp_module_log_used;
static int tp_module_log_full;

// What has been reported already, so each module is written once per recording.
static struct { uintptr_t bias; uint64_t name_hash; } tp_reported[TP_MAX_MODULES];
static int tp_reported_count;

// Fork's child handler (async-signal-safe): the MODULE records the parent wrote.
void tp_modules_replay(tp_emit_fn emit) {
    for (uint32_t off = 0; off + sizeof(struct tp_record_header) <= tp_module_log_used;) {
        const struct tp_record_header *h = (const struct tp_record_header *)(tp_module_log + off);
        emit(tp_module_log + off, h->size);
        off += h->size;
    }
    if (tp_module_log_full) tp_reported_count = 0;   // the writer reports them all again
}

// Whether the replay wrote every module (the log had room for all).
int tp_modules_replay_complete(void) { return !tp_module_log_full; }

const struct tp_range *tp_range_lookup(uintptr_t pc) {
    struct tp_range_table *tab = atomic_load_explicit(&tp_table, memory_order_acquire);
    if (!tab) return NULL;
    uint32_t lo = 0, hi = tab->count;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        const struct tp_range *r = &tab->ranges[mid];
        if (pc < r->start) hi = mid;
        else if (pc >= r->end) lo = mid + 1;
        else return r;
    }
    return NULL;
}

// Async-signal-safe: the range table, then the module's unwind table.
const struct tp_cfi_row *tp_cfi_lookup(uintptr_t pc, int *in_code) {
    const struct tp_range *r = tp_range_lookup(pc);
    *in_code = r != NULL;
    return r ? tp_cfi_find(r->cfi, pc) : NULL;
}

const void *tp_cfi_epoch(void) { return atomic_load_explicit(&tp_table, memory_order_acquire); }

static uint64_t tp_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) { h ^= (uint8_t)*s++; h *= 1099511628211ull; }
    return h;
}

struct tp_scan {
    struct tp_range *ranges;
    uint32_t count;
    uint32_t module;
    tp_emit_fn emit;
    char exe[4096];
};

static int tp_range_cmp(const void *a, const void *b) {
    const struct tp_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static void tp_emit_module(struct tp_scan *s, struct dl_phdr_info *info, const char *path) {
    uint64_t h = tp_hash(path);
    for (int i = 0; i < tp_reported_count; i++)
        if (tp_reported[i].bias == info->dlpi_addr && tp_reported[i].name_hash == h) return;
    if (tp_reported_count >= TP_MAX_MODULES) return;
    tp_reported[tp_reported_count].bias = info->dlpi_addr;
    tp_reported[tp_reported_count].name_hash = h;
    tp_reported_count++;

    uint64_t ranges[64][2];
    uint16_t nranges = 0;
    const uint8_t *build_id = NULL;
    uint16_t build_id_len = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && nranges < 64) {
            ranges[nranges][0] = info->dlpi_addr + ph->p_vaddr;
            ranges[nranges][1] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            nranges++;
        } else if (ph->p_type == PT_NOTE && !build_id) {
            const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
            const uint8_t *end = p + ph->p_memsz;
            while (p + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
                const uint8_t *name = p + sizeof *nh;
                const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
                if (desc + nh->n_descsz > end) break;
                if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                    // Build ids are 20 bytes (SHA-1) or 16 (MD5); a longer note is not trusted
                    // past what the record's buffer holds.
                    build_id = desc;
                    build_id_len = (uint16_t)(nh->n_descsz > TP_MAX_BUILD_ID ? TP_MAX_BUILD_ID : nh->n_descsz);
                    break;
                }
                p = desc + ((nh->n_descsz + 3) & ~3u);
            }
        }
    }
    size_t path_len = strlen(path);
    if (path_len > 4000) path_len = 4000;
    uint8_t buf[sizeof(struct tp_rec_module) + 64 * 16 + 4096 + 256];
    struct tp_rec_module *m = (struct tp_rec_module *)buf;
    m->h.type = TP_REC_MODULE;
    m->h.flags = 0;
    m->bias = info->dlpi_addr;
    m->nranges = nranges;
    m->path_len = (uint16_t)path_len;
    m->build_id_len = build_id_len;
    m->reserved = 0;
    uint8_t *p = buf + sizeof *m;
    memcpy(p, ranges, (size_t)nranges * 16); p += nranges * 16;
    memcpy(p, path, path_len); p += path_len;
    if (build_id_len) { memcpy(p, build_id, build_id_len); p += build_id_len; }
    m->h.size = (uint32_t)(p - buf);
    s->emit(buf, m->h.size);
    if (tp_module_log_used + m->h.size <= TP_MODULE_LOG_BYTES) {
        memcpy(tp_module_log + tp_module_log_used, buf, m->h.size);
        tp_module_log_used += m->h.size;
    } else {
        tp_module_log_full = 1;
    }
}

// The module's unwind table, built from its .eh_frame_hdr the first time the module is seen.
// Runs under the loader's lock (dl_iterate_phdr), so the module cannot be unmapped meanwhile.
static const struct tp_cfi_table *tp_module_cfi(struct dl_phdr_info *info, const char *path, int is_exe) {
    uint64_t h = tp_hash(path);
    for (int i = 0; i < tp_cfi_known_count; i++)
        if (tp_cfi_known[i].bias == info->dlpi_addr && tp_cfi_known[i].name_hash == h) return tp_cfi_known[i].cfi;
    if (tp_cfi_known_count >= TP_MAX_MODULES) return NULL;
    struct tp_cfi_source src;
    int located = tp_cfi_locate(info, &src);
    if (located && tp_cfi_deferring && !is_exe && tp_cfi_hdr_fde_count(src.hdr, src.hdr_len) > TP_CFI_EAGER_FDES) {
        tp_cfi_deferred = 1;
        return NULL;
    }
    struct tp_cfi_stats st;
    const struct tp_cfi_table *cfi = located ? tp_cfi_build(&src, &st) : NULL;
    if (cfi) {
        atomic_fetch_add(&tp_cfi_rows, cfi->count);
        atomic_fetch_add(&tp_cfi_bytes, cfi->bytes);
    } else {
        atomic_fetch_add(&tp_cfi_missing, 1);
    }
    tp_cfi_known[tp_cfi_known_count].bias = info->dlpi_addr;
    tp_cfi_known[tp_cfi_known_count].name_hash = h;
    tp_cfi_known[tp_cfi_known_count].cfi = cfi;
    tp_cfi_known_count++;
    return cfi;
}

static int tp_scan_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct tp_scan *s = data;
    const char *path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : s->exe;
    const struct tp_cfi_table *cfi = tp_module_cfi(info, path, !(info->dlpi_name && info->dlpi_name[0]));
    uint32_t flags = 0;
    if (strstr(path, "/libswift_Concurrency.so")) flags |= TP_RANGE_CONCURRENCY;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || s->count >= TP_MAX_RANGES) continue;
        s->ranges[s->count++] = (struct tp_range){
            .start = info->dlpi_addr + ph->p_vaddr,
            .end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz,
            .flags = flags,
            .module = s->module,
            .cfi = cfi,
        };
    }
    if (s->emit) tp_emit_module(s, info, path);
    s->module++;
    return 0;
}

// Start-up, the writer thread and the dlopen interposer (allocates, calls dl_iterate_phdr), one
// at a time. A new table is published only when the ranges changed: a dlopen of a library already
// loaded costs no memory.
static pthread_mutex_t tp_modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tp_range tp_scratch[TP_MAX_RANGES];

void tp_modules_refresh(tp_emit_fn emit) {
    static struct tp_scan s;
    pthread_mutex_lock(&tp_modules_lock);
    s.count = 0;
    s.module = 0;
    s.emit = emit;
    if (!s.exe[0]) {
        ssize_t n = readlink("/proc/self/exe", s.exe, sizeof s.exe - 1);
        if (n > 0) s.exe[n] = 0; else strcpy(s.exe, "[main]");
    }
    s.ranges = tp_scratch;
    dl_iterate_phdr(tp_scan_cb, &s);
    qsort(tp_scratch, s.count, sizeof(struct tp_range), tp_range_cmp);
    struct tp_range_table *cur = atomic_load_explicit(&tp_table, memory_order_acquire);
    if (!cur || cur->count != s.count || memcmp(cur->ranges, tp_scratch, s.count * sizeof(struct tp_range)) != 0) {
        size_t bytes = sizeof(struct tp_range_table) + s.count * sizeof(struct tp_range);
        struct tp_range_table *tab = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (tab != MAP_FAILED) {
            memcpy(tab->ranges, tp_scratch, s.count * sizeof(struct tp_range));
            tab->count = s.count;
            atomic_store_explicit(&tp_table, tab, memory_order_release);
        }
    }
    pthread_mutex_unlock(&tp_modules_lock);
}

// fork: the child must not inherit the lock held by a thread that does not exist there.
void tp_modules_prepare_fork(void) { pthread_mutex_lock(&tp_modules_lock); }
void tp_modules_parent_after_fork(void) { pthread_mutex_unlock(&tp_modules_lock); }
void tp_modules_child_after_fork(void) { pthread_mutex_init(&tp_modules_lock, NULL); }

// ---- dlopen/dlclose interposers ---------------------------------------------------------------
// A library loaded now gets its range and unwind table before dlopen returns, so its first
// samples are walked like any other; the writer thread reports it (the generation changed). A
// library unloaded keeps its table until the writer's next refresh: tables are never freed, and
// the walk reads only the stack.

typedef void *(*tp_dlopen_fn)(const char *, int);
typedef int (*tp_dlclose_fn)(void *);

TP_EXPORT void *dlopen(const char *file, int mode) {
    static tp_dlopen_fn real;
    if (!real) real = (tp_dlopen_fn)dlsym(RTLD_NEXT, "dlopen");
    void *h = real(file, mode);
    if (mode & RTLD_NOLOAD) return h;   // nothing new (tp_real_symbol asks this way)
    if (h && tp_cfg.enabled) {
        int saved = errno;
        tp_modules_refresh(NULL);
        errno = saved;
    }
    atomic_fetch_add(&tp_dlopen_generation, 1);
    return h;
}

TP_EXPORT int dlclose(void *handle) {
    static tp_dlclose_fn real;
    if (!real) real = (tp_dlclose_fn)dlsym(RTLD_NEXT, "dlclose");
    int rc = real(handle);
    atomic_fetch_add(&tp_dlopen_generation, 1);
    return rc;
}

void tp_reset_reported_modules(void) { tp_reported_count = 0; }

// Writer thread, once: the tables start-up left for later, then a range table that points at them.
void tp_modules_build_deferred(tp_emit_fn emit) {
    tp_cfi_deferring = 0;
    if (tp_cfi_deferred) {
        tp_cfi_deferred = 0;
        tp_modules_refresh(emit);
    }
}
