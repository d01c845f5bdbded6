// Builds a module's unwind table (tp_cfi.h) from its .eh_frame: the CIEs' and FDEs' call-frame
// programs are run once here, off the hot path (start-up, and the writer thread after a dlopen),
// and only what the handler needs is kept: the CFA rule, and where the return address, rbp and
// r14 are. Everything is read through a bounds-checked cursor: corrupt CFI ends that FDE (or the
// section), never a read past the mapping.
//
// Not for the signal handler: allocates (mmap) and sorts.
#define _GNU_SOURCE
#include "tp_cfi.h"
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

// DWARF register numbers on x86-64.
enum { TP_DW_RBP = 6, TP_DW_RSP = 7, TP_DW_R14 = 14, TP_DW_RA = 16 };

#define TP_CFI_STATE_STACK 8          // DW_CFA_remember_state depth kept; deeper is corrupt
#define TP_CFI_MAX_ROWS (4u << 20)    // one module, at most (64 MiB of rows)

struct tp_cursor { const uint8_t *p, *end; int ok; };

static uint8_t tp_u8(struct tp_cursor *c) {
    if (!c->ok || c->p + 1 > c->end) { c->ok = 0; return 0; }
    return *c->p++;
}

static uint64_t tp_fixed(struct tp_cursor *c, int size) {
    if (!c->ok || c->end - c->p < size) { c->ok = 0; return 0; }
    uint64_t v = 0;
    memcpy(&v, c->p, (size_t)size);   // x86-64: little-endian, as the file
    c->p += size;
    return v;
}

static uint64_t tp_uleb(struct tp_cursor *c) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b = tp_u8(c);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    c->ok = 0;
    return 0;
}

// Accumulated unsigned: shifting a signed value into bit 63 is undefined.
static int64_t tp_sleb(struct tp_cursor *c) {
    uint64_t v = 0;
    int shift = 0;
    uint8_t b;
    do {
        if (shift >= 64) { c->ok = 0; return 0; }
        b = tp_u8(c);
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

// A factored operand times the CIE's alignment factor. Real frames are far below 2^24 bytes;
// anything larger (or an overflow) is corrupt CFI and ends the FDE.
#define TP_CFI_MAX_OFFSET (1ll << 24)
static int64_t tp_scaled(struct tp_cursor *c, int64_t v, int64_t factor) {
    int64_t r;
    if (__builtin_mul_overflow(v, factor, &r) || r > TP_CFI_MAX_OFFSET || r < -TP_CFI_MAX_OFFSET) { c->ok = 0; return 0; }
    return r;
}
static int64_t tp_uleb_scaled(struct tp_cursor *c, int64_t factor) {
    uint64_t v = tp_uleb(c);
    if (v > (uint64_t)TP_CFI_MAX_OFFSET) { c->ok = 0; return 0; }
    return tp_scaled(c, (int64_t)v, factor);
}
static int32_t tp_uleb_offset(struct tp_cursor *c) {
    uint64_t v = tp_uleb(c);
    if (v > (uint64_t)TP_CFI_MAX_OFFSET) { c->ok = 0; return 0; }
    return (int32_t)v;
}

// A DW_EH_PE-encoded pointer. `datarel` is the base of DW_EH_PE_datarel (the header's start).
static uintptr_t tp_encoded(struct tp_cursor *c, uint8_t enc, uintptr_t datarel) {
    if (enc == 0xff) return 0;   // DW_EH_PE_omit
    uintptr_t field = (uintptr_t)c->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00: v = tp_fixed(c, 8); break;                           // absptr
    case 0x01: v = tp_uleb(c); break;
    case 0x02: v = tp_fixed(c, 2); break;
    case 0x03: v = tp_fixed(c, 4); break;
    case 0x04: v = tp_fixed(c, 8); break;
    case 0x09: v = (uint64_t)tp_sleb(c); break;
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)tp_fixed(c, 2); break;
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)tp_fixed(c, 4); break;
    case 0x0c: v = tp_fixed(c, 8); break;
    default: c->ok = 0; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += field; break;       // pcrel
    case 0x30: v += datarel; break;     // datarel
    default: c->ok = 0; return 0;       // textrel, funcrel, aligned: not used on x86-64 Linux
    }
    if (enc & 0x80) c->ok = 0;          // indirect: only personality pointers, which are skipped
    return (uintptr_t)v;
}

