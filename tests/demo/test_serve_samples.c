/* test_serve_samples.c - the demo server's kept samples (issue 12): uploading images, listing
 * samples and their thumbnails, deleting a sample or a class (retrained from the kept samples,
 * surviving a restart), the "unknown" answer, and serving a plain learner state written the
 * way `edgecl learn` writes it. Real socket, stand-in backbone (stub_fx.h: colour grid). */
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
#include "edgecl/learner.h"
#include "edgecl/port.h"
#include "../../tools/common/image.h"
#include "../../tools/common/statefile.h"
#include "../../tools/edgecl/serve_app.h"

#include "stub_fx.h"
#include "test_http.h"
#include "test_jpeg.h"

static const struct serve_extractor FX = {NULL, DIM, stub_extract, "stub colour grid", NULL};
static char state_path[512], cli_path[512];

/* A 64x48 JPEG of one colour with sensor noise (seed). */
static unsigned char *make_jpeg(int r, int g, int b, unsigned seed, unsigned long *len) {
    return test_jpeg(64, 48, 20, 85, r, g, b, seed, len);
}

static int get(int port, const char *path, char **resp) {
    return http(port, "GET", path, NULL, NULL, 0, resp);
}

static void add_class(int port, const char *name) {
    char body[64], *resp;
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", name);
    assert_int_equal(
        http(port, "POST", "/api/classes", "application/json", body, strlen(body), &resp), 200);
    free(resp);
}

static void teach(int port, int id, int r, int g, int b, int n) {
    char path[64];
    snprintf(path, sizeof path, "/api/classes/%d/samples", id);
    for (int i = 0; i < n; i++) {
        unsigned long len;
        unsigned char *j = make_jpeg(r, g, b, (unsigned)(id * 1000 + i + 1), &len);
        assert_int_equal(http(port, "POST", path, "image/jpeg", j, len, NULL), 200);
        free(j);
    }
}

static void train(int port) {
    char *resp;
    assert_int_equal(http(port, "POST", "/api/train", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"saved\":true"));
    free(resp);
}

/* The learner's answer for a colour: its top class, and in *unknown whether it said unknown
 * (checked against its own top probability and the documented threshold 0.6). */
static int predict(int port, const char *learner, int r, int g, int b, int *unknown) {
    unsigned long len;
    unsigned char *j = make_jpeg(r, g, b, 4242, &len);
    char *resp, key[32];
    assert_int_equal(http(port, "POST", "/api/predict", "image/jpeg", j, len, &resp), 200);
    free(j);
    snprintf(key, sizeof key, "\"%s\":{", learner);
    char *p = strstr(resp, key);
    assert_non_null(p);
    int top = -2;
    double pt = -1;
    char *t = strstr(p, "\"top\":"), *q = strstr(p, "\"p\":"), *u = strstr(p, "\"unknown\":");
    assert_non_null(t);
    assert_non_null(q);
    assert_non_null(u);
    sscanf(t + 6, "%d", &top);
    sscanf(q + 4, "%lf", &pt);
    int unk = !strncmp(u + 10, "true", 4);
    assert_int_equal(unk, pt < 0.6);
    if (unknown) *unknown = unk;
    free(resp);
    return top;
}

static int count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static struct serve *start(const char *state) {
    struct serve_opts o = serve_default_opts();
    o.port = 0;
    o.state_path = state;
    struct serve *s = NULL;
    char err[512];
    enum ecl_status st = serve_start(&o, &FX, &s, err, sizeof err);
    if (st) fprintf(stderr, "serve_start: %s\n", err);
    assert_int_equal(st, ECL_OK);
    return s;
}

/* The id of the first listed sample of class cls, -1 if none. */
static int first_sample(int port, int cls) {
    char *resp, key[40];
    assert_int_equal(get(port, "/api/samples", &resp), 200);
    snprintf(key, sizeof key, ",\"class\":%d,", cls);
    char *p = strstr(resp, key);
    int id = -1;
    if (p) {
        while (p > resp && strncmp(p, "{\"id\":", 6))
            p--;
        sscanf(p + 6, "%d", &id);
    }
    free(resp);
    return id;
}

