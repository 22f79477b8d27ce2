/* tests/reliab/test_state_lock.c - the port layer's writer lock and the "still the file that
 * was loaded" check before a rename (issue 13, finding 1).
 *
 *  - a second lock on the same path (another open file, as another process would have) is
 *    refused at once with ECL_EBUSY and the holder's pid; after release it is granted;
 *  - a waiting acquire (wait=1, in a child process) blocks until the holder releases;
 *  - the lock is dropped when its holder dies (SIGKILL), so a crash never wedges a state;
 *  - ecl_port_save_atomic_if refuses to replace a file changed, created or removed since it
 *    was read (ECL_ESTATE), keeps the other writer's file and leaves no temp file; with the
 *    identity it returned, the next save goes through. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edgecl/port.h"

static char dir[256];

static int exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_busy_then_free(void **s) {
    (void)s;
    char path[512];
    snprintf(path, sizeof path, "%s/busy.ecls", dir);
    struct ecl_port_lock *a = NULL, *b = NULL;
    long holder = 0;
    assert_int_equal(ecl_port_lock_acquire(path, 0, &a, &holder), ECL_OK);
    assert_non_null(a);
    assert_int_equal(ecl_port_lock_acquire(path, 0, &b, &holder), ECL_EBUSY);
    assert_null(b);
    assert_int_equal(holder, (long)getpid());
    assert_non_null(strstr(ecl_port_error(), "in use by PID"));
    ecl_port_lock_release(a);
    assert_int_equal(ecl_port_lock_acquire(path, 0, &b, &holder), ECL_OK);
    ecl_port_lock_release(b);
    ecl_port_lock_release(NULL); /* no-op */
}

static void test_waiter_blocks_until_release(void **s) {
    (void)s;
    char path[512], mark[600];
    snprintf(path, sizeof path, "%s/wait.ecls", dir);
    snprintf(mark, sizeof mark, "%s/wait.got", dir);
    /* The child is forked before the parent locks: a child forked while the lock is held
     * would share the lock's open file description, hence the lock (documented in port.h). */
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        char ch;
        if (read(go[0], &ch, 1) != 1) _exit(2);
        struct ecl_port_lock *b = NULL;
        long h;
        if (ecl_port_lock_acquire(path, 1, &b, &h) != ECL_OK) _exit(1);
        FILE *f = fopen(mark, "w");
        if (f) fclose(f);
        ecl_port_lock_release(b);
        _exit(0);
    }
    struct ecl_port_lock *a = NULL;
    long holder;
    assert_int_equal(ecl_port_lock_acquire(path, 0, &a, &holder), ECL_OK);
    assert_int_equal(write(go[1], "g", 1), 1);
    sleep_ms(200);
    assert_false(exists(mark)); /* still waiting */
    ecl_port_lock_release(a);
    int wst;
    assert_int_equal(waitpid(c, &wst, 0), c);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    assert_true(exists(mark));
    close(go[0]);
    close(go[1]);
}

static void test_holder_killed_releases(void **s) {
    (void)s;
    char path[512];
    snprintf(path, sizeof path, "%s/killed.ecls", dir);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        struct ecl_port_lock *b = NULL;
        long h;
        char ok = ecl_port_lock_acquire(path, 0, &b, &h) == ECL_OK ? 'y' : 'n';
        if (write(p[1], &ok, 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char got = 0;
    assert_int_equal(read(p[0], &got, 1), 1);
    assert_int_equal(got, 'y');
    struct ecl_port_lock *a = NULL;
    long holder = 0;
    assert_int_equal(ecl_port_lock_acquire(path, 0, &a, &holder), ECL_EBUSY);
    assert_int_equal(holder, (long)c);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    assert_int_equal(ecl_port_lock_acquire(path, 0, &a, &holder), ECL_OK);
    ecl_port_lock_release(a);
    close(p[0]);
    close(p[1]);
}

static void read_id(const char *path, struct ecl_port_file_id *id) {
    void *buf = NULL;
    size_t len;
    enum ecl_status st = ecl_port_read_file_id(path, &buf, &len, id);
    assert_true(st == ECL_OK || st == ECL_ENOTFOUND);
    free(buf);
}

static void assert_content(const char *path, const char *want) {
    void *buf;
    size_t len;
    assert_int_equal(ecl_port_read_file(path, &buf, &len), ECL_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    free(buf);
}

static void assert_no_temp(const char *path) {
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_false(exists(tmp));
}

static void test_save_if_unchanged(void **s) {
    (void)s;
    char path[512];
    snprintf(path, sizeof path, "%s/id.ecls", dir);
    struct ecl_port_file_id id, now;
    assert_int_equal(ecl_port_save_atomic(path, "v1", 2), ECL_OK);
    read_id(path, &id);
    assert_true(id.exists);
    /* another writer replaces it (rename: new inode) */
    assert_int_equal(ecl_port_save_atomic(path, "other", 5), ECL_OK);
    assert_int_equal(ecl_port_save_atomic_if(path, "mine", 4, &id, NULL), ECL_ESTATE);
    assert_non_null(strstr(ecl_port_error(), "changed by another process"));
    assert_content(path, "other");
    assert_no_temp(path);
    /* an in-place write of the same size (same inode, new mtime) */
    read_id(path, &id);
    sleep_ms(20);
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    fputs("OTHER", f);
    fclose(f);
    assert_int_equal(ecl_port_save_atomic_if(path, "mine", 4, &id, NULL), ECL_ESTATE);
    assert_content(path, "OTHER");
    /* unchanged: saved, and the returned identity allows the next save */
    read_id(path, &id);
    assert_int_equal(ecl_port_save_atomic_if(path, "mine", 4, &id, &now), ECL_OK);
    assert_content(path, "mine");
    assert_int_equal(ecl_port_save_atomic_if(path, "mine2", 5, &now, &now), ECL_OK);
    assert_content(path, "mine2");
    /* removed meanwhile */
    unlink(path);
    assert_int_equal(ecl_port_save_atomic_if(path, "x", 1, &now, NULL), ECL_ESTATE);
    assert_false(exists(path));
    /* loaded as "no file yet", then another writer created it */
    read_id(path, &id);
    assert_false(id.exists);
    assert_int_equal(ecl_port_save_atomic(path, "first", 5), ECL_OK);
    assert_int_equal(ecl_port_save_atomic_if(path, "second", 6, &id, NULL), ECL_ESTATE);
    assert_non_null(strstr(ecl_port_error(), "created by another process"));
    assert_content(path, "first");
    assert_no_temp(path);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/ecl_lock_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_then_free),
        cmocka_unit_test(test_waiter_blocks_until_release),
        cmocka_unit_test(test_holder_killed_releases),
        cmocka_unit_test(test_save_if_unchanged),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
