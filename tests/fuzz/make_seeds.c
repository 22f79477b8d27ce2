/* tests/fuzz/make_seeds.c - writes small valid inputs for each fuzz harness into OUTDIR/<name>/.
 * Generated from the current code (not committed), so the seeds follow format changes.
 *
 *     fuzz_make_seeds build-fuzz/fuzz-seeds
 *
 * featfile: byte 0 selects the format (0 binary, 1 csv, 2 binary with CRC fix-up), then a file.
 * state:    mode byte (0 raw, 1 CRC fix-up), then a learner state image: every kind, empty and
 *           after learning, with class names.
 * learn:    learner settings and observe batches with ordinary, subnormal, limit and
 *           out-of-range values (see fuzz_learn.c).
 * http:     "METHOD URL\nCONTENT-TYPE\n" + body (see fuzz_http.c).
 * http_raw: raw HTTP/1.1 bytes of one connection (see fuzz_http_raw.c; body limit 2048). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edgecl/port.h"
#include "featfile.h"
#ifdef ECL_HAVE_LEARNER
#include "edgecl/learner.h"
#endif
#ifdef ECL_HAVE_MODEL
#include "tflite_builder.h"
#endif
#ifdef ECL_HAVE_SERVE
#include <jpeglib.h>
/* The harness itself runs the request seeds to produce demo state files ('S' seeds). */
#define LLVMFuzzerTestOneInput fuzz_http_one
#include "fuzz_http.c"
#undef LLVMFuzzerTestOneInput
#endif

static const char *g_out;
static int g_count;

static void mkdir_p(const char *p) {
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_seeds: mkdir %s: %s\n", p, strerror(errno));
        exit(1);
    }
}

static void put(const char *harness, const char *name, const void *a, size_t alen, const void *b,
                size_t blen) {
    char dir[4096], path[4400];
    snprintf(dir, sizeof dir, "%s/%s", g_out, harness);
    mkdir_p(dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (alen && fwrite(a, 1, alen, f) != alen) || (blen && fwrite(b, 1, blen, f) != blen) ||
        fclose(f) != 0) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        exit(1);
    }
    g_count++;
}

/* ------------------------------------------------------------------ featfile */
static void featfile_seed(const char *name, uint32_t dim, uint32_t n, int names, int csv) {
    struct featfile ff;
    featfile_init(&ff, dim);
    float *x = malloc(dim * sizeof *x);
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t d = 0; d < dim; d++)
            x[d] = (float)(i * 7 + d) * 0.125f - 1.0f;
        if (featfile_append(&ff, x, (int32_t)(i % 3) - (i == 5)) != ECL_OK) exit(1);
    }
    free(x);
    if (names) {
        featfile_set_name(&ff, 0, "cat");
        featfile_set_name(&ff, 2, "a-much-longer-class-name-31chars");
    }
    char tmp[4400], err[256];
    snprintf(tmp, sizeof tmp, "%s/.tmp-seed%s", g_out, csv ? ".csv" : ".ecf");
    if (featfile_write(tmp, &ff, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "make_seeds: %s\n", err);
        exit(1);
    }
    featfile_free(&ff);
    void *buf;
    size_t len;
    if (ecl_port_read_file(tmp, &buf, &len) != ECL_OK) exit(1);
    unlink(tmp);
    unsigned char mode = (unsigned char)csv;
    put("featfile", name, &mode, 1, buf, len);
    if (!csv) { /* the same with the CRC-fixing mode */
        char n2[128];
        snprintf(n2, sizeof n2, "%s_fixcrc", name);
        mode = 2;
        put("featfile", n2, &mode, 1, buf, len);
    }
    free(buf);
}

static void featfile_seeds(void) {
    featfile_seed("bin_empty", 4, 0, 0, 0);
    featfile_seed("bin_small", 3, 6, 0, 0);
    featfile_seed("bin_names", 5, 7, 1, 0);
    featfile_seed("csv_small", 3, 6, 0, 1);
    featfile_seed("csv_names", 4, 7, 1, 1);
    static const char hand[] = "\x01# comment\nlabel,a,b\n0,1.5,-2\n1,3e-3,4\n-1,0,0\n";
    put("featfile", "csv_header", hand, sizeof hand - 1, NULL, 0);
}

