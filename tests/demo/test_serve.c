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
#include <sys/time.h>
#include <cmocka.h>
#include <jpeglib.h>
#include "../../tools/common/image.h"
#include "../../tools/edgecl/serve_app.h"
#include "edgecl/learner.h"

#include "stub_fx.h"
#include "test_http.h"
#include "test_jpeg.h"

static const struct serve_extractor FX = {NULL, DIM, stub_extract, "stub colour grid", NULL};

/* ------------------------------------------------------------ JPEG and HTTP helpers */

/* A w x h JPEG of one colour; seed != 0 adds sensor noise. */
static unsigned char *make_jpeg_wh(int w, int h, int r, int g, int b, unsigned seed,
                                   unsigned long *len) {
    return test_jpeg(w, h, seed ? 20 : 0, 85, r, g, b, seed, len);
}

static unsigned char *make_jpeg(int r, int g, int b, unsigned seed, unsigned long *len) {
    return make_jpeg_wh(64, 48, r, g, b, seed, len);
}

/* A complete-looking JPEG (SOI ... EOI) whose entropy-coded data stops halfway: libjpeg warns
 * ("premature end of data segment") and pads the rest of the image with grey. */
static unsigned char *make_corrupt_jpeg(unsigned long *len) {
    unsigned long l;
    unsigned char *j = make_jpeg(200, 40, 40, 99, &l);
    unsigned long sos = 0;
    for (unsigned long i = 2; i + 1 < l; i++)
        if (j[i] == 0xFF && j[i + 1] == 0xDA) {
            sos = i;
            break;
        }
    assert_true(sos > 0);
    unsigned long cut = sos + (l - sos) / 2;
    j[cut] = 0xFF;
    j[cut + 1] = 0xD9;
    *len = cut + 2;
    return j;
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

static struct serve *start_bind(const char *state, unsigned max_conns, const char *bind) {
    struct serve_opts o = serve_default_opts();
    o.port = 0;
    if (bind) o.bind = bind;
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

static struct serve *start(const char *state, unsigned max_conns) {
    return start_bind(state, max_conns, NULL);
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

static void corrupt_byte(const char *path, long off) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x5A, f);
    fclose(f);
}

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

    /* the two learners always train on the same rounds: one alone is refused, nothing changes */
    assert_int_equal(post_json(port, "/api/train", "{\"learner\":\"replay\"}", &resp), 400);
    assert_non_null(strstr(resp, "both"));
    free(resp);
    assert_int_equal(post_json(port, "/api/train", "{\"learner\":\"naive\"}", &resp), 400);
    free(resp);
    assert_int_equal(http(port, "GET", "/api/state", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"pending\":48"));
    assert_non_null(strstr(resp, "\"rounds\":0"));
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

    /* a corrupted state file is refused by restore (422) and leaves the learners alone */
    corrupt_byte(state_path, 40);
    assert_int_equal(http(port, "POST", "/api/restore", NULL, NULL, 0, &resp), 422);
    assert_non_null(strstr(resp, "corrupted"));
    free(resp);
    assert_int_equal(predict(port, "replay", 30, 40, 220), 1);

    /* reset forgets and saves the empty state like a training round (replacing the corrupted
     * file here): neither Restore nor a restart brings the old classes back */
    assert_int_equal(http(port, "POST", "/api/reset", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"classes\":[]"));
    assert_non_null(strstr(resp, "\"saved\":true"));
    free(resp);
    assert_int_equal(predict(port, "replay", 220, 30, 30), -1);
    assert_int_equal(http(port, "POST", "/api/restore", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"classes\":[]"));
    free(resp);
    serve_stop(s);
    s = start(state_path, 0);
    port = serve_port(s);
    assert_int_equal(http(port, "GET", "/api/state", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"classes\":[]"));
    assert_non_null(strstr(resp, "\"rounds\":0"));
    free(resp);
    assert_int_equal(predict(port, "replay", 220, 30, 30), -1);
    /* the reset state learns like a fresh one */
    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"blue\"}", &resp), 200);
    free(resp);
    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"green\"}", &resp), 200);
    free(resp);
    teach(port, 0, 30, 40, 220, 12);
    teach(port, 1, 30, 210, 40, 12);
    assert_int_equal(http(port, "POST", "/api/train", NULL, NULL, 0, &resp), 200);
    free(resp);
    assert_int_equal(predict(port, "replay", 30, 40, 220), 0);
    serve_stop(s);

    /* a corrupted file: the server refuses to start, rather than overwriting it later */
    corrupt_byte(state_path, 10);
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

