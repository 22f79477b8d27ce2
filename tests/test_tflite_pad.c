/* PAD: the row-wise ecl_ref_pad against a per-element version, and PAD folding into the next
 * VALID conv / depthwise conv (interp.c fold_pads): a folded model must give exactly the results
 * of the same model run with folding disabled (opts.no_fold), float and int8, and the PAD must
 * not be folded where it would be wrong (cut is the PAD output, a second reader, SAME conv). */
#include "test_tflite_common.h"
#include "kernels/kernels.h"
#include "edgecl/port.h"

enum { ADD = 0, CONV = 3, DW = 4, PAD = 34 };

/* ------------------------------------------------------------------ ecl_ref_pad */
static void naive_pad(const uint8_t *in, struct ecl_shape4 is, const int32_t p[8], uint8_t *out,
                      size_t es, const uint8_t *pv) {
    int32_t on = is.n + p[0] + p[1], oh = is.h + p[2] + p[3], ow = is.w + p[4] + p[5],
            oc = is.c + p[6] + p[7];
    size_t k = 0;
    for (int n = 0; n < on; n++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < oc; c++, k++) {
                    int a = n - p[0], b = y - p[2], d = x - p[4], e = c - p[6];
                    int inside = a >= 0 && a < is.n && b >= 0 && b < is.h && d >= 0 && d < is.w &&
                                 e >= 0 && e < is.c;
                    for (size_t q = 0; q < es; q++)
                        out[k * es + q] =
                            inside ? in[((((size_t)a * is.h + b) * is.w + d) * is.c + e) * es + q]
                                   : pv[q];
                }
}

static void test_ref_pad(void **state) {
    (void)state;
    const uint8_t pv_sets[3][4] = {{0, 0, 0, 0}, {0xfb, 0xfb, 0xfb, 0xfb}, {0, 0, 0xc0, 0x3f}};
    for (int trial = 0; trial < 300; trial++) {
        struct ecl_shape4 is = {1 + (trial % 2), 1 + (int)(4 * (tt_rand() + 1)),
                                1 + (int)(4 * (tt_rand() + 1)), 1 + (int)(3 * (tt_rand() + 1))};
        int32_t p[8];
        for (int k = 0; k < 8; k++) /* mostly H/W pads; sometimes N and C too */
            p[k] = (k >= 2 && k < 6) || trial % 3 == 0 ? (int32_t)(2 * (tt_rand() + 1)) : 0;
        size_t es = trial % 3 == 0 ? 1 : (trial % 3 == 1 ? 4 : 2);
        const uint8_t *pv = pv_sets[trial % 3 == 2 ? 2 : (trial / 3) % 2];
        size_t in_n = ecl_shape4_count(is) * es;
        struct ecl_shape4 os = {is.n + p[0] + p[1], is.h + p[2] + p[3], is.w + p[4] + p[5],
                                is.c + p[6] + p[7]};
        size_t out_n = ecl_shape4_count(os) * es;
        uint8_t *in = malloc(in_n), *a = malloc(out_n + 1), *b = malloc(out_n + 1);
        for (size_t i = 0; i < in_n; i++)
            in[i] = (uint8_t)(tt_rand() * 127);
        a[out_n] = b[out_n] = 0x5a; /* guard byte: nothing written past the end */
        ecl_ref_pad(in, is, p, a, es, pv);
        naive_pad(in, is, p, b, es, pv);
        assert_memory_equal(a, b, out_n + 1);
        free(in);
        free(a);
        free(b);
    }
}

/* ------------------------------------------------------------------ folding */
struct fold_case {
    int dw, int8, kh, kw, sh, sw, dil, pads[4]; /* pads: top, bottom, left, right */
};

/* in [1,H,W,C] -> PAD -> conv (VALID) -> out; optionally a second reader of the PAD output
 * (float only: out2 = a second conv of it, model output = out + out2), or the conv with SAME
 * padding. Returns the file (malloc'd). */