/* ------------------------------------------------------------------ learner states */
#ifdef ECL_HAVE_LEARNER
static void state_seed(enum ecl_learner_kind kind, int steps, int u8) {
    const uint32_t dim = 6, mc = 5;
    struct ecl_learner_params p = ecl_learner_default_params(kind, dim, mc);
    p.replay.capacity = 12;
    p.replay.storage = u8 ? ECL_REPLAY_U8 : ECL_REPLAY_F32;
    p.head.hidden[0] = 4;
    p.head.n_hidden = 1;
    p.batch_size = 4;
    size_t need;
    if (ecl_learner_mem_size(&p, &need) != ECL_OK) exit(1);
    void *mem = calloc(1, need);
    struct ecl_learner *l;
    if (ecl_learner_init(&p, mem, need, &l) != ECL_OK) {
        fprintf(stderr, "make_seeds: learner init failed\n");
        exit(1);
    }
    float x[4 * 6];
    int32_t y[4];
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < 4; i++) {
            y[i] = (s + i) % 3;
            for (uint32_t d = 0; d < dim; d++)
                x[i * dim + d] = (float)y[i] + 0.1f * (float)d;
        }
        if (ecl_learner_observe(l, x, y, 4) != ECL_OK) exit(1);
    }
    if (steps) ecl_learner_set_class_name(l, 1, "mug");
    size_t sz, w;
    if (ecl_learner_state_size(l, &sz) != ECL_OK) exit(1);
    void *buf = malloc(sz);
    if (ecl_learner_state_write(l, buf, sz, &w) != ECL_OK) exit(1);
    char name[64];
    snprintf(name, sizeof name, "%s_%d%s", ecl_learner_kind_name(kind), steps, u8 ? "_u8" : "");
    put("state", name, "\0", 1, buf, w);
    strcat(name, "_fixcrc");
    put("state", name, "\1", 1, buf, w);
    free(buf);
    free(mem);
}

static void state_seeds(void) {
    for (int k = ECL_LEARNER_NAIVE; k <= ECL_LEARNER_NCM; k++) {
        state_seed((enum ecl_learner_kind)k, 0, 0);
        state_seed((enum ecl_learner_kind)k, 3, 0);
    }
    state_seed(ECL_LEARNER_REPLAY, 5, 1);
}

/* learn: header (kind, dim, classes, flags, lr) then batches; see fuzz_learn.c. Value codes:
 * 0x3300 + k ~ 1.x e0 (decade 51 - 45 = 6 is 1e6), 0xFFF0.. specials. */
static void learn_seed(const char *name, uint8_t kind, uint8_t flags, uint8_t lr, uint16_t code,
                       int batches) {
    uint8_t b[512];
    size_t n = 0;
    const uint8_t dim = 4;
    b[n++] = kind;
    b[n++] = dim - 1;
    b[n++] = 1; /* 3 classes */
    b[n++] = flags;
    b[n++] = lr;
    for (int k = 0; k < batches; k++) {
        b[n++] = 3; /* 4 samples */
        for (int i = 0; i < 4; i++) {
            b[n++] = (uint8_t)((k + i) % 3);
            for (int d = 0; d < dim; d++) {
                uint16_t c = (uint16_t)(code + (uint16_t)(i * 7 + d * 3));
                if (code >= 0xFFF0)
                    c = code;
                else if ((i + d + k) & 1)
                    c ^= 0x8000; /* mixed signs */
                b[n++] = (uint8_t)c;
                b[n++] = (uint8_t)(c >> 8);
            }
        }
    }
    put("learn", name, b, n, NULL, 0);
}

static void learn_seeds(void) {
    static const char *kinds[] = {"naive", "replay", "slda", "ncm"};
    char name[64];
    for (uint8_t k = 0; k < 4; k++) {
        snprintf(name, sizeof name, "%s_unit", kinds[k]);
        learn_seed(name, k, 0x11, 1, (uint16_t)(45 << 8), 3); /* values ~1 */
        snprintf(name, sizeof name, "%s_1e6", kinds[k]);
        learn_seed(name, k, 0x13, 1, 0xFFF3, 2); /* exactly 1e6 */
        snprintf(name, sizeof name, "%s_tiny", kinds[k]);
        learn_seed(name, k, 0x10, 1, (uint16_t)(1 << 8), 2); /* ~1e-44, subnormal */
    }
    learn_seed("replay_sgd_lr100_1e6", 1, 0x34, 6 | 8, (uint16_t)(51 << 8), 4); /* diverges */
    learn_seed("replay_beyond_limit", 1, 0x11, 1, 0xFFF5, 1);                   /* 1.0000001e6 */
    learn_seed("slda_nan", 2, 0x00, 1, 0xFFF2, 1);
}
#endif

