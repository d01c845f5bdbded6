#ifndef TP_DWARF_H
#define TP_DWARF_H

// Symbolization shim over libdw/libdwfl for the command line tool.
//
// The Swift side never sees libdw's own types: Dwarf_Die and friends are structs with
// internal padding and callback-heavy APIs that import badly, so the shim exposes one
// opaque handle per ELF file plus plain-old-data results. All addresses crossing this
// API are runtime addresses (file vaddr + load bias); the shim converts to DWARF
// addresses internally, so callers never juggle the DWARF bias.
//
// Nothing here is thread-safe: libdw caches lazily inside each handle, so a handle
// must only be used by one thread at a time (the Swift wrapper serializes access).

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One ELF file reported to its own offline Dwfl session at a fixed load bias.
typedef struct tp_dwarf_module tp_dwarf_module;

/// A half-open runtime address range tagged with the DIE offset it belongs to
/// (a compile unit DIE or a subprogram DIE, depending on the call).
typedef struct tp_dwarf_range {
    uint64_t low;
    uint64_t high;
    uint64_t die_offset;
} tp_dwarf_range;

/// One level of a (possibly inlined) call chain at an address.
/// Strings point into libdw's storage and stay valid until the module is closed.
typedef struct tp_dwarf_scope {
    /// Mangled name (DW_AT_linkage_name, following abstract origins), or NULL.
    const char *linkage_name;
    /// Plain source name (DW_AT_name), or NULL.
    const char *name;
    /// Where this scope was inlined into its parent scope; NULL/0 for the outermost.
    const char *call_file;
    int call_line;
} tp_dwarf_scope;

/// Opens `path` in a private offline Dwfl session at `bias`. Returns NULL when the file
/// is missing or not ELF, so callers can fall back to `module+0xoffset` names.
/// One session per file (instead of one shared session) keeps a bad or overlapping
/// module from poisoning the others and lets each file be opened lazily.
tp_dwarf_module *tp_dwarf_module_open(const char *path, uint64_t bias);

void tp_dwarf_module_close(tp_dwarf_module *module);

/// One function symbol; `name` points into libdw's storage like tp_dwarf_scope's strings.
typedef struct tp_dwarf_symbol {
    uint64_t start; // runtime address
    uint64_t size;  // 0 for symbols without a size (some hand-written assembly)
    const char *name;
    int binding;    // STB_LOCAL 0, STB_GLOBAL 1, STB_WEAK 2
} tp_dwarf_symbol;

/// Every function symbol of the file (.symtab, else .dynsym, plus MiniDebugInfo), so the
/// caller can build a sorted index: dwfl_module_addrinfo scans all symbols linearly on
/// every call, which costs ~0.2 ms per lookup in libswiftCore.
/// Returns a malloc'ed array (release with tp_dwarf_free) or NULL with *count == 0.
tp_dwarf_symbol *tp_dwarf_function_symbols(tp_dwarf_module *module, size_t *count);

/// Ranges of every compile unit, tagged with the CU DIE offset. Needed because Swift
/// emits no .debug_aranges, so libdwfl's own address -> CU lookup fails for Swift code.
/// Returns a malloc'ed array (release with tp_dwarf_free) or NULL with *count == 0.
tp_dwarf_range *tp_dwarf_unit_ranges(tp_dwarf_module *module, size_t *count);

/// Ranges of every concrete subprogram in one compile unit, tagged with the subprogram
/// DIE offset. Walks through DW_TAG_module/namespace/structure containers because Swift
/// nests its functions there, where dwarf_getscopes does not look.
tp_dwarf_range *tp_dwarf_subprogram_ranges(tp_dwarf_module *module, uint64_t unit_offset,
                                           size_t *count);

/// Line-table row for `address` in the given compile unit. Returns 1 and sets `file`
/// and `line` on success, 0 otherwise. A row with line 0 (compiler-generated code) gives
/// way to the nearest earlier row with a line, as long as that row is at or after
/// `function_start`; `line` is 0 only when there is none.
int tp_dwarf_source_line(tp_dwarf_module *module, uint64_t unit_offset, uint64_t address,
                         uint64_t function_start, const char **file, int *line);

/// DW_AT_comp_dir of the compile unit, or NULL. Line tables may name files relative to
/// it (SwiftPM compiles with relative paths), and libdw does not join the two.
const char *tp_dwarf_unit_directory(tp_dwarf_module *module, uint64_t unit_offset);

/// The subprogram at `subprogram_offset` followed by each DW_TAG_inlined_subroutine that
/// contains `address`, outermost first. Returns the number of scopes written (at most
/// `capacity`); 0 when the DIE cannot be read.
size_t tp_dwarf_inline_chain(tp_dwarf_module *module, uint64_t subprogram_offset,
                             uint64_t address, tp_dwarf_scope *out, size_t capacity);

/// Frees arrays returned by this API.
void tp_dwarf_free(void *pointer);

/// GNU build-id of the ELF file at `path`: copies up to `capacity` bytes into `out` and
/// returns the full length, or -1 when the file is unreadable or has no build-id note.
ssize_t tp_read_build_id(const char *path, uint8_t *out, size_t capacity);

/// The same for an ELF image in memory of `size` bytes.
ssize_t tp_memory_build_id(const void *image, size_t size, uint8_t *out, size_t capacity);

/// This process's vDSO image in memory and its length, or NULL (tp_vdso.c).
const void *tp_vdso_image(size_t *size);

/// GNU build-id of this process's vDSO, as tp_read_build_id.
ssize_t tp_vdso_build_id(uint8_t *out, size_t capacity);

/// Writes this process's vDSO to `path` if its build-id is `build_id` (the recorded target's
/// vDSO is then the same image). Returns 0, or -1 on a mismatch or an I/O error.
int tp_vdso_write(const uint8_t *build_id, size_t build_id_len, const char *path);

/// Demangles a Swift symbol with the runtime's own demangler (libswiftCore exports
/// swift_demangle; every Swift program links it). Returns a malloc'ed string (release
/// with tp_dwarf_free) or NULL when `mangled` is not a Swift symbol. The wrapper exists
/// to pin swift_demangle's `flags` to 0: any other value aborts the process.
char *tp_swift_demangle(const char *mangled, size_t length);

/// Demangles an Itanium C++ symbol (`_Z...`) with __cxa_demangle when the process has
/// libstdc++ loaded; looked up at run time so the tool does not need to link it.
/// Returns a malloc'ed string (release with tp_dwarf_free) or NULL.
char *tp_cxx_demangle(const char *mangled);

#ifdef __cplusplus
}
#endif

#endif
