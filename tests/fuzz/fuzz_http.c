/* tests/fuzz/fuzz_http.c - the demo server's request handling (tools/edgecl/serve_app.c,
 * serve_json.c, serve_web.c, image decoding) without a socket: serve_app_handle() is what the
 * libmicrohttpd callback calls for /api/ URLs with (method, url, content type, body), and
 * serve_web_get() serves everything else. The HTTP layer in front of it is fuzzed by
 * tests/fuzz/fuzz_http_raw.c (raw bytes through libmicrohttpd into serve_http.c).
 *
 * Input, mode 1 (first byte not 'S'): up to 16 requests separated by "\n--\n", each
 *     METHOD URL\n CONTENT-TYPE (or "-" for none)\n BODY...
 *   sent in order to one fresh app (fake 8-d backbone, a per-process state file), so the fuzzer
 *   can reach stateful paths: add classes, add image samples, train, predict, save, restore.
 * Input, mode 2 ('S' or 'C' + bytes): the bytes are the demo's state file; the app loads it at
 *   start ('C': its trailing CRC is recomputed first, so mutations get past the CRC check).
 *   If it loads, saving and loading again must work and a second save gives the same bytes.
 *
 * Properties beyond "no crash, no leak, no UB": every response has a code in 200..599 and a
 * body of the stated length; /api/ responses are JSON objects (but a sample's thumbnail: a BMP
 * whose header states its length); a 405 (and only a 405) carries the Allow methods.
 *
 * Not covered here but by fuzz_http_raw.c: serve_http.c's on_request (Host/Origin checks, the
 * body limit, chunked uploads, 405 outside /api/); tests/demo/test_serve.c also drives it over
 * a socket. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgecl/port.h"
#include "fuzz_util.h"
#include "fuzz_serve_stub.h"

static void check_resp(const struct serve_resp *r, int api) {
    FUZZ_CHECK(r->code >= 200 && r->code <= 599);
    FUZZ_CHECK(r->len == 0 || r->body != NULL);
    FUZZ_CHECK((r->code == 405) == (r->allow != NULL)); /* a 405 names the allowed methods */
    if (api && r->code == 200 && r->ctype && !strcmp(r->ctype, "image/bmp")) {
        /* a sample's thumbnail: a whole 24-bit BMP of the size its header states */
        FUZZ_CHECK(r->len > 54 && r->body[0] == 'B' && r->body[1] == 'M');
        FUZZ_CHECK((size_t)(unsigned char)r->body[2] + ((size_t)(unsigned char)r->body[3] << 8) +
                       ((size_t)(unsigned char)r->body[4] << 16) ==
                   r->len);
        return;
    }
    if (api && r->code == 200 && r->filename[0]) {
        /* a download: the labels file (the stand-in backbone exports no model: 501) */
        FUZZ_CHECK(r->len > 0 && r->body[r->len - 1] == '\n');
        FUZZ_CHECK(strstr(r->filename, ".labels.txt") != NULL);
        return;
    }
    if (api) {
        FUZZ_CHECK(r->len >= 2 && r->body[0] == '{' && r->body[r->len - 1] == '}');
        FUZZ_CHECK(r->ctype && strstr(r->ctype, "json"));
    }
}

static void request(struct serve_app *a, const char *method, const char *url, const char *ctype,
                    const uint8_t *body, size_t len) {
    /* An exact-size copy of the body: the server passes a buffer without a NUL. */
    char *b = malloc(len ? len : 1);
    FUZZ_CHECK(b);
    if (len) memcpy(b, body, len);
    struct serve_resp r;
    int api = !strncmp(url, "/api/", 5);
    if (api)
        serve_app_handle(a, method, url, ctype, b, len, &r);
    else
        serve_web_get(NULL, url, &r);
    if (getenv("FUZZ_HTTP_VERBOSE"))
        fprintf(stderr, "%s %s [%s, %zu bytes] -> %d %.*s\n", method, url, ctype ? ctype : "-", len,
                r.code, (int)(r.len < 200 ? r.len : 200), r.body ? r.body : "");
    check_resp(&r, api);
    free(r.body);
    free(b);
}

static struct serve_app *make_app(const char *state_path) {
    struct serve_opts o; /* serve_default_opts() lives with the socket code in serve_http.c */
    memset(&o, 0, sizeof o);
    o.bind = "127.0.0.1";
    o.max_body = 2u << 20;
    o.state_path = state_path;
    o.max_classes = 4;
    o.max_pending = 8;
    struct serve_app *a = NULL;
    char err[512] = "";
    if (serve_app_create(&o, &fuzz_serve_extractor, &a, err, sizeof err) != ECL_OK) {
        FUZZ_CHECK(err[0]);
        return NULL;
    }
    return a;
}

