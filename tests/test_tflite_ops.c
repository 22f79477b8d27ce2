/* Operators through the whole path (builder -> parse -> plan -> ref kernels), each checked
 * against a direct computation written differently from the kernel (explicit padding, plain
 * index arithmetic); int8 ops against the float computation within quantisation error. */
#include "test_tflite_common.h"

enum {
    ADD = 0,
    AVG = 1,
    CONCAT = 2,
    CONV = 3,
    DW = 4,
    DEQ = 6,
    FC = 9,
    LOGI = 14,
    MAXP = 17,
    MUL = 18,
    RELU = 19,
    RELU6 = 21,
    RESHAPE = 22,
    SOFTMAX = 25,
    PAD = 34,
    MEAN = 40,
    QUANT = 114,
    HSWISH = 117
};

/* Direct conv on an explicitly zero-padded copy of the input. */
static void direct_conv(const float *in, int H, int W, int C, const float *w, int O, int KH, int KW,
                        const float *bias, int sh, int sw, int dh, int dw, int pt, int pl, int OH,
                        int OW, int depthwise, float lo, float hi, float *out) {
    int PH = H + 2 * (KH * dh + 8), PW = W + 2 * (KW * dw + 8), off = KH * dh + 8;
    float *p = calloc((size_t)PH * PW * C, sizeof(float));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < C; c++)
                p[((y + off) * PW + x + off) * C + c] = in[(y * W + x) * C + c];
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++)
            for (int o = 0; o < O; o++) {
                double acc = bias ? bias[o] : 0;
                for (int ky = 0; ky < KH; ky++)
                    for (int kx = 0; kx < KW; kx++) {
                        int py = off + y * sh - pt + ky * dh, px = off + x * sw - pl + kx * dw;
                        if (depthwise) {
                            int c = o / (O / C);
                            acc += p[(py * PW + px) * C + c] * w[(ky * KW + kx) * O + o];
                        } else {
                            for (int c = 0; c < C; c++)
                                acc += p[(py * PW + px) * C + c] *
                                       w[((o * KH + ky) * KW + kx) * C + c];
                        }
                    }
                float v = (float)acc;
                out[(y * OW + x) * O + o] = v < lo ? lo : (v > hi ? hi : v);
            }
    free(p);
}

static void test_conv_f32(void **state) {
    /* 7x6x3 input, 3x3 filter, stride 2, SAME, RELU6 */
    int H = 7, W = 6, C = 3, O = 4;
    float in[7 * 6 * 3], w[4 * 3 * 3 * 3], bias[4], out[4 * 3 * 4], ref[4 * 3 * 4];
    tt_fill(in, sizeof in / 4, 2.0f);
    tt_fill(w, sizeof w / 4, 1.0f);
    tt_fill(bias, 4, 1.0f);
    struct tb b;
    tb_init(&b);
    int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){O, 3, 3, C}, w, sizeof w);
    int tbias = tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){O}, bias, sizeof bias);
    int to = tb_tensor(&b, "out", TB_F32, 4, (int32_t[]){1, 4, 3, O}, NULL, 0);
    struct tb_opt opt[] = {{0, 1, 0}, {1, 4, 2}, {2, 4, 2}, {3, 1, 3}};
    tb_op(&b, CONV, 3, (int[]){ti, tw, tbias}, to, 1, opt, 4);
    tb_io(&b, ti, to);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    assert_int_equal(tt_run(f, len, NULL, in, out, 48, NULL, 1), ECL_OK);
    /* SAME: out 4x3, pad total rows (4-1)*2+3-7 = 2 -> top 1; cols (3-1)*2+3-6 = 1 -> left 0 */
    direct_conv(in, H, W, C, w, O, 3, 3, bias, 2, 2, 1, 1, 1, 0, 4, 3, 0, 0, 6, ref);
    for (int i = 0; i < 48; i++)
        assert_float_equal(out[i], ref[i], 1e-4);
    /* also with the best kernels (opt, when built) */
    assert_int_equal(tt_run(f, len, NULL, in, out, 48, NULL, 0), ECL_OK);
    for (int i = 0; i < 48; i++)
        assert_float_equal(out[i], ref[i], 1e-4);
    free(f);
    tb_free(&b);
}

static void test_dwconv_f32(void **state) {
    /* depth multiplier 2, dilation 2, VALID */
    int H = 8, W = 9, C = 3, O = 6, KH = 3, KW = 2;
    int OH = (H - ((KH - 1) * 2 + 1)) / 1 + 1, OW = (W - ((KW - 1) * 2 + 1)) / 2 + 1;
    float in[8 * 9 * 3], w[3 * 2 * 6], bias[6], out[256], ref[256];
    tt_fill(in, sizeof in / 4, 1.0f);
    tt_fill(w, sizeof w / 4, 1.0f);
    tt_fill(bias, 6, 1.0f);
    struct tb b;
    tb_init(&b);
    int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){1, KH, KW, O}, w, sizeof w);
    int tbias = tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){O}, bias, sizeof bias);
    int to = tb_tensor(&b, "out", TB_F32, 4, (int32_t[]){1, OH, OW, O}, NULL, 0);
    struct tb_opt opt[] = {{0, 1, 1}, {1, 4, 2}, {2, 4, 1}, {3, 4, 2},
                           {4, 1, 0}, {5, 4, 2}, {6, 4, 2}};
    tb_op(&b, DW, 3, (int[]){ti, tw, tbias}, to, 2, opt, 7);
    tb_io(&b, ti, to);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    assert_int_equal(tt_run(f, len, NULL, in, out, 256, NULL, 1), ECL_OK);
    direct_conv(in, H, W, C, w, O, KH, KW, bias, 1, 2, 2, 2, 0, 0, OH, OW, 1, -INFINITY, INFINITY,
                ref);
    for (int i = 0; i < OH * OW * O; i++)
        assert_float_equal(out[i], ref[i], 1e-4);
    free(f);
    tb_free(&b);
}

/* in -> MUL(in, per-channel const) -> ADD(.., in) -> AVG 2x2 s1 SAME -> MAX 3x3 s2 VALID ->
 * PAD(1) -> MEAN(h,w) keep_dims -> RESHAPE -> FC -> SOFTMAX; checked end to end and at cuts. */
