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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_f32),   cmocka_unit_test(test_dwconv_f32),
        cmocka_unit_test(test_chain_f32),  cmocka_unit_test(test_unary_concat_f32),
        cmocka_unit_test(test_int8_graph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