static uint8_t *fold_model(const struct fold_case *fc, int H, int W, int C, int second_reader,
                           int same, size_t *len, float *wbuf, int8_t *wq, int32_t *bq) {
    int O = fc->dw ? 2 * C : 5, KH = fc->kh, KW = fc->kw;
    int PH = H + fc->pads[0] + fc->pads[1], PW = W + fc->pads[2] + fc->pads[3];
    int eh = (KH - 1) * fc->dil + 1, ew = (KW - 1) * fc->dil + 1;
    int OH = same ? (PH + fc->sh - 1) / fc->sh : (PH - eh) / fc->sh + 1;
    int OW = same ? (PW + fc->sw - 1) / fc->sw : (PW - ew) / fc->sw + 1;
    int type = fc->int8 ? TB_I8 : TB_F32;
    static int32_t pads[8];
    int32_t pv[8] = {0, 0, fc->pads[0], fc->pads[1], fc->pads[2], fc->pads[3], 0, 0};
    memcpy(pads, pv, sizeof pads);
    size_t wn = (size_t)(fc->dw ? 1 : O) * KH * KW * (fc->dw ? O : C);
    for (size_t i = 0; i < wn; i++) {
        wbuf[i] = tt_rand();
        wq[i] = (int8_t)(wbuf[i] * 127);
    }
    for (int o = 0; o < O; o++)
        bq[o] = (int32_t)(tt_rand() * 2000);
    struct tb b;
    tb_init(&b);
    int32_t wd[4] = {fc->dw ? 1 : O, KH, KW, fc->dw ? O : C};
    int ti = tb_tensor(&b, "in", type, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int tp = tb_tensor(&b, "pads", TB_I32, 2, (int32_t[]){4, 2}, pads, sizeof pads);
    int tpo = tb_tensor(&b, "padded", type, 4, (int32_t[]){1, PH, PW, C}, NULL, 0);
    int tw = fc->int8 ? tb_tensor(&b, "w", TB_I8, 4, wd, wq, wn)
                      : tb_tensor(&b, "w", TB_F32, 4, wd, wbuf, wn * 4);
    int tb_ = fc->int8 ? tb_tensor(&b, "b", TB_I32, 1, (int32_t[]){O}, bq, (size_t)O * 4)
                       : tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){O}, wbuf, (size_t)O * 4);
    int to = tb_tensor(&b, "out", type, 4, (int32_t[]){1, OH, OW, O}, NULL, 0);
    int to2 = -1, tsum = -1;
    if (second_reader) {
        to2 = tb_tensor(&b, "out2", type, 4, (int32_t[]){1, OH, OW, O}, NULL, 0);
        tsum = tb_tensor(&b, "sum", type, 4, (int32_t[]){1, OH, OW, O}, NULL, 0);
    }
    if (fc->int8) {
        float s_in = 0.05f, s_out = 0.2f, ws = 0.01f, bs = 0.05f * 0.01f;
        int64_t zin = 7, zout = -3, z0 = 0;
        tb_quant(&b, ti, 1, &s_in, &zin, 0);
        tb_quant(&b, tpo, 1, &s_in, &zin, 0);
        tb_quant(&b, tw, 1, &ws, &z0, 0);
        tb_quant(&b, tb_, 1, &bs, &z0, 0);
        tb_quant(&b, to, 1, &s_out, &zout, 0);
        if (to2 >= 0) tb_quant(&b, to2, 1, &s_out, &zout, 0);
    }
    tb_op(&b, PAD, 2, (int[]){ti, tp}, tpo, 0, NULL, 0);
    int pad_mode = same ? 0 : 1;
    struct tb_opt co[] = {{0, 1, pad_mode}, {1, 4, fc->sw},  {2, 4, fc->sh},
                          {3, 1, 0},        {4, 4, fc->dil}, {5, 4, fc->dil}};
    struct tb_opt dwo[] = {{0, 1, pad_mode}, {1, 4, fc->sw},  {2, 4, fc->sh}, {3, 4, 2},
                           {4, 1, 0},        {5, 4, fc->dil}, {6, 4, fc->dil}};
    if (fc->dw)
        tb_op(&b, DW, 3, (int[]){tpo, tw, tb_}, to, 2, dwo, 7);
    else
        tb_op(&b, CONV, 3, (int[]){tpo, tw, tb_}, to, 1, co, 6);
    if (second_reader) {
        if (fc->dw)
            tb_op(&b, DW, 3, (int[]){tpo, tw, tb_}, to2, 2, dwo, 7);
        else
            tb_op(&b, CONV, 3, (int[]){tpo, tw, tb_}, to2, 1, co, 6);
        tb_op(&b, ADD, 2, (int[]){to, to2}, tsum, 0, NULL, 0);
    }
    tb_io(&b, ti, second_reader ? tsum : to);
    uint8_t *f = tb_finish(&b, len);
    tb_free(&b);
    return f;
}

