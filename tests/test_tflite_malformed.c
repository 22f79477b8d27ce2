/* Hostile and broken .tflite files must give a clean error, never a crash (run this under
 * -DECL_SANITIZE=ON): truncation at every length, random byte corruption, offsets out of
 * bounds, huge and negative dimensions, cycles, missing producers, unsupported ops. */
#include "test_tflite_common.h"

enum { ADD = 0, CONV = 3, MUL = 18, RESHAPE = 22, LSHPROJ = 15 };

static float W[2 * 1 * 1 * 3], B[2];

/* in(1,4,4,3) -> CONV 1x1 (2 out) -> ADD(conv, conv) -> out */
static uint8_t *small_model(size_t *len, int32_t h_in, int op2) {
    struct tb b;
    tb_init(&b);
    int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, h_in, 4, 3}, NULL, 0);
    int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){2, 1, 1, 3}, W, sizeof W);
    int tbb = tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){2}, B, sizeof B);
    int tc = tb_tensor(&b, "conv", TB_F32, 4, (int32_t[]){1, h_in, 4, 2}, NULL, 0);
    int to = tb_tensor(&b, "out", TB_F32, 4, (int32_t[]){1, h_in, 4, 2}, NULL, 0);
    tb_op(&b, CONV, 3, (int[]){ti, tw, tbb}, tc, 1,
          (struct tb_opt[]){{0, 1, 1}, {1, 4, 1}, {2, 4, 1}, {3, 1, 0}}, 4);
    tb_op(&b, op2, 2, (int[]){tc, tc}, to, 0, NULL, 0);
    tb_io(&b, ti, to);
    uint8_t *f = tb_finish(&b, len);
    tb_free(&b);
    return f;
}

/* Try the whole pipeline on a (possibly broken) file; must not crash. */
static enum ecl_status try_all(const uint8_t *f, size_t len, char *err, size_t errlen) {
    struct ecl_model m;
    enum ecl_status s = ecl_model_parse(f, len, &m, err, errlen);
    if (s) return s;
    /* accessors must be safe on anything parse accepted */
    struct ecl_tensor_info ti;
    struct ecl_op_info oi;
    for (uint32_t i = 0; i < ecl_model_n_tensors(&m); i++)
        ecl_model_tensor_info(&m, (int32_t)i, &ti);
    for (uint32_t i = 0; i < ecl_model_n_ops(&m); i++)
        ecl_model_op_info(&m, (int32_t)i, &oi);
    size_t need;
    if ((s = ecl_interp_mem_size(&m, -1, NULL, &need, err, errlen))) return s;
    void *arena = malloc(need);
    struct ecl_interp *it;
    s = ecl_interp_init(&m, -1, NULL, arena, need, &it, err, errlen);
    if (!s) {
        size_t ni = ecl_interp_input_count(it), no = ecl_interp_output_count(it);
        float *in = calloc(ni, sizeof(float)), *out = calloc(no, sizeof(float));
        s = ecl_interp_run(it, in, out);
        free(in);
        free(out);
    }
    free(arena);
    return s;
}

static void test_valid_baseline(void **state) {
    size_t len;
    uint8_t *f = small_model(&len, 4, ADD);
    char err[200] = "";
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_OK);
    free(f);
}

static void test_truncated_every_length(void **state) {
    size_t len;
    uint8_t *f = small_model(&len, 4, ADD);
    char err[200];
    for (size_t n = 0; n < len; n++) {
        uint8_t *c = malloc(n ? n : 1); /* exact-size copy: ASan sees any over-read */
        memcpy(c, f, n);
        enum ecl_status s = try_all(c, n, err, sizeof err);
        /* the buffers vector is at the end: a shorter file cannot be complete */
        assert_int_not_equal(s, ECL_OK);
        assert_true(strlen(err) > 0);
        /* and the parser says so (not just "malformed tensor 0") */
        if (s != ECL_ETRUNCATED || (n >= 8 && strncmp(err, "file truncated: ", 16)))
            fail_msg("length %zu of %zu: status %d, '%s'", n, len, (int)s, err);
        free(c);
    }
    free(f);
}