static void test_chain_f32(void **state) {
    enum { H = 7, W = 7, C = 4, K = 5 };
    float in[H * W * C], sc[C], fw[K * C], fb[K], out[256];
    tt_fill(in, H * W * C, 1.0f);
    tt_fill(sc, C, 2.0f);
    tt_fill(fw, K * C, 1.0f);
    tt_fill(fb, K, 0.5f);
    struct tb b;
    tb_build_chain_f32(&b, sc, fw, fb);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);

    /* direct computation */
    float add[H][W][C], avg[H][W][C], mx[3][3][C], mean[C], logit[K], prob[K];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < C; c++) {
                float v = in[(y * W + x) * C + c];
                add[y][x][c] = fmaxf(v * sc[c] + v, 0.0f);
            }
    for (int y = 0; y < H; y++) /* SAME 2x2 stride 1: pad 0 before, 1 after */
        for (int x = 0; x < W; x++)
            for (int c = 0; c < C; c++) {
                float s = 0;
                int n = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        if (y + dy < H && x + dx < W) s += add[y + dy][x + dx][c], n++;
                avg[y][x][c] = s / n;
            }
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
            for (int c = 0; c < C; c++) {
                float m = -1e30f;
                for (int dy = 0; dy < 3; dy++)
                    for (int dx = 0; dx < 3; dx++)
                        m = fmaxf(m, avg[2 * y + dy][2 * x + dx][c]);
                mx[y][x][c] = m;
            }
    for (int c = 0; c < C; c++) {
        float s = 0;
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 3; x++)
                s += mx[y][x][c];
        mean[c] = s / 25.0f; /* padded with 16 zeros */
    }
    float z = 0, mlog = -1e30f;
    for (int k = 0; k < K; k++) {
        logit[k] = fb[k];
        for (int c = 0; c < C; c++)
            logit[k] += fw[k * C + c] * mean[c];
        mlog = fmaxf(mlog, logit[k]);
    }
    for (int k = 0; k < K; k++)
        z += prob[k] = expf(logit[k] - mlog);
    for (int k = 0; k < K; k++)
        prob[k] /= z;

    struct ecl_interp_stats st;
    assert_int_equal(tt_run(f, len, NULL, in, out, 256, &st, 1), ECL_OK);
    for (int k = 0; k < K; k++)
        assert_float_equal(out[k], prob[k], 1e-5);
    assert_int_equal(st.n_ops_run, 9);
    /* planning: the arena shares memory between tensors whose lifetimes do not overlap */
    assert_true(st.activation_bytes < st.activation_sum);
    assert_true(st.arena_used >= st.activation_bytes + st.persistent_bytes);
    /* cut layers: only the ops the cut depends on run, and they give the same values */
    assert_int_equal(tt_run(f, len, "max", in, out, 256, &st, 1), ECL_OK);
    assert_int_equal(st.n_ops_run, 4);
    for (int i = 0; i < 9 * C; i++)
        assert_float_equal(out[i], (&mx[0][0][0])[i], 1e-5);
    assert_int_equal(tt_run(f, len, "logits", in, out, 256, &st, 1), ECL_OK);
    for (int k = 0; k < K; k++)
        assert_float_equal(out[k], logit[k], 1e-5);
    assert_int_equal(tt_run(f, len, "in", in, out, 256, &st, 1), ECL_OK);
    assert_int_equal(st.n_ops_run, 0);
    assert_memory_equal(out, in, sizeof in);
    free(f);
    tb_free(&b);
}

static void test_unary_concat_f32(void **state) {
    float in[2 * 3 * 4], out[64];
    tt_fill(in, 24, 5.0f);
    struct tb b;
    tb_init(&b);
    int t_in = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 2, 3, 4}, NULL, 0);
    int t_hs = tb_tensor(&b, "hs", TB_F32, 4, (int32_t[]){1, 2, 3, 4}, NULL, 0);
    int t_lg = tb_tensor(&b, "lg", TB_F32, 4, (int32_t[]){1, 2, 3, 4}, NULL, 0);
    int t_cat = tb_tensor(&b, "cat", TB_F32, 4, (int32_t[]){1, 2, 3, 8}, NULL, 0);
    tb_op(&b, HSWISH, 1, (int[]){t_in}, t_hs, 0, NULL, 0);
    tb_op(&b, LOGI, 1, (int[]){t_in}, t_lg, 0, NULL, 0);
    tb_op(&b, CONCAT, 2, (int[]){t_hs, t_lg}, t_cat, 10, (struct tb_opt[]){{0, 4, -1}}, 1);
    tb_io(&b, t_in, t_cat);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    assert_int_equal(tt_run(f, len, NULL, in, out, 64, NULL, 0), ECL_OK);
    for (int p = 0; p < 6; p++)
        for (int c = 0; c < 4; c++) {
            float x = in[p * 4 + c];
            float hs = x <= -3 ? 0 : (x >= 3 ? x : x * (x + 3) / 6);
            assert_float_equal(out[p * 8 + c], hs, 1e-5);
            assert_float_equal(out[p * 8 + 4 + c], 1.0 / (1.0 + exp(-x)), 1e-5);
        }
    free(f);
    tb_free(&b);
}

