// Feeds the agent's unwind-table builder (Sources/CTaskProfAgent/tp_cfi.c) hand-assembled
// .eh_frame sections, good and corrupt, and its stack walk (tp_unwind.c) hand-made stacks and
// register states over fake code, and checks what comes out. Built and run by AgentHarnessTests
// under AddressSanitizer and UndefinedBehaviorSanitizer; prints one line per failed check and
// exits 1 if any failed.
//
// The fake code is a 1 MiB range the table builder never reads (it only reads the CFI): it sits
// 256 MiB above the section buffer so that pc-relative sdata4 pointers reach it. tp_cfi_lookup
// searches the table under test and says "in code" for that range; tp_read_self reads only the
// fake stack array (it fails anywhere else, as process_vm_readv does for unmapped memory).
//
// Cases that may crash the builder (corrupt CFI) run in a forked child each, so that one crash
// (or sanitizer report) fails that case and the rest still run.
#include "../../Sources/CTaskProfAgent/tp_cfi.c"
#include "../../Sources/CTaskProfAgent/tp_unwind.c"
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

// ---- Harness -----------------------------------------------------------------------------------
static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

// ---- The section under construction ------------------------------------------------------------
static uint8_t sec[16384] __attribute__((aligned(16)));
static size_t sec_n;
static uintptr_t T;   // the fake text: [T, T + TEXT_SIZE)
#define TEXT_SIZE 0x100000u

static void put8(unsigned v) { sec[sec_n++] = (uint8_t)v; }
static void put32(uint32_t v) { memcpy(sec + sec_n, &v, 4); sec_n += 4; }
static void put64(uint64_t v) { memcpy(sec + sec_n, &v, 8); sec_n += 8; }
static void putbytes(const uint8_t *p, size_t n) { memcpy(sec + sec_n, p, n); sec_n += n; }
static void putuleb(uint64_t v) { do { uint8_t b = v & 0x7f; v >>= 7; put8(b | (v ? 0x80 : 0)); } while (v); }
static void patch_len(size_t at) { uint32_t len = (uint32_t)(sec_n - at - 4); memcpy(sec + at, &len, 4); }

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define NOINSNS NULL, 0

// DWARF call-frame opcodes used below.
#define ADV(d) (0x40 | (d))
#define OFFSET(r, n) (0x80 | (r)), (n)
#define RESTORE(r) (0xc0 | (r))
#define ADV1 0x02
#define ADV2 0x03
#define ADV4 0x04
#define SET_LOC 0x01
#define OFFSET_EXT 0x05
#define UNDEFINED 0x07
#define REMEMBER 0x0a
#define RESTORE_STATE 0x0b
#define DEF_CFA 0x0c
#define DEF_CFA_REG 0x0d
#define DEF_CFA_OFF 0x0e
#define DEF_CFA_EXPR 0x0f
#define EXPRESSION 0x10
#define OFFSET_EXT_SF 0x11
#define DEF_CFA_SF 0x12
#define RBP 6
#define RSP 7
#define R14 14
#define RA 16
// binutils' PLT CFA: breg7 8; breg16 0; lit15; and; lit11; ge; lit3; shl; plus
#define PLT_EXPR 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22

struct cie { size_t at; uint8_t enc; int z; };

// A CIE: code align 1, data align -8, RA register 16, `aug` (with 'R' the FDE encoding `enc`),
// then the initial instructions (NULL: def_cfa rsp+8, offset r16 at cfa-8).
static struct cie put_cie_v(const char *aug, uint8_t enc, int version, const uint8_t *init, size_t ninit) {
    struct cie c = { sec_n, enc, aug[0] == 'z' };
    put32(0);
    put32(0);                                  // CIE id
    put8((unsigned)version);
    putbytes((const uint8_t *)aug, strlen(aug) + 1);
    put8(1);                                   // code align
    put8(0x78);                                // data align -8 (sleb)
    put8(RA);
    if (c.z) {
        size_t n = 0;
        for (const char *a = aug + 1; *a; a++) n += *a == 'R';
        putuleb(n);
        for (const char *a = aug + 1; *a; a++) if (*a == 'R') put8(enc);
    }
    if (init) putbytes(init, ninit);
    else { put8(DEF_CFA); put8(RSP); put8(8); put8(0x80 | RA); put8(1); }
    while ((sec_n - c.at) % 8) put8(0);        // DW_CFA_nop padding, as assemblers emit
    patch_len(c.at);
    return c;
}
static struct cie put_cie(const char *aug, uint8_t enc) { return put_cie_v(aug, enc, 1, NULL, 0); }

static void put_ptr(uint8_t enc, uintptr_t v) {
    if ((enc & 0x0f) == 0x00) put64(v);
    else { int64_t rel = (int64_t)(v - (uintptr_t)(sec + sec_n)); put32((uint32_t)(int32_t)rel); }
}
static void put_range(uint8_t enc, uintptr_t v) { if ((enc & 0x0f) == 0x00) put64(v); else put32((uint32_t)v); }

static int pad_fdes = 1;   // DW_CFA_nop up to 8 bytes, as assemblers do; off for truncated programs

// An FDE for [begin, begin + range) with the given program. Returns where it starts.
static size_t put_fde(struct cie c, uintptr_t begin, uintptr_t range, const uint8_t *insns, size_t n) {
    size_t at = sec_n;
    put32(0);
    put32((uint32_t)(sec_n - c.at));           // CIE pointer: from this field back to the CIE
    put_ptr(c.enc, begin);
    put_range(c.enc, range);
    if (c.z) putuleb(0);
    if (insns) putbytes(insns, n);
    while (pad_fdes && (sec_n - at) % 8) put8(0);
    patch_len(at);
    return at;
}

// ---- Stubs for what tp_unwind.c uses from the rest of the agent --------------------------------
static const struct tp_cfi_table *cur_tab;
static uintptr_t stk[512] __attribute__((aligned(16)));
static int self_reads;

const struct tp_cfi_row *tp_cfi_lookup(uintptr_t pc, int *in_code) {
    *in_code = pc >= T && pc < T + TEXT_SIZE;
    return *in_code ? tp_cfi_find(cur_tab, pc) : NULL;
}

// The table in use is the epoch of the row memo: a new table empties it.
const void *tp_cfi_epoch(void) { return cur_tab; }

int tp_read_self(uintptr_t addr, void *out, size_t len) {
    uintptr_t lo = (uintptr_t)stk, hi = lo + sizeof stk;
    self_reads++;
    if (addr < lo || addr + len > hi || addr + len < addr) return 0;
    memcpy(out, (const void *)addr, len);
    return 1;
}

// ---- The fake program --------------------------------------------------------------------------
// Offsets from T.
#define MAIN    0x0000u   // the outermost frame (_start): return address undefined
#define FPF     0x1000u   // push rbp; mov rbp,rsp; body; pop rbp; ret; more body
#define CALLER  0x1100u   // the same program: the caller every case returns to
#define LEAF    0x2000u   // frameless leaf: CFA = rsp + 8 throughout
#define GPR     0x3000u   // -fomit-frame-pointer: push rbp; push r14; sub rsp,32; rbp and r14 as scratch
#define SPAN    0x4f00u   // a frame-pointer function across the page boundary at 0x5000
#define PLT     0x6000u   // PLT0 and three entries
#define ADJ_X   0x6100u   // two adjacent functions: X ends where Y starts
#define ADJ_Y   0x6180u
#define TRAMP   0x7000u   // the signal trampoline (its FDE starts one byte before it, as glibc's)
#define HANDLER 0x8000u   // a signal handler (frameless)
#define NOFDE   0x9000u   // code without CFI: [0x9000, 0xa000)
#define ABSF    0xa000u   // a frame-pointer function described through an absptr CIE
#define BIG     0x10000u  // one row over four pages

