// gzip for `report --pprof` (pprof's files are gzip-compressed profile.proto): zlib's deflate with
// a gzip wrapper. Foundation on Linux has no compression API; zlib is on every Debian system
// (zlib1g-dev, which libelf-dev already needs).
#ifndef TP_GZIP_H
#define TP_GZIP_H
#include <stddef.h>
#include <stdint.h>

// Compresses `len` bytes into a buffer of `*out_len` bytes the caller frees with free().
// Returns 0, or -1 (out of memory, zlib error).
int tp_gzip(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len);

#endif