static void test_random_corruption(void **state) {
    size_t len;
    uint8_t *f = small_model(&len, 4, ADD);
    char err[200];
    uint8_t *c = malloc(len);
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(c, f, len);
        int nflip = 1 + (int)((tt_rand() + 1) * 2);
        for (int k = 0; k < nflip; k++) {
            size_t pos = (size_t)((tt_rand() + 1) * 0.5 * (double)len) % len;
            uint32_t r = tt_rng >> 3;
            c[pos] = (r & 3) == 0 ? 0xff : (r & 3) == 1 ? 0 : (uint8_t)(r >> 8);
        }
        if (try_all(c, len, err, sizeof err) == ECL_OK)
            ok++;
        else
            bad++;
    }
    /* both outcomes happen (some bytes are padding or weights), none crashes */
    assert_true(bad > 0);
    assert_true(ok > 0);
    free(c);
    free(f);
}

static void test_offsets_out_of_bounds(void **state) {
    size_t len;
    uint8_t *f = small_model(&len, 4, ADD);
    char err[200];
    /* root offset beyond the end */
    uint32_t big = (uint32_t)len + 100;
    uint8_t *c = malloc(len);
    memcpy(c, f, len);
    memcpy(c, &big, 4);
    /* (indistinguishable from a file cut short: the root table would lie past its end) */
    assert_int_equal(try_all(c, len, err, sizeof err), ECL_ETRUNCATED);
    assert_non_null(strstr(err, "file truncated"));
    /* every aligned u32 set to a huge offset, one at a time */
    for (size_t pos = 0; pos + 4 <= len; pos += 4) {
        memcpy(c, f, len);
        uint32_t v = 0x7ffffff0u;
        memcpy(c + pos, &v, 4);
        try_all(c, len, err, sizeof err);
        v = 0xfffffff0u; /* negative soffsets / huge lengths */
        memcpy(c + pos, &v, 4);
        try_all(c, len, err, sizeof err);
    }
    /* bad identifier */
    memcpy(c, f, len);
    c[4] = 'X';
    assert_int_equal(try_all(c, len, err, sizeof err), ECL_EFORMAT);
    assert_non_null(strstr(err, "TFL3"));
    free(c);
    free(f);
}

static void test_huge_and_negative_dims(void **state) {
    size_t len;
    char err[200];
    uint8_t *f = small_model(&len, 1 << 20, ADD); /* 1x2^20x4x3 floats: parse ok, plan big */
    struct ecl_model m;
    assert_int_equal(ecl_model_parse(f, len, &m, err, sizeof err), ECL_OK);
    free(f);
    f = small_model(&len, 1 << 25, ADD); /* dimension above the 2^24 limit */
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EFORMAT);
    free(f);
    f = small_model(&len, -5, ADD);
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EFORMAT);
    free(f);
    f = small_model(&len, 0, ADD); /* empty activation */
    assert_int_not_equal(try_all(f, len, err, sizeof err), ECL_OK);
    free(f);
}

static void test_unsupported_op_named(void **state) {
    size_t len;
    uint8_t *f = small_model(&len, 4, LSHPROJ);
    char err[200];
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EUNSUPPORTED);
    assert_string_equal(err, "unsupported op LSH_PROJECTION at operator 1");
    free(f);
    /* a cut before the unsupported op still works */
    f = small_model(&len, 4, LSHPROJ);
    float in[48] = {0}, out[64];
    assert_int_equal(tt_run(f, len, "conv", in, out, 64, NULL, 1), ECL_OK);
    free(f);
}

/* A builtin code beyond the table of names (a newer schema's op) is reported with its number,
 * not as "UNKNOWN" (which said nothing about which op it was). */
