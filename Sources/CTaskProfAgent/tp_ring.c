// Lock-free SPSC byte ring. Writers never wait: a record that does not fit is dropped and the
// caller counts it. Records are written whole or not at all, so the reader never sees half of one.
#include "tp_internal.h"
#include <string.h>
#include <sys/mman.h>

uint32_t tp_sample_ring_bytes = TP_SAMPLE_RING_MIN;

void tp_rings_size(uint32_t rate_hz) {
    uint64_t largest = sizeof(struct tp_rec_sample) + TP_MAX_FRAMES * sizeof(uint64_t);
    uint64_t want = (uint64_t)rate_hz * largest * 4 * TP_WRITER_PERIOD_NS / 1000000000ull;
    uint32_t bytes = TP_SAMPLE_RING_MIN;
    while (bytes < want && bytes < TP_SAMPLE_RING_MAX) bytes <<= 1;
    tp_sample_ring_bytes = bytes;
}

int tp_ring_init(struct tp_ring *r, uint32_t capacity) {
    // mmap, not malloc: rings are created on thread start, which may be inside malloc's own locks
    // in a forking program, and MAP_NORESERVE keeps untouched pages free.
    void *p = mmap(NULL, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return -1;
    r->data = p;
    r->capacity = capacity;
    atomic_store_explicit(&r->head, 0, memory_order_relaxed);
    atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
    return 0;
}

void tp_ring_free(struct tp_ring *r) {
    if (r->data) munmap(r->data, r->capacity);
    r->data = NULL;
}

static void tp_ring_copy_in(struct tp_ring *r, uint64_t pos, const void *src, uint32_t len) {
    uint32_t off = (uint32_t)(pos & (r->capacity - 1));
    uint32_t first = r->capacity - off < len ? r->capacity - off : len;
    memcpy(r->data + off, src, first);
    if (first < len) memcpy(r->data, (const uint8_t *)src + first, len - first);
}

// Writes a||b as one record. Async-signal-safe: memcpy and atomics only.
int tp_ring_write(struct tp_ring *r, const void *a, uint32_t alen, const void *b, uint32_t blen) {
    if (!r->data) return -1;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    uint64_t need = (uint64_t)alen + blen;
    if (need > r->capacity - (head - tail)) return -1;
    tp_ring_copy_in(r, head, a, alen);
    if (blen) tp_ring_copy_in(r, head + alen, b, blen);
    atomic_store_explicit(&r->head, head + need, memory_order_release);
    return 0;
}

// Copies out whole records (each starts with a tp_record_header) up to `max` bytes.
uint32_t tp_ring_read(struct tp_ring *r, void *out, uint32_t max) {
    if (!r->data) return 0;
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint32_t done = 0;
    uint8_t *dst = out;
    while (tail + done < head) {
        struct tp_record_header h;
        uint64_t pos = tail + done;
        uint32_t off = (uint32_t)(pos & (r->capacity - 1));
        uint32_t first = r->capacity - off < sizeof h ? r->capacity - off : (uint32_t)sizeof h;
        memcpy(&h, r->data + off, first);
        if (first < sizeof h) memcpy((uint8_t *)&h + first, r->data, sizeof h - first);
        if (h.size < sizeof h || h.size > r->capacity) {
            // Cannot happen unless memory was corrupted; resynchronize by dropping everything.
            atomic_store_explicit(&r->tail, head, memory_order_release);
            return done;
        }
        if (done + h.size > max) break;
        off = (uint32_t)(pos & (r->capacity - 1));
        first = r->capacity - off < h.size ? r->capacity - off : h.size;
        memcpy(dst + done, r->data + off, first);
        if (first < h.size) memcpy(dst + done + first, r->data, h.size - first);
        done += h.size;
    }
    atomic_store_explicit(&r->tail, tail + done, memory_order_release);
    return done;
}
