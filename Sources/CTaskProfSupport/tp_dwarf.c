// libdw/libdwfl shim used by TaskProfSymbolize. See include/tp_dwarf.h for the contract.

#define _GNU_SOURCE 1
#include "tp_dwarf.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Provided by libswiftCore; declared here because the runtime ships no header for it.
extern char *swift_demangle(const char *mangled, size_t length, char *out, size_t *out_length,
                            uint32_t flags);

// Malformed DWARF can nest arbitrarily deep; real code stays far below this.
enum { TP_MAX_DEPTH = 128 };

struct tp_dwarf_module {
    Dwfl *dwfl;
    Dwfl_Module *module;
    Dwarf *dwarf;          // valid when dwarf_state == 1
    Dwarf_Addr dwarf_bias; // runtime address = DWARF address + dwarf_bias
    int dwarf_state;       // 0 not looked up yet, 1 present, -1 absent
};

// Offline callbacks: files are read from disk (not from a live process), separate
// debug info is searched in the standard places (/usr/lib/debug, .build-id links).
static char *tp_debuginfo_path = NULL;
static const Dwfl_Callbacks tp_offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &tp_debuginfo_path,
};

tp_dwarf_module *tp_dwarf_module_open(const char *path, uint64_t bias) {
    if (path == NULL || path[0] == '\0') return NULL;
    Dwfl *dwfl = dwfl_begin(&tp_offline_callbacks);
    if (dwfl == NULL) return NULL;
    dwfl_report_begin(dwfl);
    // add_p_vaddr == false: `bias` is the load bias itself, so the module covers exactly
    // the runtime addresses the agent recorded.
    Dwfl_Module *module = dwfl_report_elf(dwfl, path, path, -1, (GElf_Addr)bias, false);
    if (module == NULL || dwfl_report_end(dwfl, NULL, NULL) != 0) {
        dwfl_end(dwfl);
        return NULL;
    }
    tp_dwarf_module *result = calloc(1, sizeof *result);
    if (result == NULL) {
        dwfl_end(dwfl);
        return NULL;
    }
    result->dwfl = dwfl;
    result->module = module;
    return result;
}

void tp_dwarf_module_close(tp_dwarf_module *module) {
    if (module == NULL) return;
    dwfl_end(module->dwfl);
    free(module);
}

// DWARF is loaded on first use only: most modules in a profile never need it.
static Dwarf *tp_dwarf(tp_dwarf_module *module) {
    if (module->dwarf_state == 0) {
        Dwarf_Addr bias = 0;
        module->dwarf = dwfl_module_getdwarf(module->module, &bias);
        module->dwarf_bias = bias;
        module->dwarf_state = module->dwarf != NULL ? 1 : -1;
    }
    return module->dwarf_state == 1 ? module->dwarf : NULL;
}

tp_dwarf_symbol *tp_dwarf_function_symbols(tp_dwarf_module *module, size_t *count) {
    *count = 0;
    if (module == NULL) return NULL;
    int total = dwfl_module_getsymtab(module->module);
    if (total <= 1) return NULL;
    tp_dwarf_symbol *symbols = calloc((size_t)total, sizeof *symbols);
    if (symbols == NULL) return NULL;
    size_t used = 0;
    // Index 0 is the reserved null symbol.
    for (int index = 1; index < total; index++) {
        GElf_Sym symbol;
        GElf_Addr address = 0;
        const char *name = dwfl_module_getsym_info(module->module, index, &symbol, &address,
                                                   NULL, NULL, NULL);
        if (name == NULL || name[0] == '\0' || symbol.st_shndx == SHN_UNDEF) continue;
        int type = GELF_ST_TYPE(symbol.st_info);
        if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
        symbols[used++] = (tp_dwarf_symbol){address, symbol.st_size, name, GELF_ST_BIND(symbol.st_info)};
    }
    *count = used;
    return symbols;
}

// Growable array of ranges; on allocation failure it keeps what it has.
typedef struct {
    tp_dwarf_range *items;
    size_t count;
    size_t capacity;
} tp_range_list;