static const uint8_t fp_prog[] = {
    ADV(1), DEF_CFA_OFF, 16, OFFSET(RBP, 2),   // push rbp
    ADV(3), DEF_CFA_REG, RBP,                  // mov rbp, rsp
    ADV(0x3c), REMEMBER,                       // 0x40: pop rbp
    ADV(1), DEF_CFA, RSP, 8,                   // 0x41: ret
    ADV(1), RESTORE_STATE,                     // 0x42: the rest of the body
};
static const uint8_t gpr_prog[] = {
    ADV(1), DEF_CFA_OFF, 16, OFFSET(RBP, 2),   // push rbp
    ADV(2), DEF_CFA_OFF, 24, OFFSET(R14, 3),   // push r14
    ADV(4), DEF_CFA_OFF, 56,                   // sub rsp, 32
    ADV1, 0xe9, REMEMBER,                      // 0xf0: add rsp, 32
    ADV(4), DEF_CFA_OFF, 24,                   // 0xf4: pop r14
    ADV(2), DEF_CFA_OFF, 16,                   // 0xf6: pop rbp
    ADV(1), DEF_CFA_OFF, 8,                    // 0xf7: ret
    ADV(1), RESTORE_STATE,                     // 0xf8: more body
};
static const uint8_t span_prog[] = {
    ADV(1), DEF_CFA_OFF, 16, OFFSET(RBP, 2),
    ADV(3), DEF_CFA_REG, RBP,
    ADV2, 0xfc, 0x00, REMEMBER,                // to 0x5000, the page boundary
    DEF_CFA, RSP, 8,
    ADV(1), RESTORE_STATE,                     // 0x5001
};
static const uint8_t plt_prog[] = { DEF_CFA_OFF, 16, ADV(6), DEF_CFA_OFF, 24, ADV(10), DEF_CFA_EXPR, 11, PLT_EXPR };
// glibc's __restore_rt: CFA = *(rsp + 160), registers by expressions (ignored: the row is "signal")
static const uint8_t tramp_prog[] = { DEF_CFA_EXPR, 4, 0x77, 0xa0, 0x01, 0x06, EXPRESSION, RBP, 3, 0x77, 0xf8, 0x00 };

static struct tp_cfi_stats main_stats;

static void build_program(void) {
    sec_n = 0;
    struct cie c = put_cie("zR", 0x1b);
    struct cie cabs = put_cie("zR", 0x00);
    struct cie csig = put_cie("zRS", 0x1b);
    put_fde(c, T + MAIN, 0x100, BYTES(UNDEFINED, RA));
    put_fde(c, T + FPF, 0x80, fp_prog, sizeof fp_prog);
    put_fde(c, T + CALLER, 0x80, fp_prog, sizeof fp_prog);
    put_fde(c, T + LEAF, 0x20, NOINSNS);
    put_fde(c, T + GPR, 0x100, gpr_prog, sizeof gpr_prog);
    put_fde(c, T + SPAN, 0x200, span_prog, sizeof span_prog);
    put_fde(c, T + PLT, 0x40, plt_prog, sizeof plt_prog);
    put_fde(c, T + ADJ_Y, 0x80, BYTES(DEF_CFA_OFF, 16));   // out of order: the builder sorts
    put_fde(c, T + ADJ_X, 0x80, NOINSNS);
    put_fde(csig, T + TRAMP - 1, 0x10, tramp_prog, sizeof tramp_prog);
    put_fde(c, T + HANDLER, 0x40, NOINSNS);
    put_fde(cabs, T + ABSF, 0x80, fp_prog, sizeof fp_prog);
    put_fde(c, T + BIG, 0x4000, NOINSNS);
    put32(0);   // terminator
}

// ---- Direct checks of the table ----------------------------------------------------------------
static const struct tp_cfi_row *find(uintptr_t off) { return tp_cfi_find(cur_tab, T + off); }

static int row_is(const struct tp_cfi_row *r, int rule, int32_t off, int16_t rbp, int16_t r14) {
    return r && r->cfa_rule == rule && r->cfa_off == off && r->rbp_off == rbp && r->r14_off == r14 && r->ra_off == -8;
}

static const char *row_str(const struct tp_cfi_row *r) {
    static char buf[128];
    if (!r) return "NULL";
    snprintf(buf, sizeof buf, "{pc +%#x rule %d off %d k %d rbp %d r14 %d ra %d}", r->pc, r->cfa_rule, r->cfa_off, r->plt_k,
             r->rbp_off, r->r14_off, r->ra_off);
    return buf;
}

#define ROW(off, rule, cfa, rbp, r14) \
    CHECK(row_is(find(off), rule, cfa, rbp, r14), "row at +%#x: %s", (unsigned)(off), row_str(find(off)))
#define NOROW(off) CHECK(find(off) == NULL, "row at +%#x: %s, want none", (unsigned)(off), row_str(find(off)))

// The rows are sorted, the page index agrees with a linear search, at every row boundary and
// around every page boundary.
static const struct tp_cfi_row *linear_find(const struct tp_cfi_table *t, uintptr_t pc) {
    if (!t || pc < t->base || pc >= t->end) return NULL;
    uint32_t off = (uint32_t)(pc - t->base);
    const struct tp_cfi_row *best = NULL;
    for (uint32_t i = 0; i < t->count && t->rows[i].pc <= off; i++) best = &t->rows[i];
    return best && best->cfa_rule != TP_CFA_NONE ? best : NULL;
}

static int table_consistent(const struct tp_cfi_table *t, const char *what) {
    if (!t) return 1;
    int bad = 0;
    for (uint32_t i = 1; i < t->count; i++)
        if (t->rows[i - 1].pc >= t->rows[i].pc) { bad++; CHECK(0, "%s: rows %u and %u out of order", what, i - 1, i); break; }
    for (uint32_t i = 0; i < t->count; i++)
        if (t->rows[i].pc >= t->end - t->base) { bad++; CHECK(0, "%s: row %u past the end", what, i); break; }
    for (uint32_t i = 0; i < t->count && !bad; i++) {
        uintptr_t pcs[3] = { t->base + t->rows[i].pc, t->base + t->rows[i].pc - 1, t->base + t->rows[i].pc + 1 };
        for (int k = 0; k < 3; k++)
            if (tp_cfi_find(t, pcs[k]) != linear_find(t, pcs[k])) { bad++; CHECK(0, "%s: find(+%#lx) disagrees with a linear search", what, (unsigned long)(pcs[k] - t->base)); break; }
    }
    for (uintptr_t p = t->base; p < t->end && !bad; p += 1u << TP_CFI_PAGE_SHIFT) {
        uintptr_t pcs[3] = { p, p - 1, p + 1 };
        for (int k = 0; k < 3; k++)
            if (tp_cfi_find(t, pcs[k]) != linear_find(t, pcs[k])) { bad++; CHECK(0, "%s: find(+%#lx) disagrees with a linear search", what, (unsigned long)(pcs[k] - t->base)); break; }
    }
    return !bad;
}

