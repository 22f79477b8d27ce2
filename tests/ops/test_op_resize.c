/* RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (src/tflite/ops/resize.c): every combination of
 * align_corners and half_pixel_centers, odd sizes, up- and downscaling in one op, batches and
 * channels; float against bilinear interpolation in double, int8 against TFLite's 10-bit
 * fixed-point formula (derived here) and uint8 against TFLite's float formula with +0.5, both
 * also within one step of the exact value; values at the ends of the ranges. */
#include "op_test.h"

enum { N = 2, IH = 3, IW = 5, C = 2, OH = 7, OW = 4 };
#define IN_COUNT (N * IH * IW * C)
#define OUT_COUNT (N * OH * OW * C)

static const int32_t SIZE[2] = {OH, OW};

static struct tb_opt bl_opts[2], nn_opts[2];

static const struct tb_opt *bl(int align, int half) {
    bl_opts[0] = (struct tb_opt){2, 1, align};
    bl_opts[1] = (struct tb_opt){3, 1, half};
    return bl_opts;
}
static const struct tb_opt *nn(int align, int half) {
    nn_opts[0] = (struct tb_opt){0, 1, align};
    nn_opts[1] = (struct tb_opt){1, 1, half};
    return nn_opts;
}

/* Source coordinate of output index i (TensorFlow's definitions). */
static double src_coord(int i, int in, int out, int align, int half) {
    if (align && out > 1) return (double)i * (in - 1) / (out - 1);
    if (half) return ((double)i + 0.5) * in / out - 0.5;
    return (double)i * in / out;
}

static double exact_bilinear(const double *v, int b, int y, int x, int c, int align, int half) {
    double sy = src_coord(y, IH, OH, align, half), sx = src_coord(x, IW, OW, align, half);
    int y0 = (int)floor(sy), x0 = (int)floor(sx);
    double fy = sy - y0, fx = sx - x0;
    int y1 = y0 + 1, x1 = x0 + 1;
    y0 = y0 < 0 ? 0 : y0, x0 = x0 < 0 ? 0 : x0;
    y1 = y1 > IH - 1 ? IH - 1 : (y1 < 0 ? 0 : y1);
    x1 = x1 > IW - 1 ? IW - 1 : (x1 < 0 ? 0 : x1);
    if (sy < 0) fy = 0;
    if (sx < 0) fx = 0;
#define V(yy, xx) v[(((size_t)b * IH + (size_t)(yy)) * IW + (size_t)(xx)) * C + (size_t)c]
    return (1 - fy) * ((1 - fx) * V(y0, x0) + fx * V(y0, x1)) +
           fy * ((1 - fx) * V(y1, x0) + fx * V(y1, x1));
#undef V
}

static void test_bilinear_float_all_modes(void **state) {
    float in[IN_COUNT];
    double dv[IN_COUNT];
    for (int i = 0; i < IN_COUNT; i++)
        dv[i] = in[i] = (float)((i * 37) % 23) / 4.0f - 2.5f;
    int modes[3][2] = {{0, 0}, {1, 0}, {0, 1}};
    for (int m = 0; m < 3; m++) {
        struct opr_t t[2] = {opr_f32(4, (int32_t[]){N, IH, IW, C}, in),
                             opr_tensor(TB_I32, 1, (int32_t[]){2}, SIZE, 1)};
        struct opr_t out[1] = {opr_f32(4, (int32_t[]){N, OH, OW, C}, NULL)};
        OPR_OK(ECL_OP_RESIZE_BILINEAR, ECL_BO_ResizeBilinearOptions, bl(modes[m][0], modes[m][1]),
               2, t, 2, out, 1, 0);
        const float *y = out[0].result;
        for (int b = 0; b < N; b++)
            for (int yy = 0; yy < OH; yy++)
                for (int xx = 0; xx < OW; xx++)
                    for (int c = 0; c < C; c++) {
                        double want = exact_bilinear(dv, b, yy, xx, c, modes[m][0], modes[m][1]);
                        float got =
                            y[(((size_t)b * OH + (size_t)yy) * OW + (size_t)xx) * C + (size_t)c];
                        if (fabs(got - want) > 1e-5 * (1 + fabs(want)))
                            fail_msg("mode %d (%d,%d,%d,%d): got %.7g want %.7g", m, b, yy, xx, c,
                                     got, want);
                    }
        opr_free(out, 1);
    }
}