/* ------------------------------------------------------------------ int8 */
static int8_t q8(float x, float s, int zp) {
    float v = roundf(x / s) + zp;
    return (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
}

static int qt(struct tb *b, const char *name, int type, int nd, const int32_t *dims,
              const void *data, size_t len, float s, int64_t z) {
    int t = tb_tensor(b, name, type, nd, dims, data, len);
    tb_quant(b, t, 1, &s, &z, 0);
    return t;
}

/* QUANTIZE -> CONV int8 (per-channel) -> DW int8 -> ADD int8 (residual) -> MUL int8 ->
 * AVG int8 -> MEAN int8 -> FC int8 -> LOGISTIC int8 -> DEQUANTIZE, against the float graph
 * computed with the dequantised weights. */
static void test_int8_graph(void **state) {
    enum { H = 6, W = 6, C = 3, O = 4, K = 3 };
    float in[H * W * C];
    tt_fill(in, H * W * C, 1.0f);
    float wf[O * 3 * 3 * C], dwf[3 * 3 * O], fcf[K * O];
    tt_fill(wf, sizeof wf / 4, 0.5f);
    tt_fill(dwf, sizeof dwf / 4, 0.5f);
    tt_fill(fcf, sizeof fcf / 4, 0.5f);
    /* per-channel symmetric weights */
    int8_t wq[O * 3 * 3 * C], dwq[3 * 3 * O], fcq[K * O];
    float ws[O], dws[O], fcs[K];
    int64_t z0[O] = {0};
    for (int o = 0; o < O; o++) {
        float m = 0;
        for (int i = 0; i < 9 * C; i++)
            m = fmaxf(m, fabsf(wf[o * 9 * C + i]));
        ws[o] = m / 127;
        for (int i = 0; i < 9 * C; i++)
            wq[o * 9 * C + i] = q8(wf[o * 9 * C + i], ws[o], 0);
        m = 0;
        for (int i = 0; i < 9; i++)
            m = fmaxf(m, fabsf(dwf[i * O + o]));
        dws[o] = m / 127;
        for (int i = 0; i < 9; i++)
            dwq[i * O + o] = q8(dwf[i * O + o], dws[o], 0);
    }
    for (int k = 0; k < K; k++) {
        float m = 0;
        for (int i = 0; i < O; i++)
            m = fmaxf(m, fabsf(fcf[k * O + i]));
        fcs[k] = m / 127;
        for (int i = 0; i < O; i++)
            fcq[k * O + i] = q8(fcf[k * O + i], fcs[k], 0);
    }
    /* dequantised weights for the float reference */
    float wd[O * 9 * C], dwd[9 * O], fcd[K * O];
    for (int o = 0; o < O; o++) {
        for (int i = 0; i < 9 * C; i++)
            wd[o * 9 * C + i] = wq[o * 9 * C + i] * ws[o];
        for (int i = 0; i < 9; i++)
            dwd[i * O + o] = dwq[i * O + o] * dws[o];
    }
    for (int k = 0; k < K; k++)
        for (int i = 0; i < O; i++)
            fcd[k * O + i] = fcq[k * O + i] * fcs[k];
    /* activation quantisation (ranges chosen generously) */
    float s_in = 1.0f / 127, s_c = 3.0f / 127, s_d = 4.0f / 127, s_a = 6.0f / 127, s_m = 8.0f / 127,
          s_l = 1.0f / 256;
    int zp_in = 0, zp_c = -128, zp_d = 5, zp_a = -3, zp_m = 2, zp_l = -128;
    int32_t bq[O] = {0}, dbq[O] = {0}, fbq[K] = {0};
    float mulc[O];
    tt_fill(mulc, O, 1.0f);
    int8_t mulq[O];
    float s_mulc = 1.0f / 127;
    for (int o = 0; o < O; o++)
        mulq[o] = q8(mulc[o], s_mulc, 0);
    int32_t axes[2] = {1, 2};

    struct tb b;
    tb_init(&b);
    int t_f = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int t_q = qt(&b, "q", TB_I8, 4, (int32_t[]){1, H, W, C}, NULL, 0, s_in, zp_in);
    int t_w = tb_tensor(&b, "w", TB_I8, 4, (int32_t[]){O, 3, 3, C}, wq, sizeof wq);
    tb_quant(&b, t_w, O, ws, z0, 0);
    float bs[O], dbs[O];
    for (int o = 0; o < O; o++)
        bs[o] = s_in * ws[o];
    int t_b = tb_tensor(&b, "b", TB_I32, 1, (int32_t[]){O}, bq, sizeof bq);
    tb_quant(&b, t_b, O, bs, z0, 0);
    int t_c = qt(&b, "conv", TB_I8, 4, (int32_t[]){1, H, W, O}, NULL, 0, s_c, zp_c);
    int t_dw = tb_tensor(&b, "dw", TB_I8, 4, (int32_t[]){1, 3, 3, O}, dwq, sizeof dwq);
    tb_quant(&b, t_dw, O, dws, z0, 3);
    for (int o = 0; o < O; o++)
        dbs[o] = s_c * dws[o];
    int t_db = tb_tensor(&b, "db", TB_I32, 1, (int32_t[]){O}, dbq, sizeof dbq);
    tb_quant(&b, t_db, O, dbs, z0, 0);
    int t_d = qt(&b, "dwout", TB_I8, 4, (int32_t[]){1, H, W, O}, NULL, 0, s_d, zp_d);
    int t_a = qt(&b, "add", TB_I8, 4, (int32_t[]){1, H, W, O}, NULL, 0, s_a, zp_a);
    int t_mc = qt(&b, "mulc", TB_I8, 4, (int32_t[]){1, 1, 1, O}, mulq, sizeof mulq, s_mulc, 0);
    int t_mu = qt(&b, "mul", TB_I8, 4, (int32_t[]){1, H, W, O}, NULL, 0, s_m, zp_m);
    int t_av = qt(&b, "avg", TB_I8, 4, (int32_t[]){1, 3, 3, O}, NULL, 0, s_m, zp_m);
    int t_ax = tb_tensor(&b, "axes", TB_I32, 1, (int32_t[]){2}, axes, sizeof axes);
    int t_me = qt(&b, "mean", TB_I8, 2, (int32_t[]){1, O}, NULL, 0, s_m / 2, zp_m);
    int t_fw = tb_tensor(&b, "fw", TB_I8, 2, (int32_t[]){K, O}, fcq, sizeof fcq);
    tb_quant(&b, t_fw, K, fcs, z0, 0);
    int t_fb = tb_tensor(&b, "fb", TB_I32, 1, (int32_t[]){K}, fbq, sizeof fbq);
    int t_fc = qt(&b, "fc", TB_I8, 2, (int32_t[]){1, K}, NULL, 0, s_d, 0);
    int t_lg = qt(&b, "lg", TB_I8, 2, (int32_t[]){1, K}, NULL, 0, s_l, zp_l);
    int t_out = tb_tensor(&b, "out", TB_F32, 2, (int32_t[]){1, K}, NULL, 0);
    tb_op(&b, QUANT, 1, (int[]){t_f}, t_q, 0, NULL, 0);
    tb_op(&b, CONV, 3, (int[]){t_q, t_w, t_b}, t_c, 1,
          (struct tb_opt[]){{0, 1, 0}, {1, 4, 1}, {2, 4, 1}, {3, 1, 3}}, 4);
    tb_op(&b, DW, 3, (int[]){t_c, t_dw, t_db}, t_d, 2,
          (struct tb_opt[]){{0, 1, 0}, {1, 4, 1}, {2, 4, 1}, {3, 4, 1}, {4, 1, 0}}, 5);
    tb_op(&b, ADD, 2, (int[]){t_d, t_c}, t_a, 0, NULL, 0);
    tb_op(&b, MUL, 2, (int[]){t_a, t_mc}, t_mu, 0, NULL, 0);
    tb_op(&b, AVG, 1, (int[]){t_mu}, t_av, 5,
          (struct tb_opt[]){{0, 1, 1}, {1, 4, 2}, {2, 4, 2}, {3, 4, 2}, {4, 4, 2}}, 5);
    tb_op(&b, MEAN, 2, (int[]){t_av, t_ax}, t_me, 27, (struct tb_opt[]){{0, 1, 0}}, 1);
    tb_op(&b, FC, 3, (int[]){t_me, t_fw, t_fb}, t_fc, 0, NULL, 0);
    tb_op(&b, LOGI, 1, (int[]){t_fc}, t_lg, 0, NULL, 0);
    tb_op(&b, DEQ, 1, (int[]){t_lg}, t_out, 0, NULL, 0);
    tb_io(&b, t_f, t_out);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);

    /* float reference with the same weights; each stage compared within a few output LSBs */
    float qin[H * W * C], conv[H * W * O], dw[H * W * O], add[H * W * O], mul[H * W * O];
    for (int i = 0; i < H * W * C; i++)
        qin[i] = s_in * q8(in[i], s_in, zp_in);
    direct_conv(qin, H, W, C, wd, O, 3, 3, NULL, 1, 1, 1, 1, 1, 1, H, W, 0, 0, 6, conv);
    float out[256];
    struct ecl_interp_stats st;
    assert_int_equal(tt_run(f, len, "conv", in, out, 256, &st, 1), ECL_OK);
    for (int i = 0; i < H * W * O; i++)
        assert_float_equal(out[i], conv[i], 1.01 * s_c);
    /* continue the float reference from the int8 conv output (isolates each op's error) */
    memcpy(conv, out, sizeof conv);
    direct_conv(conv, H, W, O, dwd, O, 3, 3, NULL, 1, 1, 1, 1, 1, 1, H, W, 1, -INFINITY, INFINITY,
                dw);
    assert_int_equal(tt_run(f, len, "dwout", in, out, 256, &st, 1), ECL_OK);
    for (int i = 0; i < H * W * O; i++)
        assert_float_equal(out[i], dw[i], 1.01 * s_d);
    memcpy(dw, out, sizeof dw);
    for (int i = 0; i < H * W * O; i++)
        add[i] = dw[i] + conv[i];
    assert_int_equal(tt_run(f, len, "add", in, out, 256, &st, 1), ECL_OK);
    for (int i = 0; i < H * W * O; i++)
        assert_float_equal(out[i], add[i], 1.01 * s_a);
    memcpy(add, out, sizeof add);
    for (int i = 0; i < H * W * O; i++)
        mul[i] = add[i] * (mulq[i % O] * s_mulc);
    assert_int_equal(tt_run(f, len, "mul", in, out, 256, &st, 1), ECL_OK);
    for (int i = 0; i < H * W * O; i++)
        assert_float_equal(out[i], mul[i], 1.01 * s_m);
    memcpy(mul, out, sizeof mul);
    float avg[9 * O], mean[O], fc[K];
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
            for (int o = 0; o < O; o++) {
                float s = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        s += mul[((2 * y + dy) * W + 2 * x + dx) * O + o];
                avg[(y * 3 + x) * O + o] = s / 4;
            }
    assert_int_equal(tt_run(f, len, "avg", in, out, 256, &st, 1), ECL_OK);
    for (int i = 0; i < 9 * O; i++)
        assert_float_equal(out[i], avg[i], 1.01 * s_m);
    memcpy(avg, out, sizeof avg);
    for (int o = 0; o < O; o++) {
        float s = 0;
        for (int p = 0; p < 9; p++)
            s += avg[p * O + o];
        mean[o] = s / 9;
    }
    assert_int_equal(tt_run(f, len, "mean", in, out, 256, &st, 1), ECL_OK);
    for (int o = 0; o < O; o++)
        assert_float_equal(out[o], mean[o], 1.01 * s_m / 2);
    memcpy(mean, out, sizeof mean);
    for (int k = 0; k < K; k++) {
        fc[k] = 0;
        for (int o = 0; o < O; o++)
            fc[k] += fcd[k * O + o] * mean[o];
    }
    assert_int_equal(tt_run(f, len, "fc", in, out, 256, &st, 1), ECL_OK);
    for (int k = 0; k < K; k++)
        assert_float_equal(out[k], fc[k], 1.01 * s_d);
    memcpy(fc, out, sizeof fc);
    assert_int_equal(tt_run(f, len, NULL, in, out, 256, &st, 1), ECL_OK);
    for (int k = 0; k < K; k++)
        assert_float_equal(out[k], 1 / (1 + exp(-fc[k])), 1.01 * s_l);
    assert_int_equal(st.n_ops_run, 10);
    /* best kernels agree bit-exactly with ref on int8 */
    float out2[256];
    assert_int_equal(tt_run(f, len, NULL, in, out2, 256, &st, 0), ECL_OK);
    assert_memory_equal(out, out2, K * sizeof(float));
    free(f);
    tb_free(&b);
}