static void test_table(void) {
    CHECK(cur_tab != NULL, "program: no table");
    if (!cur_tab) return;
    CHECK(main_stats.fdes == 13 && main_stats.bad_fdes == 0, "program: %u FDEs, %u bad", main_stats.fdes, main_stats.bad_fdes);
    table_consistent(cur_tab, "program");
    const struct tp_cfi_row *m = find(MAIN + 0x14);
    CHECK(m && m->cfa_rule == TP_CFA_END, "outermost row: %s", row_str(m));
    ROW(FPF, TP_CFA_RSP, 8, TP_REG_SAME, TP_REG_SAME);
    ROW(FPF + 1, TP_CFA_RSP, 16, -16, TP_REG_SAME);
    ROW(FPF + 3, TP_CFA_RSP, 16, -16, TP_REG_SAME);
    ROW(FPF + 4, TP_CFA_RBP, 16, -16, TP_REG_SAME);
    ROW(FPF + 0x40, TP_CFA_RBP, 16, -16, TP_REG_SAME);
    ROW(FPF + 0x41, TP_CFA_RSP, 8, -16, TP_REG_SAME);
    ROW(FPF + 0x42, TP_CFA_RBP, 16, -16, TP_REG_SAME);
    ROW(FPF + 0x7f, TP_CFA_RBP, 16, -16, TP_REG_SAME);
    NOROW(FPF + 0x80);                        // the function's end, a gap follows
    NOROW(FPF - 1);
    ROW(GPR + 3, TP_CFA_RSP, 24, -16, -24);
    ROW(GPR + 7, TP_CFA_RSP, 56, -16, -24);
    ROW(GPR + 0xef, TP_CFA_RSP, 56, -16, -24);
    ROW(GPR + 0xf4, TP_CFA_RSP, 24, -16, -24);
    ROW(GPR + 0xf7, TP_CFA_RSP, 8, -16, -24);
    ROW(GPR + 0xf8, TP_CFA_RSP, 56, -16, -24);
    // Across the page boundary at +0x5000.
    ROW(SPAN + 0x04, TP_CFA_RBP, 16, -16, TP_REG_SAME);
    ROW(0x4fff, TP_CFA_RBP, 16, -16, TP_REG_SAME);
    ROW(0x5000, TP_CFA_RSP, 8, -16, TP_REG_SAME);
    ROW(0x5001, TP_CFA_RBP, 16, -16, TP_REG_SAME);
    ROW(0x50ff, TP_CFA_RBP, 16, -16, TP_REG_SAME);
    NOROW(0x5100);
    NOROW(0x4eff);
    NOROW(0x4000);
    // Adjacent functions: the second one's first row at the first one's end.
    ROW(ADJ_X, TP_CFA_RSP, 8, TP_REG_SAME, TP_REG_SAME);
    ROW(ADJ_Y - 1, TP_CFA_RSP, 8, TP_REG_SAME, TP_REG_SAME);
    ROW(ADJ_Y, TP_CFA_RSP, 16, TP_REG_SAME, TP_REG_SAME);
    NOROW(ADJ_Y + 0x80);
    // PLT.
    ROW(PLT, TP_CFA_RSP, 16, TP_REG_SAME, TP_REG_SAME);
    ROW(PLT + 6, TP_CFA_RSP, 24, TP_REG_SAME, TP_REG_SAME);
    const struct tp_cfi_row *p = find(PLT + 0x1b);
    CHECK(p && p->cfa_rule == TP_CFA_PLT && p->cfa_off == 8 && p->plt_k == 11, "PLT row: %s", row_str(p));
    // The trampoline, from one byte before it.
    p = find(TRAMP - 1);
    CHECK(p && p->cfa_rule == TP_CFA_SIGNAL, "trampoline - 1: %s", row_str(p));
    p = find(TRAMP + 0xe);
    CHECK(p && p->cfa_rule == TP_CFA_SIGNAL, "trampoline + 14: %s", row_str(p));
    NOROW(TRAMP + 0xf);
    // Absolute pointers give the same rows.
    ROW(ABSF + 1, TP_CFA_RSP, 16, -16, TP_REG_SAME);
    ROW(ABSF + 0x41, TP_CFA_RSP, 8, -16, TP_REG_SAME);
    // One row over several pages, the pages in between have no row of their own.
    ROW(BIG, TP_CFA_RSP, 8, TP_REG_SAME, TP_REG_SAME);
    ROW(BIG + 0x2345, TP_CFA_RSP, 8, TP_REG_SAME, TP_REG_SAME);
    ROW(BIG + 0x3fff, TP_CFA_RSP, 8, TP_REG_SAME, TP_REG_SAME);
    NOROW(BIG + 0x4000);
    NOROW(NOFDE + 0x10);
    // Outside the table.
    CHECK(tp_cfi_find(cur_tab, T - 1) == NULL && tp_cfi_find(cur_tab, T + TEXT_SIZE) == NULL &&
          tp_cfi_find(cur_tab, T + TEXT_SIZE + 0x10000) == NULL && tp_cfi_find(cur_tab, 0) == NULL, "pcs outside the table");
    CHECK(tp_cfi_find(NULL, T) == NULL, "find in a NULL table");
}

// ---- Walks -------------------------------------------------------------------------------------
#define A(i) ((uintptr_t)&stk[i])
#define NOF ((uintptr_t)-1)   // "don't check this fps/r14s entry"

struct want {
    int n;
    uintptr_t frames[8], fps[8], r14s[8];
    int stop, clean;
    int cfi, fp, signal;   // -1: don't check
};

static void walk_check(const char *what, struct tp_stack_bounds b, struct tp_regs r, int cap, struct want w) {
    uint64_t frames[64];
    uintptr_t fps[64], r14s[64];
    struct tp_walk_stats st;
    memset(frames, 0xaa, sizeof frames);
    if (cap > 64) cap = 64;
    int n = tp_unwind(&b, r, frames, fps, r14s, cap, &st, NULL);
    int ok = n == w.n;
    // The same walk through the row memo, cold then warm, gives the same answer.
    static struct tp_unwind_cache cache;
    for (int pass = 0; pass < 2; pass++) {
        uint64_t cframes[64];
        uintptr_t cfps[64], cr14s[64];
        struct tp_walk_stats cst;
        int cn = tp_unwind(&b, r, cframes, cfps, cr14s, cap, &cst, &cache);
        if (cn != n || memcmp(cframes, frames, (size_t)n * sizeof frames[0]) != 0 || memcmp(cfps, fps, (size_t)n * sizeof fps[0]) != 0 ||
            memcmp(cr14s, r14s, (size_t)n * sizeof r14s[0]) != 0 || memcmp(&cst, &st, sizeof st) != 0) {
            failures++;
            printf("FAIL %s: the walk through the row memo (pass %d) differs: %d frames, want %d\n", what, pass, cn, n);
        }
    }
    for (int i = 0; ok && i < n && i < 8; i++) {
        if (w.frames[i] == 0) continue;   // not specified
        if (frames[i] != w.frames[i]) ok = 0;
        if (w.fps[i] != NOF && fps[i] != w.fps[i]) ok = 0;
        if (w.r14s[i] != NOF && r14s[i] != w.r14s[i]) ok = 0;
    }
    if (st.stop_reason != w.stop || st.end_clean != w.clean) ok = 0;
    if ((w.cfi >= 0 && st.cfi != w.cfi) || (w.fp >= 0 && st.fp != w.fp) || (w.signal >= 0 && st.signal != w.signal)) ok = 0;
    if (ok) return;
    failures++;
    printf("FAIL %s: %d frames (want %d), stop %d clean %d (want %d %d), cfi %d fp %d signal %d\n", what, n, w.n,
           st.stop_reason, st.end_clean, w.stop, w.clean, st.cfi, st.fp, st.signal);
    for (int i = 0; i < n && i < 10; i++)
        printf("    [%d] pc %s+%#lx fp %#lx r14 %#lx | want %s+%#lx fp %#lx r14 %#lx\n", i, frames[i] >= T ? "T" : "",
               (unsigned long)(frames[i] >= T ? frames[i] - T : frames[i]), (unsigned long)fps[i], (unsigned long)r14s[i],
               i < 8 && w.frames[i] >= T ? "T" : "", i < 8 ? (unsigned long)(w.frames[i] >= T ? w.frames[i] - T : w.frames[i]) : 0,
               i < 8 ? (unsigned long)w.fps[i] : 0, i < 8 ? (unsigned long)w.r14s[i] : 0);
}

static struct tp_stack_bounds bounds(void) { return (struct tp_stack_bounds){ A(0), A(512) }; }
static struct tp_regs regs(uintptr_t pc, uintptr_t sp, uintptr_t fp, uintptr_t r14) {
    return (struct tp_regs){ pc, sp, fp, r14, 1, 1, 1 };
}

// The frames every case returns through: CALLER (in its body, frame pointer at stk[200]) called
// from MAIN, the outermost frame. Returns CALLER's frame pointer.
#define CFP A(200)
#define R14V 0x14141414u
static void tail(void) {
    memset(stk, 0, sizeof stk);
    stk[200] = 0;                 // MAIN's rbp (cleared by _start)
    stk[201] = T + MAIN + 0x15;   // return into MAIN
}
#define TAIL_FRAMES T + CALLER + 0x25, T + MAIN + 0x15