// The length of an encoded value without decoding (the personality pointer is skipped).
static void tp_skip_encoded(struct tp_cursor *c, uint8_t enc) {
    uint8_t saved = enc & 0x0f;
    tp_encoded(c, (uint8_t)saved, 0);
}

struct tp_cie {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc;
    int has_aug_data;   // 'z'
    int signal;         // 'S': the kernel's signal trampoline
    const uint8_t *insns, *insns_end;
};

// One CFI entry's extent: [*body, *next) after its length field; 0 for the terminator, -1 corrupt.
static int tp_entry(const uint8_t *p, const uint8_t *limit, const uint8_t **body, const uint8_t **next) {
    struct tp_cursor c = { p, limit, 1 };
    uint64_t len = tp_fixed(&c, 4);
    if (!c.ok) return -1;
    if (len == 0) return 0;
    if (len == 0xffffffffu) { len = tp_fixed(&c, 8); if (!c.ok) return -1; }
    if (len > (uint64_t)(limit - c.p)) return -1;
    *body = c.p;
    *next = c.p + len;
    return 1;
}

static int tp_parse_cie(const uint8_t *p, const uint8_t *limit, struct tp_cie *cie) {
    const uint8_t *body, *next;
    if (tp_entry(p, limit, &body, &next) != 1) return 0;
    struct tp_cursor c = { body, next, 1 };
    if (tp_fixed(&c, 4) != 0) return 0;   // CIE id is 0 in .eh_frame
    uint8_t version = tp_u8(&c);
    if (version != 1 && version != 3) return 0;
    const char *aug = (const char *)c.p;
    size_t aug_len = strnlen(aug, (size_t)(next - c.p));
    if (aug_len == (size_t)(next - c.p)) return 0;
    c.p += aug_len + 1;
    memset(cie, 0, sizeof *cie);
    cie->fde_enc = 0;   // absptr unless 'R' says otherwise
    if (strstr(aug, "eh")) tp_fixed(&c, 8);   // old GCC's eh_ptr
    cie->code_align = tp_uleb(&c);
    cie->data_align = tp_sleb(&c);
    cie->ra_reg = version == 1 ? tp_u8(&c) : tp_uleb(&c);
    if (aug[0] == 'z') {
        uint64_t aug_data_len = tp_uleb(&c);
        if (!c.ok || aug_data_len > (uint64_t)(next - c.p)) return 0;
        const uint8_t *aug_end = c.p + aug_data_len;
        cie->has_aug_data = 1;
        // An unknown letter ends the parse of the augmentation data ('z' says how long it is).
        for (const char *a = aug + 1; *a && c.ok && c.p < aug_end; a++) {
            if (*a == 'R') cie->fde_enc = tp_u8(&c);
            else if (*a == 'L') tp_u8(&c);                                     // LSDA encoding
            else if (*a == 'P') { uint8_t e = tp_u8(&c); tp_skip_encoded(&c, e); }
            else if (*a == 'S') cie->signal = 1;
            else if (*a != 'B') break;                                         // 'B': AArch64 only
        }
        for (const char *a = aug + 1; *a; a++) if (*a == 'S') cie->signal = 1;   // takes no data
        c.p = aug_end;
    } else if (aug[0] != 0) {
        return 0;   // an augmentation we cannot skip
    }
    // x86-64 uses 1 and -8; factors this far off are corrupt and would overflow the programs' math.
    if (!c.ok || cie->code_align == 0 || cie->code_align > 256 || cie->data_align > 256 || cie->data_align < -256) return 0;
    cie->insns = c.p;
    cie->insns_end = next;
    return 1;
}

// ---- Rows: a growable buffer (mmap, so the program's heap is never touched) -----------------

struct tp_rowbuf { struct tp_cfi_row *rows; size_t count, cap; int failed; };

static void tp_rows_push(struct tp_rowbuf *b, struct tp_cfi_row row) {
    if (b->failed) return;
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        if (cap > TP_CFI_MAX_ROWS) { b->failed = 1; return; }
        void *p = b->rows ? mremap(b->rows, b->cap * sizeof *b->rows, cap * sizeof *b->rows, MREMAP_MAYMOVE)
                          : mmap(NULL, cap * sizeof *b->rows, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { b->failed = 1; return; }
        b->rows = p;
        b->cap = cap;
    }
    b->rows[b->count++] = row;
}