static void tp_range_push(tp_range_list *list, uint64_t low, uint64_t high, uint64_t offset) {
    if (list->count == list->capacity) {
        size_t capacity = list->capacity == 0 ? 64 : list->capacity * 2;
        tp_dwarf_range *items = realloc(list->items, capacity * sizeof *items);
        if (items == NULL) return;
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = (tp_dwarf_range){low, high, offset};
}

// Adds every non-empty range of `die`, skipping the tombstones linkers leave for
// functions removed by --gc-sections (address 0 or all-ones).
static void tp_push_die_ranges(tp_range_list *list, Dwarf_Die *die, Dwarf_Addr bias,
                               uint64_t offset) {
    Dwarf_Addr base = 0, start = 0, end = 0;
    ptrdiff_t cursor = 0;
    while ((cursor = dwarf_ranges(die, cursor, &base, &start, &end)) > 0) {
        if (start == 0 || end <= start || start >= (Dwarf_Addr)-2) continue;
        tp_range_push(list, start + bias, end + bias, offset);
    }
}

tp_dwarf_range *tp_dwarf_unit_ranges(tp_dwarf_module *module, size_t *count) {
    *count = 0;
    if (module == NULL) return NULL;
    Dwarf *dwarf = tp_dwarf(module);
    if (dwarf == NULL) return NULL;
    tp_range_list list = {0};
    Dwarf_CU *unit = NULL;
    Dwarf_Half version = 0;
    uint8_t unit_type = 0;
    Dwarf_Die unit_die;
    while (dwarf_get_units(dwarf, unit, &unit, &version, &unit_type, &unit_die, NULL) == 0) {
        // Type units hold no code, and their DIE offsets would not resolve with
        // dwarf_offdie later.
        if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
        tp_push_die_ranges(&list, &unit_die, module->dwarf_bias, dwarf_dieoffset(&unit_die));
    }
    *count = list.count;
    return list.items;
}

// Visits every DIE of the unit once. Out-of-line functions hide at many depths: Swift
// nests them under DW_TAG_module and structure types, and puts closures under the
// concrete DIE of the function that defines them; C++ uses namespaces and classes.
static void tp_collect_subprograms(tp_range_list *list, Dwarf_Die *parent, Dwarf_Addr bias,
                                   int depth) {
    if (depth > TP_MAX_DEPTH) return;
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) return;
    do {
        if (dwarf_tag(&child) == DW_TAG_subprogram) {
            // Declarations and abstract (inline-only) instances have no ranges and
            // therefore add nothing.
            tp_push_die_ranges(list, &child, bias, dwarf_dieoffset(&child));
        }
        if (dwarf_haschildren(&child) > 0) tp_collect_subprograms(list, &child, bias, depth + 1);
    } while (dwarf_siblingof(&child, &child) == 0);
}

tp_dwarf_range *tp_dwarf_subprogram_ranges(tp_dwarf_module *module, uint64_t unit_offset,
                                           size_t *count) {
    *count = 0;
    if (module == NULL) return NULL;
    Dwarf *dwarf = tp_dwarf(module);
    if (dwarf == NULL) return NULL;
    Dwarf_Die unit_die;
    if (dwarf_offdie(dwarf, (Dwarf_Off)unit_offset, &unit_die) == NULL) return NULL;
    tp_range_list list = {0};
    tp_collect_subprograms(&list, &unit_die, module->dwarf_bias, 0);
    *count = list.count;
    return list.items;
}

// The nearest row before `row` (in address order, same sequence) with a nonzero line and an
// address at or after `low`, or `row` itself when there is none.
static Dwarf_Line *tp_earlier_row_with_line(Dwarf_Die *unit_die, Dwarf_Line *row, Dwarf_Addr low, int *number) {
    Dwarf_Lines *lines = NULL;
    size_t count = 0;
    Dwarf_Addr at = 0;
    if (dwarf_getsrclines(unit_die, &lines, &count) != 0 || dwarf_lineaddr(row, &at) != 0) return row;
    // The table is sorted by address within a sequence: find `row`, then step back.
    size_t i = 0;
    while (i < count && dwarf_onesrcline(lines, i) != row) i++;
    while (i-- > 0) {
        Dwarf_Line *prev = dwarf_onesrcline(lines, i);
        Dwarf_Addr prev_at = 0;
        bool end_sequence = false;
        int prev_number = 0;
        if (prev == NULL || dwarf_lineaddr(prev, &prev_at) != 0 || prev_at < low || prev_at > at) break;
        if (dwarf_lineendsequence(prev, &end_sequence) == 0 && end_sequence) break;
        if (dwarf_lineno(prev, &prev_number) == 0 && prev_number > 0) {
            *number = prev_number;
            return prev;
        }
    }
    return row;
}