/* ------------------------------------------------------------------ single ops, int8 / f16 */
/* These run each op alone on an int8 (or float16) tensor and compare every output code with a
 * reference computed here in the most direct way (on the int8 codes, or in double); each model
 * is run with the reference kernels and with the best kernels (force_ref 1 and 0). */

/* The int8 code behind a dequantised interpreter output (run() dequantises int8 cuts). */
static int code_of(float v, float s, int zp) {
    return (int)lroundf(v / s) + zp;
}

/* The 256 int8 codes -128..127 in order, as the floats that quantise exactly to them. */
static void all_codes(float *x, float s, int zp) {
    for (int q = -128; q < 128; q++)
        x[q + 128] = s * (float)(q - zp);
}

/* Quantise a real value the way TFLite's reference does (round half away from zero). */
static int quant_ref(double x, double s, int zp) {
    double v = round(x / s) + zp;
    return v < -128 ? -128 : (v > 127 ? 127 : (int)v);
}

/* Runs f with both kernel tables, cut by name, and returns the int8 output codes. */
static void run_codes(const uint8_t *f, size_t len, const char *cut, const float *in, int n,
                      float s, int zp, int *codes) {
    float out[512], out2[512];
    assert_true(n <= 512);
    assert_int_equal(tt_run(f, len, cut, in, out, 512, NULL, 1), ECL_OK);
    assert_int_equal(tt_run(f, len, cut, in, out2, 512, NULL, 0), ECL_OK);
    assert_memory_equal(out, out2, (size_t)n * sizeof(float)); /* int8: bit-exact */
    for (int i = 0; i < n; i++) {
        codes[i] = code_of(out[i], s, zp);
        assert_true(codes[i] >= -128 && codes[i] <= 127);
        /* the float is exactly a dequantised code */
        assert_float_equal(out[i], s * (float)(codes[i] - zp), 1e-6 * fabsf(s * 256));
    }
}