// ---- The call-frame program ------------------------------------------------------------------

struct tp_state { uint8_t rule, plt_k; int32_t cfa_off; int16_t rbp, r14, ra; uint8_t ra_undefined; };

static int16_t tp_saved_at(int64_t off) {
    return off == 0 || off < INT16_MIN + 1 || off > INT16_MAX ? TP_REG_UNKNOWN : (int16_t)off;
}

static void tp_set_reg(struct tp_state *s, uint64_t reg, int16_t where) {
    if (reg == TP_DW_RBP) s->rbp = where;
    else if (reg == TP_DW_R14) s->r14 = where;
    else if (reg == TP_DW_RA) { s->ra = where; s->ra_undefined = 0; }
}

// A PLT stub's CFA: rsp + n, and 8 more once the stub has pushed (binutils' expression
// "breg7 n; breg16 0; lit15; and; lit k; ge; lit3; shl; plus"). Any other expression: no rule.
static void tp_cfa_expression(struct tp_state *s, const uint8_t *e, size_t len) {
    struct tp_cursor c = { e, e + len, 1 };
    s->rule = TP_CFA_NONE;
    if (tp_u8(&c) != 0x77) return;                     // DW_OP_breg7 (rsp)
    int64_t n = tp_sleb(&c);
    if (tp_u8(&c) != 0x80 || tp_sleb(&c) != 0) return; // DW_OP_breg16 (rip) 0
    if (tp_u8(&c) != 0x3f || tp_u8(&c) != 0x1a) return; // lit15; and
    uint8_t lit = tp_u8(&c);
    if (lit < 0x30 || lit > 0x4f) return;
    if (tp_u8(&c) != 0x2a || tp_u8(&c) != 0x33 || tp_u8(&c) != 0x24 || tp_u8(&c) != 0x22) return;  // ge; lit3; shl; plus
    if (!c.ok || c.p != c.end || n < 0 || n > 4096) return;
    s->rule = TP_CFA_PLT;
    s->cfa_off = (int32_t)n;
    s->plt_k = (uint8_t)(lit - 0x30);
}

struct tp_program {
    const struct tp_cie *cie;
    uintptr_t loc, end;
    struct tp_state state, initial;
    struct tp_state stack[TP_CFI_STATE_STACK];
    int depth;
};

static void tp_emit(struct tp_rowbuf *b, uintptr_t base, uintptr_t text_lo, uintptr_t text_hi,
                    uintptr_t pc, const struct tp_state *s, int signal, struct tp_cfi_stats *st) {
    if (pc < text_lo || pc >= text_hi) return;
    struct tp_cfi_row row = { (uint32_t)(pc - base), s->cfa_off, s->rule, s->plt_k, s->rbp, s->r14, s->ra };
    if (signal) row.cfa_rule = TP_CFA_SIGNAL;
    else if (s->ra_undefined) row.cfa_rule = TP_CFA_END;
    else if (s->ra == TP_REG_UNKNOWN || s->ra == TP_REG_SAME) row.cfa_rule = TP_CFA_NONE;
    if (row.cfa_rule == TP_CFA_NONE && st) st->unsupported_rows++;
    tp_rows_push(b, row);
}

