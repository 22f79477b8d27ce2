/* Port layer: atomic save replaces the file, refuses bad arguments, leaves no temp file on
 * failure, and sweeps temp files of writers that died mid-save (but not of live ones). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edgecl/port.h"

static char dir[256];

static int exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static void touch(const char *p) {
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs("partial", f);
    fclose(f);
}

static void test_roundtrip(void **s) {
    (void)s;
    char path[512];
    snprintf(path, sizeof path, "%s/a.bin", dir);
    assert_int_equal(ecl_port_save_atomic(path, "hello", 5), ECL_OK);
    assert_int_equal(ecl_port_save_atomic(path, "bye", 3), ECL_OK);
    void *buf;
    size_t len;
    assert_int_equal(ecl_port_read_file(path, &buf, &len), ECL_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "bye", 3);
    free(buf);
    assert_int_equal(ecl_port_read_file("/nonexistent/x", &buf, &len), ECL_ENOTFOUND);
    assert_int_equal(ecl_port_save_atomic(NULL, "x", 1), ECL_EINVAL);
}

static void test_unwritable_dir_keeps_nothing(void **s) {
    (void)s;
    assert_int_equal(ecl_port_save_atomic("/nonexistent-dir/x.bin", "x", 1), ECL_EIO);
}

static void test_stale_temps_swept(void **s) {
    (void)s;
    char path[512], dead[600], live[600], other[600];
    snprintf(path, sizeof path, "%s/state.ecls", dir);
    /* a pid that certainly does not exist any more: a child we waited for */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    snprintf(dead, sizeof dead, "%s.tmp.%ld", path, (long)child);
    snprintf(live, sizeof live, "%s.tmp.%ld", path, (long)getppid()); /* a live process */
    snprintf(other, sizeof other, "%s/other.ecls.tmp.%ld", dir, (long)child);
    touch(dead);
    touch(live);
    touch(other);
    assert_int_equal(ecl_port_save_atomic(path, "new", 3), ECL_OK);
    assert_false(exists(dead)); /* writer died mid-save: swept */
    assert_true(exists(live));  /* writer alive: left alone */
    assert_true(exists(other)); /* another target's temp: not ours to touch */
    unlink(live);
    unlink(other);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/ecl_port_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_unwritable_dir_keeps_nothing),
        cmocka_unit_test(test_stale_temps_swept),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) rc = rc ? rc : 1;
    return rc;
}
