/* POSIX port layer: atomic file replacement, whole-file reads, clocks, memory figures.
 *
 * Why the dance in ecl_port_save_atomic: a crash (or SIGKILL, or a full disk) at any point must
 * leave either the old file or the new one at `path`, never a mix. We write a temp file in the
 * same directory, fsync it so its data is on disk before it becomes visible, rename() it over
 * the old name (atomic on POSIX file systems), then fsync the directory so the rename itself
 * survives a power cut. */
#define _POSIX_C_SOURCE 200809L
#include "edgecl/port.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
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

/* A process killed mid-save (SIGKILL, power cut) leaves its "<name>.tmp.<pid>" behind. The
 * state itself is safe (the rename never happened), but the debris would pile up, so after a
 * successful save we remove temp files of the same target whose writer no longer exists.
 * A live writer's temp file (another process saving right now) is left alone. */
static void remove_stale_temps(const char *path) {
    char *copy1 = strdup(path), *copy2 = strdup(path);
    if (!copy1 || !copy2) goto out;
    const char *dir = dirname(copy1), *base = basename(copy2);
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    if (!d) goto out;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strncmp(n, base, blen) || strncmp(n + blen, ".tmp.", 5)) continue;
        char *end;
        long pid = strtol(n + blen + 5, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours */
        size_t m = strlen(dir) + strlen(n) + 2;
        char *full = malloc(m);
        if (!full) break;
        snprintf(full, m, "%s/%s", dir, n);
        unlink(full);
        free(full);
    }
    closedir(d);
out:
    free(copy1);
    free(copy2);
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
    remove_stale_temps(path);
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
