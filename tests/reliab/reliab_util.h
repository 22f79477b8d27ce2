/* tests/reliab/reliab_util.h - small helpers shared by the reliability tests: a CRC32 for the
 * opaque test payloads, a temp-dir maker and directory listing for leftover temp files. */
#ifndef EDGECL_TESTS_RELIAB_UTIL_H
#define EDGECL_TESTS_RELIAB_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline uint32_t rl_crc32(const void *buf, size_t len) {
    const unsigned char *p = buf;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* Makes a fresh directory under the build tree (a real disk, not /tmp which may be tmpfs). */
static inline void rl_make_tmpdir(char *out, size_t cap, const char *tag) {
#ifdef ECL_BINARY_DIR
    snprintf(out, cap, "%s/reliab-%s-XXXXXX", ECL_BINARY_DIR, tag);
#else
    snprintf(out, cap, "/tmp/reliab-%s-XXXXXX", tag);
#endif
    if (!mkdtemp(out)) {
        perror("mkdtemp");
        abort();
    }
}

/* Number of entries in dir whose name starts with prefix (removes them if unlink_them). */
static inline int rl_count_prefix(const char *dir, const char *prefix, int unlink_them) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    size_t pl = strlen(prefix);
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, pl)) continue;
        n++;
        if (unlink_them) {
            char p[4096 + 512];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    return n;
}

/* Removes every file in dir, then dir itself (non-recursive: the tests make flat dirs). */
static inline void rl_rmdir_all(const char *dir) {
    rl_count_prefix(dir, "", 1);
    rmdir(dir);
}

#endif