static void test_unknown_op_number(void **state) {
    size_t len;
    uint8_t *f = small_model(&len, 4, 250);
    char err[200];
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EUNSUPPORTED);
    assert_string_equal(err, "unknown op 250 at operator 1");
    struct ecl_model m;
    assert_int_equal(ecl_model_parse(f, len, &m, err, sizeof err), ECL_OK);
    struct ecl_op_info oi;
    assert_int_equal(ecl_model_op_info(&m, 1, &oi), ECL_OK);
    assert_int_equal(oi.builtin, 250);
    assert_false(oi.supported);
    free(f);
    /* the last named code and the first unnamed one */
    f = small_model(&len, 4, 209);
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EUNSUPPORTED);
    assert_string_equal(err, "unsupported op STABLEHLO_CASE at operator 1");
    free(f);
    f = small_model(&len, 4, 210);
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EUNSUPPORTED);
    assert_string_equal(err, "unknown op 210 at operator 1");
    free(f);
}

/* A constant (weights, bias) as the cut tensor is refused by name, by mem_size and init; it
 * used to be accepted and "ran" to a copy of the file's weights. */
static void test_cut_at_constant(void **state) {
    size_t len;
    uint8_t *f = small_model(&len, 4, ADD);
    struct ecl_model m;
    char err[200];
    assert_int_equal(ecl_model_parse(f, len, &m, err, sizeof err), ECL_OK);
    const char *names[] = {"w", "b"};
    for (int k = 0; k < 2; k++) {
        int32_t c;
        assert_int_equal(ecl_model_find_tensor(&m, names[k], &c), ECL_OK);
        size_t need = 0;
        char want[80];
        snprintf(want, sizeof want, "cut tensor '%s' is a constant, not an activation", names[k]);
        strcpy(err, "");
        assert_int_equal(ecl_interp_mem_size(&m, c, NULL, &need, err, sizeof err), ECL_EINVAL);
        assert_string_equal(err, want);
        static uint8_t arena[1 << 16];
        struct ecl_interp *it = NULL;
        strcpy(err, "");
        assert_int_equal(ecl_interp_init(&m, c, NULL, arena, sizeof arena, &it, err, sizeof err),
                         ECL_EINVAL);
        assert_string_equal(err, want);
        assert_null(it);
    }
    /* activations around it are still fine as cuts: the input, the conv, the output */
    float in[48] = {0}, out[64];
    assert_int_equal(tt_run(f, len, "in", in, out, 64, NULL, 1), ECL_OK);
    assert_int_equal(tt_run(f, len, "conv", in, out, 64, NULL, 1), ECL_OK);
    assert_int_equal(tt_run(f, len, NULL, in, out, 64, NULL, 1), ECL_OK);
    free(f);
    /* an unnamed constant is named by its index */
    struct tb b;
    tb_init(&b);
    int ti = tb_tensor(&b, "in", TB_F32, 2, (int32_t[]){1, 3}, NULL, 0);
    int tk = tb_tensor(&b, "", TB_F32, 2, (int32_t[]){1, 3}, W, 3 * sizeof(float));
    int to = tb_tensor(&b, "out", TB_F32, 2, (int32_t[]){1, 3}, NULL, 0);
    tb_op(&b, ADD, 2, (int[]){ti, tk}, to, 0, NULL, 0);
    tb_io(&b, ti, to);
    f = tb_finish(&b, &len);
    assert_int_equal(ecl_model_parse(f, len, &m, err, sizeof err), ECL_OK);
    size_t need;
    assert_int_equal(ecl_interp_mem_size(&m, tk, NULL, &need, err, sizeof err), ECL_EINVAL);
    assert_string_equal(err, "cut tensor '1' is a constant, not an activation");
    free(f);
    tb_free(&b);
}

/* A DEQUANTIZE of a constant is computed at init (float16 weights); it is still checked like
 * any op first: wrong output size or type, an unsupported input type. */