static void state_mode(const uint8_t *raw, size_t size, int fix) {
    uint8_t *data = malloc(size ? size : 1);
    FUZZ_CHECK(data);
    memcpy(data, raw, size);
    if (fix) fuzz_fix_crc(data, size);
    const char *path = fuzz_tmpfile("demo", ".ecls", data, size);
    free(data);
    char p1[600];
    snprintf(p1, sizeof p1, "%s", path);
    struct serve_app *a = make_app(p1);
    if (!a) {
        fuzz_unlink_state(p1);
        return;
    }
    request(a, "GET", "/api/state", NULL, NULL, 0);
    request(a, "POST", "/api/save", NULL, NULL, 0);
    void *s1 = NULL, *s2 = NULL;
    size_t l1 = 0, l2 = 0;
    FUZZ_CHECK(ecl_port_read_file(p1, &s1, &l1) == ECL_OK);
    serve_app_destroy(a);
    a = make_app(p1); /* what we saved must load */
    FUZZ_CHECK(a);
    request(a, "POST", "/api/save", NULL, NULL, 0);
    FUZZ_CHECK(ecl_port_read_file(p1, &s2, &l2) == ECL_OK);
    FUZZ_CHECK(l1 == l2 && !memcmp(s1, s2, l1));
    request(a, "POST", "/api/train", "application/json", (const uint8_t *)"{}", 2);
    request(a, "POST", "/api/reset", NULL, NULL, 0);
    free(s1);
    free(s2);
    serve_app_destroy(a);
    fuzz_unlink_state(p1);
}

static const uint8_t *find_sep(const uint8_t *p, const uint8_t *end) {
    static const char sep[] = "\n--\n";
    for (; p + 4 <= end; p++)
        if (!memcmp(p, sep, 4)) return p;
    return NULL;
}

/* make_seeds.c sets this to keep the state file a request sequence saved (for 'S' seeds). */
static const char *g_keep_state;

static void requests_mode(const uint8_t *data, size_t size) {
    char path[600];
    snprintf(path, sizeof path, "%s", fuzz_tmpfile("demo", ".ecls", NULL, 0));
    fuzz_unlink_state(path); /* start without a state file; /api/save may create one */
    struct serve_app *a = make_app(path);
    FUZZ_CHECK(a);
    const uint8_t *p = data, *end = data + size;
    for (int i = 0; i < 16 && p < end; i++) {
        const uint8_t *stop = find_sep(p, end);
        if (!stop) stop = end;
        /* line 1: METHOD URL */
        const uint8_t *nl = memchr(p, '\n', (size_t)(stop - p));
        const uint8_t *l1e = nl ? nl : stop;
        char line[256];
        size_t ll = (size_t)(l1e - p) < sizeof line - 1 ? (size_t)(l1e - p) : sizeof line - 1;
        memcpy(line, p, ll);
        line[ll] = 0;
        if (strlen(line) != ll) line[0] = 0; /* embedded NUL: the HTTP layer never passes one */
        char *sp = strchr(line, ' ');
        const char *method = line, *url = "/api/state";
        if (sp) {
            *sp = 0;
            url = sp + 1;
        }
        if (url[0] != '/') url = "/";
        /* line 2: content type */
        char ct[128];
        const char *ctype = NULL;
        const uint8_t *bstart = stop;
        if (nl) {
            const uint8_t *q = nl + 1;
            const uint8_t *nl2 = memchr(q, '\n', (size_t)(stop - q));
            const uint8_t *l2e = nl2 ? nl2 : stop;
            size_t cl = (size_t)(l2e - q) < sizeof ct - 1 ? (size_t)(l2e - q) : sizeof ct - 1;
            memcpy(ct, q, cl);
            ct[cl] = 0;
            if (strlen(ct) == cl && strcmp(ct, "-")) ctype = ct;
            bstart = nl2 ? nl2 + 1 : stop;
        }
        request(a, method, url, ctype, bstart, (size_t)(stop - bstart));
        p = stop == end ? end : stop + 4;
    }
    serve_app_destroy(a);
    void *kept;
    size_t kl;
    if (g_keep_state && ecl_port_read_file(path, &kept, &kl) == ECL_OK) {
        FUZZ_CHECK(ecl_port_save_atomic(g_keep_state, kept, kl) == ECL_OK);
        free(kept);
    }
    fuzz_unlink_state(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= 1 && (data[0] == 'S' || data[0] == 'C'))
        state_mode(data + 1, size - 1, data[0] == 'C');
    else
        requests_mode(data, size);
    return 0;
}