/* Runs with folding on/off; returns n_ops_run of each; outputs in a, b. */
static void run_both(const uint8_t *f, size_t len, const char *cut, int force_ref, const float *in,
                     float *a, float *b, size_t cap, int *ops_fold, int *ops_nofold,
                     size_t *act_fold, size_t *act_nofold) {
    for (int nf = 0; nf < 2; nf++) {
        struct ecl_model m;
        char err[200];
        assert_int_equal(ecl_model_parse(f, len, &m, err, sizeof err), ECL_OK);
        int32_t c = -1;
        if (cut) assert_int_equal(ecl_model_find_tensor(&m, cut, &c), ECL_OK);
        struct ecl_interp_opts o = ecl_interp_default_opts();
        o.force_ref = force_ref;
        o.no_fold = nf;
        size_t need;
        struct ecl_interp *it;
        enum ecl_status s = ecl_interp_mem_size(&m, c, &o, &need, err, sizeof err);
        if (s) fail_msg("mem_size: %s", err);
        void *arena = malloc(need);
        s = ecl_interp_init(&m, c, &o, arena, need, &it, err, sizeof err);
        if (s) fail_msg("init: %s", err);
        assert_true(ecl_interp_output_count(it) <= cap);
        assert_int_equal(ecl_interp_run(it, in, nf ? b : a), ECL_OK);
        struct ecl_interp_stats st;
        ecl_interp_get_stats(it, &st);
        *(nf ? ops_nofold : ops_fold) = st.n_ops_run;
        *(nf ? act_nofold : act_fold) = st.activation_sum;
        free(arena);
    }
}

static void test_fold(void **state) {
    (void)state;
    const struct fold_case cases[] = {
        {0, 0, 3, 3, 2, 2, 1, {0, 1, 0, 1}}, /* Keras ZeroPadding2D before a stride-2 conv */
        {1, 0, 3, 3, 2, 2, 1, {0, 1, 0, 1}}, /* ... before a stride-2 depthwise conv */
        {1, 0, 3, 3, 1, 1, 1, {1, 1, 1, 1}}, {0, 0, 3, 2, 1, 2, 1, {2, 0, 1, 1}},
        {1, 0, 5, 5, 2, 1, 1, {2, 2, 1, 3}}, {0, 0, 3, 3, 1, 1, 2, {4, 1, 0, 3}},
        {0, 1, 3, 3, 2, 2, 1, {0, 1, 0, 1}}, {1, 1, 3, 3, 2, 2, 1, {0, 1, 0, 1}},
        {1, 1, 3, 3, 1, 1, 1, {1, 2, 2, 1}}, {0, 1, 5, 3, 1, 2, 1, {3, 1, 0, 2}},
    };
    enum { H = 9, W = 8, C = 4, CAP = 4096 };
    float in[H * W * C], *a = malloc(CAP * 4), *b = malloc(CAP * 4), wbuf[1024];
    int8_t wq[1024];
    int32_t bq[64];
    tt_fill(in, H * W * C, 2.0f);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct fold_case *fc = &cases[k];
        size_t len;
        uint8_t *f = fold_model(fc, H, W, C, 0, 0, &len, wbuf, wq, bq);
        for (int force_ref = 1; force_ref >= 0; force_ref--) {
            int of, on;
            size_t af, an;
            run_both(f, len, NULL, force_ref, in, a, b, CAP, &of, &on, &af, &an);
            assert_int_equal(of, 1); /* PAD folded: only the conv runs */
            assert_int_equal(on, 2);
            assert_true(af < an); /* and the padded tensor is never allocated */
            struct ecl_model m;
            char err[200];
            assert_int_equal(ecl_model_parse(f, len, &m, err, sizeof err), ECL_OK);
            int32_t oi = ecl_model_output(&m);
            struct ecl_tensor_info ti;
            assert_int_equal(ecl_model_tensor_info(&m, oi, &ti), ECL_OK);
            size_t n = (size_t)ti.dims[0] * ti.dims[1] * ti.dims[2] * ti.dims[3];
            assert_true(n > 0 && n <= CAP);
            if (force_ref || fc->int8) { /* same kernels, same sums: identical */
                assert_memory_equal(a, b, n * sizeof(float));
            } else { /* optimised kernels may order the sums differently per border */
                for (size_t i = 0; i < n; i++)
                    assert_float_equal(a[i], b[i], 1e-4f * (1.0f + fabsf(b[i])));
            }
        }
        free(f);
    }
    free(a);
    free(b);
}

