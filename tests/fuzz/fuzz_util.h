/* tests/fuzz/fuzz_util.h - helpers for the harnesses: a per-process temp file for readers that
 * only take a path, and a check that aborts (so libFuzzer and the replay driver see a crash). */
#ifndef EDGECL_FUZZ_UTIL_H
#define EDGECL_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgecl/crc32.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The formats end in a CRC32 of every byte before it; a fuzzer almost never gets a mutated CRC
 * right, so without help it would only ever test the CRC check. Harnesses offer a mode that
 * recomputes it (with the library's ecl_crc32) before parsing. */
static inline void fuzz_fix_crc(uint8_t *buf, size_t len) {
    if (len < 4) return;
    uint32_t c = ecl_crc32(0, buf, len - 4);
    for (int i = 0; i < 4; i++)
        buf[len - 4 + i] = (uint8_t)(c >> (8 * i));
}

/* Writes data to $TMPDIR/edgecl-fuzz-<pid>-<tag><ext>, returns the path (static storage). */
static inline const char *fuzz_tmpfile(const char *tag, const char *ext, const uint8_t *data,
                                       size_t size) {
    static char path[512];
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/edgecl-fuzz-%ld-%s%s", dir, (long)getpid(), tag, ext);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        abort();
    }
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f) != 0) abort();
    return path;
}

#endif
