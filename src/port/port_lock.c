/* src/port/port_lock.c - exclusive use of a file by one writer, and file identities.
 *
 * Why a separate "<path>.lock" and not a lock on the state file itself: writers replace the
 * state by renaming a new file over it, so a lock on the old inode would not stop the next
 * writer (it opens the new inode). The lock file is never renamed or removed: removing it
 * while a waiter has it open would let two writers lock two different inodes.
 *
 * Why flock() and not fcntl() record locks: an fcntl lock belongs to the process and is
 * dropped when *any* descriptor of the file is closed, and two locks of one process never
 * conflict; flock belongs to the open file description, so two servers in one test process
 * exclude each other too. flock cannot tell who holds it, so the holder writes its pid into
 * the lock file for the "in use by PID n" message. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "edgecl/port.h"
#include "port/port_impl.h"

struct ecl_port_lock {
    int fd;
};

/* The pid written by the current holder, -1 if none readable or that process is gone. */
static long read_holder(int fd) {
    char b[32];
    ssize_t n = pread(fd, b, sizeof b - 1, 0);
    if (n <= 0) return -1;
    b[n] = 0;
    char *end;
    long pid = strtol(b, &end, 10);
    if (end == b || pid <= 0) return -1;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return -1;
    return pid;
}

enum ecl_status ecl_port_lock_acquire(const char *path, int wait, struct ecl_port_lock **out,
                                      long *holder) {
    ecl_port_clear_error_();
    if (holder) *holder = -1;
    if (!path || !out) {
        ecl_port_set_error_("lock: invalid argument");
        return ECL_EINVAL;
    }
    *out = NULL;
    size_t n = strlen(path) + 6;
    char *lp = malloc(n);
    struct ecl_port_lock *lk = malloc(sizeof *lk);
    if (!lp || !lk) {
        free(lp);
        free(lk);
        ecl_port_set_error_("%s: out of memory", path);
        return ECL_EOOM;
    }
    snprintf(lp, n, "%s.lock", path);
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        ecl_port_set_error_("%s: cannot create the lock file %s: %s", path, lp, strerror(errno));
        free(lp);
        free(lk);
        return ECL_EIO;
    }
    int r;
    long pid = -1;
    /* A holder writes its pid just after it got the lock and clears it just before it lets
     * go, so a contender can land in between: then look again for a short while (the lock
     * may also have become free) before answering without a pid. */
    for (int tries = 0; tries < 200; tries++) {
        while ((r = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
        }
        if (r == 0 || errno != EWOULDBLOCK) break;
        if ((pid = read_holder(fd)) > 0) break;
        struct timespec ts = {0, 1000000}; /* 1 ms */
        nanosleep(&ts, NULL);
    }
    if (r != 0 && errno == EWOULDBLOCK) {
        if (holder) *holder = pid;
        if (!wait) {
            if (pid > 0)
                ecl_port_set_error_("%s is in use by PID %ld (lock %s)", path, pid, lp);
            else
                ecl_port_set_error_("%s is in use by another process (lock %s)", path, lp);
            close(fd);
            free(lp);
            free(lk);
            return ECL_EBUSY;
        }
        while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
        }
    }
    if (r != 0) {
        ecl_port_set_error_("%s: cannot lock %s: %s", path, lp, strerror(errno));
        close(fd);
        free(lp);
        free(lk);
        return ECL_EIO;
    }
    /* Ours now: tell later contenders who holds it. A failure here only costs the pid in their
     * message, so it is not an error. */
    char b[32];
    int m = snprintf(b, sizeof b, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, b, (size_t)m, 0) != m) {
        /* nothing: see above */
    }
    free(lp);
    lk->fd = fd;
    *out = lk;
    return ECL_OK;
}

void ecl_port_lock_release(struct ecl_port_lock *lk) {
    if (!lk) return;
    /* Leave the file empty so a stale pid is never reported; closing drops the lock. */
    if (ftruncate(lk->fd, 0) != 0) {
        /* the pid stays; read_holder checks that the process still exists */
    }
    close(lk->fd);
    free(lk);
}

enum ecl_status ecl_port_file_id(const char *path, struct ecl_port_file_id *id) {
    if (!path || !id) return ECL_EINVAL;
    memset(id, 0, sizeof *id);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return ECL_OK;
        ecl_port_set_error_("%s: %s", path, strerror(errno));
        return ECL_EIO;
    }
    id->exists = 1;
    id->dev = (uint64_t)st.st_dev;
    id->ino = (uint64_t)st.st_ino;
    id->size = (uint64_t)st.st_size;
    id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return ECL_OK;
}

int ecl_port_file_id_equal(const struct ecl_port_file_id *a, const struct ecl_port_file_id *b) {
    if (!a->exists || !b->exists) return a->exists == b->exists;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}
