/* test_serve.c - the demo server's HTTP API and its error handling, end to end over a real
 * socket. The backbone is replaced by a stand-in extractor (mean colour on a 4x4 grid, 48-d),
 * which separates solid-colour test images just as the real backbone separates scenes; the
 * learners, state file, JSON and HTTP layers are the shipped ones. */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <jpeglib.h>
#include "../../tools/edgecl/serve_app.h"

#include "stub_fx.h"

static const struct serve_extractor FX = {NULL, DIM, stub_extract, "stub colour grid"};

/* ------------------------------------------------------------ JPEG and HTTP helpers */

static unsigned char *make_jpeg(int r, int g, int b, unsigned seed, unsigned long *len) {
    const int w = 64, h = 48;
    unsigned char *rgb = malloc((size_t)w * h * 3), *out = NULL;
    for (int i = 0; i < w * h; i++) {
        seed = seed * 1103515245u + 12345u;
        int n = (int)((seed >> 16) % 41) - 20; /* sensor noise */
        int v[3] = {r + n, g + n, b + n};
        for (int c = 0; c < 3; c++)
            rgb[i * 3 + c] = (unsigned char)(v[c] < 0 ? 0 : v[c] > 255 ? 255 : v[c]);
    }
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr je;
    ci.err = jpeg_std_error(&je);
    jpeg_create_compress(&ci);
    *len = 0;
    jpeg_mem_dest(&ci, &out, len);
    ci.image_width = w;
    ci.image_height = h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 85, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = rgb + (size_t)ci.next_scanline * w * 3;
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    free(rgb);
    return out;
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0) return; /* server may close early (413) */
        c += k;
        n -= (size_t)k;
    }
}

/* Reads the whole response; returns the status code, body in *body (malloc'd). */
static int read_resp(int fd, char **body) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
        if (k <= 0) break;
        len += (size_t)k;
    }
    buf[len] = 0;
    close(fd);
    int code = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1) code = -1;
    char *b = strstr(buf, "\r\n\r\n");
    *body = strdup(b ? b + 4 : "");
    free(buf);
    return code;
}

static int http(int port, const char *method, const char *path, const char *ctype, const void *body,
                size_t len, char **resp) {
    int fd = connect_to(port);
    char hdr[1024];
    int n =
        snprintf(hdr, sizeof hdr, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n",
                 method, path, port);
    if (ctype) n += snprintf(hdr + n, sizeof hdr - (size_t)n, "Content-Type: %s\r\n", ctype);
    if (body || !strcmp(method, "POST"))
        n += snprintf(hdr + n, sizeof hdr - (size_t)n, "Content-Length: %zu\r\n", len);
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "\r\n");
    send_all(fd, hdr, (size_t)n);
    if (len) send_all(fd, body, len);
    char *tmp;
    int code = read_resp(fd, resp ? resp : &tmp);
    if (!resp) free(tmp);
    return code;
}

static int post_json(int port, const char *path, const char *json, char **resp) {
    return http(port, "POST", path, "application/json", json, strlen(json), resp);
}

/* Teaches n noisy frames of one colour to class id. */
static void teach(int port, int id, int r, int g, int b, int n) {
    char path[64];
    snprintf(path, sizeof path, "/api/classes/%d/samples", id);
    for (int i = 0; i < n; i++) {
        unsigned long len;
        unsigned char *j = make_jpeg(r, g, b, (unsigned)(id * 1000 + i), &len);
        char *resp;
        int code = http(port, "POST", path, "image/jpeg", j, len, &resp);
        if (code != 200) fprintf(stderr, "teach: %d %s\n", code, resp);
        assert_int_equal(code, 200);
        free(resp);
        free(j);
    }
}

/* Top class of the given learner ("replay"/"naive") for a colour. */
static int predict(int port, const char *learner, int r, int g, int b) {
    unsigned long len;
    unsigned char *j = make_jpeg(r, g, b, 4242, &len);
    char *resp;
    assert_int_equal(http(port, "POST", "/api/predict", "image/jpeg", j, len, &resp), 200);
    free(j);
    char key[32];
    snprintf(key, sizeof key, "\"%s\":{", learner);
    char *p = strstr(resp, key);
    assert_non_null(p);
    int top = -2;
    char *t = strstr(p, "\"top\":");
    assert_non_null(t);
    sscanf(t + 6, "%d", &top);
    free(resp);
    return top;
}

static char state_path[512];