int tp_dwarf_source_line(tp_dwarf_module *module, uint64_t unit_offset, uint64_t address,
                         uint64_t function_start, const char **file, int *line) {
    if (module == NULL) return 0;
    Dwarf *dwarf = tp_dwarf(module);
    if (dwarf == NULL) return 0;
    Dwarf_Die unit_die;
    if (dwarf_offdie(dwarf, (Dwarf_Off)unit_offset, &unit_die) == NULL) return 0;
    // Going straight to the CU's line table sidesteps dwfl_module_getsrc, which needs
    // .debug_aranges to find the CU and so fails on Swift binaries.
    Dwarf_Line *row = dwarf_getsrc_die(&unit_die, (Dwarf_Addr)(address - module->dwarf_bias));
    if (row == NULL) return 0;
    int number = 0;
    if (dwarf_lineno(row, &number) != 0) return 0;
    if (number == 0) row = tp_earlier_row_with_line(&unit_die, row, function_start - module->dwarf_bias, &number);
    const char *source = dwarf_linesrc(row, NULL, NULL);
    if (source == NULL) return 0;
    *file = source;
    *line = number;
    return 1;
}

const char *tp_dwarf_unit_directory(tp_dwarf_module *module, uint64_t unit_offset) {
    if (module == NULL) return NULL;
    Dwarf *dwarf = tp_dwarf(module);
    if (dwarf == NULL) return NULL;
    Dwarf_Die unit_die;
    if (dwarf_offdie(dwarf, (Dwarf_Off)unit_offset, &unit_die) == NULL) return NULL;
    Dwarf_Attribute attribute;
    if (dwarf_attr(&unit_die, DW_AT_comp_dir, &attribute) == NULL) return NULL;
    return dwarf_formstring(&attribute);
}

static const char *tp_string_attribute(Dwarf_Die *die, unsigned int name) {
    Dwarf_Attribute attribute;
    // _integrate follows DW_AT_abstract_origin and DW_AT_specification, which is where
    // concrete and inlined instances keep their names.
    if (dwarf_attr_integrate(die, name, &attribute) == NULL) return NULL;
    return dwarf_formstring(&attribute);
}

static void tp_fill_scope(tp_dwarf_scope *scope, Dwarf_Die *die) {
    scope->linkage_name = tp_string_attribute(die, DW_AT_linkage_name);
    if (scope->linkage_name == NULL) scope->linkage_name = tp_string_attribute(die, DW_AT_MIPS_linkage_name);
    scope->name = tp_string_attribute(die, DW_AT_name);
    scope->call_file = NULL;
    scope->call_line = 0;
}

// DW_AT_call_file is an index into the CU's file table, which only libdw can resolve.
static const char *tp_call_file(Dwarf_Die *die) {
    Dwarf_Attribute attribute;
    Dwarf_Word index = 0;
    if (dwarf_attr(die, DW_AT_call_file, &attribute) == NULL) return NULL;
    if (dwarf_formudata(&attribute, &index) != 0) return NULL;
    Dwarf_Die unit_die;
    if (dwarf_diecu(die, &unit_die, NULL, NULL) == NULL) return NULL;
    Dwarf_Files *files = NULL;
    size_t file_count = 0;
    if (dwarf_getsrcfiles(&unit_die, &files, &file_count) != 0) return NULL;
    if (index >= file_count) return NULL;
    return dwarf_filesrc(files, index, NULL, NULL);
}

static int tp_has_pc_info(Dwarf_Die *die) {
    return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges);
}

