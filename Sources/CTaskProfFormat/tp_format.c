// SwiftPM builds a C target from at least one source file: this one checks, at compile time, the
// layouts both sides of the stream rely on (the agent writes them, the Swift reader reads them
// by MemoryLayout offsets of the same structs). -Wall -Werror (Package.swift; -Wswitch is in -Wall) make a counter
// without a name in tp_counter_name a build error.
#include "tp_raw_format.h"
#include <stddef.h>

_Static_assert(sizeof(struct tp_record_header) == 8, "record header");
_Static_assert(sizeof(struct tp_raw_header) == 192, "the stream header is 192 bytes (docs/FORMAT.md)");
_Static_assert(offsetof(struct tp_rec_sample, frames) == 32, "sample frames");
_Static_assert(sizeof(struct tp_rec_process) == 16, "process record");

// Referenced so the inline function is compiled here, with the switch checked.
const char *tp_format_counter_name(int c) { return tp_counter_name((enum tp_counter)c); }