// Runs one instruction stream. Returns 0 on corrupt input. With `b` NULL (the CIE's initial
// instructions) nothing is emitted.
static int tp_run(struct tp_program *pr, const uint8_t *p, const uint8_t *end, struct tp_rowbuf *b,
                  uintptr_t base, uintptr_t text_lo, uintptr_t text_hi, struct tp_cfi_stats *st) {
    const struct tp_cie *cie = pr->cie;
    struct tp_cursor c = { p, end, 1 };
    struct tp_state *s = &pr->state;
    while (c.ok && c.p < c.end) {
        uint8_t op = tp_u8(&c);
        uint64_t reg, delta = 0;
        int advance = 0;
        switch (op & 0xc0) {
        case 0x40: delta = op & 0x3f; advance = 1; break;                                      // advance_loc
        case 0x80: tp_set_reg(s, op & 0x3f, tp_saved_at(tp_uleb_scaled(&c, cie->data_align))); continue;  // offset
        case 0xc0: reg = op & 0x3f;                                                            // restore
            tp_set_reg(s, reg, reg == TP_DW_RBP ? pr->initial.rbp : reg == TP_DW_R14 ? pr->initial.r14 : pr->initial.ra);
            continue;
        }
        if (!advance) {
            switch (op) {
            case 0x00: break;                                                           // nop
            case 0x01: {                                                                // set_loc
                uintptr_t to = tp_encoded(&c, cie->fde_enc, 0);
                if (to < pr->loc) return 0;
                delta = (to - pr->loc) / cie->code_align; advance = 1; break;
            }
            case 0x02: delta = tp_fixed(&c, 1); advance = 1; break;
            case 0x03: delta = tp_fixed(&c, 2); advance = 1; break;
            case 0x04: delta = tp_fixed(&c, 4); advance = 1; break;
            case 0x05: reg = tp_uleb(&c); tp_set_reg(s, reg, tp_saved_at(tp_uleb_scaled(&c, cie->data_align))); break;
            case 0x06: reg = tp_uleb(&c);
                tp_set_reg(s, reg, reg == TP_DW_RBP ? pr->initial.rbp : reg == TP_DW_R14 ? pr->initial.r14 : pr->initial.ra);
                break;
            case 0x07: reg = tp_uleb(&c);                                               // undefined
                tp_set_reg(s, reg, TP_REG_UNKNOWN);
                if (reg == TP_DW_RA) s->ra_undefined = 1;   // the outermost frame
                break;
            case 0x08: tp_set_reg(s, tp_uleb(&c), TP_REG_SAME); break;                  // same_value
            case 0x09: reg = tp_uleb(&c); tp_uleb(&c); tp_set_reg(s, reg, TP_REG_UNKNOWN); break;   // register
            case 0x0a:                                                                  // remember_state
                if (pr->depth == TP_CFI_STATE_STACK) return 0;
                pr->stack[pr->depth++] = *s; break;
            case 0x0b:                                                                  // restore_state
                if (pr->depth == 0) return 0;
                *s = pr->stack[--pr->depth]; break;
            case 0x0c: reg = tp_uleb(&c);                                               // def_cfa
                s->cfa_off = tp_uleb_offset(&c);
                s->rule = reg == TP_DW_RSP ? TP_CFA_RSP : reg == TP_DW_RBP ? TP_CFA_RBP : TP_CFA_NONE;
                break;
            case 0x0d: reg = tp_uleb(&c);                                               // def_cfa_register
                s->rule = reg == TP_DW_RSP ? TP_CFA_RSP : reg == TP_DW_RBP ? TP_CFA_RBP : TP_CFA_NONE;
                break;
            case 0x0e: s->cfa_off = tp_uleb_offset(&c); break;                         // def_cfa_offset
            case 0x0f: {                                                                // def_cfa_expression
                uint64_t len = tp_uleb(&c);
                if (!c.ok || len > (uint64_t)(c.end - c.p)) return 0;
                tp_cfa_expression(s, c.p, (size_t)len);
                c.p += len; break;
            }
            case 0x10: case 0x16: {                                                     // expression, val_expression
                reg = tp_uleb(&c);
                uint64_t len = tp_uleb(&c);
                if (!c.ok || len > (uint64_t)(c.end - c.p)) return 0;
                c.p += len;
                tp_set_reg(s, reg, TP_REG_UNKNOWN); break;
            }
            case 0x11: reg = tp_uleb(&c); tp_set_reg(s, reg, tp_saved_at(tp_scaled(&c, tp_sleb(&c), cie->data_align))); break;  // offset_extended_sf
            case 0x12: reg = tp_uleb(&c);                                               // def_cfa_sf
                s->cfa_off = (int32_t)tp_scaled(&c, tp_sleb(&c), cie->data_align);
                s->rule = reg == TP_DW_RSP ? TP_CFA_RSP : reg == TP_DW_RBP ? TP_CFA_RBP : TP_CFA_NONE;
                break;
            case 0x13: s->cfa_off = (int32_t)tp_scaled(&c, tp_sleb(&c), cie->data_align); break;   // def_cfa_offset_sf
            case 0x14: reg = tp_uleb(&c); tp_uleb(&c); tp_set_reg(s, reg, TP_REG_UNKNOWN); break;  // val_offset
            case 0x15: reg = tp_uleb(&c); tp_sleb(&c); tp_set_reg(s, reg, TP_REG_UNKNOWN); break;  // val_offset_sf
            case 0x2e: tp_uleb(&c); break;                                              // GNU_args_size
            case 0x2f: reg = tp_uleb(&c); tp_set_reg(s, reg, tp_saved_at(-tp_uleb_scaled(&c, cie->data_align))); break;
            default: return 0;                                                          // unknown opcode
            }
        }
        if (advance && c.ok) {
            uint64_t bytes;
            uintptr_t to;
            if (__builtin_mul_overflow(delta, cie->code_align, &bytes) || __builtin_add_overflow(pr->loc, bytes, &to) || to > pr->end)
                to = pr->end;
            if (b && to > pr->loc) tp_emit(b, base, text_lo, text_hi, pr->loc, s, cie->signal, st);
            pr->loc = to;
        }
    }
    return c.ok;
}