/* int8 MAX_POOL_2D: SAME with a fused RELU6 (window clipped at the borders; padding must not
 * count as a value) and VALID without activation, on codes around a non-zero zero point. */
static void test_maxpool_i8(void **state) {
    enum { H = 7, W = 8, C = 3 };
    const float s = 0.05f;
    const int zp = -7;
    float in[H * W * C];
    int q[H * W * C];
    for (int i = 0; i < H * W * C; i++) { /* spread over the whole int8 range */
        q[i] = (int)((tt_rand() + 1) * 127.99f) - 128;
        in[i] = s * (float)(q[i] - zp);
    }
    /* a corner of all-negative values: a max that counted padding as 0 (or as zp) is wrong */
    for (int c = 0; c < C; c++)
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++) {
                q[(y * W + x) * C + c] = -128 + c + y + x;
                in[(y * W + x) * C + c] = s * (float)(q[(y * W + x) * C + c] - zp);
            }
    struct {
        int pad, fh, fw, sh, sw, act, oh, ow;
    } cfg[] = {
        {0, 3, 3, 2, 2, 3, 4, 4}, /* SAME 3x3 s2, RELU6 */
        {1, 2, 3, 2, 1, 0, 3, 6}, /* VALID 2x3 s(2,1), none */
        {0, 2, 2, 1, 1, 1, 7, 8}, /* SAME 2x2 s1 (pad after only), RELU */
    };
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        int OH = cfg[k].oh, OW = cfg[k].ow;
        struct tb b;
        tb_init(&b);
        int ti = qt(&b, "in", TB_I8, 4, (int32_t[]){1, H, W, C}, NULL, 0, s, zp);
        int to = qt(&b, "pool", TB_I8, 4, (int32_t[]){1, OH, OW, C}, NULL, 0, s, zp);
        tb_op(&b, MAXP, 1, (int[]){ti}, to, 5,
              (struct tb_opt[]){{0, 1, cfg[k].pad},
                                {1, 4, cfg[k].sw},
                                {2, 4, cfg[k].sh},
                                {3, 4, cfg[k].fw},
                                {4, 4, cfg[k].fh},
                                {5, 1, cfg[k].act}},
              6);
        tb_io(&b, ti, to);
        size_t len;
        uint8_t *f = tb_finish(&b, &len);
        int got[7 * 8 * 3];
        run_codes(f, len, NULL, in, OH * OW * C, s, zp, got);
        /* padding before = total / 2 (SAME), 0 (VALID) */
        int pt = cfg[k].pad ? 0 : ((OH - 1) * cfg[k].sh + cfg[k].fh - H) / 2;
        int pl = cfg[k].pad ? 0 : ((OW - 1) * cfg[k].sw + cfg[k].fw - W) / 2;
        if (pt < 0) pt = 0;
        if (pl < 0) pl = 0;
        int lo = cfg[k].act ? zp : -128; /* real 0 is code zp */
        int hi = cfg[k].act == 3 ? quant_ref(6.0, s, zp) : 127;
        for (int y = 0; y < OH; y++)
            for (int x = 0; x < OW; x++)
                for (int c = 0; c < C; c++) {
                    int m = INT32_MIN;
                    for (int ky = 0; ky < cfg[k].fh; ky++)
                        for (int kx = 0; kx < cfg[k].fw; kx++) {
                            int iy = y * cfg[k].sh - pt + ky, ix = x * cfg[k].sw - pl + kx;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            if (q[(iy * W + ix) * C + c] > m) m = q[(iy * W + ix) * C + c];
                        }
                    m = m < lo ? lo : (m > hi ? hi : m);
                    if (got[(y * OW + x) * C + c] != m)
                        fail_msg("cfg %zu (%d,%d,%d): got %d want %d", k, y, x, c,
                                 got[(y * OW + x) * C + c], m);
                }
        free(f);
        tb_free(&b);
    }
}

/* int8 CONCATENATION of three inputs along channels (axis -1), along H (axis 1) and along W
 * (axis 2): bytes moved, quantisation shared. Inputs are the model input and two element-wise
 * results of it, so all three are activations. */