/* A chunked upload that never ends (64 MB here, 32x the limit). The server must stop it soon
 * after the body passes 2 MB: answer 413 and close, or (where MHD cannot queue a response
 * mid-body) close at once. Before that fix it read and discarded the body forever. */
static void endless_chunked(int port, const char *path) {
    int fd = http_connect(port);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: image/jpeg\r\n"
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                     path, port);
    http_send_all(fd, hdr, (size_t)n);
    static char chunk[8 + 65536 + 2];
    memcpy(chunk, "10000\r\n", 7);
    memcpy(chunk + 7 + 65536, "\r\n", 2);
    const size_t total = sizeof chunk - 1, cap = 64u << 20;
    size_t sent = 0;
    while (sent < cap) {
        size_t off = 0;
        while (off < total) {
            ssize_t k = send(fd, chunk + off, total - off, MSG_NOSIGNAL);
            if (k <= 0) break;
            off += (size_t)k;
        }
        if (off < total) break; /* the server closed or stopped reading */
        sent += 65536;
    }
    char *resp;
    int code = http_read(fd, &resp, NULL);
    if (getenv("TEST_SERVE_VERBOSE"))
        fprintf(stderr, "endless chunked %s: stopped after %zu bytes, response %d %s\n", path, sent,
                code, resp);
    assert_true(sent < cap);
    assert_true(code == 413 || code == -1); /* -1: closed (a reset can beat the 413) */
    if (code == 413) assert_non_null(strstr(resp, "too large"));
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
    {
        /* ends with EOI but half the scan data is missing: libjpeg only warns (grey fill) */
        unsigned long cl;
        unsigned char *cj = make_corrupt_jpeg(&cl);
        expect(port, 400, "POST", S, "image/jpeg", cj, cl, "corrupt JPEG data");
        expect(port, 400, "POST", "/api/predict", "image/jpeg", cj, cl, "corrupt JPEG data");
        free(cj);
    }
    /* image size cap: at most 4096 pixels per side (checked from the header) */
    {
        unsigned long bl;
        unsigned char *bj = make_jpeg_wh(4097, 16, 90, 90, 90, 0, &bl);
        expect(port, 413, "POST", "/api/predict", "image/jpeg", bj, bl, "4097x16");
        expect(port, 413, "POST", S, "image/jpeg", bj, bl, "at most 4096 per side");
        free(bj);
        bj = make_jpeg_wh(16, 5000, 90, 90, 90, 0, &bl);
        expect(port, 413, "POST", "/api/predict", "image/jpeg", bj, bl, "image too large");
        free(bj);
        bj = make_jpeg_wh(4096, 16, 90, 90, 90, 0, &bl);
        expect(port, 200, "POST", "/api/predict", "image/jpeg", bj, bl, NULL);
        free(bj);
    }
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
    /* names: control characters (C0, DEL, C1; raw or escaped) and malformed UTF-8 */
    const char *ctl[] = {"{\"name\":\"a\x7f\"}", "{\"name\":\"a\\u007f\"}",
                         "{\"name\":\"\\u0085x\"}", "{\"name\":\"x\xc2\x9f\"}",
                         "{\"name\":\"a\\tb\"}"};
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++)
        expect(port, 400, "POST", "/api/classes", "application/json", ctl[i], strlen(ctl[i]),
               "control characters");
    const char *utf[] = {"{\"name\":\"\xff\"}",
                         "{\"name\":\"a\xc0\xaf\"}",
                         "{\"name\":\"\xed\xa0\x80\"}",
                         "{\"name\":\"\xe2\x82\"}",
                         "{\"name\":\"\xf4\x90\x80\x80\"}",
                         "{\"name\":\"\x80\"}",
                         "{\"x\":\"\xfe\",\"name\":\"ok\"}"};
    for (size_t i = 0; i < sizeof utf / sizeof utf[0]; i++)
        expect(port, 400, "POST", "/api/classes", "application/json", utf[i], strlen(utf[i]),
               "invalid UTF-8");
    expect(port, 400, "POST", "/api/classes", "application/json", "{\"name\":42}", 11, NULL);
    const char *longname = "{\"name\":\"0123456789012345678901234567890123456789\"}";
    expect(port, 400, "POST", "/api/classes", "application/json", longname, strlen(longname),
           "too long");
    expect(port, 409, "POST", "/api/classes", "application/json", "{\"name\":\"a\"}", 12,
           "already exists");
    expect(port, 400, "POST", "/api/train", "application/json", "{\"learner\":\"slow\"}", 18,
           "learner");
    expect(port, 409, "POST", "/api/train", NULL, NULL, 0, "nothing to train");
    expect(port, 400, "POST", "/api/train", "application/json", "{\"learner\":\"naive\"}", 19,
           "\\\"both\\\"");
    expect(port, 409, "POST", "/api/save", NULL, NULL, 0, "state file");
    /* routes and methods */
    expect(port, 404, "GET", "/api/nope", NULL, NULL, 0, NULL);
    expect(port, 405, "GET", "/api/train", NULL, NULL, 0, NULL);
    assert_non_null(strstr(http_last_headers, "\r\nAllow: POST"));
    expect(port, 405, "GET", "/api/classes/0/samples", NULL, NULL, 0, NULL);
    assert_non_null(strstr(http_last_headers, "\r\nAllow: POST"));
    expect(port, 405, "POST", "/api/state", NULL, NULL, 0, NULL);
    assert_non_null(strstr(http_last_headers, "\r\nAllow: GET"));
    expect(port, 405, "DELETE", "/index.html", NULL, NULL, 0, NULL);
    assert_non_null(strstr(http_last_headers, "\r\nAllow: GET, HEAD"));
    expect(port, 404, "GET", "/api/nope", NULL, NULL, 0, NULL);
    assert_null(strstr(http_last_headers, "Allow:"));
    expect(port, 404, "GET", "/../../etc/passwd", NULL, NULL, 0, NULL);
    expect(port, 404, "GET", "/.hidden", NULL, NULL, 0, NULL);
    expect(port, 200, "GET", "/", NULL, NULL, 0, "<html");
    expect(port, 200, "GET", "/app.js", NULL, NULL, 0, NULL);

    /* oversize body, declared up front: refused before it is read */
    size_t big = (2u << 20) + 1;
    char *huge = calloc(1, big);
    expect(port, 413, "POST", S, "image/jpeg", huge, big, "too large");
    free(huge);
    /* oversize body, chunked (no Content-Length) and endless: refused once it passes the limit */
    endless_chunked(port, S);
    endless_chunked(port, "/api/predict");
    /* truncated body: the client promises 5000 bytes, sends 100 and hangs up */
    for (int k = 0; k < 3; k++) {
        int fd = http_connect(port);
        char hdr[256];
        int n = snprintf(hdr, sizeof hdr,
                         "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
                         "Content-Length: 5000\r\n\r\n",
                         S);
        http_send_all(fd, hdr, (size_t)n);
        http_send_all(fd, j, 100);
        close(fd);
    }
    /* garbage request line */
    {
        int fd = http_connect(port);
        http_send_all(fd, "\x01\x02 nonsense\r\n\r\n", 15);
        char *resp;
        int code = http_read(fd, &resp, NULL);
        assert_true(code == 400 || code == -1);
        free(resp);
    }
    /* cross-site request from a browser page elsewhere */
    {
        int fd = http_connect(port);
        char hdr[256];
        int n = snprintf(hdr, sizeof hdr,
                         "POST /api/reset HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                         "Origin: http://evil.example\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n",
                         port);
        http_send_all(fd, hdr, (size_t)n);
        char *resp;
        assert_int_equal(http_read(fd, &resp, NULL), 403);
        free(resp);
    }
    /* still alive and the class is still there */
    expect(port, 200, "POST", S, "image/jpeg", j, jl, "\"pending\":1");
    expect(port, 200, "GET", "/api/state", NULL, NULL, 0, "\"name\":\"a\"");
    /* valid UTF-8 beyond ASCII is a fine name */
    const char *utf8ok = "{\"name\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}";
    expect(port, 200, "POST", "/api/classes", "application/json", utf8ok, strlen(utf8ok),
           "\"id\":1");
    /* no state file: reset still works, nothing is saved */
    expect(port, 200, "POST", "/api/reset", NULL, NULL, 0, "\"saved\":false");
    free(j);
    serve_stop(s);
}