static struct serve *start(const char *state, unsigned max_conns) {
    struct serve_opts o = serve_default_opts();
    o.port = 0;
    o.state_path = state;
    if (max_conns) o.max_conns = max_conns;
    struct serve *s = NULL;
    char err[512];
    enum ecl_status st = serve_start(&o, &FX, &s, err, sizeof err);
    if (st) fprintf(stderr, "serve_start: %s\n", err);
    assert_int_equal(st, ECL_OK);
    assert_true(serve_port(s) > 0);
    return s;
}

static int group_setup(void **state) {
    snprintf(state_path, sizeof state_path, "%s/test_serve_state_%d.ecls", ECL_BINARY_DIR,
             (int)getpid());
    return 0;
}

static int group_teardown(void **state) {
    unlink(state_path);
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_learn_persist_restore(void **unused) {
    unlink(state_path);
    struct serve *s = start(state_path, 0);
    int port = serve_port(s);
    char *resp;

    assert_int_equal(http(port, "GET", "/api/state", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"classes\":[]"));
    assert_non_null(strstr(resp, "\"trained\":false"));
    free(resp);

    assert_int_equal(post_json(port, "/api/classes", "{\"name\": \"red\"}", &resp), 200);
    assert_non_null(strstr(resp, "\"id\":0"));
    free(resp);
    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"blue \\u00e9\"}", &resp), 200);
    assert_non_null(strstr(resp, "\"id\":1"));
    free(resp);

    /* predict before any training: 200, but not trained */
    unsigned long jl;
    unsigned char *j = make_jpeg(200, 30, 30, 1, &jl);
    assert_int_equal(http(port, "POST", "/api/predict", "image/jpeg", j, jl, &resp), 200);
    assert_non_null(strstr(resp, "\"trained\":false"));
    free(resp);
    free(j);

    teach(port, 0, 220, 30, 30, 24);
    teach(port, 1, 30, 40, 220, 24);
    assert_int_equal(http(port, "GET", "/api/state", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"pending\":24"));
    free(resp);

    assert_int_equal(post_json(port, "/api/train", "{\"learner\":\"both\"}", &resp), 200);
    assert_non_null(strstr(resp, "\"trained\":48"));
    assert_non_null(strstr(resp, "\"saved\":true"));
    free(resp);
    assert_int_equal(predict(port, "replay", 220, 30, 30), 0);
    assert_int_equal(predict(port, "replay", 30, 40, 220), 1);
    assert_int_equal(predict(port, "naive", 220, 30, 30), 0);

    /* round 2: a third class alone (class-incremental) */
    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"green\"}", &resp), 200);
    free(resp);
    teach(port, 2, 30, 210, 40, 24);
    assert_int_equal(http(port, "POST", "/api/train", NULL, NULL, 0, &resp), 200);
    free(resp);
    assert_int_equal(predict(port, "replay", 220, 30, 30), 0);
    assert_int_equal(predict(port, "replay", 30, 40, 220), 1);
    assert_int_equal(predict(port, "replay", 30, 210, 40), 2);
    assert_int_equal(predict(port, "naive", 30, 210, 40), 2);
    serve_stop(s);

    /* a new process (here: a new server) picks the state up */
    s = start(state_path, 0);
    port = serve_port(s);
    assert_int_equal(http(port, "GET", "/api/state", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"name\":\"red\",\"trained\":24"));
    assert_non_null(strstr(resp, "\"name\":\"blue \xc3\xa9\""));
    assert_non_null(strstr(resp, "\"rounds\":2"));
    free(resp);
    assert_int_equal(predict(port, "replay", 220, 30, 30), 0);
    assert_int_equal(predict(port, "replay", 30, 210, 40), 2);

    /* reset forgets in memory; restore brings the saved state back */
    assert_int_equal(http(port, "POST", "/api/reset", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"classes\":[]"));
    free(resp);
    assert_int_equal(predict(port, "replay", 220, 30, 30), -1);
    assert_int_equal(http(port, "POST", "/api/restore", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"name\":\"green\""));
    free(resp);
    assert_int_equal(predict(port, "replay", 30, 40, 220), 1);
    assert_int_equal(http(port, "POST", "/api/save", NULL, NULL, 0, &resp), 200);
    free(resp);

    /* a corrupted state file is refused by restore (422) and leaves the learners alone */
    FILE *f = fopen(state_path, "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    fputc(0x5A, f);
    fclose(f);
    assert_int_equal(http(port, "POST", "/api/restore", NULL, NULL, 0, &resp), 422);
    assert_non_null(strstr(resp, "corrupted"));
    free(resp);
    assert_int_equal(predict(port, "replay", 30, 40, 220), 1);
    serve_stop(s);

    /* ... and the server refuses to start on it, rather than overwriting it later */
    struct serve_opts o = serve_default_opts();
    o.port = 0;
    o.state_path = state_path;
    char err[512];
    assert_int_not_equal(serve_start(&o, &FX, &s, err, sizeof err), ECL_OK);
    assert_non_null(strstr(err, "corrupted"));
    unlink(state_path);
}