static void test_bilinear_refuses_both_flags(void **state) {
    float in[IN_COUNT] = {0};
    struct opr_t t[2] = {opr_f32(4, (int32_t[]){N, IH, IW, C}, in),
                         opr_tensor(TB_I32, 1, (int32_t[]){2}, SIZE, 1)};
    struct opr_t out[1] = {opr_f32(4, (int32_t[]){N, OH, OW, C}, NULL)};
    char err[200];
    assert_int_equal(opr_run(ECL_OP_RESIZE_BILINEAR, ECL_BO_ResizeBilinearOptions, bl(1, 1), 2, t,
                             2, out, 1, 0, err, sizeof err),
                     ECL_EFORMAT);
    assert_non_null(strstr(err, "align_corners and half_pixel_centers both set"));
}

static void test_size_input_must_match_output(void **state) {
    float in[IN_COUNT] = {0};
    static const int32_t wrong[2] = {OH, OW + 1};
    for (int is_const = 0; is_const < 2; is_const++) {
        struct opr_t t[2] = {opr_f32(4, (int32_t[]){N, IH, IW, C}, in),
                             opr_tensor(TB_I32, 1, (int32_t[]){2}, wrong, is_const)};
        struct opr_t out[1] = {opr_f32(4, (int32_t[]){N, OH, OW, C}, NULL)};
        char err[200];
        assert_int_equal(opr_run(ECL_OP_RESIZE_NEAREST_NEIGHBOR,
                                 ECL_BO_ResizeNearestNeighborOptions, nn(0, 0), 2, t, 2, out, 1, 0,
                                 err, sizeof err),
                         ECL_EFORMAT);
        assert_non_null(strstr(err, "size input differs from the output's height and width"));
    }
    /* a non-constant size with the right values runs */
    struct opr_t t[2] = {opr_f32(4, (int32_t[]){N, IH, IW, C}, in),
                         opr_tensor(TB_I32, 1, (int32_t[]){2}, SIZE, 0)};
    struct opr_t out[1] = {opr_f32(4, (int32_t[]){N, OH, OW, C}, NULL)};
    OPR_OK(ECL_OP_RESIZE_BILINEAR, ECL_BO_ResizeBilinearOptions, bl(0, 1), 2, t, 2, out, 1, 0);
    opr_free(out, 1);
}

/* TFLite's int8 arithmetic, derived from its description: coordinates in 1/1024 units, scale
 * rounded to nearest, weighted int64 sum over 2^20 rounded half away from zero. */
static int8_t int8_formula(const int8_t *v, int b, int y, int x, int c, int align, int half) {
    int32_t sy =
        align && OH > 1 ? (1024 * (IH - 1) + (OH - 1) / 2) / (OH - 1) : (1024 * IH + OH / 2) / OH;
    int32_t sx =
        align && OW > 1 ? (1024 * (IW - 1) + (OW - 1) / 2) / (OW - 1) : (1024 * IW + OW / 2) / OW;
    int32_t py = half ? y * sy + sy / 2 - 512 : y * sy, px = half ? x * sx + sx / 2 - 512 : x * sx;
    int32_t y0 = py / 1024 > 0 ? py / 1024 : 0, x0 = px / 1024 > 0 ? px / 1024 : 0;
    int32_t y1 = (py + 1023) / 1024, x1 = (px + 1023) / 1024;
    y1 = y1 < IH - 1 ? y1 : IH - 1;
    x1 = x1 < IW - 1 ? x1 : IW - 1;
    int64_t wy = py - 1024 * y0, wx = px - 1024 * x0;
#define V(yy, xx) (int64_t) v[(((size_t)b * IH + (size_t)(yy)) * IW + (size_t)(xx)) * C + (size_t)c]
    int64_t s = V(y0, x0) * (1024 - wy) * (1024 - wx) + V(y1, x0) * wy * (1024 - wx) +
                V(y0, x1) * (1024 - wy) * wx + V(y1, x1) * wy * wx;
#undef V
    int64_t half20 = 1 << 19;
    int64_t q = s >= 0 ? (s + half20) / (1 << 20) : -((-s + half20) / (1 << 20));
    if (s == 0) q = 0;
    return (int8_t)(q > 127 ? 127 : (q < -128 ? -128 : q));
}

