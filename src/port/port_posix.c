/* POSIX port layer: atomic file replacement, whole-file reads, clocks, memory figures.
 *
 * Why the dance in ecl_port_save_atomic: a crash (or SIGKILL, or a full disk) at any point must
 * leave either the old file or the new one at `path`, never a mix. We write a temp file in the
 * same directory, fsync it so its data is on disk before it becomes visible, rename() it over
 * the old name (atomic on POSIX file systems), then fsync the directory so the rename itself
 * survives a power cut.
 *
 * Every failure leaves its cause in ecl_port_error(): "cannot save state: I/O error" told a
 * user nothing about whether the disk was full, the file system read-only or the directory not
 * theirs. */
#define _POSIX_C_SOURCE 200809L
#include "edgecl/port.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "port/port_impl.h"

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

/* Bytes free for an unprivileged writer in the directory of path; UINT64_MAX if unknown. */
static uint64_t free_bytes_near(const char *path) {
    char *copy = strdup(path);
    if (!copy) return UINT64_MAX;
    struct statvfs vf;
    int ok = statvfs(dirname(copy), &vf) == 0;
    free(copy);
    return ok ? (uint64_t)vf.f_bavail * (uint64_t)vf.f_frsize : UINT64_MAX;
}

/* A process killed mid-save (SIGKILL, power cut) leaves its "<name>.tmp.<pid>" behind. The
 * state itself is safe (the rename never happened), but the debris would pile up and, on a
 * nearly full disk, take the space the next save needs. So before writing we remove temp files
 * of the same target whose writer no longer exists, and count what that freed. A live
 * writer's temp file (another process saving right now) is left alone. */
static void remove_stale_temps(const char *path, unsigned *n_removed, uint64_t *bytes_removed) {
    *n_removed = 0;
    *bytes_removed = 0;
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
        struct stat st;
        uint64_t sz = lstat(full, &st) == 0 ? (uint64_t)st.st_blocks * 512u : 0;
        if (unlink(full) == 0) {
            (*n_removed)++;
            *bytes_removed += sz;
        }
        free(full);
    }
    closedir(d);
out:
    free(copy1);
    free(copy2);
}

/* The message for a failed write of len bytes to tmp (errno is the write's). */
static void write_error(const char *tmp, const char *path, size_t len, uint64_t free_before,
                        unsigned n_stale, uint64_t stale_bytes) {
    int e = errno;
    char need[32], have[32], gone[32], extra[160] = "";
    if (n_stale)
        snprintf(extra, sizeof extra,
                 "; %u temp file%s of interrupted saves (%s) were removed first", n_stale,
                 n_stale == 1 ? "" : "s", ecl_port_fmt_bytes_(stale_bytes, gone, sizeof gone));
    if ((e == ENOSPC || e == EDQUOT) && free_before != UINT64_MAX)
        ecl_port_set_error_("%s: %s: writing %s needs %s, %s were free%s", path, strerror(e), tmp,
                            ecl_port_fmt_bytes_(len, need, sizeof need),
                            ecl_port_fmt_bytes_(free_before, have, sizeof have), extra);
    else if (e == EFBIG)
        ecl_port_set_error_("%s: %s: writing %s (%s) exceeds the file size limit%s", path,
                            strerror(e), tmp, ecl_port_fmt_bytes_(len, need, sizeof need), extra);
    else
        ecl_port_set_error_("%s: cannot write %s: %s%s", path, tmp, strerror(e), extra);
}