/* DNS rebinding: a page on evil.example re-pointed at 127.0.0.1 says "Host: evil.example". */
static void test_host_check(void **unused) {
    struct serve *s = start(NULL, 0);
    int port = serve_port(s);
    char *resp;
    const char *ok[] = {"127.0.0.1", "127.0.0.1:8080", "localhost",           "LocalHost:65535",
                        "[::1]",     "[::1]:1",        "[0:0:0:0:0:0:0:1]:80"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int code = http_host(port, ok[i], "GET", "/api/state", NULL, NULL, 0, &resp);
        if (code != 200) fprintf(stderr, "Host %s: %d %s\n", ok[i], code, resp);
        assert_int_equal(code, 200);
        free(resp);
    }
    /* HTTP/1.0 without Host (not a browser) */
    assert_int_equal(http_host(port, "", "GET", "/api/state", NULL, NULL, 0, &resp), 200);
    free(resp);
    const char *bad[] = {"evil.example",
                         "evil.example:8080",
                         "localhost.evil.example",
                         "127.0.0.1.nip.io",
                         "127.0.0.2",
                         "0.0.0.0",
                         "10.1.2.3:80",
                         "[::2]",
                         "[::1",
                         "localhost:",
                         "localhost:80x",
                         "localhost:123456",
                         "[::1]x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int code = http_host(port, bad[i], "GET", "/api/state", NULL, NULL, 0, &resp);
        if (code != 403 || !strstr(resp, "Host"))
            fprintf(stderr, "Host '%s': %d %s\n", bad[i], code, resp);
        assert_int_equal(code, 403);
        assert_non_null(strstr(resp, "\"error\":\"request refused: Host"));
        free(resp);
    }
    /* the page and state-changing requests too, before any body is read */
    assert_int_equal(http_host(port, "evil.example", "GET", "/", NULL, NULL, 0, &resp), 403);
    free(resp);
    assert_int_equal(http_host(port, "evil.example", "POST", "/api/classes", "application/json",
                               "{\"name\":\"x\"}", 12, &resp),
                     403);
    free(resp);
    assert_int_equal(http(port, "GET", "/api/state", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"classes\":[]"));
    free(resp);
    serve_stop(s);

    /* bound to every interface: any name may reach it, so any Host is accepted */
    s = start_bind(NULL, 0, "0.0.0.0");
    port = serve_port(s);
    assert_int_equal(http_host(port, "evil.example", "GET", "/api/state", NULL, NULL, 0, &resp),
                     200);
    free(resp);
    serve_stop(s);
}