static void test_no_fold_cases(void **state) {
    (void)state;
    enum { H = 9, W = 8, C = 4, CAP = 4096 };
    float in[H * W * C], *a = malloc(CAP * 4), *b = malloc(CAP * 4), wbuf[1024];
    int8_t wq[1024];
    int32_t bq[64];
    tt_fill(in, H * W * C, 2.0f);
    struct fold_case fc = {0, 0, 3, 3, 2, 2, 1, {0, 1, 0, 1}};
    int of, on;
    size_t af, an, len;
    /* the PAD output is the cut: it must be computed */
    uint8_t *f = fold_model(&fc, H, W, C, 0, 0, &len, wbuf, wq, bq);
    run_both(f, len, "padded", 1, in, a, b, CAP, &of, &on, &af, &an);
    assert_int_equal(of, 1);
    assert_int_equal(on, 1);
    assert_memory_equal(a, b, (size_t)(H + 1) * (W + 1) * C * 4);
    assert_float_equal(a[0], in[0], 0); /* top/left pads are 0: pixel (0,0) is the input's */
    assert_float_equal(a[(size_t)W * C], 0.0f, 0); /* right pad column */
    free(f);
    /* two readers of the PAD output: PAD runs, both convs read it */
    f = fold_model(&fc, H, W, C, 1, 0, &len, wbuf, wq, bq);
    run_both(f, len, NULL, 1, in, a, b, CAP, &of, &on, &af, &an);
    assert_int_equal(of, 4);
    assert_int_equal(on, 4);
    assert_memory_equal(a, b, 4 * 4 * 5 * 4);
    /* ... but with the cut at one conv only that conv reads it: folded */
    run_both(f, len, "out2", 1, in, a, b, CAP, &of, &on, &af, &an);
    assert_int_equal(of, 1);
    assert_int_equal(on, 2);
    assert_memory_equal(a, b, 4 * 4 * 5 * 4);
    free(f);
    /* SAME conv after the PAD: not folded (its own padding applies on top) */
    f = fold_model(&fc, H, W, C, 0, 1, &len, wbuf, wq, bq);
    run_both(f, len, NULL, 1, in, a, b, CAP, &of, &on, &af, &an);
    assert_int_equal(of, 2);
    assert_int_equal(on, 2);
    assert_memory_equal(a, b, 5 * 5 * 5 * 4);
    free(f);
    free(a);
    free(b);
}

/* The real MobileNetV2 files (skipped when absent): a cut after the first folded PAD
 * (block_1_pad -> block_1_depthwise) gives identical latents with and without folding. */
static void test_fold_mobilenet(void **state) {
    (void)state;
    const char *files[2] = {ECL_SOURCE_DIR "/models/mobilenet_v2.tflite",
                            ECL_SOURCE_DIR "/models/mobilenet_v2_int8.tflite"};
    int ran = 0;
    for (int k = 0; k < 2; k++) {
        void *buf;
        size_t len;
        if (ecl_port_read_file(files[k], &buf, &len) != ECL_OK) continue;
        struct ecl_model m;
        char err[200];
        int32_t c;
        if (ecl_model_parse(buf, len, &m, err, sizeof err) != ECL_OK ||
            ecl_model_find_tensor(&m, "block_3_expand_relu", &c) != ECL_OK) {
            free(buf);
            continue;
        }
        size_t n_in = 224 * 224 * 3, cap = 56 * 56 * 144;
        float *in = malloc(n_in * 4), *a = malloc(cap * 4), *b = malloc(cap * 4);
        for (size_t i = 0; i < n_in; i++)
            in[i] = 0.5f + 0.5f * tt_rand();
        int of, on;
        size_t af, an;
        run_both(buf, len, "block_3_expand_relu", 1, in, a, b, cap, &of, &on, &af, &an);
        assert_true(of < on);
        assert_memory_equal(a, b, cap * 4);
        ran++;
        free(in);
        free(a);
        free(b);
        free(buf);
    }
    if (!ran) skip();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_pad),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_no_fold_cases),
        cmocka_unit_test(test_fold_mobilenet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