static void test_bilinear_int8_fixed_point(void **state) {
    int8_t in[IN_COUNT];
    double dv[IN_COUNT];
    for (int i = 0; i < IN_COUNT; i++) {
        in[i] = (int8_t)(i % 5 == 0 ? -128 : (i % 7 == 0 ? 127 : (i * 53) % 256 - 128));
        dv[i] = in[i];
    }
    int modes[3][2] = {{0, 0}, {1, 0}, {0, 1}};
    for (int m = 0; m < 3; m++) {
        struct opr_t t[2] = {opr_q(TB_I8, 4, (int32_t[]){N, IH, IW, C}, in, 0.5f, -3),
                             opr_tensor(TB_I32, 1, (int32_t[]){2}, SIZE, 1)};
        struct opr_t out[1] = {opr_q(TB_I8, 4, (int32_t[]){N, OH, OW, C}, NULL, 0.5f, -3)};
        OPR_OK(ECL_OP_RESIZE_BILINEAR, ECL_BO_ResizeBilinearOptions, bl(modes[m][0], modes[m][1]),
               2, t, 2, out, 1, 0);
        const int8_t *y = out[0].result;
        for (int b = 0; b < N; b++)
            for (int yy = 0; yy < OH; yy++)
                for (int xx = 0; xx < OW; xx++)
                    for (int c = 0; c < C; c++) {
                        size_t o =
                            (((size_t)b * OH + (size_t)yy) * OW + (size_t)xx) * C + (size_t)c;
                        int8_t want = int8_formula(in, b, yy, xx, c, modes[m][0], modes[m][1]);
                        double ex = exact_bilinear(dv, b, yy, xx, c, modes[m][0], modes[m][1]);
                        if (y[o] != want) fail_msg("mode %d at %zu: %d != %d", m, o, y[o], want);
                        assert_true(fabs(y[o] - ex) <= 1.0);
                    }
        opr_free(out, 1);
    }
}

static void test_bilinear_uint8_float_formula(void **state) {
    uint8_t in[IN_COUNT];
    double dv[IN_COUNT];
    for (int i = 0; i < IN_COUNT; i++) {
        in[i] = (uint8_t)(i % 4 == 0 ? 255 : (i % 6 == 0 ? 0 : (i * 71) % 256));
        dv[i] = in[i];
    }
    int modes[3][2] = {{0, 0}, {1, 0}, {0, 1}};
    for (int m = 0; m < 3; m++) {
        int align = modes[m][0], half = modes[m][1];
        struct opr_t t[2] = {opr_q(TB_U8, 4, (int32_t[]){N, IH, IW, C}, in, 0.1f, 255),
                             opr_tensor(TB_I32, 1, (int32_t[]){2}, SIZE, 1)};
        struct opr_t out[1] = {opr_q(TB_U8, 4, (int32_t[]){N, OH, OW, C}, NULL, 0.1f, 255)};
        OPR_OK(ECL_OP_RESIZE_BILINEAR, ECL_BO_ResizeBilinearOptions, bl(align, half), 2, t, 2, out,
               1, 0);
        const uint8_t *y = out[0].result;
        float sy = align ? (float)(IH - 1) / (float)(OH - 1) : (float)IH / (float)OH;
        float sx = align ? (float)(IW - 1) / (float)(OW - 1) : (float)IW / (float)OW;
        for (int b = 0; b < N; b++)
            for (int yy = 0; yy < OH; yy++)
                for (int xx = 0; xx < OW; xx++)
                    for (int c = 0; c < C; c++) {
                        /* TFLite's float formula, its evaluation order, + 0.5 truncated */
                        float fy = half ? ((float)yy + 0.5f) * sy - 0.5f : (float)yy * sy;
                        float fx = half ? ((float)xx + 0.5f) * sx - 0.5f : (float)xx * sx;
                        int y0 = (int)floorf(fy) < 0 ? 0 : (int)floorf(fy);
                        int x0 = (int)floorf(fx) < 0 ? 0 : (int)floorf(fx);
                        int y1 = (int)ceilf(fy) > IH - 1 ? IH - 1 : (int)ceilf(fy);
                        int x1 = (int)ceilf(fx) > IW - 1 ? IW - 1 : (int)ceilf(fx);
                        float dy = fy - (float)y0, dx = fx - (float)x0;
#define V(yy_, xx_)                                                                                \
    (float)in[(((size_t)b * IH + (size_t)(yy_)) * IW + (size_t)(xx_)) * C + (size_t)c]
                        float v = V(y0, x0) * (1 - dy) * (1 - dx) + V(y1, x0) * dy * (1 - dx) +
                                  V(y0, x1) * (1 - dy) * dx + V(y1, x1) * dy * dx + 0.5f;
#undef V
                        size_t o =
                            (((size_t)b * OH + (size_t)yy) * OW + (size_t)xx) * C + (size_t)c;
                        assert_int_equal(y[o], (uint8_t)v);
                        double ex = exact_bilinear(dv, b, yy, xx, c, align, half);
                        assert_true(fabs(y[o] - ex) <= 1.0);
                    }
        opr_free(out, 1);
    }
}