// Appends the rows of one FDE (its program run after its CIE's initial instructions).
static int tp_fde_rows(const struct tp_cie *cie, uintptr_t pc_begin, uintptr_t pc_end, const uint8_t *insns,
                       const uint8_t *insns_end, struct tp_rowbuf *b, uintptr_t base, uintptr_t text_lo,
                       uintptr_t text_hi, struct tp_cfi_stats *st) {
    struct tp_program pr;
    memset(&pr, 0, sizeof pr);
    pr.cie = cie;
    pr.loc = pc_begin;
    pr.end = pc_end;
    pr.state = (struct tp_state){ TP_CFA_NONE, 0, 0, TP_REG_SAME, TP_REG_SAME, TP_REG_UNKNOWN, 0 };
    if (cie->ra_reg != TP_DW_RA) return 0;
    if (!tp_run(&pr, cie->insns, cie->insns_end, NULL, base, text_lo, text_hi, NULL)) return 0;
    pr.initial = pr.state;
    pr.depth = 0;
    size_t first = b->count;
    if (!tp_run(&pr, insns, insns_end, b, base, text_lo, text_hi, st)) {
        b->count = first;   // corrupt program: no rows at all for this function
        return 0;
    }
    if (pr.loc < pc_end) tp_emit(b, base, text_lo, text_hi, pr.loc, &pr.state, cie->signal, st);
    // The end of the function: no rule past it unless another FDE starts there.
    struct tp_state none = { TP_CFA_NONE, 0, 0, TP_REG_UNKNOWN, TP_REG_UNKNOWN, TP_REG_UNKNOWN, 0 };
    if (pc_end >= text_lo && pc_end < text_hi) {
        struct tp_cfi_row row = { (uint32_t)(pc_end - base), 0, TP_CFA_NONE, 0, none.rbp, none.r14, none.ra };
        tp_rows_push(b, row);
    }
    return 1;
}

// One FDE at `p` (its length field). `cie_cache` avoids re-parsing the CIE most FDEs share.
static void tp_fde(const uint8_t *p, const uint8_t *section_lo, const uint8_t *limit, struct tp_rowbuf *b,
                   uintptr_t base, uintptr_t text_lo, uintptr_t text_hi, struct tp_cfi_stats *st,
                   const uint8_t **cie_at, struct tp_cie *cie) {
    const uint8_t *body, *next;
    if (tp_entry(p, limit, &body, &next) != 1) { st->bad_fdes++; return; }
    struct tp_cursor c = { body, next, 1 };
    uint32_t cie_off = (uint32_t)tp_fixed(&c, 4);
    if (!c.ok) { st->bad_fdes++; return; }
    if (cie_off == 0) return;   // a CIE, not an FDE
    if ((uintptr_t)cie_off > (uintptr_t)(body - section_lo)) { st->bad_fdes++; return; }
    const uint8_t *cie_p = body - cie_off;
    if (cie_p != *cie_at) {
        if (!tp_parse_cie(cie_p, limit, cie)) { st->bad_fdes++; *cie_at = NULL; return; }
        *cie_at = cie_p;
    }
    uintptr_t pc_begin = tp_encoded(&c, cie->fde_enc, 0);
    uintptr_t range = tp_encoded(&c, cie->fde_enc & 0x0f, 0);
    if (cie->has_aug_data) {
        uint64_t n = tp_uleb(&c);
        if (!c.ok || n > (uint64_t)(c.end - c.p)) { st->bad_fdes++; return; }
        c.p += n;
    }
    if (!c.ok || range == 0 || pc_begin + range < pc_begin) { st->bad_fdes++; return; }
    if (pc_begin + range <= text_lo || pc_begin >= text_hi) return;   // not this module's code
    st->fdes++;
    if (!tp_fde_rows(cie, pc_begin, pc_begin + range, c.p, c.end, b, base, text_lo, text_hi, st)) st->bad_fdes++;
}