static void test_samples_thumbs_delete_restart(void **unused) {
    (void)unused;
    unlink(state_path);
    struct serve *s = start(state_path);
    int port = serve_port(s);
    char *resp, path[64];
    size_t len;
    add_class(port, "red");
    add_class(port, "green");
    add_class(port, "blue");
    teach(port, 0, 220, 30, 30, 6);
    teach(port, 1, 30, 210, 40, 6);
    teach(port, 2, 30, 40, 220, 6);
    train(port);
    assert_int_equal(get(port, "/api/samples", &resp), 200);
    assert_int_equal(count(resp, "\"id\":"), 18);
    assert_int_equal(count(resp, "\"round\":1"), 18);
    free(resp);

    /* the thumbnail of a red sample is a red 32x32 BMP */
    int rid = first_sample(port, 0);
    assert_true(rid >= 0);
    snprintf(path, sizeof path, "/api/samples/%d/thumb", rid);
    assert_int_equal(http_len(port, "GET", path, NULL, NULL, 0, &resp, &len), 200);
    assert_int_equal(len, 54 + 32 * 32 * 3);
    assert_memory_equal(resp, "BM", 2);
    for (int px = 0; px < 32 * 32; px += 97) { /* BGR */
        const unsigned char *q = (const unsigned char *)resp + 54 + px * 3;
        assert_true(q[2] > 170 && q[1] < 80 && q[0] < 80);
    }
    free(resp);
    assert_int_equal(get(port, "/api/samples/999999/thumb", NULL), 404);
    assert_int_equal(http(port, "POST", path, NULL, NULL, 0, NULL), 405);

    assert_int_equal(predict(port, "replay", 220, 30, 30, NULL), 0);
    int unk = -1;
    assert_int_equal(predict(port, "naive", 30, 40, 220, &unk), 2);
    assert_int_equal(unk, 0);

    /* a near-black frame is unlike all three classes: no learner is confident */
    unk = -1;
    predict(port, "replay", 20, 20, 20, &unk);
    assert_int_equal(unk, 1);
    unk = -1;
    predict(port, "naive", 20, 20, 20, &unk);
    assert_int_equal(unk, 1);

    /* delete class red: the others move down, both learners are retrained without it */
    assert_int_equal(http(port, "DELETE", "/api/classes/0", NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"retrained\":true"));
    assert_non_null(strstr(resp, "\"saved\":true"));
    assert_null(strstr(resp, "\"red\""));
    free(resp);
    assert_int_equal(predict(port, "replay", 30, 210, 40, NULL), 0);
    assert_int_equal(predict(port, "naive", 30, 40, 220, NULL), 1);
    /* a red frame is no longer answered "red": it is one of the two left */
    assert_true(predict(port, "replay", 220, 30, 30, NULL) <= 1);

    /* delete one blue sample, and a pending green one (no retraining for that) */
    int bid = first_sample(port, 1);
    snprintf(path, sizeof path, "/api/samples/%d", bid);
    assert_int_equal(http(port, "DELETE", path, NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"retrained\":true"));
    free(resp);
    assert_int_equal(http(port, "DELETE", path, NULL, NULL, 0, NULL), 404);
    teach(port, 0, 30, 210, 40, 1);
    assert_int_equal(get(port, "/api/samples", &resp), 200);
    assert_int_equal(count(resp, "\"id\":"), 12);
    char *pend = strstr(resp, "\"round\":0");
    assert_non_null(pend);
    while (strncmp(pend, "{\"id\":", 6))
        pend--;
    int pid = atoi(pend + 6);
    free(resp);
    snprintf(path, sizeof path, "/api/samples/%d", pid);
    assert_int_equal(http(port, "DELETE", path, NULL, NULL, 0, &resp), 200);
    assert_non_null(strstr(resp, "\"retrained\":false"));
    free(resp);
    assert_int_equal(http(port, "DELETE", "/api/classes/7", NULL, NULL, 0, NULL), 404);
    assert_int_equal(http(port, "GET", "/api/classes/0", NULL, NULL, 0, NULL), 405);
    teach(port, 1, 30, 40, 220, 1); /* pending at the restart: kept by the journal */
    serve_stop(s);

    /* the deletions survive a restart */
    s = start(state_path);
    port = serve_port(s);
    assert_int_equal(get(port, "/api/state", &resp), 200);
    assert_non_null(strstr(resp, "{\"id\":0,\"name\":\"green\",\"trained\":6,\"pending\":0}"));
    assert_non_null(strstr(resp, "{\"id\":1,\"name\":\"blue\",\"trained\":5,\"pending\":1}"));
    assert_non_null(strstr(resp, "\"foreign\":false"));
    free(resp);
    assert_int_equal(get(port, "/api/samples", &resp), 200);
    assert_int_equal(count(resp, "\"id\":"), 12);
    /* the pending sample's thumbnail came back with it: blue */
    char *pb = strstr(resp, "\"round\":0");
    assert_non_null(pb);
    while (strncmp(pb, "{\"id\":", 6))
        pb--;
    snprintf(path, sizeof path, "/api/samples/%d/thumb", atoi(pb + 6));
    free(resp);
    assert_int_equal(http_len(port, "GET", path, NULL, NULL, 0, &resp, &len), 200);
    assert_int_equal(len, 54 + 32 * 32 * 3);
    const unsigned char *px = (const unsigned char *)resp + 54 + 16 * 96 + 16 * 3; /* BGR */
    assert_true(px[0] > 170 && px[1] < 90 && px[2] < 80);
    free(resp);
    assert_int_equal(predict(port, "replay", 30, 40, 220, NULL), 1);
    serve_stop(s);
}

/* A state written as `edgecl learn` writes it (one ECLS learner image, named classes) is
 * served; what the server then saves is a container statefile_parse reads. */
