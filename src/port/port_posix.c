/* POSIX port layer: atomic file replacement, whole-file reads, clocks, memory figures.
 *
 * Why the dance in ecl_port_save_atomic: a crash (or SIGKILL, or a full disk) at any point must
 * leave either the old file or the new one at `path`, never a mix. We write a temp file in the
 * same directory, fsync it so its data is on disk before it becomes visible, rename() it over
 * the old name (atomic on POSIX file systems), then fsync the directory so the rename itself
 * survives a power cut. */
#define _POSIX_C_SOURCE 200809L
#include "edgecl/port.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int write_all(int fd, const void *buf, size_t len) {
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static void fsync_dir_of(const char *path) {
    char *copy = strdup(path);
    if (!copy) return;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(copy);
}

enum ecl_status ecl_port_save_atomic(const char *path, const void *buf, size_t len) {
    if (!path || (!buf && len)) return ECL_EINVAL;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) return ECL_EIO;
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        free(tmp);
        return ECL_EIO;
    }
    int bad = write_all(fd, buf, len) != 0;
    if (!bad && fsync(fd) != 0) bad = 1;
    if (close(fd) != 0) bad = 1;
    if (!bad && rename(tmp, path) != 0) bad = 1;
    if (bad) {
        unlink(tmp);
        free(tmp);
        return ECL_EIO;
    }
    free(tmp);
    fsync_dir_of(path);
    return ECL_OK;
}

enum ecl_status ecl_port_read_file(const char *path, void **buf, size_t *len) {
    if (!path || !buf || !len) return ECL_EINVAL;
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? ECL_ENOTFOUND : ECL_EIO;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
        fclose(f);
        return ECL_EIO;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *p = malloc(size ? size : 1);
    if (!p) {
        fclose(f);
        return ECL_ERANGE;
    }
    size_t got = size ? fread(p, 1, size, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (err || got != size) {
        free(p);
        return ECL_EIO;
    }
    *buf = p;
    *len = size;
    return ECL_OK;
}

uint64_t ecl_port_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

size_t ecl_port_peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (size_t)ru.ru_maxrss * 1024u; /* Linux: kilobytes */
}