static void test_concat_i8(void **state) {
    enum { H = 3, W = 4, C = 5 };
    const float s = 0.03f;
    const int zp = 11;
    float in[H * W * C];
    int q[H * W * C], r[H * W * C], r6[H * W * C];
    for (int i = 0; i < H * W * C; i++) {
        q[i] = (int)((tt_rand() + 1) * 127.99f) - 128;
        in[i] = s * (float)(q[i] - zp);
        /* RELU / RELU6 with equal in/out quantisation: clamp the codes */
        r[i] = q[i] < zp ? zp : q[i];
        int six = quant_ref(6.0, s, zp);
        r6[i] = r[i] > six ? six : r[i];
    }
    struct tb b;
    tb_init(&b);
    int32_t d[4] = {1, H, W, C};
    int ti = qt(&b, "in", TB_I8, 4, d, NULL, 0, s, zp);
    int tr = qt(&b, "relu", TB_I8, 4, d, NULL, 0, s, zp);
    int tr6 = qt(&b, "relu6", TB_I8, 4, d, NULL, 0, s, zp);
    int tc = qt(&b, "cat_c", TB_I8, 4, (int32_t[]){1, H, W, 3 * C}, NULL, 0, s, zp);
    int th = qt(&b, "cat_h", TB_I8, 4, (int32_t[]){1, 3 * H, W, C}, NULL, 0, s, zp);
    int tw = qt(&b, "cat_w", TB_I8, 4, (int32_t[]){1, H, 2 * W, C}, NULL, 0, s, zp);
    tb_op(&b, RELU, 1, (int[]){ti}, tr, 0, NULL, 0);
    tb_op(&b, RELU6, 1, (int[]){ti}, tr6, 0, NULL, 0);
    tb_op(&b, CONCAT, 3, (int[]){tr, ti, tr6}, tc, 10, (struct tb_opt[]){{0, 4, -1}}, 1);
    tb_op(&b, CONCAT, 3, (int[]){tr6, tr, ti}, th, 10, (struct tb_opt[]){{0, 4, 1}}, 1);
    tb_op(&b, CONCAT, 2, (int[]){ti, tr}, tw, 10, (struct tb_opt[]){{0, 4, 2}}, 1);
    tb_io(&b, ti, tc);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    int got[3 * H * W * C];
    const int *src[3];
    /* channels: out[y][x][k*C + c] = src_k[y][x][c] */
    run_codes(f, len, "cat_c", in, 3 * H * W * C, s, zp, got);
    src[0] = r, src[1] = q, src[2] = r6;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int k = 0; k < 3; k++)
                for (int c = 0; c < C; c++)
                    assert_int_equal(got[(y * W + x) * 3 * C + k * C + c],
                                     src[k][(y * W + x) * C + c]);
    /* H: out[k*H + y][x][c] */
    run_codes(f, len, "cat_h", in, 3 * H * W * C, s, zp, got);
    src[0] = r6, src[1] = r, src[2] = q;
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < C; c++)
                    assert_int_equal(got[((k * H + y) * W + x) * C + c],
                                     src[k][(y * W + x) * C + c]);
    /* W: out[y][k*W + x][c] */
    run_codes(f, len, "cat_w", in, 2 * H * W * C, s, zp, got);
    src[0] = q, src[1] = r;
    for (int y = 0; y < H; y++)
        for (int k = 0; k < 2; k++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < C; c++)
                    assert_int_equal(got[(y * 2 * W + k * W + x) * C + c],
                                     src[k][(y * W + x) * C + c]);
    free(f);
    tb_free(&b);
}

/* One element-wise int8 op on all 256 input codes, input and output quantised differently:
 * every output code must be the correctly rounded quantisation of fn(dequantised input). */
static void check_unary_i8(int code, double (*fn)(double), float si, int zi, float so, int zo) {
    float in[256];
    all_codes(in, si, zi);
    struct tb b;
    tb_init(&b);
    int ti = qt(&b, "in", TB_I8, 4, (int32_t[]){1, 1, 16, 16}, NULL, 0, si, zi);
    int to = qt(&b, "out", TB_I8, 4, (int32_t[]){1, 1, 16, 16}, NULL, 0, so, zo);
    tb_op(&b, code, 1, (int[]){ti}, to, 0, NULL, 0);
    tb_io(&b, ti, to);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    int got[256];
    run_codes(f, len, NULL, in, 256, so, zo, got);
    for (int qi = -128; qi < 128; qi++) {
        double x = (double)si * (qi - zi), y = fn(x), t = y / so;
        int want = quant_ref(y, so, zo);
        /* a value within float rounding of a .5 tie may go either way */
        int tie = fabs(fabs(t - trunc(t)) - 0.5) < 1e-4;
        if (got[qi + 128] != want && !(tie && abs(got[qi + 128] - want) == 1))
            fail_msg("op %d: input code %d (x=%g): got %d want %d (y=%g)", code, qi, x,
                     got[qi + 128], want, y);
    }
    free(f);
    tb_free(&b);
}

static double hswish_d(double x) {
    double r = x + 3;
    return x * (r < 0 ? 0 : (r > 6 ? 6 : r)) / 6;
}
static void test_hard_swish_i8(void **state) {
    /* MobileNetV3-like ranges: input [-8, 8], output [-0.375, 8] */
    check_unary_i8(HSWISH, hswish_d, 16.0f / 255, -1, 8.375f / 255, -128 + 11);
    /* asymmetric input range and an output range that saturates at both ends */
    check_unary_i8(HSWISH, hswish_d, 0.041f, 37, 0.013f, -100);
}

/* TFLite's quantized RELU/RELU6 (ReluX): out = clamp(zo + MultiplyByQuantizedMultiplier(q - zi,
 * si/so)), i.e. gemmlowp's double rounding (SaturatingRoundingDoublingHighMul, then a rounding
 * right shift), not one rounding of the real quotient. Written out here independently of the
 * library, in 64-bit integers. */
static int relu_tflite(int q, int zi, float si, float so, int zo, int lo, int hi) {
    int e;
    double f = frexp((double)si / so, &e);
    long long m = llround(f * 2147483648.0);
    if (m == 2147483648LL) m /= 2, e++;
    long long x = (long long)(q - zi) * (e > 0 ? (1LL << e) : 1);
    long long ab = x * m, nudge = ab >= 0 ? (1LL << 30) : 1 - (1LL << 30);
    long long h = (ab + nudge) / (1LL << 31); /* C division truncates: as gemmlowp */
    int r = e < 0 ? -e : 0;
    long long mask = (1LL << r) - 1, rem = h & mask, thr = (mask >> 1) + (h < 0);
    long long v = (h >> r) + (rem > thr) + zo;
    return v < lo ? lo : (v > hi ? hi : (int)v);
}

static void check_relu_i8(int code, float si, int zi, float so, int zo) {
    float in[256];
    all_codes(in, si, zi);
    struct tb b;
    tb_init(&b);
    int ti = qt(&b, "in", TB_I8, 4, (int32_t[]){1, 1, 16, 16}, NULL, 0, si, zi);
    int to = qt(&b, "out", TB_I8, 4, (int32_t[]){1, 1, 16, 16}, NULL, 0, so, zo);
    tb_op(&b, code, 1, (int[]){ti}, to, 0, NULL, 0);
    tb_io(&b, ti, to);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    int got[256];
    run_codes(f, len, NULL, in, 256, so, zo, got);
    int lo = quant_ref(0.0, so, zo), hi = code == RELU6 ? quant_ref(6.0, so, zo) : 127;
    for (int qi = -128; qi < 128; qi++) {
        int want = relu_tflite(qi, zi, si, so, zo, lo, hi);
        double y = (double)si * (qi - zi);
        y = y < 0 ? 0 : (code == RELU6 && y > 6 ? 6 : y);
        if (got[qi + 128] != want || abs(got[qi + 128] - quant_ref(y, so, zo)) > 1)
            fail_msg("op %d: input code %d: got %d want %d", code, qi, got[qi + 128], want);
    }
    free(f);
    tb_free(&b);
}