static void test_cli_state_served(void **unused) {
    (void)unused;
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, DIM, 16);
    p.epochs = 20;
    size_t need, wr;
    assert_int_equal(ecl_learner_mem_size(&p, &need), ECL_OK);
    void *mem = malloc(need);
    struct ecl_learner *l;
    assert_int_equal(ecl_learner_init(&p, mem, need, &l), ECL_OK);
    float x[40 * DIM];
    int32_t y[40];
    for (int i = 0; i < 40; i++) { /* cat: orange, dog: purple, as the stub sees them */
        unsigned long jl;
        unsigned char *j = i % 2 ? make_jpeg(120, 30, 160, (unsigned)i + 7, &jl)
                                 : make_jpeg(230, 140, 20, (unsigned)i + 7, &jl);
        uint8_t *rgb;
        int w, h;
        char e[200];
        assert_int_equal(img_decode_mem(j, jl, &rgb, &w, &h, e, sizeof e), ECL_OK);
        stub_extract(NULL, rgb, w, h, x + i * DIM);
        free(rgb);
        free(j);
        y[i] = i % 2;
    }
    assert_int_equal(ecl_learner_observe(l, x, y, 40), ECL_OK);
    ecl_learner_set_class_name(l, 0, "cat");
    ecl_learner_set_class_name(l, 1, "dog");
    assert_int_equal(ecl_learner_state_size(l, &need), ECL_OK);
    void *img = malloc(need);
    assert_int_equal(ecl_learner_state_write(l, img, need, &wr), ECL_OK);
    unlink(cli_path);
    assert_int_equal(ecl_port_save_atomic(cli_path, img, wr), ECL_OK);
    free(img);
    free(mem);

    struct serve *s = start(cli_path);
    int port = serve_port(s);
    char *resp;
    assert_int_equal(get(port, "/api/state", &resp), 200);
    assert_non_null(strstr(resp, "\"name\":\"cat\""));
    assert_non_null(strstr(resp, "\"name\":\"dog\""));
    assert_non_null(strstr(resp, "\"learner_order\":[\"replay\"]"));
    assert_non_null(strstr(resp, "\"foreign\":true"));
    free(resp);
    assert_int_equal(predict(port, "replay", 230, 140, 20, NULL), 0);
    assert_int_equal(predict(port, "replay", 120, 30, 160, NULL), 1);
    /* it cannot unlearn what it learned elsewhere: refused, nothing changes */
    assert_int_equal(http(port, "DELETE", "/api/classes/0", NULL, NULL, 0, &resp), 409);
    assert_non_null(strstr(resp, "edgecl learn"));
    free(resp);
    /* a class added in the demo */
    add_class(port, "frog");
    teach(port, 2, 30, 200, 60, 8);
    train(port);
    assert_int_equal(predict(port, "replay", 30, 200, 60, NULL), 2);
    serve_stop(s);

    void *buf;
    size_t len;
    assert_int_equal(ecl_port_read_file(cli_path, &buf, &len), ECL_OK);
    struct statefile_class cls[STATEFILE_MAX_CLASSES];
    struct statefile sf;
    char err[200];
    assert_int_equal(statefile_parse(buf, len, cls, &sf, err, sizeof err), ECL_OK);
    assert_int_equal(sf.n_learners, 1);
    assert_int_equal(statefile_find_learner(&sf, ECL_LEARNER_REPLAY), 0);
    assert_int_equal(statefile_find_learner(&sf, ECL_LEARNER_NAIVE), -1);
    assert_int_equal(sf.n_classes, 3);
    assert_string_equal(cls[2].name, "frog");
    assert_int_equal(sf.n_samples, 8);
    assert_true(sf.flags & STATEFILE_FOREIGN);
    /* one flipped byte: refused with the reason */
    ((uint8_t *)buf)[len / 2] ^= 1;
    assert_int_equal(statefile_parse(buf, len, cls, &sf, err, sizeof err), ECL_ECORRUPT);
    assert_non_null(strstr(err, "CRC"));
    free(buf);

    s = start(cli_path); /* and served again */
    port = serve_port(s);
    assert_int_equal(predict(port, "replay", 120, 30, 160, NULL), 1);
    serve_stop(s);
    unlink(cli_path);
}

static int group_setup(void **state) {
    (void)state;
    snprintf(state_path, sizeof state_path, "%s/test_serve_samples_%d.ecls", ECL_BINARY_DIR,
             (int)getpid());
    snprintf(cli_path, sizeof cli_path, "%s/test_serve_cli_%d.ecls", ECL_BINARY_DIR, (int)getpid());
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    char p[600];
    unlink(state_path);
    unlink(cli_path);
    snprintf(p, sizeof p, "%s.pending", state_path);
    unlink(p);
    snprintf(p, sizeof p, "%s.pending", cli_path);
    unlink(p);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_thumbs_delete_restart),
        cmocka_unit_test(test_cli_state_served),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