/* Nearest: TFLite floors (x + offset) * scale, or rounds it half away with align_corners. */
static int nn_src(int i, int in, int out, int align, int half) {
    float scale = align && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    float v = ((float)i + (half ? 0.5f : 0.0f)) * scale;
    int r = align ? (int)(v >= 0 ? floorf(v + 0.5f) : -floorf(-v + 0.5f)) : (int)floorf(v);
    r = r > in - 1 ? in - 1 : r;
    return half && r < 0 ? 0 : r;
}

static void test_nearest_all_modes_and_types(void **state) {
    static const int types[3] = {TB_F32, TB_I8, TB_U8};
    float f[IN_COUNT];
    int8_t s8[IN_COUNT];
    uint8_t u8[IN_COUNT];
    for (int i = 0; i < IN_COUNT; i++) {
        f[i] = (float)i * 0.25f - 3.0f;
        s8[i] = (int8_t)(i * 9 - 128);
        u8[i] = (uint8_t)(255 - i * 4);
    }
    const void *data[3] = {f, s8, u8};
    for (int ty = 0; ty < 3; ty++)
        for (int align = 0; align < 2; align++)
            for (int half = 0; half < 2; half++) {
                int32_t id[4] = {N, IH, IW, C}, od[4] = {N, OH, OW, C};
                struct opr_t t[2] = {ty ? opr_q(types[ty], 4, id, data[ty], 0.2f, 1)
                                        : opr_f32(4, id, f),
                                     opr_tensor(TB_I32, 1, (int32_t[]){2}, SIZE, 1)};
                struct opr_t out[1] = {ty ? opr_q(types[ty], 4, od, NULL, 0.2f, 1)
                                          : opr_f32(4, od, NULL)};
                OPR_OK(ECL_OP_RESIZE_NEAREST_NEIGHBOR, ECL_BO_ResizeNearestNeighborOptions,
                       nn(align, half), 2, t, 2, out, 1, 0);
                size_t es = ty ? 1 : 4;
                const uint8_t *y = out[0].result, *a = data[ty];
                for (int b = 0; b < N; b++)
                    for (int yy = 0; yy < OH; yy++)
                        for (int xx = 0; xx < OW; xx++) {
                            int sy = nn_src(yy, IH, OH, align, half);
                            int sx = nn_src(xx, IW, OW, align, half);
                            size_t o = (((size_t)b * OH + (size_t)yy) * OW + (size_t)xx) * C;
                            size_t i = (((size_t)b * IH + (size_t)sy) * IW + (size_t)sx) * C;
                            assert_memory_equal(y + o * es, a + i * es, C * es);
                        }
                opr_free(out, 1);
            }
}

/* Downscaling 5 -> 2 with align_corners picks the ends; 1 output row takes row 0. */
static void test_nearest_edges(void **state) {
    static const float in[5] = {10, 11, 12, 13, 14};
    static const int32_t sz[2] = {1, 2};
    struct opr_t t[2] = {opr_f32(4, (int32_t[]){1, 1, 5, 1}, in),
                         opr_tensor(TB_I32, 1, (int32_t[]){2}, sz, 1)};
    struct opr_t out[1] = {opr_f32(4, (int32_t[]){1, 1, 2, 1}, NULL)};
    OPR_OK(ECL_OP_RESIZE_NEAREST_NEIGHBOR, ECL_BO_ResizeNearestNeighborOptions, nn(1, 0), 2, t, 2,
           out, 1, 0);
    const float *y = out[0].result;
    assert_true(y[0] == 10 && y[1] == 14);
    opr_free(out, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bilinear_float_all_modes),
        cmocka_unit_test(test_bilinear_refuses_both_flags),
        cmocka_unit_test(test_size_input_must_match_output),
        cmocka_unit_test(test_bilinear_int8_fixed_point),
        cmocka_unit_test(test_bilinear_uint8_float_formula),
        cmocka_unit_test(test_nearest_all_modes_and_types),
        cmocka_unit_test(test_nearest_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