static int tp_row_cmp(const void *a, const void *b) {
    const struct tp_cfi_row *x = a, *y = b;
    if (x->pc != y->pc) return x->pc < y->pc ? -1 : 1;
    // At one pc a function's start wins over the previous function's end marker.
    return (x->cfa_rule != TP_CFA_NONE) - (y->cfa_rule != TP_CFA_NONE);
}

static int tp_row_same_rule(const struct tp_cfi_row *a, const struct tp_cfi_row *b) {
    return a->cfa_rule == b->cfa_rule && a->cfa_off == b->cfa_off && a->plt_k == b->plt_k && a->rbp_off == b->rbp_off &&
           a->r14_off == b->r14_off && a->ra_off == b->ra_off;
}

// Sorts, keeps one row per pc, merges runs of equal rules and adds the page index.
static struct tp_cfi_table *tp_finish(struct tp_rowbuf *b, uintptr_t base, uintptr_t end, struct tp_cfi_stats *st) {
    struct tp_cfi_table *tab = NULL;
    if (b->failed || b->count == 0 || end - base >= (1ull << 32)) goto out;
    // FDEs taken in the header's order come out sorted already; only a walk of the bare section
    // (or overlapping FDEs) needs the sort.
    for (size_t i = 1; i < b->count; i++) {
        if (tp_row_cmp(&b->rows[i - 1], &b->rows[i]) > 0) {
            qsort(b->rows, b->count, sizeof *b->rows, tp_row_cmp);
            break;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++) {
        // Equal pcs: the last (sorted: a real rule after an end marker) wins.
        if (n > 0 && b->rows[n - 1].pc == b->rows[i].pc) { b->rows[n - 1] = b->rows[i]; }
        else b->rows[n++] = b->rows[i];
        if (n > 1 && tp_row_same_rule(&b->rows[n - 2], &b->rows[n - 1])) n--;
    }
    uint32_t npages = (uint32_t)(((end - base) >> TP_CFI_PAGE_SHIFT) + 1);
    size_t bytes = sizeof *tab + (size_t)(npages + 1) * sizeof(uint32_t) + n * sizeof(struct tp_cfi_row);
    bytes = (bytes + 15) & ~(size_t)15;
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) goto out;
    tab = mem;
    struct tp_cfi_row *rows = (struct tp_cfi_row *)((uint8_t *)mem + sizeof *tab);
    uint32_t *pages = (uint32_t *)(rows + n);
    memcpy(rows, b->rows, n * sizeof *rows);
    // page_first[p]: the last row starting at or before the page's first byte.
    size_t r = 0;
    for (uint32_t p = 0; p <= npages; p++) {
        uint64_t page_start = (uint64_t)p << TP_CFI_PAGE_SHIFT;
        while (r + 1 < n && rows[r + 1].pc <= page_start) r++;
        pages[p] = (uint32_t)r;
    }
    tab->base = base;
    tab->end = end;
    tab->count = (uint32_t)n;
    tab->npages = npages;
    tab->page_first = pages;
    tab->rows = rows;
    tab->bytes = bytes;
    if (st) st->rows = (uint32_t)n;
out:
    if (b->rows) munmap(b->rows, b->cap * sizeof *b->rows);
    return tab;
}

struct tp_cfi_table *tp_cfi_build_from_eh_frame(const uint8_t *eh_frame, size_t len,
                                                uintptr_t text_lo, uintptr_t text_hi, struct tp_cfi_stats *stats) {
    struct tp_cfi_stats local;
    struct tp_cfi_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    struct tp_rowbuf b = { 0 };
    const uint8_t *limit = eh_frame + len, *p = eh_frame;
    const uint8_t *cie_at = NULL;
    struct tp_cie cie;
    while (p < limit) {
        const uint8_t *body, *next;
        int e = tp_entry(p, limit, &body, &next);
        if (e == 0) break;
        if (e < 0) { st->bad_fdes++; break; }
        tp_fde(p, eh_frame, limit, &b, text_lo, text_lo, text_hi, st, &cie_at, &cie);
        p = next;
    }
    return tp_finish(&b, text_lo, text_hi, st);
}

