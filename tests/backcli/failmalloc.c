/* tests/backcli/failmalloc.c - LD_PRELOAD shim for the backbone CLI's out-of-memory test
 * (backcli_oom.sh): malloc returns NULL for the ECL_FAILMALLOC_NTH-th (default 1st) request
 * of exactly ECL_FAILMALLOC_SIZE bytes, and behaves normally otherwise. glibc only (it
 * forwards to __libc_malloc); not built for sanitizer builds, whose runtime owns malloc. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t n);

void *malloc(size_t n) {
    static int init;
    static long long size = -1, nth = 1, seen;
    if (!init) {
        const char *s = getenv("ECL_FAILMALLOC_SIZE"), *k = getenv("ECL_FAILMALLOC_NTH");
        size = s ? atoll(s) : -1;
        nth = k ? atoll(k) : 1;
        init = 1;
    }
    if (size >= 0 && (long long)n == size && ++seen == nth) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(n);
}