static void expect(int port, int want, const char *method, const char *path, const char *ctype,
                   const void *body, size_t len, const char *msg_part) {
    char *resp;
    int code = http(port, method, path, ctype, body, len, &resp);
    if (code != want || (msg_part && !strstr(resp, msg_part)))
        fprintf(stderr, "%s %s: got %d %s, want %d '%s'\n", method, path, code, resp, want,
                msg_part ? msg_part : "");
    assert_int_equal(code, want);
    if (want >= 400 && strncmp(path, "/api/", 5) == 0) assert_non_null(strstr(resp, "\"error\":"));
    if (msg_part) assert_non_null(strstr(resp, msg_part));
    free(resp);
}

static void test_bad_input(void **unused) {
    struct serve *s = start(NULL, 0);
    int port = serve_port(s);
    unsigned long jl;
    unsigned char *j = make_jpeg(100, 100, 100, 7, &jl);
    const char *S = "/api/classes/0/samples";

    expect(port, 200, "POST", "/api/classes", "application/json", "{\"name\":\"a\"}", 12, NULL);
    /* content types */
    expect(port, 415, "POST", S, "text/plain", j, jl, "image/jpeg");
    expect(port, 415, "POST", S, NULL, j, jl, "Content-Type");
    expect(port, 415, "POST", "/api/classes", "text/plain", "{\"name\":\"b\"}", 12, NULL);
    expect(port, 415, "POST", "/api/predict", "application/json", "{}", 2, NULL);
    /* bad images */
    expect(port, 400, "POST", S, "image/jpeg", j, jl / 2, "bad image");
    expect(port, 400, "POST", S, "image/jpeg", "hello world", 11, "bad image");
    expect(port, 400, "POST", S, "image/jpeg", "", 0, "empty");
    expect(port, 400, "POST", "/api/predict", "image/jpeg", j, 20, "bad image");
    /* unknown class ids */
    expect(port, 404, "POST", "/api/classes/7/samples", "image/jpeg", j, jl, "unknown class");
    expect(port, 404, "POST", "/api/classes/x1/samples", "image/jpeg", j, jl, "unknown class");
    expect(port, 404, "POST", "/api/classes/-1/samples", "image/jpeg", j, jl, "unknown class");
    expect(port, 404, "POST", "/api/classes/99999999999999999999/samples", "image/jpeg", j, jl,
           NULL);
    expect(port, 404, "POST", "/api/classes//samples", "image/jpeg", j, jl, NULL);
    /* bad JSON and bad names */
    const char *bad[] = {"",
                         "{",
                         "{\"name\":}",
                         "[\"name\"]",
                         "{\"name\":\"a\"} x",
                         "{\"name\":\"\\ud800\"}",
                         "{\"name\":\"a\",}",
                         "nul",
                         "{\"name\":\"\x01\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(port, 400, "POST", "/api/classes", "application/json", bad[i], strlen(bad[i]), NULL);
    char deep[200];
    memset(deep, '[', sizeof deep);
    memcpy(deep, "{\"x\":", 5);
    expect(port, 400, "POST", "/api/classes", "application/json", deep, sizeof deep, "bad JSON");
    expect(port, 400, "POST", "/api/classes", "application/json", "{\"name\":\"   \"}", 14, NULL);
    expect(port, 400, "POST", "/api/classes", "application/json", "{\"name\":42}", 11, NULL);
    const char *longname = "{\"name\":\"0123456789012345678901234567890123456789\"}";
    expect(port, 400, "POST", "/api/classes", "application/json", longname, strlen(longname),
           "too long");
    expect(port, 409, "POST", "/api/classes", "application/json", "{\"name\":\"a\"}", 12,
           "already exists");
    expect(port, 400, "POST", "/api/train", "application/json", "{\"learner\":\"slow\"}", 18,
           "learner");
    expect(port, 409, "POST", "/api/train", NULL, NULL, 0, "nothing to train");
    expect(port, 409, "POST", "/api/save", NULL, NULL, 0, "state file");
    /* routes and methods */
    expect(port, 404, "GET", "/api/nope", NULL, NULL, 0, NULL);
    expect(port, 405, "GET", "/api/train", NULL, NULL, 0, NULL);
    expect(port, 405, "POST", "/api/state", NULL, NULL, 0, NULL);
    expect(port, 405, "DELETE", "/index.html", NULL, NULL, 0, NULL);
    expect(port, 404, "GET", "/../../etc/passwd", NULL, NULL, 0, NULL);
    expect(port, 404, "GET", "/.hidden", NULL, NULL, 0, NULL);
    expect(port, 200, "GET", "/", NULL, NULL, 0, "<html");
    expect(port, 200, "GET", "/app.js", NULL, NULL, 0, NULL);

    /* oversize body, declared up front: refused before it is read */
    size_t big = (2u << 20) + 1;
    char *huge = calloc(1, big);
    expect(port, 413, "POST", S, "image/jpeg", huge, big, "too large");
    /* oversize body, chunked (no Content-Length): discarded while streaming */
    {
        int fd = connect_to(port);
        char hdr[256];
        int n = snprintf(hdr, sizeof hdr,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                         "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                         S);
        send_all(fd, hdr, (size_t)n);
        for (int k = 0; k < 40; k++) {
            n = snprintf(hdr, sizeof hdr, "%x\r\n", 65536);
            send_all(fd, hdr, (size_t)n);
            send_all(fd, huge, 65536);
            send_all(fd, "\r\n", 2);
        }
        send_all(fd, "0\r\n\r\n", 5);
        char *resp;
        assert_int_equal(read_resp(fd, &resp), 413);
        free(resp);
    }
    free(huge);
    /* truncated body: the client promises 5000 bytes, sends 100 and hangs up */
    for (int k = 0; k < 3; k++) {
        int fd = connect_to(port);
        char hdr[256];
        int n = snprintf(hdr, sizeof hdr,
                         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                         "Content-Length: 5000\r\n\r\n",
                         S);
        send_all(fd, hdr, (size_t)n);
        send_all(fd, j, 100);
        close(fd);
    }
    /* garbage request line */
    {
        int fd = connect_to(port);
        send_all(fd, "\x01\x02 nonsense\r\n\r\n", 15);
        char *resp;
        int code = read_resp(fd, &resp);
        assert_true(code == 400 || code == -1);
        free(resp);
    }
    /* cross-site request from a browser page elsewhere */
    {
        int fd = connect_to(port);
        char hdr[256];
        int n = snprintf(hdr, sizeof hdr,
                         "POST /api/reset HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                         "Origin: http://evil.example\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n",
                         port);
        send_all(fd, hdr, (size_t)n);
        char *resp;
        assert_int_equal(read_resp(fd, &resp), 403);
        free(resp);
    }
    /* still alive and the class is still there */
    expect(port, 200, "POST", S, "image/jpeg", j, jl, "\"pending\":1");
    expect(port, 200, "GET", "/api/state", NULL, NULL, 0, "\"name\":\"a\"");
    free(j);
    serve_stop(s);
}

static void test_connection_limit(void **unused) {
    struct serve *s = start(NULL, 4);
    int port = serve_port(s);
    int fds[12];
    for (int i = 0; i < 12; i++)
        fds[i] = connect_to(port); /* idle; extra ones get dropped */
    for (int i = 0; i < 12; i++)
        close(fds[i]);
    char *resp = NULL;
    int code = -1;
    for (int tries = 0; tries < 50 && code != 200; tries++) { /* MHD notices closes async */
        free(resp);
        resp = NULL;
        code = http(port, "GET", "/api/state", NULL, NULL, 0, &resp);
        if (code != 200) usleep(20000);
    }
    assert_int_equal(code, 200);
    free(resp);
    serve_stop(s);
}

static void test_json_reader(void **unused) {
    char out[16], err[128];
    const char *t1 = "{\"a\":[1,{\"name\":\"no\"}],\"name\":\"x\\\"y\"}";
    assert_int_equal(
        json_object_get_string(t1, strlen(t1), "name", out, sizeof out, err, sizeof err), 1);
    assert_string_equal(out, "x\"y");
    assert_int_equal(json_object_get_string("{\"n\":-1.5e3,\"t\":true,\"z\":null}", 30, "name", out,
                                            sizeof out, err, sizeof err),
                     0);
    assert_int_equal(json_object_get_string("{\"name\":\"\\ud83d\\ude00\"}", 23, "name", out,
                                            sizeof out, err, sizeof err),
                     1);
    assert_string_equal(out, "\xf0\x9f\x98\x80");
    assert_int_equal(
        json_object_get_string("{\"n\":01}", 8, "name", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad JSON"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_reader),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_connection_limit),
        cmocka_unit_test(test_learn_persist_restore),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