static void test_walks(void) {
    struct tp_stack_bounds b = bounds();

    // Prologue: at the first instruction, the return address is at rsp; rbp is still the caller's.
    tail();
    stk[190] = T + CALLER + 0x25;
    walk_check("first instruction", b, regs(T + FPF, A(190), CFP, R14V), 64,
               (struct want){ 3, { T + FPF, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    // After push rbp: CFA = rsp + 16, the caller's rbp in its slot (the register is scrambled here
    // to show it comes from the slot).
    stk[189] = CFP;
    walk_check("after push rbp", b, regs(T + FPF + 1, A(189), 0x5a5a5a5a, R14V), 64,
               (struct want){ 3, { T + FPF + 1, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    // Body: CFA = rbp + 16.
    walk_check("body", b, regs(T + FPF + 0x10, A(180), A(189), R14V), 64,
               (struct want){ 3, { T + FPF + 0x10, TAIL_FRAMES }, { A(189), CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    // Just before pop rbp, then after it (at ret: CFA = rsp + 8), then the body after the ret.
    walk_check("before pop rbp", b, regs(T + FPF + 0x40, A(189), A(189), R14V), 64,
               (struct want){ 3, { T + FPF + 0x40, TAIL_FRAMES }, { A(189), CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    walk_check("after pop rbp", b, regs(T + FPF + 0x41, A(190), CFP, R14V), 64,
               (struct want){ 3, { T + FPF + 0x41, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    walk_check("body after restore_state", b, regs(T + FPF + 0x42, A(180), A(189), R14V), 64,
               (struct want){ 3, { T + FPF + 0x42, TAIL_FRAMES }, { A(189), CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    // The same function through the absptr CIE.
    walk_check("absptr CIE, after pop rbp", b, regs(T + ABSF + 0x41, A(190), CFP, R14V), 64,
               (struct want){ 3, { T + ABSF + 0x41, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });

    // Frameless leaf: rbp is the caller's frame pointer, and that frame's, not the leaf's.
    walk_check("frameless leaf", b, regs(T + LEAF + 5, A(190), CFP, R14V), 64,
               (struct want){ 3, { T + LEAF + 5, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    // ... with the pc looked up exactly: a leaf interrupted at its first byte, where pc - 1 is a gap.
    walk_check("leaf at its first byte", b, regs(T + LEAF, A(190), CFP, R14V), 64,
               (struct want){ 3, { T + LEAF, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });

    // rbp (and r14) as general registers: GPR saved them; the registers hold garbage that looks
    // like a frame (a frame pointer into the stack whose slots lead elsewhere).
    tail();
    stk[190] = T + CALLER + 0x25;     // GPR's return address (its CFA is A(191))
    stk[189] = CFP;                   // pushed rbp (CFA - 16)
    stk[188] = R14V;                  // pushed r14 (CFA - 24)
    stk[100] = A(300); stk[101] = T + MAIN + 0x15;   // the decoy frame rbp points at
    walk_check("rbp as a general register", b, regs(T + GPR + 0x10, A(184), A(100), 0x77), 64,
               (struct want){ 3, { T + GPR + 0x10, TAIL_FRAMES }, { 0, CFP, 0 }, { 0x77, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    // A leaf called from GPR: r14 comes back from GPR's save slot two frames up.
    stk[183] = T + GPR + 0x35;
    walk_check("r14 recovered from a callee's slot", b, regs(T + LEAF + 3, A(183), A(100), 0x88), 64,
               (struct want){ 4, { T + LEAF + 3, T + GPR + 0x35, TAIL_FRAMES }, { 0, 0, CFP, 0 }, { 0x88, 0x88, R14V, R14V }, TP_STOP_END, 1, 3, 0, 0 });
    // GPR's epilogue: after pop r14 (r14 is the caller's again, its slot still holds it).
    walk_check("GPR after pop r14", b, regs(T + GPR + 0xf6, A(189), A(100), R14V), 64,
               (struct want){ 3, { T + GPR + 0xf6, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    walk_check("GPR at ret", b, regs(T + GPR + 0xf7, A(190), CFP, R14V), 64,
               (struct want){ 3, { T + GPR + 0xf7, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });

    // A signal frame: HANDLER (frameless) returns into the trampoline, whose rsp is the ucontext;
    // the walk goes on at the interrupted pc, looked up as is: FPF's first byte (pc - 1 is a gap).
    // The trampoline and the interrupted pc are recorded one byte in (readers look up pc - 1).
    tail();
    stk[190] = T + CALLER + 0x25;                   // the interrupted frame's return address
    stk[100] = T + TRAMP;                           // HANDLER's return address
    uintptr_t *g = &stk[101 + 5];                   // gregs: 40 bytes into the ucontext at A(101)
    g[6] = R14V; g[10] = CFP; g[15] = A(190); g[16] = T + FPF;
    walk_check("signal frame", b, regs(T + HANDLER + 3, A(100), 0x1234, 0x99), 64,
               (struct want){ 5, { T + HANDLER + 3, T + TRAMP + 1, T + FPF + 1, TAIL_FRAMES }, { 0, 0, 0, CFP, 0 }, { 0x99, 0x99, R14V, R14V, R14V },
                              TP_STOP_END, 1, 3, 0, 1 });
    // Interrupted in a leaf at its first byte, on the signal path.
    g[16] = T + LEAF;
    walk_check("signal frame, leaf first byte", b, regs(T + HANDLER + 3, A(100), 0x1234, 0x99), 64,
               (struct want){ 5, { T + HANDLER + 3, T + TRAMP + 1, T + LEAF + 1, TAIL_FRAMES }, { 0, 0, 0, CFP, 0 }, { 0x99, 0x99, R14V, R14V, R14V },
                              TP_STOP_END, 1, 3, 0, 1 });
    // The handler on a signal stack outside the thread's bounds: the reads go through tp_read_self.
    self_reads = 0;
    walk_check("signal frame on an alternate stack", (struct tp_stack_bounds){ A(150), A(512) },
               regs(T + HANDLER + 3, A(100), 0x1234, 0x99), 64,
               (struct want){ 5, { T + HANDLER + 3, T + TRAMP + 1, T + LEAF + 1, TAIL_FRAMES }, { 0, 0, 0, CFP, 0 }, { 0x99, 0x99, R14V, R14V, R14V },
                              TP_STOP_END, 1, 3, 0, 1 });
    CHECK(self_reads >= 5, "alternate stack: %d reads through tp_read_self", self_reads);
    // A ucontext whose pc is 0: the end.
    g[16] = 0;
    walk_check("signal frame with pc 0", b, regs(T + HANDLER + 3, A(100), 0x1234, 0x99), 64,
               (struct want){ 2, { T + HANDLER + 3, T + TRAMP + 1 }, { 0, 0 }, { 0x99, 0x99 }, TP_STOP_END, 1, 1, 0, 1 });
    // An unreadable ucontext (past the stack's top).
    stk[510] = T + TRAMP;
    walk_check("signal frame unreadable", b, regs(T + HANDLER + 3, A(510), 0x1234, 0x99), 64,
               (struct want){ 2, { T + HANDLER + 3, T + TRAMP + 1 }, { 0, NOF }, { 0x99, 0x99 }, TP_STOP_BAD_READ, 0, 1, 0, 0 });

    // PLT: CFA = rsp + 8 before the push (pc & 15 < 11), rsp + 16 from it on; PLT0: 16, then 24.
    tail();
    stk[190] = T + CALLER + 0x25;
    stk[189] = 3;                 // the relocation index pushed
    stk[188] = 0x600000;          // GOT + 8 pushed by PLT0
    int plt_pcs[] = { 0x10, 0x16, 0x1a, 0x20, 0x2a };
    for (size_t i = 0; i < sizeof plt_pcs / sizeof plt_pcs[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "PLT entry +%#x, before the push", plt_pcs[i]);
        walk_check(what, b, regs(T + PLT + (unsigned)plt_pcs[i], A(190), CFP, R14V), 64,
                   (struct want){ 3, { T + PLT + (unsigned)plt_pcs[i], TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    }
    int plt_pushed[] = { 0x1b, 0x1f, 0x2b, 0x3f };
    for (size_t i = 0; i < sizeof plt_pushed / sizeof plt_pushed[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "PLT entry +%#x, after the push", plt_pushed[i]);
        walk_check(what, b, regs(T + PLT + (unsigned)plt_pushed[i], A(189), CFP, R14V), 64,
                   (struct want){ 3, { T + PLT + (unsigned)plt_pushed[i], TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    }
    walk_check("PLT0 first push", b, regs(T + PLT + 0, A(189), CFP, R14V), 64,
               (struct want){ 3, { T + PLT, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    walk_check("PLT0 jmp", b, regs(T + PLT + 6, A(188), CFP, R14V), 64,
               (struct want){ 3, { T + PLT + 6, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });

    // Frame-pointer fallback in code without CFI.
    tail();
    stk[180] = CFP; stk[181] = T + CALLER + 0x25;   // NOFDE's frame record at A(180)
    walk_check("no CFI: frame pointer", b, regs(T + NOFDE + 0x10, A(170), A(180), R14V), 64,
               (struct want){ 3, { T + NOFDE + 0x10, TAIL_FRAMES }, { A(180), CFP, 0 }, { R14V, 0, 0 }, TP_STOP_END, 1, 1, 1, 0 });
    walk_check("no CFI: fp == sp", b, regs(T + NOFDE + 0x10, A(180), A(180), R14V), 64,
               (struct want){ 3, { T + NOFDE + 0x10, TAIL_FRAMES }, { A(180), CFP, 0 }, { R14V, 0, 0 }, TP_STOP_END, 1, 1, 1, 0 });
    // A chain of two fallback frames, then CFI again.
    stk[170] = A(180); stk[171] = T + NOFDE + 0x200;
    walk_check("no CFI: two frames", b, regs(T + NOFDE + 0x10, A(160), A(170), R14V), 64,
               (struct want){ 4, { T + NOFDE + 0x10, T + NOFDE + 0x200, TAIL_FRAMES }, { A(170), A(180), CFP, 0 }, { R14V, 0, 0, 0 },
                              TP_STOP_END, 1, 1, 2, 0 });
    walk_check("no CFI: rbp below sp", b, regs(T + NOFDE + 0x10, A(181), A(180), R14V), 64,
               (struct want){ 1, { T + NOFDE + 0x10 }, { A(180) }, { R14V }, TP_STOP_NO_RULE, 0, 0, 0, 0 });
    walk_check("no CFI: misaligned rbp", b, regs(T + NOFDE + 0x10, A(170), A(180) + 4, R14V), 64,
               (struct want){ 1, { T + NOFDE + 0x10 }, { A(180) + 4 }, { R14V }, TP_STOP_NO_RULE, 0, 0, 0, 0 });
    walk_check("no CFI: rbp at the stack's top", b, regs(T + NOFDE + 0x10, A(170), A(511), R14V), 64,
               (struct want){ 1, { T + NOFDE + 0x10 }, { A(511) }, { R14V }, TP_STOP_NO_RULE, 0, 0, 0, 0 });
    walk_check("no CFI: rbp above the stack", b, regs(T + NOFDE + 0x10, A(170), A(512) + 0x100, R14V), 64,
               (struct want){ 1, { T + NOFDE + 0x10 }, { A(512) + 0x100 }, { R14V }, TP_STOP_NO_RULE, 0, 0, 0, 0 });
    walk_check("no CFI: rbp below the stack", (struct tp_stack_bounds){ A(200), A(512) }, regs(T + NOFDE + 0x10, A(170), A(180), R14V), 64,
               (struct want){ 1, { T + NOFDE + 0x10 }, { A(180) }, { R14V }, TP_STOP_NO_RULE, 0, 0, 0, 0 });
    walk_check("no CFI: rbp unknown", b, (struct tp_regs){ T + NOFDE + 0x10, A(170), A(180), R14V, 0, 1, 1 }, 64,
               (struct want){ 1, { T + NOFDE + 0x10 }, { 0 }, { R14V }, TP_STOP_NO_RULE, 0, 0, 0, 0 });
    walk_check("no CFI: rbp 0 (the thread's first frame)", b, regs(T + NOFDE + 0x10, A(170), 0, R14V), 64,
               (struct want){ 1, { T + NOFDE + 0x10 }, { 0 }, { R14V }, TP_STOP_END, 1, 0, 0, 0 });
    // Unknown bounds: the reads go through tp_read_self, and fail off the (fake) mapped memory.
    walk_check("no CFI, no bounds, unreadable rbp", (struct tp_stack_bounds){ 0, 0 }, regs(T + NOFDE + 0x10, 0x1000, 0x100000, R14V), 64,
               (struct want){ 1, { T + NOFDE + 0x10 }, { 0x100000 }, { R14V }, TP_STOP_BAD_READ, 0, 0, 0, 0 });
    walk_check("no CFI, no bounds", (struct tp_stack_bounds){ 0, 0 }, regs(T + NOFDE + 0x10, A(170), A(180), R14V), 64,
               (struct want){ 3, { T + NOFDE + 0x10, TAIL_FRAMES }, { A(180), CFP, 0 }, { R14V, 0, 0 }, TP_STOP_END, 1, 1, 1, 0 });
    // A frame record pointing at itself: the next frame's rbp lies below its sp.
    stk[180] = A(180);
    walk_check("no CFI: self-loop", b, regs(T + NOFDE + 0x10, A(170), A(180), R14V), 64,
               (struct want){ 2, { T + NOFDE + 0x10, T + CALLER + 0x25 }, { A(180), A(180) }, { R14V, 0 }, TP_STOP_BAD_FRAME, 0, 0, 1, 0 });

    // Hostile registers and stacks.
    tail();
    stk[190] = T + CALLER + 0x25;
    walk_check("garbage rsp", b, regs(T + LEAF + 5, 0x10, CFP, R14V), 64,
               (struct want){ 1, { T + LEAF + 5 }, { 0 }, { R14V }, TP_STOP_BAD_READ, 0, 0, 0, 0 });
    walk_check("garbage rsp, high", b, regs(T + LEAF + 5, UINTPTR_MAX - 4, CFP, R14V), 64,
               (struct want){ 1, { T + LEAF + 5 }, { 0 }, { R14V }, TP_STOP_BAD_FRAME, 0, 0, 0, 0 });
    walk_check("garbage rbp, rbp rule: CFA below sp", b, regs(T + FPF + 0x10, A(180), 0x8, R14V), 64,
               (struct want){ 1, { T + FPF + 0x10 }, { 0x8 }, { R14V }, TP_STOP_BAD_FRAME, 0, 0, 0, 0 });
    walk_check("rbp rule: CFA at sp", b, regs(T + FPF + 0x10, A(180), A(178), R14V), 64,
               (struct want){ 1, { T + FPF + 0x10 }, { A(178) }, { R14V }, TP_STOP_BAD_FRAME, 0, 0, 0, 0 });
    walk_check("garbage rbp, rbp rule: unreadable", b, regs(T + FPF + 0x10, A(180), A(180) + 0x100000, R14V), 64,
               (struct want){ 1, { T + FPF + 0x10 }, { A(180) + 0x100000 }, { R14V }, TP_STOP_BAD_READ, 0, 0, 0, 0 });
    walk_check("garbage rbp, rbp rule: far above sp", b, regs(T + FPF + 0x10, A(180), A(180) + (1u << 25), R14V), 64,
               (struct want){ 1, { T + FPF + 0x10 }, { A(180) + (1u << 25) }, { R14V }, TP_STOP_BAD_FRAME, 0, 0, 0, 0 });
    walk_check("rbp rule, rbp unknown", b, (struct tp_regs){ T + FPF + 0x10, A(180), A(189), R14V, 0, 1, 1 }, 64,
               (struct want){ 1, { T + FPF + 0x10 }, { 0 }, { R14V }, TP_STOP_NO_RULE, 0, 0, 0, 0 });
    stk[190] = 0x5000;   // not code
    walk_check("return address outside code", b, regs(T + LEAF + 5, A(190), CFP, R14V), 64,
               (struct want){ 1, { T + LEAF + 5 }, { 0 }, { R14V }, TP_STOP_BAD_FRAME, 0, 1, 0, 0 });
    stk[190] = 0;
    walk_check("return address 0", b, regs(T + LEAF + 5, A(190), CFP, R14V), 64,
               (struct want){ 1, { T + LEAF + 5 }, { 0 }, { R14V }, TP_STOP_END, 1, 1, 0, 0 });
    stk[190] = T + CALLER + 0x25;
    // A signal frame whose ucontext leads back to the handler: a cycle, bounded by the buffer.
    stk[100] = T + TRAMP;
    g[6] = R14V; g[10] = CFP; g[15] = A(100); g[16] = T + HANDLER + 3;
    walk_check("cycle through a signal frame", b, regs(T + HANDLER + 3, A(100), 0x1234, 0x99), 40,
               (struct want){ 40, { T + HANDLER + 3, T + TRAMP + 1, T + HANDLER + 4, T + TRAMP + 1 }, { 0, 0, NOF, 0 }, { NOF, NOF, NOF, NOF },
                              TP_STOP_FULL, 0, -1, 0, 20 });
    // A full buffer, and a buffer of 0 frames.
    walk_check("cap 2", b, regs(T + LEAF + 5, A(190), CFP, R14V), 2,
               (struct want){ 2, { T + LEAF + 5, T + CALLER + 0x25 }, { 0, CFP }, { R14V, R14V }, TP_STOP_FULL, 0, 2, 0, 0 });
    walk_check("cap 3: exactly enough", b, regs(T + LEAF + 5, A(190), CFP, R14V), 3,
               (struct want){ 3, { T + LEAF + 5, TAIL_FRAMES }, { 0, CFP, 0 }, { R14V, R14V, R14V }, TP_STOP_END, 1, 2, 0, 0 });
    walk_check("cap 0", b, regs(T + LEAF + 5, A(190), CFP, R14V), 0,
               (struct want){ 0, { 0 }, { 0 }, { 0 }, TP_STOP_FULL, 0, 0, 0, 0 });
    // A deep recursion of frame-pointer frames (CALLER calling itself), cut by the buffer.
    memset(stk, 0, sizeof stk);
    for (int i = 0; i < 30; i++) {
        int at = 400 - 8 * i;
        stk[at] = i == 0 ? 0 : A(at + 8);
        stk[at + 1] = i == 0 ? T + MAIN + 0x15 : T + CALLER + 0x25;
    }
    walk_check("recursion, cap 16", b, regs(T + CALLER + 0x30, A(160), A(400 - 8 * 29), R14V), 16,
               (struct want){ 16, { T + CALLER + 0x30, T + CALLER + 0x25, T + CALLER + 0x25 }, { A(168), A(176), A(184) }, { R14V, R14V, R14V },
                              TP_STOP_FULL, 0, 16, 0, 0 });
    walk_check("recursion, all", b, regs(T + CALLER + 0x30, A(160), A(400 - 8 * 29), R14V), 64,
               (struct want){ 31, { T + CALLER + 0x30, T + CALLER + 0x25 }, { A(168), A(176) }, { R14V, R14V }, TP_STOP_END, 1, 30, 0, 0 });
    // The first frame outside known code (JIT): recorded, then no rule (rbp leads into code).
    tail();
    stk[180] = CFP; stk[181] = T + CALLER + 0x25;
    walk_check("first pc outside code", b, regs(0x5000, A(170), A(180), R14V), 64,
               (struct want){ 3, { 0x5000, TAIL_FRAMES }, { A(180), CFP, 0 }, { R14V, 0, 0 }, TP_STOP_END, 1, 1, 1, 0 });
}

// ---- Corrupt CFI -------------------------------------------------------------------------------
// Each case: a good FDE (A, at +0x20000), the corrupt one (B, at +0x21000), a good one after it
// (C, at +0x22000), in a section copied into a buffer of exactly its size.
#define FA 0x20000u
#define FB 0x21000u
#define FC 0x22000u

static struct tp_cfi_table *build_exact(struct tp_cfi_stats *st) {
    uint8_t *copy = malloc(sec_n ? sec_n : 1);
    memcpy(copy, sec, sec_n);
    // The pointers are pc-relative: rebuilt in place over the copy would move them; the cases
    // below use absolute pointers, so the copy describes the same code.
    struct tp_cfi_table *t = tp_cfi_build_from_eh_frame(copy, sec_n, T, T + TEXT_SIZE, st);
    free(copy);
    return t;
}

static const uint8_t a_prog[] = { ADV(1), DEF_CFA_OFF, 16, OFFSET(RBP, 2), ADV(3), DEF_CFA_REG, RBP };

struct corrupt { const char *what; int c_kept; };

static void check_abc(const char *what, const struct tp_cfi_table *t, const struct tp_cfi_stats *st, int c_kept, int want_bad) {
    const struct tp_cfi_table *saved = cur_tab;
    cur_tab = t;
    CHECK(t != NULL, "%s: no table", what);
    if (t) {
        table_consistent(t, what);
        CHECK(row_is(find(FA + 1), TP_CFA_RSP, 16, -16, TP_REG_SAME) && row_is(find(FA + 8), TP_CFA_RBP, 16, -16, TP_REG_SAME),
              "%s: A's rows %s", what, row_str(find(FA + 8)));
        CHECK(find(FB) == NULL && find(FB + 8) == NULL, "%s: B has a row %s", what, row_str(find(FB + 8)));
        if (c_kept) CHECK(row_is(find(FC + 8), TP_CFA_RBP, 16, -16, TP_REG_SAME), "%s: C's rows %s", what, row_str(find(FC + 8)));
    }
    CHECK(!want_bad || st->bad_fdes >= 1, "%s: bad_fdes %u", what, st->bad_fdes);
    cur_tab = saved;
}

// B's instructions are `b_prog`; everything else is good.
static void case_program(const char *what, const uint8_t *b_prog, size_t n) {
    sec_n = 0;
    struct cie c = put_cie("zR", 0x00);
    put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
    pad_fdes = 0;
    put_fde(c, T + FB, 0x40, b_prog, n);
    pad_fdes = 1;
    put_fde(c, T + FC, 0x40, a_prog, sizeof a_prog);
    put32(0);
    struct tp_cfi_stats st;
    struct tp_cfi_table *t = build_exact(&st);
    check_abc(what, t, &st, 1, 1);
}

static void case_signed_overflow(void) {
    // DW_CFA_offset r6 with a huge factored offset: uleb * data_align overflows int64_t.
    case_program("offset with a huge operand", BYTES(OFFSET(RBP, 0xff), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, UNDEFINED, 0x7f));
}
static void case_signed_overflow_sleb(void) {
    // DW_CFA_def_cfa_sf rsp with the most negative 64-bit sleb: the sign extension shifts 1 by 63.
    case_program("def_cfa_sf with a 64-bit sleb", BYTES(DEF_CFA_SF, RSP, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, UNDEFINED, 0x7f));
}

static void case_bad_opcodes(void) {
    case_program("unknown opcode", BYTES(ADV(1), 0x3f, DEF_CFA_OFF, 16));
    case_program("restore_state without remember", BYTES(ADV(1), RESTORE_STATE));
    case_program("remember stack 9 deep", BYTES(REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER));
    case_program("uleb running off the program", BYTES(ADV(1), DEF_CFA_OFF, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80));
    case_program("uleb longer than 64 bits", BYTES(DEF_CFA_OFF, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
    case_program("def_cfa_expression longer than the program", BYTES(ADV(1), DEF_CFA_EXPR, 0x7f, 0x77));
    case_program("expression longer than the program", BYTES(ADV(1), EXPRESSION, RBP, 0x7f, 0x77));
    case_program("advance_loc4 cut short", BYTES(ADV(1), ADV4, 0x10));
    case_program("set_loc backwards", BYTES(ADV(2), SET_LOC, 0, 0, 0, 0, 0, 0, 0, 0));
    // remember 8 deep and back is fine.
    sec_n = 0;
    struct cie c = put_cie("zR", 0x00);
    put_fde(c, T + FA, 0x40, BYTES(REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER, REMEMBER, ADV(1), DEF_CFA_OFF, 16, ADV(1),
                                   RESTORE_STATE, RESTORE_STATE, RESTORE_STATE, RESTORE_STATE, RESTORE_STATE, RESTORE_STATE, RESTORE_STATE, RESTORE_STATE, ADV(1)));
    put32(0);
    struct tp_cfi_stats st;
    struct tp_cfi_table *t = build_exact(&st);
    cur_tab = t;
    CHECK(t && row_is(find(FA + 1), TP_CFA_RSP, 16, TP_REG_SAME, TP_REG_SAME) && row_is(find(FA + 2), TP_CFA_RSP, 8, TP_REG_SAME, TP_REG_SAME) &&
          st.bad_fdes == 0, "remember 8 deep: %s", row_str(find(FA + 2)));
    // An advance past the FDE's end is clamped to it.
    sec_n = 0;
    c = put_cie("zR", 0x00);
    put_fde(c, T + FA, 0x40, BYTES(ADV(1), DEF_CFA_OFF, 16, ADV4, 0xff, 0xff, 0xff, 0x7f, DEF_CFA_OFF, 32, ADV(1)));
    put_fde(c, T + FA + 0x40, 0x40, BYTES(DEF_CFA_OFF, 24));
    put32(0);
    t = build_exact(&st);
    cur_tab = t;
    CHECK(t && row_is(find(FA + 0x3f), TP_CFA_RSP, 16, TP_REG_SAME, TP_REG_SAME) && row_is(find(FA + 0x40), TP_CFA_RSP, 24, TP_REG_SAME, TP_REG_SAME),
          "advance past the end: %s", row_str(find(FA + 0x40)));
}

static void case_entries(void) {
    struct tp_cfi_stats st;
    struct tp_cfi_table *t;
    // A section cut in the middle of B's length field, and in the middle of B.
    for (int cut = 0; cut < 2; cut++) {
        sec_n = 0;
        struct cie c = put_cie("zR", 0x00);
        put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
        size_t b_at = put_fde(c, T + FB, 0x40, a_prog, sizeof a_prog);
        sec_n = cut ? b_at + 2 : b_at + 12;
        t = build_exact(&st);
        check_abc(cut ? "section ends in a length field" : "section ends inside an FDE", t, &st, 0, 1);
    }
    // B's length goes past the end of the section.
    sec_n = 0;
    struct cie c = put_cie("zR", 0x00);
    put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
    size_t b_at = put_fde(c, T + FB, 0x40, a_prog, sizeof a_prog);
    uint32_t len = 0x10000;
    memcpy(sec + b_at, &len, 4);
    put_fde(c, T + FC, 0x40, a_prog, sizeof a_prog);
    put32(0);
    t = build_exact(&st);
    check_abc("length past the end", t, &st, 0, 1);
    // A 64-bit length past the end.
    sec_n = 0;
    c = put_cie("zR", 0x00);
    put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
    put32(0xffffffffu); put64(0x7fffffffffffffffull); put32(0);
    t = build_exact(&st);
    check_abc("64-bit length past the end", t, &st, 0, 1);
    // Bad CIE pointers: before the section; to an FDE (not a CIE); to a CIE cut short; 0 in
    // the middle of an entry is a CIE (with garbage): all drop only B.
    for (int k = 0; k < 3; k++) {
        sec_n = 0;
        c = put_cie("zR", 0x00);
        size_t a_at = put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
        b_at = put_fde(c, T + FB, 0x40, a_prog, sizeof a_prog);
        uint32_t ptr = k == 0 ? (uint32_t)(b_at + 4 + 0x100) : k == 1 ? (uint32_t)(b_at + 4 - a_at) : (uint32_t)(b_at + 4 - (a_at + 4));
        memcpy(sec + b_at + 4, &ptr, 4);
        put_fde(c, T + FC, 0x40, a_prog, sizeof a_prog);
        put32(0);
        t = build_exact(&st);
        const char *what[] = { "CIE pointer before the section", "CIE pointer to an FDE", "CIE pointer inside an FDE" };
        check_abc(what[k], t, &st, 1, 1);
    }
    // Range 0, and a range that wraps.
    sec_n = 0;
    c = put_cie("zR", 0x00);
    put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
    put_fde(c, T + FB, 0, a_prog, sizeof a_prog);
    put_fde(c, T + FB, UINTPTR_MAX - 0x10, a_prog, sizeof a_prog);
    put_fde(c, T + FC, 0x40, a_prog, sizeof a_prog);
    put32(0);
    t = build_exact(&st);
    check_abc("range 0, wrapping range", t, &st, 1, 1);
    // FDE augmentation data longer than the FDE.
    sec_n = 0;
    c = put_cie("zR", 0x00);
    put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
    b_at = put_fde(c, T + FB, 0x40, a_prog, sizeof a_prog);
    sec[b_at + 4 + 4 + 16] = 0x7f;
    put_fde(c, T + FC, 0x40, a_prog, sizeof a_prog);
    put32(0);
    t = build_exact(&st);
    check_abc("FDE augmentation data too long", t, &st, 1, 1);
}

// B through a second CIE that is bad; A and C through a good one.
static void case_cie(const char *what, const char *aug, int version, const uint8_t *init, size_t ninit, int mangle) {
    sec_n = 0;
    struct cie c = put_cie("zR", 0x00);
    put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
    struct cie bad = put_cie_v(aug, 0x00, version, init, ninit);
    if (mangle == 1) {   // augmentation string without its NUL: the CIE's body ends in it
        size_t body = bad.at + 4;
        uint32_t len = (uint32_t)(4 + 1 + strlen(aug));
        memcpy(sec + bad.at, &len, 4);
        sec_n = body + len;
    } else if (mangle == 2) {   // augmentation data length past the CIE
        sec[bad.at + 4 + 4 + 1 + strlen(aug) + 1 + 3] = 0x7f;
    } else if (mangle == 3) {   // RA register 5
        sec[bad.at + 4 + 4 + 1 + strlen(aug) + 1 + 2] = 5;
    } else if (mangle == 4) {   // code alignment 0
        sec[bad.at + 4 + 4 + 1 + strlen(aug) + 1] = 0;
    }
    put_fde(bad, T + FB, 0x40, a_prog, sizeof a_prog);
    put_fde(c, T + FC, 0x40, a_prog, sizeof a_prog);
    put32(0);
    struct tp_cfi_stats st;
    struct tp_cfi_table *t = build_exact(&st);
    check_abc(what, t, &st, 1, 1);
}

static void case_cies(void) {
    case_cie("unknown augmentation without z", "X", 1, NULL, 0, 0);
    case_cie("CIE version 2", "zR", 2, NULL, 0, 0);
    case_cie("augmentation without its NUL", "zRRRRR", 1, NULL, 0, 1);
    case_cie("augmentation data past the CIE", "zR", 1, NULL, 0, 2);
    case_cie("return address register 5", "zR", 1, NULL, 0, 3);
    case_cie("code alignment 0", "zR", 1, NULL, 0, 4);
    case_cie("bad initial instructions", "zR", 1, BYTES(DEF_CFA, RSP, 8, RESTORE_STATE), 0);
    case_cie("initial instructions with an unknown opcode", "zR", 1, BYTES(DEF_CFA, RSP, 8, 0x3e), 0);
}

static void case_bad_encoding(void) {
    // 'R' with encoding 0x05 (unknown size) and 0x50 (aligned): the FDE's pointers cannot be read.
    for (int k = 0; k < 2; k++) {
        sec_n = 0;
        struct cie c = put_cie("zR", 0x00);
        put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
        struct cie bad = put_cie("zR", 0x00);
        sec[bad.at + 4 + 4 + 1 + 3 + 4] = k ? 0x50 : 0x05;
        put_fde(bad, T + FB, 0x40, a_prog, sizeof a_prog);
        put_fde(c, T + FC, 0x40, a_prog, sizeof a_prog);
        put32(0);
        struct tp_cfi_stats st;
        struct tp_cfi_table *t = build_exact(&st);
        check_abc(k ? "FDE encoding 0x50" : "FDE encoding 0x05", t, &st, 1, 1);
    }
}

static void case_whole(void) {
    struct tp_cfi_stats st;
    // Nothing usable: empty, a terminator, a CIE alone, garbage.
    sec_n = 0;
    CHECK(build_exact(&st) == NULL, "empty section: a table");
    put32(0);
    CHECK(build_exact(&st) == NULL, "terminator only: a table");
    sec_n = 0;
    put_cie("zR", 0x1b);
    put32(0);
    CHECK(build_exact(&st) == NULL, "CIE only: a table");
    sec_n = 0;
    for (int i = 0; i < 256; i++) put8(0xff);
    struct tp_cfi_table *t = build_exact(&st);
    CHECK(t == NULL || t->count == 0 || linear_find(t, T + 0x100) == NULL, "0xff bytes: rows");
    sec_n = 0;
    for (int i = 0; i < 64; i++) put32(12);
    t = build_exact(&st);
    CHECK(t == NULL, "entries of 12 bytes: a table");
    // FDEs outside the text range: no rows.
    sec_n = 0;
    struct cie c = put_cie("zR", 0x00);
    put_fde(c, T - 0x1000, 0x100, a_prog, sizeof a_prog);
    put_fde(c, T + TEXT_SIZE, 0x100, a_prog, sizeof a_prog);
    put32(0);
    t = build_exact(&st);
    CHECK(t == NULL || linear_find(t, T) == NULL, "FDEs outside the text: rows");
}

// Every prefix of the whole program's section, then random byte flips: nothing crashes, every
// table is consistent.
static void case_prefixes_and_flips(void) {
    build_program();
    uint8_t good[sizeof sec];
    size_t good_n = sec_n;
    memcpy(good, sec, good_n);
    uint8_t *copy = malloc(good_n);
    int bad_tables = 0;
    for (size_t n = 0; n <= good_n; n++) {
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, good, n);
        struct tp_cfi_stats st;
        uintptr_t delta = (uintptr_t)p - (uintptr_t)sec;   // the pc-relative pointers moved with the bytes
        struct tp_cfi_table *t = tp_cfi_build_from_eh_frame(p, n, T + delta, T + delta + TEXT_SIZE, &st);

        if (!table_consistent(t, "prefix")) bad_tables++;
        if (t) munmap(t, t->bytes);
        free(p);
        if (bad_tables > 3) break;
    }
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int iter = 0; iter < 3000 && bad_tables <= 3; iter++) {
        memcpy(copy, good, good_n);
        int flips = 1 + (int)(seed % 4);
        for (int f = 0; f < flips; f++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(seed >> 33) % good_n;
            copy[at] = (uint8_t)(seed >> 13);
        }
        // The copy moved the pc-relative pointers: the table covers wherever they now point;
        // what matters is that nothing is read outside `copy` and the table is consistent.
        struct tp_cfi_stats st;
        uintptr_t delta = (uintptr_t)copy - (uintptr_t)sec;
        struct tp_cfi_table *t = tp_cfi_build_from_eh_frame(copy, good_n, T + delta, T + delta + TEXT_SIZE, &st);
        if (!table_consistent(t, "flipped")) bad_tables++;
        if (t) munmap(t, t->bytes);
    }
    free(copy);
    sec_n = good_n;
    memcpy(sec, good, good_n);
}

// ---- .eh_frame_hdr -----------------------------------------------------------------------------
static void test_hdr(void) {
    // A segment: the header at seg[0], .eh_frame 256 bytes in.
    static uint8_t seg[8192] __attribute__((aligned(16)));
    size_t eh_off = 256;
    sec_n = 0;
    struct cie c = put_cie("zR", 0x00);
    size_t a_at = put_fde(c, T + FA, 0x40, a_prog, sizeof a_prog);
    size_t c_at = put_fde(c, T + FC, 0x40, a_prog, sizeof a_prog);
    size_t b_at = put_fde(c, T + FB, 0x40, a_prog, sizeof a_prog);
    put32(0);
    memset(seg, 0, sizeof seg);
    memcpy(seg + eh_off, sec, sec_n);
    uint8_t *h = seg;
    h[0] = 1; h[1] = 0x1b; h[2] = 0x03; h[3] = 0x3b;
    int32_t rel = (int32_t)(eh_off - 4);
    memcpy(h + 4, &rel, 4);
    uint32_t count = 3;
    memcpy(h + 8, &count, 4);
    size_t fdes[3] = { a_at, b_at, c_at };   // sorted by pc: A, B, C
    for (int i = 0; i < 3; i++) {
        int32_t loc = 0, at = (int32_t)(eh_off + fdes[i]);
        memcpy(h + 12 + 8 * i, &loc, 4);
        memcpy(h + 12 + 8 * i + 4, &at, 4);
    }
    size_t hdr_len = 12 + 8 * 3;
    const uint8_t *limit = seg + eh_off + sec_n;
    struct tp_cfi_stats st;
    struct tp_cfi_table *t = tp_cfi_build_from_hdr(h, hdr_len, seg, limit, T, T + TEXT_SIZE, &st);
    cur_tab = t;
    CHECK(t && st.fdes == 3 && st.bad_fdes == 0, "hdr: %u FDEs %u bad", st.fdes, st.bad_fdes);
    if (t) {
        table_consistent(t, "hdr");
        CHECK(row_is(find(FA + 8), TP_CFA_RBP, 16, -16, TP_REG_SAME) && row_is(find(FB + 8), TP_CFA_RBP, 16, -16, TP_REG_SAME) &&
              row_is(find(FC + 8), TP_CFA_RBP, 16, -16, TP_REG_SAME), "hdr: rows");
    }
    // A table entry pointing outside the segment, and one into the middle of an FDE.
    int32_t out = 0x100000, mid = (int32_t)(eh_off + b_at + 6);
    memcpy(h + 12 + 8 * 1 + 4, &out, 4);
    t = tp_cfi_build_from_hdr(h, hdr_len, seg, limit, T, T + TEXT_SIZE, &st);
    check_abc("hdr entry outside the segment", t, &st, 1, 1);
    memcpy(h + 12 + 8 * 1 + 4, &mid, 4);
    t = tp_cfi_build_from_hdr(h, hdr_len, seg, limit, T, T + TEXT_SIZE, &st);
    check_abc("hdr entry inside an FDE", t, &st, 1, 0);
    // A count larger than the header: the section is walked instead.
    count = 1000;
    memcpy(h + 8, &count, 4);
    t = tp_cfi_build_from_hdr(h, hdr_len, seg, limit, T, T + TEXT_SIZE, &st);
    cur_tab = t;
    CHECK(t && row_is(find(FB + 8), TP_CFA_RBP, 16, -16, TP_REG_SAME) && row_is(find(FC + 8), TP_CFA_RBP, 16, -16, TP_REG_SAME),
          "hdr count too large: rows");
    // eh_frame_ptr outside the segment; a bad version; a header cut short.
    rel = 0x10000;
    memcpy(h + 4, &rel, 4);
    CHECK(tp_cfi_build_from_hdr(h, hdr_len, seg, limit, T, T + TEXT_SIZE, &st) == NULL, "hdr eh_frame_ptr outside: a table");
    h[0] = 2;
    CHECK(tp_cfi_build_from_hdr(h, hdr_len, seg, limit, T, T + TEXT_SIZE, &st) == NULL, "hdr version 2: a table");
    h[0] = 1;
    CHECK(tp_cfi_build_from_hdr(h, 6, seg, limit, T, T + TEXT_SIZE, &st) == NULL, "hdr cut short: a table");
}

// Runs `fn` in a child: a crash or sanitizer report there fails that case only.
static void isolated(const char *what, void (*fn)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        failures = 0;
        fn();
        fflush(stdout);
        _exit(failures ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) { failures++; printf("FAIL %s: the builder crashed (signal %d)\n", what, WTERMSIG(status)); }
    else if (WEXITSTATUS(status) != 0) { failures++; printf("FAIL %s: failed checks or a sanitizer report (exit %d)\n", what, WEXITSTATUS(status)); }
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    T = ((uintptr_t)sec + 0x10000000u) & ~(uintptr_t)0xfffff;
    build_program();
    cur_tab = tp_cfi_build_from_eh_frame(sec, sec_n, T, T + TEXT_SIZE, &main_stats);
    test_table();
    test_walks();
    const struct tp_cfi_table *program = cur_tab;

    isolated("bad opcodes", case_bad_opcodes);
    isolated("bad entries", case_entries);
    isolated("bad CIEs", case_cies);
    isolated("bad encodings", case_bad_encoding);
    isolated("wholly corrupt sections", case_whole);
    isolated("prefixes and byte flips", case_prefixes_and_flips);
    isolated("hdr", test_hdr);
    isolated("DW_CFA_offset with a huge operand (signed overflow)", case_signed_overflow);
    isolated("DW_CFA_def_cfa_sf with a 64-bit sleb (shift overflow)", case_signed_overflow_sleb);
    cur_tab = program;

    printf("%s: %d failed checks\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