/* tools/common/image.c: scaled decoding, the side cap and corrupt data. */
static void test_image_decode(void **unused) {
    unsigned long l;
    uint8_t *rgb;
    int w, h;
    char err[256];
    unsigned char *j = make_jpeg_wh(2000, 1000, 90, 120, 200, 0, &l);
    assert_int_equal(img_decode_mem(j, l, &rgb, &w, &h, err, sizeof err), ECL_OK);
    assert_int_equal(w, 2000);
    assert_int_equal(h, 1000);
    free(rgb);
    assert_int_equal(img_decode_mem_fit(j, l, 4096, 448, &rgb, &w, &h, err, sizeof err), ECL_OK);
    assert_int_equal(w, 1000); /* 1/4 would make the short side 250 < 448 */
    assert_int_equal(h, 500);
    for (int c = 0; c < 3; c++)
        assert_true(abs(rgb[(250 * 1000 + 500) * 3 + c] - (c == 0 ? 90 : c == 1 ? 120 : 200)) < 8);
    free(rgb);
    assert_int_equal(img_decode_mem_fit(j, l, 4096, 100, &rgb, &w, &h, err, sizeof err), ECL_OK);
    assert_int_equal(w, 250);
    assert_int_equal(h, 125);
    free(rgb);
    assert_int_equal(img_decode_mem_fit(j, l, 1999, 0, &rgb, &w, &h, err, sizeof err), ECL_ERANGE);
    assert_non_null(strstr(err, "2000x1000"));
    free(j);
    j = make_corrupt_jpeg(&l);
    assert_int_equal(img_decode_mem(j, l, &rgb, &w, &h, err, sizeof err), ECL_EFORMAT);
    assert_non_null(strstr(err, "corrupt JPEG data"));
    free(j);
}

