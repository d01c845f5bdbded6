// Unwind tables: each loaded module's DWARF call-frame information (.eh_frame), turned ahead of
// time into a sorted array of rows the signal handler can search without a lock.
//
// Why: libunwind takes a process-wide mutex in every step and reads the loader's object list, so
// it cannot run in a signal handler (a sample taken inside the agent's own lock interposer
// deadlocked the thread); the frame-pointer walk is wrong in prologues, epilogues, frameless
// leaves and code built without frame pointers. x86-64 CFI almost always reduces to "CFA = rsp+n
// or rbp+n, return address at CFA-8, rbp (and r14) saved at CFA-m": one 16-byte row per change.
#ifndef TP_CFI_H
#define TP_CFI_H

#include <stddef.h>
#include <stdint.h>

// How to find the canonical frame address (the caller's rsp after the return) at a row.
enum tp_cfa_rule {
    TP_CFA_NONE = 0,     // no rule here (a gap between functions, or CFI the table cannot express)
    TP_CFA_RSP = 1,      // CFA = rsp + cfa_off
    TP_CFA_RBP = 2,      // CFA = rbp + cfa_off: the function keeps a frame pointer here
    TP_CFA_PLT = 3,      // a PLT stub: CFA = rsp + cfa_off + ((pc & 15) >= plt_k ? 8 : 0)
    TP_CFA_SIGNAL = 4,   // the kernel's signal trampoline (__restore_rt): the interrupted
                         // registers are in the ucontext at rsp
    TP_CFA_END = 5,      // the outermost frame (return address undefined): the stack ends here
};

// Where a register of the caller is, relative to the CFA. TP_REG_SAME: the register still holds it.
#define TP_REG_SAME 0
#define TP_REG_UNKNOWN INT16_MIN

struct __attribute__((aligned(16))) tp_cfi_row {
    uint32_t pc;         // first address of the row, as an offset from the table's base
    int32_t cfa_off;
    uint8_t cfa_rule;    // enum tp_cfa_rule
    uint8_t plt_k;
    int16_t rbp_off;     // caller's rbp at CFA + rbp_off, or TP_REG_SAME / TP_REG_UNKNOWN
    int16_t r14_off;     // caller's r14 (the Swift async context register), same encoding
    int16_t ra_off;      // return address at CFA + ra_off (-8 on x86-64)
};
_Static_assert(sizeof(struct tp_cfi_row) == 16, "one row, 16 bytes");

#define TP_CFI_PAGE_SHIFT 12

// One module's rows, sorted by pc. Never freed once published: a handler may be reading it.
struct tp_cfi_table {
    uintptr_t base, end;         // addresses covered: [base, end)
    uint32_t count;
    uint32_t npages;             // page index over [base, end), TP_CFI_PAGE_SHIFT bytes a page
    const uint32_t *page_first;  // npages + 1 entries: first row to search for a pc in page p
    const struct tp_cfi_row *rows;
    size_t bytes;                // the whole allocation, for the counters
};

// The row that covers pc, or NULL. Async-signal-safe: reads only the table.
static inline const struct tp_cfi_row *tp_cfi_find(const struct tp_cfi_table *tab, uintptr_t pc) {
    if (!tab || pc < tab->base || pc >= tab->end || tab->count == 0) return NULL;
    uint32_t off = (uint32_t)(pc - tab->base);
    uint32_t page = off >> TP_CFI_PAGE_SHIFT;
    uint32_t lo = tab->page_first[page], hi = tab->page_first[page + 1] + 1;
    if (hi > tab->count) hi = tab->count;
    // The last row whose pc <= off, in [lo, hi).
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tab->rows[mid].pc <= off) lo = mid; else hi = mid;
    }
    const struct tp_cfi_row *row = &tab->rows[lo];
    return row->pc <= off && row->cfa_rule != TP_CFA_NONE ? row : NULL;
}

// Why a table came out smaller than its module's CFI: counted while building.
struct tp_cfi_stats {
    uint32_t fdes, rows, bad_fdes, unsupported_rows;
};

// Builds the table of one module from its .eh_frame_hdr, as mapped in memory (hdr: the
// PT_GNU_EH_FRAME segment; [text_lo, text_hi): the module's executable range, rows outside it
// are dropped). [seg_lo, limit) is the loaded segment that holds both the header and .eh_frame:
// no read leaves it. Allocates with mmap; not for the handler. NULL when there is no usable CFI.
struct tp_cfi_table *tp_cfi_build_from_hdr(const uint8_t *hdr, size_t hdr_len, const uint8_t *seg_lo, const uint8_t *limit,
                                           uintptr_t text_lo, uintptr_t text_hi, struct tp_cfi_stats *stats);

// Where a loaded module's CFI is: its .eh_frame_hdr (PT_GNU_EH_FRAME), the loaded segment that
// holds the header and .eh_frame (every linker puts the two read-only sections side by side; no
// read leaves it), and the module's executable range (its lowest to highest executable PT_LOAD).
struct tp_cfi_source {
    const uint8_t *hdr;
    size_t hdr_len;
    const uint8_t *seg_lo, *seg_hi;
    uintptr_t text_lo, text_hi;
};
struct dl_phdr_info;
int tp_cfi_locate(const struct dl_phdr_info *info, struct tp_cfi_source *src);   // 0: no usable header

// tp_cfi_build_from_hdr on a located module.
struct tp_cfi_table *tp_cfi_build(const struct tp_cfi_source *src, struct tp_cfi_stats *stats);

// The number of FDEs an .eh_frame_hdr lists (0 when it cannot tell): the cost of building the table.
uint64_t tp_cfi_hdr_fde_count(const uint8_t *hdr, size_t hdr_len);

// The same from a bare .eh_frame section (no header): walked entry by entry up to its zero
// terminator or `len`, in place (pc-relative pointers are relative to where the bytes are). Used
// for modules without a header, and by the tests with hand-made CFI.
struct tp_cfi_table *tp_cfi_build_from_eh_frame(const uint8_t *eh_frame, size_t len,
                                                uintptr_t text_lo, uintptr_t text_hi, struct tp_cfi_stats *stats);

#endif