static void test_relu_relu6_i8(void **state) {
    /* same quantisation in and out (the common case) */
    check_relu_i8(RELU, 0.05f, -10, 0.05f, -10);
    check_relu_i8(RELU6, 0.05f, -10, 0.05f, -10);
    /* requantising: different scale and zero point, output saturating above 6 / below 0 */
    check_relu_i8(RELU, 0.07f, 20, 0.02f, -128);
    check_relu_i8(RELU6, 0.07f, 20, 6.0f / 255, -128);
    check_relu_i8(RELU6, 0.031f, -3, 0.1f, 5);
}

/* QUANTIZE int8 -> int8 (requantisation, TFLite's fixed-point path): every input code. */
static void test_requantize_i8(void **state) {
    struct {
        float si;
        int zi;
        float so;
        int zo;
    } cfg[] = {
        {0.05f, -10, 0.0371f, 3},   /* finer: saturates */
        {0.0371f, 3, 0.05f, -10},   /* coarser */
        {0.1f, 0, 0.1f, 17},        /* zero point shift only */
        {0.002f, -128, 0.25f, 100}, /* much coarser: many codes -> one */
        {0.5f, 0, 0.0039f, 0},      /* 128x finer: nearly everything saturates */
    };
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        float in[256];
        all_codes(in, cfg[k].si, cfg[k].zi);
        struct tb b;
        tb_init(&b);
        int ti = qt(&b, "in", TB_I8, 4, (int32_t[]){1, 1, 16, 16}, NULL, 0, cfg[k].si, cfg[k].zi);
        int to = qt(&b, "rq", TB_I8, 4, (int32_t[]){1, 1, 16, 16}, NULL, 0, cfg[k].so, cfg[k].zo);
        tb_op(&b, QUANT, 1, (int[]){ti}, to, 0, NULL, 0);
        tb_io(&b, ti, to);
        size_t len;
        uint8_t *f = tb_finish(&b, &len);
        int got[256];
        run_codes(f, len, NULL, in, 256, cfg[k].so, cfg[k].zo, got);
        for (int qi = -128; qi < 128; qi++) {
            double t = (double)(qi - cfg[k].zi) * cfg[k].si / cfg[k].so;
            int want = quant_ref((double)(qi - cfg[k].zi) * cfg[k].si, cfg[k].so, cfg[k].zo);
            /* TFLite's requantisation rounds twice when it scales down (real = si/so < 1):
             * x*mult is rounded to an integer, then divided by 2^-shift with rounding, where
             * 2^shift < 2*real. The first rounding moves the value by at most real output
             * steps, so within that distance of a .5 tie the result may be the other
             * neighbour (TFLite gives the same codes; see ecl_requant in kernels.h). */
            double real = (double)cfg[k].si / cfg[k].so, win = real < 1 ? real : 1e-6;
            int tie = fabs(fabs(t - trunc(t)) - 0.5) <= win + 1e-9;
            if (got[qi + 128] != want && !(tie && abs(got[qi + 128] - want) == 1))
                fail_msg("cfg %zu: code %d: got %d want %d (%.6f)", k, qi, got[qi + 128], want, t);
        }
        free(f);
        tb_free(&b);
    }
}

/* Standalone float RELU and RELU6 (not fused), including values far outside [0, 6]. */
static void test_relu_relu6_f32(void **state) {
    enum { N = 2 * 5 * 6 };
    float in[N], out[N];
    tt_fill(in, N, 10.0f);
    in[0] = 0.0f, in[1] = -0.0f, in[2] = 6.0f, in[3] = 6.0001f, in[4] = -1e30f, in[5] = 1e30f;
    in[6] = INFINITY, in[7] = -INFINITY;
    struct tb b;
    tb_init(&b);
    int32_t d[4] = {1, 2, 5, 6};
    int ti = tb_tensor(&b, "in", TB_F32, 4, d, NULL, 0);
    int tr = tb_tensor(&b, "relu", TB_F32, 4, d, NULL, 0);
    int tr6 = tb_tensor(&b, "relu6", TB_F32, 4, d, NULL, 0);
    int tc = tb_tensor(&b, "cat", TB_F32, 4, (int32_t[]){1, 2, 5, 12}, NULL, 0);
    tb_op(&b, RELU, 1, (int[]){ti}, tr, 0, NULL, 0);
    tb_op(&b, RELU6, 1, (int[]){ti}, tr6, 0, NULL, 0);
    tb_op(&b, CONCAT, 2, (int[]){tr, tr6}, tc, 10, (struct tb_opt[]){{0, 4, 3}}, 1);
    tb_io(&b, ti, tc);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    for (int ref = 0; ref < 2; ref++) {
        float cat[2 * N];
        assert_int_equal(tt_run(f, len, "relu", in, out, N, NULL, ref), ECL_OK);
        for (int i = 0; i < N; i++)
            assert_true(out[i] == (in[i] > 0 ? in[i] : 0.0f));
        assert_int_equal(tt_run(f, len, "relu6", in, out, N, NULL, ref), ECL_OK);
        for (int i = 0; i < N; i++)
            assert_true(out[i] == (in[i] <= 0 ? 0.0f : (in[i] >= 6 ? 6.0f : in[i])));
        assert_int_equal(tt_run(f, len, NULL, in, cat, 2 * N, NULL, ref), ECL_OK);
        for (int p = 0; p < 10; p++)
            for (int c = 0; c < 6; c++) {
                float x = in[p * 6 + c];
                assert_true(cat[p * 12 + c] == (x > 0 ? x : 0.0f));
                assert_true(cat[p * 12 + 6 + c] == (x <= 0 ? 0.0f : (x >= 6 ? 6.0f : x)));
            }
    }
    free(f);
    tb_free(&b);
}

/* IEEE half -> double written from the definition (not the interpreter's bit tricks). */
static double half_ref(uint16_t h) {
    int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0)
        v = m / 1024.0 * pow(2, -14); /* subnormal */
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = (1 + m / 1024.0) * pow(2, e - 15);
    return sign ? -v : v;
}

/* DEQUANTIZE float16 weights -> float32 (how float16-quantised .tflite files store weights):
 * every one of the 65536 half values through the op, checked exactly (every half is a float),
 * then the dequantised tensor used by a float ADD with the model input. */