/* ------------------------------------------------------------------ tflite models */
#ifdef ECL_HAVE_MODEL
enum {
    ADD = 0,
    AVG = 1,
    CONV = 3,
    DW = 4,
    DEQ = 6,
    FC = 9,
    MAXP = 17,
    MUL = 18,
    RESHAPE = 22,
    SOFTMAX = 25,
    PAD = 34,
    MEAN = 40,
    QUANT = 114,
    HSWISH = 117
};

static void fill(float *x, size_t n, float scale) {
    for (size_t i = 0; i < n; i++)
        x[i] = scale * ((float)((i * 37) % 19) / 9.0f - 1.0f);
}

static void model_put(struct tb *b, const char *name) {
    size_t len;
    uint8_t *f = tb_finish(b, &len);
    if (!f) exit(1);
    put("model", name, f, len, NULL, 0);
    free(f);
    tb_free(b);
}

static void model_seeds(void) {
    struct tb b;
    { /* CONV_2D 3x3 stride 2 SAME + RELU6 */
        static float w[4 * 3 * 3 * 3], bias[4];
        fill(w, sizeof w / 4, 1.0f);
        fill(bias, 4, 0.5f);
        tb_init(&b);
        int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 7, 6, 3}, NULL, 0);
        int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){4, 3, 3, 3}, w, sizeof w);
        int tbias = tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){4}, bias, sizeof bias);
        int to = tb_tensor(&b, "out", TB_F32, 4, (int32_t[]){1, 4, 3, 4}, NULL, 0);
        struct tb_opt opt[] = {{0, 1, 0}, {1, 4, 2}, {2, 4, 2}, {3, 1, 3}};
        tb_op(&b, CONV, 3, (int[]){ti, tw, tbias}, to, 1, opt, 4);
        tb_io(&b, ti, to);
        model_put(&b, "conv_f32");
    }
    { /* DEPTHWISE 3x3 VALID, multiplier 2, then HARD_SWISH */
        static float w[1 * 3 * 3 * 6], bias[6];
        fill(w, sizeof w / 4, 1.0f);
        fill(bias, 6, 0.1f);
        tb_init(&b);
        int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 5, 5, 3}, NULL, 0);
        int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){1, 3, 3, 6}, w, sizeof w);
        int tbias = tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){6}, bias, sizeof bias);
        int to = tb_tensor(&b, "dw", TB_F32, 4, (int32_t[]){1, 3, 3, 6}, NULL, 0);
        int th = tb_tensor(&b, "hs", TB_F32, 4, (int32_t[]){1, 3, 3, 6}, NULL, 0);
        struct tb_opt opt[] = {{0, 1, 1}, {1, 4, 1}, {2, 4, 1}, {3, 4, 2}, {4, 1, 0}};
        tb_op(&b, DW, 3, (int[]){ti, tw, tbias}, to, 2, opt, 5);
        tb_op(&b, HSWISH, 1, (int[]){to}, th, 0, NULL, 0);
        tb_io(&b, ti, th);
        model_put(&b, "dw_hswish_f32");
    }
    { /* MUL, ADD+RELU, AVG, MAX, PAD, MEAN, RESHAPE, FC, SOFTMAX */
        enum { H = 7, W = 7, C = 4, K = 5 };
        static float sc[C], fw[K * C], fb[K];
        fill(sc, C, 2.0f);
        fill(fw, K * C, 1.0f);
        fill(fb, K, 0.5f);
        tb_build_chain_f32(&b, sc, fw, fb);
        model_put(&b, "chain_f32");
    }
    { /* QUANTIZE -> int8 CONV (per-channel) -> DEQUANTIZE */
        static int8_t w[2 * 1 * 1 * 3] = {10, -20, 30, -40, 50, -60};
        static int32_t bias[2] = {100, -100};
        float ws[2] = {0.01f, 0.02f}, bs[2] = {0.0005f, 0.001f}, s_in = 0.05f, s_out = 0.1f;
        int64_t z0[2] = {0, 0}, zin = -3, zout = 5;
        tb_init(&b);
        int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 4, 4, 3}, NULL, 0);
        int tq = tb_tensor(&b, "q", TB_I8, 4, (int32_t[]){1, 4, 4, 3}, NULL, 0);
        tb_quant(&b, tq, 1, &s_in, &zin, 0);
        int tw = tb_tensor(&b, "w", TB_I8, 4, (int32_t[]){2, 1, 1, 3}, w, sizeof w);
        tb_quant(&b, tw, 2, ws, z0, 0);
        int tbias = tb_tensor(&b, "b", TB_I32, 1, (int32_t[]){2}, bias, sizeof bias);
        tb_quant(&b, tbias, 2, bs, z0, 0);
        int to = tb_tensor(&b, "conv", TB_I8, 4, (int32_t[]){1, 4, 4, 2}, NULL, 0);
        tb_quant(&b, to, 1, &s_out, &zout, 0);
        int td = tb_tensor(&b, "out", TB_F32, 4, (int32_t[]){1, 4, 4, 2}, NULL, 0);
        struct tb_opt opt[] = {{0, 1, 0}, {1, 4, 1}, {2, 4, 1}, {3, 1, 1}};
        tb_op(&b, QUANT, 1, (int[]){ti}, tq, 0, NULL, 0);
        tb_op(&b, CONV, 3, (int[]){tq, tw, tbias}, to, 1, opt, 4);
        tb_op(&b, DEQ, 1, (int[]){to}, td, 0, NULL, 0);
        tb_io(&b, ti, td);
        model_put(&b, "conv_int8");
    }
    { /* float16 weights and bias -> DEQUANTIZE (computed once at init) -> CONV_2D 1x1 */
        static uint16_t w[3 * 1 * 1 * 2] = {0x3c00, 0xbc00, 0x3800, 0x4000, 0xb800, 0x3e00};
        static uint16_t bias[3] = {0x3400, 0x0000, 0xb400}; /* 0.25, 0, -0.25 */
        tb_init(&b);
        int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 3, 3, 2}, NULL, 0);
        int twh = tb_tensor(&b, "w16", TB_F16, 4, (int32_t[]){3, 1, 1, 2}, w, sizeof w);
        int tbh = tb_tensor(&b, "b16", TB_F16, 1, (int32_t[]){3}, bias, sizeof bias);
        int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){3, 1, 1, 2}, NULL, 0);
        int tbias = tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){3}, NULL, 0);
        int to = tb_tensor(&b, "out", TB_F32, 4, (int32_t[]){1, 3, 3, 3}, NULL, 0);
        struct tb_opt opt[] = {{0, 1, 1}, {1, 4, 1}, {2, 4, 1}, {3, 1, 0}};
        tb_op(&b, DEQ, 1, (int[]){twh}, tw, 0, NULL, 0);
        tb_op(&b, DEQ, 1, (int[]){tbh}, tbias, 0, NULL, 0);
        tb_op(&b, CONV, 3, (int[]){ti, tw, tbias}, to, 1, opt, 4);
        tb_io(&b, ti, to);
        model_put(&b, "conv_f16_weights");
    }
}
#endif