int tp_cfi_locate(const struct dl_phdr_info *info, struct tp_cfi_source *src) {
    const ElfW(Phdr) *hdr = NULL;
    src->text_lo = UINTPTR_MAX;
    src->text_hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_EH_FRAME) hdr = ph;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
            if (lo < src->text_lo) src->text_lo = lo;
            if (hi > src->text_hi) src->text_hi = hi;
        }
    }
    for (int i = 0; hdr && src->text_hi > src->text_lo && i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || hdr->p_vaddr < ph->p_vaddr || hdr->p_vaddr + hdr->p_memsz > ph->p_vaddr + ph->p_filesz) continue;
        src->hdr = (const uint8_t *)(info->dlpi_addr + hdr->p_vaddr);
        src->hdr_len = hdr->p_memsz;
        src->seg_lo = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        src->seg_hi = src->seg_lo + ph->p_filesz;
        return 1;
    }
    return 0;
}

struct tp_cfi_table *tp_cfi_build(const struct tp_cfi_source *src, struct tp_cfi_stats *stats) {
    return tp_cfi_build_from_hdr(src->hdr, src->hdr_len, src->seg_lo, src->seg_hi, src->text_lo, src->text_hi, stats);
}

uint64_t tp_cfi_hdr_fde_count(const uint8_t *hdr, size_t hdr_len) {
    struct tp_cursor c = { hdr, hdr + hdr_len, 1 };
    uint8_t version = tp_u8(&c), ptr_enc = tp_u8(&c), count_enc = tp_u8(&c);
    tp_u8(&c);
    if (!c.ok || version != 1 || count_enc == 0xff) return 0;
    tp_encoded(&c, ptr_enc, (uintptr_t)hdr);
    uint64_t count = tp_encoded(&c, count_enc, (uintptr_t)hdr);
    return c.ok ? count : 0;
}

struct tp_cfi_table *tp_cfi_build_from_hdr(const uint8_t *hdr, size_t hdr_len, const uint8_t *seg_lo, const uint8_t *limit,
                                           uintptr_t text_lo, uintptr_t text_hi, struct tp_cfi_stats *stats) {
    struct tp_cfi_stats local;
    struct tp_cfi_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    struct tp_cursor c = { hdr, hdr + hdr_len, 1 };
    uint8_t version = tp_u8(&c), ptr_enc = tp_u8(&c), count_enc = tp_u8(&c), table_enc = tp_u8(&c);
    if (!c.ok || version != 1) return NULL;
    const uint8_t *eh_frame = (const uint8_t *)tp_encoded(&c, ptr_enc, (uintptr_t)hdr);
    if (!c.ok || eh_frame < seg_lo || eh_frame >= limit) return NULL;
    // The binary-search table lists every FDE; without it (or with an encoding other than the
    // usual datarel sdata4 pairs) the section is walked from its start.
    uint64_t count = count_enc == 0xff ? 0 : tp_encoded(&c, count_enc, (uintptr_t)hdr);
    if (!c.ok || table_enc != 0x3b || count == 0 || count > (uint64_t)(c.end - c.p) / 8)
        return tp_cfi_build_from_eh_frame(eh_frame, (size_t)(limit - eh_frame), text_lo, text_hi, st);
    struct tp_rowbuf b = { 0 };
    const uint8_t *cie_at = NULL;
    struct tp_cie cie;
    for (uint64_t i = 0; i < count; i++) {
        struct tp_cursor e = { c.p + i * 8 + 4, c.p + i * 8 + 8, 1 };
        const uint8_t *fde = (const uint8_t *)(uintptr_t)((intptr_t)hdr + (int32_t)tp_fixed(&e, 4));
        if (fde < eh_frame || fde >= limit) { st->bad_fdes++; continue; }
        tp_fde(fde, eh_frame, limit, &b, text_lo, text_lo, text_hi, st, &cie_at, &cie);
    }
    return tp_finish(&b, text_lo, text_hi, st);
}
