// Which addresses the signal handler may dereference outside the thread's stack.
//
// Why: following a task's async context chain means reading heap memory through pointers that
// may be stale or garbage, and a syscall per read (process_vm_readv) costs about 0.9 µs here, far
// over the handler's budget. So the writer thread copies the private writable mappings of
// /proc/self/maps into a table the handler binary-searches under a seqlock. A live task's
// contexts are live allocations, hence in the table once it has been refreshed; memory the table
// does not know yet (a heap grown since) is read through process_vm_readv, which reports EFAULT
// instead of faulting, and asks the writer for an early refresh.
#include "tp_internal.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TP_MAX_MAPPINGS 8192
#define TP_MAPS_CHUNK 65536

static struct {
    _Atomic uint32_t seq;              // odd while the writer thread rewrites the table
    _Atomic uint32_t count;
    struct { _Atomic uintptr_t lo, hi; } r[TP_MAX_MAPPINGS];
} tp_mem;
static _Atomic int tp_mem_requested;

static int tp_memmap_known(uintptr_t addr, size_t len) {
    uint32_t s1 = atomic_load_explicit(&tp_mem.seq, memory_order_acquire);
    if (s1 & 1) return 0;
    uint32_t lo = 0, hi = atomic_load_explicit(&tp_mem.count, memory_order_relaxed), found = 0;
    if (hi > TP_MAX_MAPPINGS) return 0;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        uintptr_t start = atomic_load_explicit(&tp_mem.r[mid].lo, memory_order_relaxed);
        uintptr_t end = atomic_load_explicit(&tp_mem.r[mid].hi, memory_order_relaxed);
        if (addr < start) hi = mid;
        else if (addr >= end) lo = mid + 1;
        else { found = addr + len <= end; break; }
    }
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&tp_mem.seq, memory_order_relaxed) != s1) return 0;
    return found;
}

// Async-signal-safe read of `len` bytes at `addr`. Returns 1 when all of them were read.
int tp_memmap_read(uintptr_t addr, void *out, size_t len) {
    if (tp_memmap_known(addr, len)) {
        memcpy(out, (const void *)addr, len);
        return 1;
    }
    atomic_store_explicit(&tp_mem_requested, 1, memory_order_relaxed);
    return tp_read_self(addr, out, len);
}

int tp_memmap_wants_refresh(void) { return atomic_load_explicit(&tp_mem_requested, memory_order_relaxed); }

static int tp_hex(const char **p, uintptr_t *out) {
    uintptr_t v = 0;
    int digits = 0;
    for (;; (*p)++, digits++) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) break;
        v = v << 4 | (uintptr_t)d;
    }
    *out = v;
    return digits > 0;
}

// Adds one line of /proc/self/maps ("lo-hi perms offset dev inode path") if it is rw-p,
// merging it with the previous mapping when they touch.
static void tp_mem_add_line(const char *line, uint32_t *n) {
    uintptr_t lo, hi;
    const char *p = line;
    if (!tp_hex(&p, &lo) || *p++ != '-' || !tp_hex(&p, &hi) || *p++ != ' ') return;
    if (p[0] != 'r' || p[1] != 'w' || p[3] != 'p') return;
    if (*n > 0 && atomic_load_explicit(&tp_mem.r[*n - 1].hi, memory_order_relaxed) == lo) {
        atomic_store_explicit(&tp_mem.r[*n - 1].hi, hi, memory_order_relaxed);
        return;
    }
    if (*n >= TP_MAX_MAPPINGS) return;
    atomic_store_explicit(&tp_mem.r[*n].lo, lo, memory_order_relaxed);
    atomic_store_explicit(&tp_mem.r[*n].hi, hi, memory_order_relaxed);
    (*n)++;
}

// Writer thread (and set-up) only.
void tp_memmap_refresh(void) {
    static char buf[TP_MAPS_CHUNK + 1];
    atomic_store_explicit(&tp_mem_requested, 0, memory_order_relaxed);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    uint32_t seq = atomic_load_explicit(&tp_mem.seq, memory_order_relaxed);
    atomic_store_explicit(&tp_mem.seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    uint32_t n = 0;
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fd, buf + used, TP_MAPS_CHUNK - used);
        if (got <= 0) break;
        used += (size_t)got;
        buf[used] = 0;
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = 0;
            tp_mem_add_line(line, &n);
            line = nl + 1;
        }
        used = (size_t)(buf + used - line);
        memmove(buf, line, used);
        if (used == TP_MAPS_CHUNK) used = 0;   // a line longer than the buffer: skip it
    }
    close(fd);
    atomic_store_explicit(&tp_mem.count, n, memory_order_relaxed);
    atomic_store_explicit(&tp_mem.seq, seq + 2, memory_order_release);
}