/* ------------------------------------------------------------------ http */
#ifdef ECL_HAVE_SERVE
struct mem {
    unsigned char *p;
    size_t len, cap;
};

static void mem_add(struct mem *m, const void *p, size_t n) {
    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->p = realloc(m->p, m->cap);
        if (!m->p) exit(1);
    }
    memcpy(m->p + m->len, p, n);
    m->len += n;
}

static void mem_str(struct mem *m, const char *s) {
    mem_add(m, s, strlen(s));
}

/* A w x h JPEG with a colour gradient; `tone` shifts the colours. */
static unsigned char *make_jpeg(int w, int h, int tone, size_t *len) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    unsigned long outlen = 0;
    jpeg_mem_dest(&c, &out, &outlen);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 50, TRUE);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)w * 3);
    while (c.next_scanline < c.image_height) {
        int y = (int)c.next_scanline;
        for (int x = 0; x < w; x++) {
            row[x * 3] = (unsigned char)(tone + x * 8);
            row[x * 3 + 1] = (unsigned char)(y * 8);
            row[x * 3 + 2] = (unsigned char)(255 - tone);
        }
        JSAMPROW rp = row;
        jpeg_write_scanlines(&c, &rp, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    *len = outlen;
    return out;
}

static void req(struct mem *m, const char *method_url, const char *ctype, const void *body,
                size_t len) {
    if (m->len) mem_str(m, "\n--\n");
    mem_str(m, method_url);
    mem_str(m, "\n");
    mem_str(m, ctype ? ctype : "-");
    mem_str(m, "\n");
    if (len) mem_add(m, body, len);
}

static void reqs(struct mem *m, const char *method_url, const char *ctype, const char *body) {
    req(m, method_url, ctype, body, strlen(body));
}

static void http_seeds(void) {
    struct mem m = {0};
    req(&m, "GET /api/state", NULL, NULL, 0);
    put("http", "state", m.p, m.len, NULL, 0);
    m.len = 0;
    req(&m, "GET /", NULL, NULL, 0);
    req(&m, "GET /index.html", NULL, NULL, 0);
    req(&m, "GET /../etc/passwd", NULL, NULL, 0);
    put("http", "web", m.p, m.len, NULL, 0);
    m.len = 0;
    reqs(&m, "POST /api/classes", "application/json", "{\"name\": \"caf\\u00e9 \\\"x\\\"\"}");
    reqs(&m, "POST /api/classes", "application/json",
         "{\"other\":[1,2,{\"a\":null}],\"name\":\"b\"}");
    reqs(&m, "POST /api/classes", "application/json", "{\"name\":\"b\"}");
    req(&m, "DELETE /api/classes", NULL, NULL, 0);
    put("http", "json", m.p, m.len, NULL, 0);

    /* A whole session: two classes, samples, train, predict, save, restore. */
    size_t j1l, j2l;
    unsigned char *j1 = make_jpeg(16, 12, 10, &j1l), *j2 = make_jpeg(12, 16, 200, &j2l);
    m.len = 0;
    reqs(&m, "POST /api/classes", "application/json", "{\"name\":\"cat\"}");
    reqs(&m, "POST /api/classes", "application/json", "{\"name\":\"dog\"}");
    for (int i = 0; i < 2; i++) {
        req(&m, "POST /api/classes/0/samples", "image/jpeg", j1, j1l);
        req(&m, "POST /api/classes/1/samples", "image/jpeg", j2, j2l);
    }
    reqs(&m, "POST /api/train", "application/json", "{\"learner\":\"both\"}");
    req(&m, "POST /api/predict", "image/jpeg", j1, j1l);
    req(&m, "POST /api/save", NULL, NULL, 0);
    req(&m, "POST /api/restore", NULL, NULL, 0);
    req(&m, "GET /api/state", NULL, NULL, 0);
    put("http", "session", m.p, m.len, NULL, 0);
    /* Run it through the harness to get the demo state file it saves. */
    char keep[4400];
    snprintf(keep, sizeof keep, "%s/.tmp-demo-state", g_out);
    g_keep_state = keep;
    fuzz_http_one(m.p, m.len);
    g_keep_state = NULL;
    void *st;
    size_t stl;
    if (ecl_port_read_file(keep, &st, &stl) == ECL_OK) {
        put("http", "state_file", "S", 1, st, stl);
        put("http", "state_file_fixcrc", "C", 1, st, stl);
        free(st);
        unlink(keep);
    } else {
        fprintf(stderr, "make_seeds: the session seed saved no state file\n");
        exit(1);
    }
    m.len = 0;
    req(&m, "POST /api/predict", "image/jpeg", j2, j2l - 2); /* truncated JPEG */
    req(&m, "POST /api/classes/99/samples", "image/jpeg", j2, j2l);
    req(&m, "POST /api/predict", "image/png", "\x89PNG\r\n\x1a\n", 8);
    put("http", "bad_images", m.p, m.len, NULL, 0);
    /* Kept samples (issue 12): list, thumbnail, deleting a trained and a pending sample and a
     * class (retraining), bad ids; the export endpoints. */
    m.len = 0;
    reqs(&m, "POST /api/classes", "application/json", "{\"name\":\"cat\"}");
    reqs(&m, "POST /api/classes", "application/json", "{\"name\":\"dog\"}");
    reqs(&m, "POST /api/classes", "application/json", "{\"name\":\"eel\"}");
    req(&m, "POST /api/classes/0/samples", "image/jpeg", j1, j1l);
    req(&m, "POST /api/classes/1/samples", "image/jpeg", j2, j2l);
    req(&m, "POST /api/classes/2/samples", "image/jpeg", j2, j2l);
    req(&m, "POST /api/train", NULL, NULL, 0);
    req(&m, "GET /api/samples", NULL, NULL, 0);
    req(&m, "GET /api/samples/0/thumb", NULL, NULL, 0);
    /* "Download model": labels; the stand-in backbone exports no model (501); bad paths */
    req(&m, "GET /api/export/replay/labels", NULL, NULL, 0);
    req(&m, "GET /api/export/naive", NULL, NULL, 0);
    req(&m, "GET /api/export/slda", NULL, NULL, 0);
    req(&m, "POST /api/export/replay", NULL, NULL, 0);
    req(&m, "DELETE /api/samples/1", NULL, NULL, 0);
    req(&m, "POST /api/classes/0/samples", "image/jpeg", j2, j2l);
    req(&m, "DELETE /api/samples/3", NULL, NULL, 0);
    req(&m, "DELETE /api/classes/0", NULL, NULL, 0);
    req(&m, "DELETE /api/samples/x", NULL, NULL, 0);
    req(&m, "GET /api/samples/99/thumb", NULL, NULL, 0);
    req(&m, "POST /api/predict", "image/jpeg", j1, j1l);
    req(&m, "POST /api/restore", NULL, NULL, 0);
    put("http", "samples", m.p, m.len, NULL, 0);
    free(j1);
    free(j2);
    free(m.p);
}

/* One HTTP/1.1 request: request line, "Host: host" unless host is NULL, extra header lines
 * (each ending in \r\n), Content-Length if body is not NULL, then the body. */
static void raw_req(struct mem *m, const char *line, const char *host, const char *headers,
                    const void *body, size_t len) {
    char h[128];
    mem_str(m, line);
    mem_str(m, "\r\n");
    if (host) {
        snprintf(h, sizeof h, "Host: %s\r\n", host);
        mem_str(m, h);
    }
    if (headers) mem_str(m, headers);
    if (body) {
        snprintf(h, sizeof h, "Content-Length: %zu\r\n", len);
        mem_str(m, h);
    }
    mem_str(m, "\r\n");
    if (body) mem_add(m, body, len);
}

static void raw_put(struct mem *m, const char *name) {
    put("http_raw", name, m->p, m->len, NULL, 0);
    m->len = 0;
}

static void http_raw_seeds(void) {
    static const char json_ct[] = "Content-Type: application/json\r\n";
    static const char cat[] = "{\"name\":\"cat\"}";
    struct mem m = {0};
    raw_req(&m, "GET / HTTP/1.1", "127.0.0.1:8080", NULL, NULL, 0);
    raw_put(&m, "get_page");
    raw_req(&m, "GET /api/state HTTP/1.1", "localhost", "Connection: close\r\n", NULL, 0);
    raw_put(&m, "get_state");
    raw_req(&m, "POST /api/classes HTTP/1.1", "127.0.0.1:8080",
            "Content-Type: application/json\r\nOrigin: http://127.0.0.1:8080\r\n", cat,
            sizeof cat - 1);
    raw_put(&m, "post_class_same_origin");
    /* chunked: "{\"name\":" + "\"dog\"}" in two chunks, with a chunk extension and a trailer */
    raw_req(&m, "POST /api/classes HTTP/1.1", "[::1]:8080",
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", NULL, 0);
    mem_str(&m, "8\r\n{\"name\":\r\n7;x=y\r\n\"dog\"}\r\n0\r\nX-Trailer: 1\r\n\r\n");
    raw_put(&m, "post_chunked");
    /* a chunked upload that grows past the 2048-byte limit: 413 mid-body */
    raw_req(&m, "POST /api/predict HTTP/1.1", "localhost",
            "Content-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n", NULL, 0);
    for (int i = 0; i < 3; i++) {
        char chunk[800];
        memset(chunk, 'A' + i, sizeof chunk);
        mem_str(&m, "320\r\n");
        mem_add(&m, chunk, sizeof chunk);
        mem_str(&m, "\r\n");
    }
    mem_str(&m, "0\r\n\r\n");
    raw_put(&m, "chunked_too_big");
    raw_req(&m, "POST /api/predict HTTP/1.1", "localhost",
            "Content-Type: image/jpeg\r\nContent-Length: 999999\r\n", NULL, 0);
    mem_str(&m, "\xff\xd8\xff");
    raw_put(&m, "content_length_too_big");
    raw_req(&m, "GET /api/state HTTP/1.1", "evil.example:8080", NULL, NULL, 0);
    raw_put(&m, "foreign_host");
    raw_req(&m, "POST /api/reset HTTP/1.1", "127.0.0.1:8080", "Origin: http://evil.example\r\n", "",
            0);
    raw_put(&m, "cross_origin");
    raw_req(&m, "PUT /index.html HTTP/1.1", "localhost", NULL, "x", 1);
    raw_req(&m, "DELETE /api/state HTTP/1.1", "localhost", NULL, NULL, 0);
    raw_put(&m, "method_405");
    raw_req(&m, "GET /api/state HTTP/1.0", NULL, NULL, NULL, 0);
    raw_put(&m, "http10_no_host");
    /* A keep-alive session on one connection: classes, samples, train, predict, HEAD. */
    size_t j1l, j2l;
    unsigned char *j1 = make_jpeg(16, 12, 10, &j1l), *j2 = make_jpeg(12, 16, 200, &j2l);
    raw_req(&m, "POST /api/classes HTTP/1.1", "localhost", json_ct, cat, sizeof cat - 1);
    raw_req(&m, "POST /api/classes HTTP/1.1", "localhost", json_ct, "{\"name\":\"dog\"}", 14);
    raw_req(&m, "POST /api/classes/0/samples HTTP/1.1", "localhost", "Content-Type: image/jpeg\r\n",
            j1, j1l);
    raw_req(&m, "POST /api/classes/1/samples HTTP/1.1", "localhost", "Content-Type: image/jpeg\r\n",
            j2, j2l);
    raw_req(&m, "POST /api/train HTTP/1.1", "localhost", json_ct, "{}", 2);
    raw_req(&m, "POST /api/predict HTTP/1.1", "localhost", "Content-Type: image/jpeg\r\n", j1, j1l);
    raw_req(&m, "HEAD / HTTP/1.1", "localhost", NULL, NULL, 0);
    raw_req(&m, "GET /api/state HTTP/1.1", "localhost", "Connection: close\r\n", NULL, 0);
    raw_put(&m, "session_keepalive");
    free(j1);
    free(j2);
    free(m.p);
}
#endif

int main(int argc, char **argv) {
    if (argc < 2 || (argc != 2 && argc != 6) || !strcmp(argv[1], "--help")) {
        fprintf(stderr,
                "usage: %s OUTDIR   (writes OUTDIR/<harness>/<seed>)\n"
                "       %s --jpeg OUT.jpg W H TONE   (a gradient test image)\n",
                argv[0], argv[0]);
        return argc == 2 ? 0 : 2;
    }
#ifdef ECL_HAVE_SERVE
    if (argc == 6 && !strcmp(argv[1], "--jpeg")) { /* --jpeg OUT W H TONE: a test image */
        size_t len;
        unsigned char *j = make_jpeg(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), &len);
        FILE *f = fopen(argv[2], "wb");
        int ok = f && fwrite(j, 1, len, f) == len;
        if (f) ok &= fclose(f) == 0;
        free(j);
        if (!ok) fprintf(stderr, "make_seeds: cannot write %s\n", argv[2]);
        return ok ? 0 : 1;
    }
#endif
    g_out = argv[1];
    mkdir_p(g_out);
    featfile_seeds();
#ifdef ECL_HAVE_LEARNER
    state_seeds();
    learn_seeds();
#endif
#ifdef ECL_HAVE_SERVE
    http_seeds();
    http_raw_seeds();
#endif
#ifdef ECL_HAVE_MODEL
    model_seeds();
#endif
    fprintf(stderr, "make_seeds: %d seed(s) in %s\n", g_count, g_out);
    return 0;
}