static void test_connection_limit(void **unused) {
    struct serve *s = start(NULL, 4);
    int port = serve_port(s);
    int fds[12];
    for (int i = 0; i < 12; i++)
        fds[i] = http_connect(port); /* idle; extra ones get dropped */
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
    assert_int_equal(json_object_get_string("{\"name\":\"\xc3\xa9\xe2\x82\xac\"}", 16, "name", out,
                                            sizeof out, err, sizeof err),
                     1);
    assert_string_equal(out, "\xc3\xa9\xe2\x82\xac");
    assert_int_equal(json_object_get_string("{\"name\":\"a\xc3\"}", 13, "name", out, sizeof out,
                                            err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "invalid UTF-8 in string at byte 10"));
}

/* A stand-in for cmd_serve.c's export: checks it got the trained learner and answers a
 * "file" naming its kind and class count; ctx non-NULL makes it fail as a real export can. */
static enum ecl_status fake_export(void *ctx, struct ecl_learner *l, uint8_t **out, size_t *out_len,
                                   char *err, size_t errlen) {
    if (ctx) {
        snprintf(err, errlen, "op 99 cannot be copied");
        return ECL_EUNSUPPORTED;
    }
    char buf[64];
    int n = snprintf(buf, sizeof buf, "TFL3 %s %u",
                     ecl_learner_kind_name(ecl_learner_params(l)->kind), ecl_learner_n_classes(l));
    *out = malloc((size_t)n);
    if (!*out) return ECL_EOOM;
    memcpy(*out, buf, (size_t)n);
    *out_len = (size_t)n;
    return ECL_OK;
}

static struct serve *start_fx(const struct serve_extractor *fx) {
    struct serve_opts o = serve_default_opts();
    o.port = 0;
    struct serve *s = NULL;
    char err[512];
    assert_int_equal(serve_start(&o, fx, &s, err, sizeof err), ECL_OK);
    return s;
}

/* GET /api/export/{learner}[/labels] (the page's "Download model"): errors, the download
 * headers, the labels; the .tflite itself comes from the backbone (tests/e2e/serve_cli.sh
 * checks the real one), so here a stand-in that has none answers 501. */
