// Small helpers: symbol lookup at set-up time, safe reads of the process's own memory.
#include "tp_internal.h"
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

uint64_t tp_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// The definition the agent's interposer of `name` stands in front of. RTLD_NEXT searches the
// global scope after the agent; a library a host loaded with dlopen (a C or Python program loading
// a Swift library, which brings libswift_Concurrency and libdispatch with it) is not there, so
// the loaded objects are then asked one by one, the agent itself skipped. Not for the signal
// handler (dlopen with RTLD_NOLOAD takes the loader's lock, which is recursive).
#define TP_SEARCH_OBJECTS 512
struct tp_objects { char paths[TP_SEARCH_OBJECTS][256]; int count; uintptr_t self; };

static int tp_objects_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct tp_objects *o = data;
    if (o->count < TP_SEARCH_OBJECTS && info->dlpi_name && info->dlpi_name[0] && info->dlpi_addr != o->self &&
        strlen(info->dlpi_name) < sizeof o->paths[0])
        strcpy(o->paths[o->count++], info->dlpi_name);
    return 0;
}

void *tp_real_symbol(const char *name) {
    void *p = dlsym(RTLD_NEXT, name);
    if (p) return p;
    Dl_info self;
    if (!dladdr((void *)tp_real_symbol, &self)) return NULL;
    static struct tp_objects objects;   // one search at a time (rare: the first call of an interposer)
    static atomic_flag busy = ATOMIC_FLAG_INIT;
    while (atomic_flag_test_and_set_explicit(&busy, memory_order_acquire)) sched_yield();
    objects.count = 0;
    objects.self = (uintptr_t)self.dli_fbase;
    dl_iterate_phdr(tp_objects_cb, &objects);   // names first: no dlopen while it holds its lock
    for (int i = 0; i < objects.count && !p; i++) {
        void *h = dlopen(objects.paths[i], RTLD_LAZY | RTLD_NOLOAD);
        if (!h) continue;
        void *q = dlsym(h, name);
        Dl_info where;
        if (q && dladdr(q, &where) && where.dli_fbase != self.dli_fbase) p = q;
        dlclose(h);
    }
    atomic_flag_clear_explicit(&busy, memory_order_release);
    return p;
}

// Reads `len` bytes of this process's memory at `addr` without risking a fault: the kernel
// reports EFAULT instead. Async-signal-safe (one syscall). Every argument is passed as a full
// long: syscall() is variadic and reads six longs, so a plain int `0` for the flags could arrive
// with garbage in its upper half and make the call fail with EINVAL.
// The entries of an LD_PRELOAD list (':' or ' ' separated) other than `agent`, joined with ':'
// into out (as many as fit). Returns the length written.
size_t tp_preload_others(const char *list, const char *agent, char *out, size_t cap) {
    size_t used = 0, agent_len = strlen(agent);
    if (cap) out[0] = 0;
    for (const char *p = list; p && *p;) {
        while (*p == ':' || *p == ' ') p++;
        const char *e = p;
        while (*e && *e != ':' && *e != ' ') e++;
        size_t len = (size_t)(e - p);
        if (len && !(len == agent_len && strncmp(p, agent, len) == 0) && used + len + 2 < cap) {
            if (used) out[used++] = ':';
            memcpy(out + used, p, len);
            used += len;
            out[used] = 0;
        }
        p = e;
    }
    return used;
}

int tp_read_self(uintptr_t addr, void *out, size_t len) {
    struct iovec local = { out, len }, remote = { (void *)addr, len };
    long rc = syscall(SYS_process_vm_readv, (long)getpid(), (long)&local, 1L, (long)&remote, 1L, 0L);
    return rc == (long)len;
}

struct tp_find_lib { const char *needle; char path[4096]; uintptr_t base; int found; };

static int tp_find_lib_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct tp_find_lib *f = data;
    if (info->dlpi_name && strstr(info->dlpi_name, f->needle)) {
        strncpy(f->path, info->dlpi_name, sizeof f->path - 1);
        f->base = info->dlpi_addr;
        f->found = 1;
        return 1;
    }
    return 0;
}

// Finds a symbol that only the static symbol table (.symtab) names, such as the file-local
// `__swift_run_job` in libswift_Concurrency. Set-up time only: opens and maps the file.
// `size`, when not NULL, receives the symbol's size in bytes.
uintptr_t tp_find_local_symbol_sized(const char *library_substring, const char *symbol, uint64_t *size) {
    struct tp_find_lib f = { .needle = library_substring };
    dl_iterate_phdr(tp_find_lib_cb, &f);
    if (!f.found) return 0;
    int fd = open(f.path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    uintptr_t result = 0;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size > sizeof(Elf64_Ehdr)) {
        uint8_t *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            size_t fsize = (size_t)st.st_size;
            Elf64_Ehdr *eh = (Elf64_Ehdr *)map;
            if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
                eh->e_shoff && eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <= fsize) {
                Elf64_Shdr *sh = (Elf64_Shdr *)(map + eh->e_shoff);
                for (int i = 0; i < eh->e_shnum && !result; i++) {
                    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
                    Elf64_Shdr *strs = &sh[sh[i].sh_link];
                    if (sh[i].sh_offset + sh[i].sh_size > fsize || strs->sh_offset + strs->sh_size > fsize) continue;
                    Elf64_Sym *syms = (Elf64_Sym *)(map + sh[i].sh_offset);
                    size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
                    for (size_t k = 0; k < n; k++) {
                        if (syms[k].st_name >= strs->sh_size || syms[k].st_value == 0) continue;
                        const char *nm = (const char *)map + strs->sh_offset + syms[k].st_name;
                        if (strncmp(nm, symbol, strs->sh_size - syms[k].st_name) == 0) {
                            result = f.base + syms[k].st_value;
                            if (size) *size = syms[k].st_size;
                            break;
                        }
                    }
                }
            }
            munmap(map, fsize);
        }
    }
    close(fd);
    return result;
}

uintptr_t tp_find_local_symbol(const char *library_substring, const char *symbol) {
    return tp_find_local_symbol_sized(library_substring, symbol, NULL);
}

// The agent's descriptors sit at or above this, clear of the low numbers programs expect to get
// (a program that dup2s onto 3, say) and never inherited across exec.
#define TP_FD_FLOOR 1000

// A descriptor of the agent's own, moved high. Returns it, or -1 (and closes fd) when that failed.
int tp_fd_high(int fd) {
    if (fd < 0) return -1;
    struct rlimit rl;
    int floor = TP_FD_FLOOR;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)floor >= rl.rlim_cur)
        floor = rl.rlim_cur > 64 ? (int)rl.rlim_cur - 32 : 3;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (high < 0) return fd;   // no room up there: keep the low one
    close(fd);
    return high;
}