// Descends from `parent` towards `address`: inlined subroutines that contain it become
// scopes; lexical blocks are only passed through (they are not frames).
static size_t tp_walk_inlines(Dwarf_Die *parent, Dwarf_Addr address, tp_dwarf_scope *out,
                              size_t used, size_t capacity, int depth) {
    if (depth > TP_MAX_DEPTH) return used;
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) return used;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_inlined_subroutine) {
            if (dwarf_haspc(&child, address) != 1) continue;
            if (used >= capacity) return used;
            tp_dwarf_scope *scope = &out[used];
            tp_fill_scope(scope, &child);
            scope->call_file = tp_call_file(&child);
            Dwarf_Attribute attribute;
            Dwarf_Word line = 0;
            if (dwarf_attr(&child, DW_AT_call_line, &attribute) != NULL &&
                dwarf_formudata(&attribute, &line) == 0 && line <= 0x7fffffff) {
                scope->call_line = (int)line;
            }
            return tp_walk_inlines(&child, address, out, used + 1, capacity, depth + 1);
        }
        if (tag == DW_TAG_lexical_block || tag == DW_TAG_try_block || tag == DW_TAG_catch_block ||
            tag == DW_TAG_with_stmt) {
            int has_pc_info = tp_has_pc_info(&child);
            if (has_pc_info && dwarf_haspc(&child, address) != 1) continue;
            size_t found = tp_walk_inlines(&child, address, out, used, capacity, depth + 1);
            // A block that really contains the address is the only candidate at this level.
            if (found > used || has_pc_info) return found;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return used;
}

size_t tp_dwarf_inline_chain(tp_dwarf_module *module, uint64_t subprogram_offset,
                             uint64_t address, tp_dwarf_scope *out, size_t capacity) {
    if (module == NULL || out == NULL || capacity == 0) return 0;
    Dwarf *dwarf = tp_dwarf(module);
    if (dwarf == NULL) return 0;
    Dwarf_Die subprogram;
    if (dwarf_offdie(dwarf, (Dwarf_Off)subprogram_offset, &subprogram) == NULL) return 0;
    tp_fill_scope(&out[0], &subprogram);
    return tp_walk_inlines(&subprogram, (Dwarf_Addr)(address - module->dwarf_bias), out, 1,
                           capacity, 0);
}

void tp_dwarf_free(void *pointer) { free(pointer); }

// The build-id note of an open ELF handle, which it then ends; -1 for none (or no handle).
static ssize_t tp_elf_build_id(Elf *elf, uint8_t *out, size_t capacity) {
    if (elf == NULL) return -1;
    const void *bytes = NULL;
    ssize_t length = dwelf_elf_gnu_build_id(elf, &bytes);
    if (length <= 0 || bytes == NULL) {
        length = -1;
    } else if (out != NULL) {
        memcpy(out, bytes, (size_t)length < capacity ? (size_t)length : capacity);
    }
    elf_end(elf);
    return length;
}

ssize_t tp_read_build_id(const char *path, uint8_t *out, size_t capacity) {
    if (path == NULL) return -1;
    if (elf_version(EV_CURRENT) == EV_NONE) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t length = tp_elf_build_id(elf_begin(fd, ELF_C_READ_MMAP, NULL), out, capacity);
    close(fd);
    return length;
}

ssize_t tp_memory_build_id(const void *image, size_t size, uint8_t *out, size_t capacity) {
    if (image == NULL || elf_version(EV_CURRENT) == EV_NONE) return -1;
    // libelf only reads a native image it is given this way; the cast is its API's.
    return tp_elf_build_id(elf_memory((char *)image, size), out, capacity);
}

char *tp_swift_demangle(const char *mangled, size_t length) {
    if (mangled == NULL || length == 0) return NULL;
    return swift_demangle(mangled, length, NULL, NULL, 0);
}

typedef char *(*tp_cxa_demangle_fn)(const char *, char *, size_t *, int *);

static tp_cxa_demangle_fn tp_cxa_demangle = NULL;
static pthread_once_t tp_cxa_demangle_once = PTHREAD_ONCE_INIT;

static void tp_find_cxa_demangle(void) {
    tp_cxa_demangle = (tp_cxa_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
}

char *tp_cxx_demangle(const char *mangled) {
    if (mangled == NULL || strncmp(mangled, "_Z", 2) != 0) return NULL;
    pthread_once(&tp_cxa_demangle_once, tp_find_cxa_demangle);
    if (tp_cxa_demangle == NULL) return NULL;
    int status = 0;
    char *result = tp_cxa_demangle(mangled, NULL, NULL, &status);
    if (status != 0) {
        free(result);
        return NULL;
    }
    return result;
}