enum ecl_status ecl_port_save_atomic_if(const char *path, const void *buf, size_t len,
                                        const struct ecl_port_file_id *expect,
                                        struct ecl_port_file_id *now) {
    ecl_port_clear_error_();
    if (!path || (!buf && len)) {
        ecl_port_set_error_("save: invalid argument");
        return ECL_EINVAL;
    }
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        ecl_port_set_error_("%s: out of memory", path);
        return ECL_EOOM;
    }
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    unsigned n_stale;
    uint64_t stale_bytes;
    remove_stale_temps(path, &n_stale, &stale_bytes);
    uint64_t free_before = free_bytes_near(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        ecl_port_set_error_("%s: cannot create %s: %s", path, tmp, strerror(errno));
        free(tmp);
        return ECL_EIO;
    }
    enum ecl_status st = ECL_OK;
    struct stat sb;
    if (write_all(fd, buf, len) != 0) {
        write_error(tmp, path, len, free_before, n_stale, stale_bytes);
        st = ECL_EIO;
    } else if (fsync(fd) != 0) {
        ecl_port_set_error_("%s: fsync of %s failed: %s", path, tmp, strerror(errno));
        st = ECL_EIO;
    } else if (fstat(fd, &sb) != 0) {
        ecl_port_set_error_("%s: fstat of %s failed: %s", path, tmp, strerror(errno));
        st = ECL_EIO;
    }
    if (close(fd) != 0 && st == ECL_OK) {
        ecl_port_set_error_("%s: closing %s failed: %s", path, tmp, strerror(errno));
        st = ECL_EIO;
    }
    if (st == ECL_OK && expect) {
        /* The last moment to notice a writer that did not take the lock (or a lock file that
         * was deleted): replacing its file now would silently lose its work. */
        struct ecl_port_file_id cur;
        st = ecl_port_file_id(path, &cur);
        if (st == ECL_OK && !ecl_port_file_id_equal(&cur, expect)) {
            ecl_port_set_error_("%s was %s by another process since it was loaded; not "
                                "replaced",
                                path,
                                !expect->exists ? "created"
                                : cur.exists    ? "changed"
                                                : "removed");
            st = ECL_ESTATE;
        }
    }
    if (st == ECL_OK && rename(tmp, path) != 0) {
        ecl_port_set_error_("%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
        st = ECL_EIO;
    }
    if (st != ECL_OK) {
        unlink(tmp);
        free(tmp);
        return st;
    }
    free(tmp);
    fsync_dir_of(path);
    if (now) {
        memset(now, 0, sizeof *now);
        now->exists = 1;
        now->dev = (uint64_t)sb.st_dev;
        now->ino = (uint64_t)sb.st_ino;
        now->size = (uint64_t)sb.st_size;
        now->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    }
    return ECL_OK;
}

enum ecl_status ecl_port_save_atomic(const char *path, const void *buf, size_t len) {
    return ecl_port_save_atomic_if(path, buf, len, NULL, NULL);
}

enum ecl_status ecl_port_read_file_id(const char *path, void **buf, size_t *len,
                                      struct ecl_port_file_id *id) {
    ecl_port_clear_error_();
    if (!path || !buf || !len) {
        ecl_port_set_error_("read: invalid argument");
        return ECL_EINVAL;
    }
    *buf = NULL;
    *len = 0;
    if (id) memset(id, 0, sizeof *id);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        ecl_port_set_error_("%s: %s", path, strerror(e));
        return e == ENOENT ? ECL_ENOTFOUND : ECL_EIO;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
        ecl_port_set_error_("%s: not a regular file", path);
        fclose(f);
        return ECL_EIO;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *p = malloc(size ? size : 1);
    if (!p) {
        char b[32];
        ecl_port_set_error_("%s: out of memory (%s to read it)", path,
                            ecl_port_fmt_bytes_(size, b, sizeof b));
        fclose(f);
        return ECL_EOOM;
    }
    size_t got = size ? fread(p, 1, size, f) : 0;
    int err = ferror(f), e = errno;
    fclose(f);
    if (err || got != size) {
        if (err)
            ecl_port_set_error_("%s: read error: %s", path, strerror(e));
        else
            ecl_port_set_error_("%s: file shrank while being read (%zu of %zu bytes)", path, got,
                                size);
        free(p);
        return ECL_EIO;
    }
    if (id) {
        id->exists = 1;
        id->dev = (uint64_t)st.st_dev;
        id->ino = (uint64_t)st.st_ino;
        id->size = (uint64_t)st.st_size;
        id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    *buf = p;
    *len = size;
    return ECL_OK;
}

enum ecl_status ecl_port_read_file(const char *path, void **buf, size_t *len) {
    return ecl_port_read_file_id(path, buf, len, NULL);
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
