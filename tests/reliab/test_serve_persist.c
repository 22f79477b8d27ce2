/* tests/reliab/test_serve_persist.c - the demo server's state file under crashes and a second
 * writer (issue 13, findings 1 and 6: samples the server acknowledged as "pending" were lost
 * on kill -9; two servers on one state overwrote each other).
 *
 *  - a second server on the same state is refused ("in use by PID n"), also while the first
 *    runs in another process; after the first one is killed (-9) it starts;
 *  - classes and pending samples acknowledged by a server killed with SIGKILL are back after a
 *    restart, exactly (counts and the predictions they train);
 *  - after a training round no sample is pending twice: a journal left from before the round
 *    (the crash window between saving the state and rewriting the journal) is discarded;
 *  - a journal record torn by a kill mid-append is dropped, the records before it kept.
 * The server runs in a forked child (stand-in 48-d backbone), so SIGKILL is real. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>

/* after stdio.h: jpeglib.h uses FILE */
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edgecl/port.h"
#include "serve_app.h"
#include "stub_fx.h"
#include "test_http.h"
#include "test_jpeg.h"

static const struct serve_extractor FX = {NULL, DIM, stub_extract, "stub colour grid", NULL};
static char dir[256], state[512];

/* A 32x24 JPEG of one colour with sensor noise (seed). */
static unsigned char *make_jpeg(int r, int g, int b, unsigned seed, unsigned long *len) {
    return test_jpeg(32, 24, 10, 0, r, g, b, seed, len);
}

static void post_ok(int port, const char *path, const char *ctype, const void *body, size_t len) {
    char *r;
    int code = http(port, "POST", path, ctype, body, len, &r);
    if (code != 200) fprintf(stderr, "POST %s: %d %s\n", path, code, r);
    assert_int_equal(code, 200);
    free(r);
}

static void teach(int port, int id, int r, int g, int b, int n) {
    char path[64];
    snprintf(path, sizeof path, "/api/classes/%d/samples", id);
    for (int i = 0; i < n; i++) {
        unsigned long len;
        unsigned char *j = make_jpeg(r, g, b, (unsigned)(id * 100 + i + 1), &len);
        post_ok(port, path, "image/jpeg", j, len);
        free(j);
    }
}

static char *get_state(int port) {
    char *r;
    assert_int_equal(http(port, "GET", "/api/state", NULL, NULL, 0, &r), 200);
    return r;
}

/* A server on `state` in a child process; returns its pid, *port its port. */
static pid_t server_child(int *port) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        struct serve_opts o = serve_default_opts();
        o.port = 0;
        o.state_path = state;
        struct serve *s = NULL;
        char err[512];
        int pt = serve_start(&o, &FX, &s, err, sizeof err) == ECL_OK ? serve_port(s) : -1;
        if (pt < 0) fprintf(stderr, "child serve_start: %s\n", err);
        if (write(p[1], &pt, sizeof pt) != sizeof pt) _exit(1);
        for (;;)
            pause();
    }
    close(p[1]);
    assert_int_equal(read(p[0], port, sizeof *port), (ssize_t)sizeof *port);
    close(p[0]);
    assert_true(*port > 0);
    return c;
}

static void kill9(pid_t c) {
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

static void clean(void) {
    char p[600];
    unlink(state);
    snprintf(p, sizeof p, "%s.pending", state);
    unlink(p);
}

static void test_second_server_refused(void **u) {
    (void)u;
    clean();
    int port;
    pid_t c = server_child(&port);
    struct serve_opts o = serve_default_opts();
    o.port = 0;
    o.state_path = state;
    struct serve *s = NULL;
    char err[512] = "";
    assert_int_equal(serve_start(&o, &FX, &s, err, sizeof err), ECL_EBUSY);
    char want[64];
    snprintf(want, sizeof want, "in use by PID %ld", (long)c);
    assert_non_null(strstr(err, want));
    kill9(c);
    assert_int_equal(serve_start(&o, &FX, &s, err, sizeof err), ECL_OK); /* lock died with it */
    serve_stop(s);
}

static void test_pending_survive_kill(void **u) {
    (void)u;
    clean();
    int port;
    pid_t c = server_child(&port);
    static const char red[] = "{\"name\":\"red\"}", blue[] = "{\"name\":\"blue\"}";
    post_ok(port, "/api/classes", "application/json", red, strlen(red));
    teach(port, 0, 220, 30, 30, 3);
    post_ok(port, "/api/classes", "application/json", blue, strlen(blue));
    teach(port, 1, 30, 40, 220, 2);
    kill9(c); /* nothing was trained or saved: only the journal knows */

    c = server_child(&port);
    char *st = get_state(port);
    assert_non_null(strstr(st, "\"name\":\"red\",\"trained\":0,\"pending\":3"));
    assert_non_null(strstr(st, "\"name\":\"blue\",\"trained\":0,\"pending\":2"));
    free(st);
    /* the restored samples train like the originals */
    post_ok(port, "/api/train", NULL, NULL, 0);
    st = get_state(port);
    assert_non_null(strstr(st, "\"name\":\"red\",\"trained\":3,\"pending\":0"));
    assert_non_null(strstr(st, "\"name\":\"blue\",\"trained\":2,\"pending\":0"));
    free(st);
    teach(port, 1, 30, 40, 220, 1); /* pending after the round */
    kill9(c);

    c = server_child(&port);
    st = get_state(port);
    assert_non_null(strstr(st, "\"name\":\"red\",\"trained\":3,\"pending\":0")); /* no double */
    assert_non_null(strstr(st, "\"name\":\"blue\",\"trained\":2,\"pending\":1"));
    assert_non_null(strstr(st, "\"rounds\":1"));
    free(st);
    kill9(c);
}

static void test_stale_journal_discarded(void **u) {
    (void)u;
    clean();
    int port;
    pid_t c = server_child(&port);
    static const char red[] = "{\"name\":\"red\"}";
    post_ok(port, "/api/classes", "application/json", red, strlen(red));
    teach(port, 0, 220, 30, 30, 4);
    char jp[600];
    snprintf(jp, sizeof jp, "%s.pending", state);
    void *before;
    size_t blen;
    assert_int_equal(ecl_port_read_file(jp, &before, &blen), ECL_OK);
    post_ok(port, "/api/train", NULL, NULL, 0);
    kill9(c);
    /* as if killed between saving the state and rewriting the journal */
    assert_int_equal(ecl_port_save_atomic(jp, before, blen), ECL_OK);
    c = server_child(&port);
    char *st = get_state(port);
    assert_non_null(strstr(st, "\"name\":\"red\",\"trained\":4,\"pending\":0"));
    free(st);
    kill9(c);
    /* a torn record: the journal of 2 samples plus half of a third */
    clean();
    c = server_child(&port);
    post_ok(port, "/api/classes", "application/json", red, strlen(red));
    teach(port, 0, 220, 30, 30, 3);
    kill9(c);
    void *j;
    size_t jl;
    assert_int_equal(ecl_port_read_file(jp, &j, &jl), ECL_OK);
    size_t rec = 12 + 4 + 4 * DIM;
    assert_int_equal(ecl_port_save_atomic(jp, j, jl - rec / 2), ECL_OK);
    c = server_child(&port);
    st = get_state(port);
    assert_non_null(strstr(st, "\"name\":\"red\",\"trained\":0,\"pending\":2"));
    free(st);
    kill9(c);
    free(j);
    free(before);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/ecl_persist_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    snprintf(state, sizeof state, "%s/demo.ecls", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_server_refused),
        cmocka_unit_test(test_pending_survive_kill),
        cmocka_unit_test(test_stale_journal_discarded),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