static void test_const_dequantize_checked(void **state) {
    static const uint16_t h[4] = {0x3c00, 0x4000, 0xc000, 0x0001};
    static const int32_t i32[4] = {1, 2, 3, 4};
    struct {
        int type, out_type, out_n;
        const void *data;
        enum ecl_status want;
        const char *msg;
    } cases[] = {
        {TB_F16, TB_F32, 4, h, ECL_OK, ""},
        {TB_F16, TB_F32, 5, h, ECL_EFORMAT, "DEQUANTIZE at operator 0: output must be float32"},
        {TB_F16, TB_I32, 4, h, ECL_EFORMAT, "DEQUANTIZE at operator 0: output must be float32"},
        {TB_I32, TB_F32, 4, i32, ECL_EUNSUPPORTED,
         "DEQUANTIZE at operator 0: input type int32 is not supported"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct tb b;
        tb_init(&b);
        int n = cases[k].out_n;
        int ti = tb_tensor(&b, "in", TB_F32, 2, (int32_t[]){1, n}, NULL, 0);
        int tc = tb_tensor(&b, "c", cases[k].type, 2, (int32_t[]){1, 4}, cases[k].data,
                           cases[k].type == TB_F16 ? 8 : 16);
        int td = tb_tensor(&b, "d", cases[k].out_type, 2, (int32_t[]){1, n}, NULL, 0);
        int to = tb_tensor(&b, "out", cases[k].out_type, 2, (int32_t[]){1, n}, NULL, 0);
        tb_op(&b, 6, 1, (int[]){tc}, td, 0, NULL, 0);
        tb_op(&b, ADD, 2, (int[]){ti, td}, to, 0, NULL, 0);
        tb_io(&b, ti, to);
        size_t len;
        uint8_t *f = tb_finish(&b, &len);
        char err[200] = "";
        enum ecl_status st = try_all(f, len, err, sizeof err);
        if (st != cases[k].want || strncmp(err, cases[k].msg, strlen(cases[k].msg)))
            fail_msg("case %zu: status %d '%s'", k, (int)st, err);
        free(f);
        tb_free(&b);
    }
}

static void test_cycle_and_missing(void **state) {
    char err[200];
    size_t len;
    struct tb b;
    /* op0 reads t2 which op1 produces later: a cycle in file order */
    tb_init(&b);
    int ti = tb_tensor(&b, "in", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    int t1 = tb_tensor(&b, "a", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    int t2 = tb_tensor(&b, "b", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    tb_op(&b, ADD, 2, (int[]){ti, t2}, t1, 0, NULL, 0);
    tb_op(&b, ADD, 2, (int[]){t1, ti}, t2, 0, NULL, 0);
    tb_io(&b, ti, t2);
    uint8_t *f = tb_finish(&b, &len);
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_ECORRUPT);
    assert_non_null(strstr(err, "before it is computed"));
    free(f);
    tb_free(&b);
    /* output tensor nobody produces */
    tb_init(&b);
    ti = tb_tensor(&b, "in", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    t1 = tb_tensor(&b, "orphan", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    tb_io(&b, ti, t1);
    f = tb_finish(&b, &len);
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_ECORRUPT);
    free(f);
    tb_free(&b);
    /* tensor index out of range in an operator */
    tb_init(&b);
    ti = tb_tensor(&b, "in", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    t1 = tb_tensor(&b, "a", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    tb_op(&b, ADD, 2, (int[]){ti, 57}, t1, 0, NULL, 0);
    tb_io(&b, ti, t1);
    f = tb_finish(&b, &len);
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EFORMAT);
    free(f);
    tb_free(&b);
    /* a binary op whose second input is the "omitted" index -1 (found by fuzz_model: it used
     * to reach the kernel with a NULL tensor); only a conv/FC bias may be omitted */
    for (int code = 0; code < 2; code++) {
        tb_init(&b);
        ti = tb_tensor(&b, "in", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
        t1 = tb_tensor(&b, "a", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
        tb_op(&b, code ? MUL : ADD, 2, (int[]){ti, -1}, t1, 0, NULL, 0);
        tb_io(&b, ti, t1);
        f = tb_finish(&b, &len);
        assert_int_equal(try_all(f, len, err, sizeof err), ECL_EFORMAT);
        assert_non_null(strstr(err, "required input 1 is missing"));
        free(f);
        tb_free(&b);
    }
    /* weight buffer shorter than its shape says */
    tb_init(&b);
    ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 4, 4, 3}, NULL, 0);
    int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){2, 1, 1, 3}, W, sizeof W - 4);
    t1 = tb_tensor(&b, "conv", TB_F32, 4, (int32_t[]){1, 4, 4, 2}, NULL, 0);
    tb_op(&b, CONV, 2, (int[]){ti, tw}, t1, 1,
          (struct tb_opt[]){{0, 1, 1}, {1, 4, 1}, {2, 4, 1}, {3, 1, 0}}, 4);
    tb_io(&b, ti, t1);
    f = tb_finish(&b, &len);
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EFORMAT);
    free(f);
    tb_free(&b);
    /* conv whose declared output shape disagrees with its padding/stride */
    tb_init(&b);
    ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 4, 4, 3}, NULL, 0);
    tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){2, 1, 1, 3}, W, sizeof W);
    t1 = tb_tensor(&b, "conv", TB_F32, 4, (int32_t[]){1, 9, 9, 2}, NULL, 0);
    tb_op(&b, CONV, 2, (int[]){ti, tw}, t1, 1,
          (struct tb_opt[]){{0, 1, 1}, {1, 4, 1}, {2, 4, 1}, {3, 1, 0}}, 4);
    tb_io(&b, ti, t1);
    f = tb_finish(&b, &len);
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_EFORMAT);
    assert_non_null(strstr(err, "CONV_2D at operator 0"));
    free(f);
    tb_free(&b);
}