static void test_export(void **unused) {
    struct serve *s = start(NULL, 0);
    int port = serve_port(s);
    char *resp;
    expect(port, 409, "GET", "/api/export/replay", NULL, NULL, 0, "not been trained");
    expect(port, 409, "GET", "/api/export/naive/labels", NULL, NULL, 0, "not been trained");
    expect(port, 404, "GET", "/api/export/bogus", NULL, NULL, 0,
           "unknown learner 'bogus' (this server has: replay, naive)");
    expect(port, 404, "GET", "/api/export", NULL, NULL, 0, "GET /api/export/{learner}");
    expect(port, 404, "GET", "/api/export/", NULL, NULL, 0, "GET /api/export/{learner}");
    expect(port, 404, "GET", "/api/export/replay/model", NULL, NULL, 0, "[/labels]");
    expect(port, 404, "GET", "/api/exports", NULL, NULL, 0, "no such API endpoint");
    expect(port, 405, "POST", "/api/export/replay", "application/json", "{}", 2, "use GET");
    assert_non_null(strstr(http_last_headers, "Allow: GET"));

    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"red\"}", &resp), 200);
    free(resp);
    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"blue\"}", &resp), 200);
    free(resp);
    teach(port, 0, 220, 30, 30, 6);
    teach(port, 1, 30, 40, 220, 6);
    expect(port, 409, "GET", "/api/export/replay", NULL, NULL, 0, "not been trained"); /* pending */
    assert_int_equal(post_json(port, "/api/train", "{}", &resp), 200);
    free(resp);
    expect(port, 501, "GET", "/api/export/replay", NULL, NULL, 0,
           "backbone (stub colour grid) cannot be exported");
    assert_int_equal(http(port, "GET", "/api/export/naive/labels", NULL, NULL, 0, &resp), 200);
    assert_string_equal(resp, "red\nblue\n");
    assert_non_null(
        strstr(http_last_headers,
               "Content-Disposition: attachment; filename=\"edgecl-naive.labels.txt\""));
    assert_non_null(strstr(http_last_headers, "Content-Type: text/plain"));
    free(resp);
    serve_stop(s);

    /* a backbone that exports: the file comes back as an attachment named after the learner */
    struct serve_extractor fx = FX;
    fx.export_model = fake_export;
    s = start_fx(&fx);
    port = serve_port(s);
    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"red\"}", &resp), 200);
    free(resp);
    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"blue\"}", &resp), 200);
    free(resp);
    teach(port, 0, 220, 30, 30, 4);
    teach(port, 1, 30, 40, 220, 4);
    expect(port, 409, "GET", "/api/export/naive", NULL, NULL, 0, "not been trained");
    assert_int_equal(post_json(port, "/api/train", "{}", &resp), 200);
    free(resp);
    for (int k = 0; k < 2; k++) {
        const char *kind = k ? "naive" : "replay";
        char path[64], want[64], cd[128];
        snprintf(path, sizeof path, "/api/export/%s", kind);
        snprintf(want, sizeof want, "TFL3 %s 2", kind);
        snprintf(cd, sizeof cd, "Content-Disposition: attachment; filename=\"edgecl-%s.tflite\"",
                 kind);
        assert_int_equal(http(port, "GET", path, NULL, NULL, 0, &resp), 200);
        assert_string_equal(resp, want);
        assert_non_null(strstr(http_last_headers, cd));
        assert_non_null(strstr(http_last_headers, "Content-Type: application/octet-stream"));
        free(resp);
    }
    /* JSON answers carry no Content-Disposition */
    assert_int_equal(http(port, "GET", "/api/state", NULL, NULL, 0, &resp), 200);
    assert_null(strstr(http_last_headers, "Content-Disposition"));
    free(resp);
    serve_stop(s);

    /* an export that fails: a one-line JSON error, the server keeps running */
    int fail = 1;
    fx.ctx = &fail;
    s = start_fx(&fx);
    port = serve_port(s);
    assert_int_equal(post_json(port, "/api/classes", "{\"name\":\"red\"}", &resp), 200);
    free(resp);
    teach(port, 0, 220, 30, 30, 3);
    assert_int_equal(post_json(port, "/api/train", "{}", &resp), 200);
    free(resp);
    expect(port, 422, "GET", "/api/export/replay", NULL, NULL, 0,
           "cannot export the replay learner: op 99 cannot be copied");
    expect(port, 200, "GET", "/api/state", NULL, NULL, 0, "\"rounds\":1");
    serve_stop(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_reader),      cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_host_check),       cmocka_unit_test(test_image_decode),
        cmocka_unit_test(test_connection_limit), cmocka_unit_test(test_learn_persist_restore),
        cmocka_unit_test(test_export),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