static void test_dequantize_f16(void **state) {
    enum { N = 65536 };
    uint16_t *h = malloc(N * sizeof *h);
    float *out = malloc(N * sizeof *out), *in = calloc(N, sizeof *in);
    for (int i = 0; i < N; i++)
        h[i] = (uint16_t)i;
    struct tb b;
    tb_init(&b);
    int32_t d[4] = {1, 16, 64, 64};
    int ti = tb_tensor(&b, "in", TB_F32, 4, d, NULL, 0);
    int tw = tb_tensor(&b, "w16", TB_F16, 4, d, h, N * sizeof *h);
    int tdq = tb_tensor(&b, "w32", TB_F32, 4, d, NULL, 0);
    int ta = tb_tensor(&b, "sum", TB_F32, 4, d, NULL, 0);
    tb_op(&b, DEQ, 1, (int[]){tw}, tdq, 0, NULL, 0);
    tb_op(&b, ADD, 2, (int[]){ti, tdq}, ta, 0, NULL, 0);
    tb_io(&b, ti, ta);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    tt_fill(in, N, 4.0f);
    for (int ref = 0; ref < 2; ref++) {
        assert_int_equal(tt_run(f, len, "w32", in, out, N, NULL, ref), ECL_OK);
        for (int i = 0; i < N; i++) {
            double want = half_ref((uint16_t)i);
            if (isnan(want)) {
                assert_true(isnan(out[i]));
                continue;
            }
            if ((double)out[i] != want || !signbit(out[i]) != !signbit(want))
                fail_msg("half 0x%04x: got %.9g want %.9g", i, out[i], want);
        }
        /* a few values by hand */
        assert_true(out[0x3c00] == 1.0f && out[0xc000] == -2.0f && out[0x7bff] == 65504.0f);
        assert_true(out[0x0001] == 0x1p-24f && out[0x0400] == 0x1p-14f);
        assert_true(out[0x3555] == 0.333251953125f && out[0x8000] == 0.0f && signbit(out[0x8000]));
        assert_true(isinf(out[0x7c00]) && out[0x7c00] > 0 && isinf(out[0xfc00]));
        /* used as an operand */
        assert_int_equal(tt_run(f, len, NULL, in, out, N, NULL, ref), ECL_OK);
        for (int i = 0; i < 0x7c00; i++) /* finite positive halves */
            assert_true(out[i] == in[i] + (float)half_ref((uint16_t)i));
    }
    free(f);
    tb_free(&b);
    free(h);
    free(out);
    free(in);
}

/* The float16-quantised model pattern: filter and bias are float16 constants, each followed by
 * a DEQUANTIZE whose output the CONV_2D reads as its (constant) filter and bias. The
 * interpreter computes them once at init (they used to be refused: "filter must be a constant
 * 4-D tensor"); checked against the direct conv with the same half values, both kernel sets. */
static void test_dequantize_f16_conv(void **state) {
    enum { H = 6, W = 5, C = 3, O = 4 };
    float in[H * W * C], wf[O * 3 * 3 * C], bf[O], out[H * W * O], ref[H * W * O];
    uint16_t wh[O * 3 * 3 * C], bh[O];
    tt_fill(in, H * W * C, 1.0f);
    /* halves with 3 significant bits (exact in half), then decoded by the reference */
    for (int i = 0; i < O * 9 * C; i++) {
        uint16_t m = (uint16_t)((tt_rng >> 9) & 0x380), e = (uint16_t)(12 + (tt_rng >> 20) % 4);
        tt_rand();
        wh[i] = (uint16_t)((i % 3 == 0 ? 0x8000 : 0) | e << 10 | m);
        wf[i] = (float)half_ref(wh[i]);
    }
    for (int o = 0; o < O; o++) {
        bh[o] = (uint16_t)(0x3800 + 0x100 * o); /* 0.5, 0.625, ... */
        bf[o] = (float)half_ref(bh[o]);
    }
    struct tb b;
    tb_init(&b);
    int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int twh = tb_tensor(&b, "w16", TB_F16, 4, (int32_t[]){O, 3, 3, C}, wh, sizeof wh);
    int tbh = tb_tensor(&b, "b16", TB_F16, 1, (int32_t[]){O}, bh, sizeof bh);
    int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){O, 3, 3, C}, NULL, 0);
    int tbb = tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){O}, NULL, 0);
    int to = tb_tensor(&b, "conv", TB_F32, 4, (int32_t[]){1, H, W, O}, NULL, 0);
    tb_op(&b, DEQ, 1, (int[]){twh}, tw, 0, NULL, 0);
    tb_op(&b, DEQ, 1, (int[]){tbh}, tbb, 0, NULL, 0);
    tb_op(&b, CONV, 3, (int[]){ti, tw, tbb}, to, 1,
          (struct tb_opt[]){{0, 1, 0}, {1, 4, 1}, {2, 4, 1}, {3, 1, 0}}, 4);
    tb_io(&b, ti, to);
    size_t len;
    uint8_t *f = tb_finish(&b, &len);
    direct_conv(in, H, W, C, wf, O, 3, 3, bf, 1, 1, 1, 1, 1, 1, H, W, 0, -INFINITY, INFINITY, ref);
    for (int r = 0; r < 2; r++) {
        struct ecl_interp_stats st;
        assert_int_equal(tt_run(f, len, NULL, in, out, H * W * O, &st, r), ECL_OK);
        assert_int_equal(st.n_ops_run, 1); /* the DEQUANTIZEs ran once, at init */
        for (int i = 0; i < H * W * O; i++)
            assert_float_equal(out[i], ref[i], 1e-4);
        /* the dequantised filter as the cut: computed by the op, equal to the halves */
        float wout[O * 9 * C];
        assert_int_equal(tt_run(f, len, "w", in, wout, O * 9 * C, &st, r), ECL_OK);
        assert_int_equal(st.n_ops_run, 1);
        assert_memory_equal(wout, wf, sizeof wf);
    }
    free(f);
    tb_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_f32),
        cmocka_unit_test(test_dwconv_f32),
        cmocka_unit_test(test_chain_f32),
        cmocka_unit_test(test_unary_concat_f32),
        cmocka_unit_test(test_int8_graph),
        cmocka_unit_test(test_maxpool_i8),
        cmocka_unit_test(test_concat_i8),
        cmocka_unit_test(test_hard_swish_i8),
        cmocka_unit_test(test_relu_relu6_i8),
        cmocka_unit_test(test_requantize_i8),
        cmocka_unit_test(test_relu_relu6_f32),
        cmocka_unit_test(test_dequantize_f16),
        cmocka_unit_test(test_dequantize_f16_conv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