static void test_arena_too_small_and_deprecated_codes(void **state) {
    size_t len;
    struct tb b;
    tb_init(&b);
    b.use_deprecated_only = 1;
    int ti = tb_tensor(&b, "in", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    int t1 = tb_tensor(&b, "a", TB_F32, 2, (int32_t[]){1, 4}, NULL, 0);
    tb_op(&b, ADD, 2, (int[]){ti, ti}, t1, 0, NULL, 0);
    tb_io(&b, ti, t1);
    uint8_t *f = tb_finish(&b, &len);
    struct ecl_model m;
    char err[200];
    assert_int_equal(ecl_model_parse(f, len, &m, err, sizeof err), ECL_OK);
    struct ecl_op_info oi;
    assert_int_equal(ecl_model_op_info(&m, 0, &oi), ECL_OK);
    assert_string_equal(oi.name, "ADD");
    size_t need;
    assert_int_equal(ecl_interp_mem_size(&m, -1, NULL, &need, err, sizeof err), ECL_OK);
    void *arena = malloc(need);
    struct ecl_interp *it;
    assert_int_equal(ecl_interp_init(&m, -1, NULL, arena, need - 65, &it, err, sizeof err),
                     ECL_ENOMEM);
    /* an unaligned arena of the advertised size works */
    free(arena);
    arena = malloc(need + 3);
    assert_int_equal(ecl_interp_init(&m, -1, NULL, (char *)arena + 3, need, &it, err, sizeof err),
                     ECL_OK);
    float in[4] = {1, 2, 3, 4}, out[4];
    assert_int_equal(ecl_interp_run(it, in, out), ECL_OK);
    for (int i = 0; i < 4; i++)
        assert_float_equal(out[i], 2 * in[i], 0);
    free(arena);
    free(f);
    tb_free(&b);
}

/* A real model from Google's converter (../shared/models; skipped where absent): every
 * truncation length on a grid is refused as truncated, and random corruption of a few bytes
 * anywhere in the file (structure, quantisation parameters, weights) never crashes: it is
 * refused with a message or runs. */
static uint8_t *read_shared(const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/../shared/models/%s", ECL_SOURCE_DIR, name);
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *f = n > 0 ? malloc((size_t)n) : NULL;
    if (f && fread(f, 1, (size_t)n, fp) != (size_t)n) {
        free(f);
        f = NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return f;
}

static void test_real_model_truncated_and_corrupted(void **state) {
    static const char *name = "mobilenet_v1_0.25_128_quant.tflite";
    size_t len = 0;
    uint8_t *f = read_shared(name, &len);
    if (!f) {
        fprintf(stderr, "../shared/models/%s absent: real-model corruption test skipped\n", name);
        skip();
    }
    char err[200] = "";
    assert_int_equal(try_all(f, len, err, sizeof err), ECL_OK);
    /* TFLite metadata may append a ZIP of associated files (this model: its labels) after the
     * flatbuffer; cutting into that leaves the model whole. The flatbuffer ends where the ZIP's
     * first local file header starts (end-of-central-directory record -> central directory ->
     * its first entry's local header offset). */
    size_t fb_end = len;
    if (len > 22 && !memcmp(f + len - 22, "PK\x05\x06", 4)) {
        const uint8_t *e = f + len - 22;
        uint32_t cd = e[16] | e[17] << 8 | e[18] << 16 | (uint32_t)e[19] << 24;
        if (cd + 46 <= len && !memcmp(f + cd, "PK\x01\x02", 4))
            fb_end = f[cd + 42] | f[cd + 43] << 8 | f[cd + 44] << 16 | (size_t)f[cd + 45] << 24;
        assert_true(fb_end < len);
    }
    for (int k = 0; k < 64; k++) { /* 64 lengths spread over the flatbuffer, and its last byte */
        size_t n = k == 63 ? fb_end - 1 : (size_t)((double)fb_end * k / 63.0);
        uint8_t *c = malloc(n ? n : 1);
        memcpy(c, f, n);
        enum ecl_status s = try_all(c, n, err, sizeof err);
        if (s != ECL_ETRUNCATED || (n >= 8 && strncmp(err, "file truncated: ", 16)))
            fail_msg("%s cut to %zu of %zu bytes: status %d, '%s'", name, n, len, (int)s, err);
        free(c);
    }
    uint8_t *c = malloc(len);
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 300; iter++) {
        memcpy(c, f, len);
        int nflip = 1 + (int)((tt_rand() + 1) * 2);
        for (int k = 0; k < nflip; k++) {
            /* half the flips in the first and last 4 KiB (flatbuffer tables, vectors and
             * quantisation records), the rest anywhere */
            double u = (tt_rand() + 1) * 0.5;
            size_t pos = (iter & 1)   ? (size_t)(u * (double)len) % len
                         : (iter & 2) ? (size_t)(u * 4096) % len
                                      : len - 1 - (size_t)(u * 4096) % len;
            uint32_t r = tt_rng >> 3;
            c[pos] = (r & 3) == 0 ? 0xff : (r & 3) == 1 ? 0 : (uint8_t)(r >> 8);
        }
        if (try_all(c, len, err, sizeof err) == ECL_OK)
            ok++;
        else
            bad++;
    }
    fprintf(stderr, "%s: 300 corrupted copies: %d refused with a message, %d ran\n", name, bad, ok);
    assert_true(bad > 0);
    free(c);
    free(f);
}

int main(void) {
    for (size_t i = 0; i < sizeof W / 4; i++)
        W[i] = tt_rand();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_baseline),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_random_corruption),
        cmocka_unit_test(test_offsets_out_of_bounds),
        cmocka_unit_test(test_huge_and_negative_dims),
        cmocka_unit_test(test_unsupported_op_named),
        cmocka_unit_test(test_unknown_op_number),
        cmocka_unit_test(test_cut_at_constant),
        cmocka_unit_test(test_const_dequantize_checked),
        cmocka_unit_test(test_cycle_and_missing),
        cmocka_unit_test(test_arena_too_small_and_deprecated_codes),
        cmocka_unit_test(test_real_model_truncated_and_corrupted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
