// The kernel's vDSO (clock_gettime, gettimeofday, getcpu) has no file on disk, so a profile's
// frames in it could only be shown as `linux-vdso.so.1+0x…`. taskprof symbolizes on the machine
// that recorded, where its own vDSO is the image the target had (same kernel, same build-id):
// these helpers find that image in memory and write it to a file libdw can open.
#include "tp_dwarf.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define TP_VDSO_MAX_BYTES (1u << 20)   // real ones are 8 KiB; anything bigger is not a vDSO

const void *tp_vdso_image(size_t *size) {
    *size = 0;
    const uint8_t *base = (const uint8_t *)getauxval(AT_SYSINFO_EHDR);
    if (base == NULL || memcmp(base, ELFMAG, SELFMAG) != 0 || base[EI_CLASS] != ELFCLASS64) return NULL;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    // The file ends with the section headers, or with the last loaded segment.
    uint64_t end = eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > end) end = ph[i].p_offset + ph[i].p_filesz;
    if (end < sizeof *eh || end > TP_VDSO_MAX_BYTES) return NULL;
    *size = (size_t)end;
    return base;
}

ssize_t tp_vdso_build_id(uint8_t *out, size_t capacity) {
    size_t size;
    const void *image = tp_vdso_image(&size);
    return tp_memory_build_id(image, size, out, capacity);
}

int tp_vdso_write(const uint8_t *build_id, size_t build_id_len, const char *path) {
    size_t size;
    const uint8_t *image = tp_vdso_image(&size);
    uint8_t own[64];
    ssize_t own_len = tp_memory_build_id(image, size, own, sizeof own);
    if (own_len <= 0 || (size_t)own_len != build_id_len || (size_t)own_len > sizeof own ||
        memcmp(own, build_id, build_id_len) != 0)
        return -1;   // another kernel's vDSO (a profile converted elsewhere): leave it unnamed
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, image + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fd);
    return done == size ? 0 : -1;
}
