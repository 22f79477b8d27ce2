/* tests/test_fuse.c - inverted-residual blocks run fused (src/tflite/fuse.c) give the bytes of
 * the unfused run.
 *
 * Each model runs once with opts.no_fuse = 1 on 1 thread (the reference), then fused on 1, 2 and
 * 3 threads (different row ranges per thread, so different band boundaries): every output must
 * be bit-identical (float: the 7x7x1280 map after the last block), and the activations of the fused
 * run must not be larger. Models: the float MobileNetV2 (models/, made by the converter; fused
 * where the kernel table packs float 1x1 weights at plan time, i.e. AVX-512: its blocks from
 * 112x112 down to 7x7) and Google's int8 DeepLab v3 (../shared/models/, 513x513 input: its first
 * blocks are fused on every table). A model whose file is absent is skipped with its path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/model.h"
#include "edgecl/port.h"
#include "model_run.h"
#include "tflite_builder.h"

struct run {
    float *out;
    size_t n;
    struct ecl_interp_stats st;
};

static struct run run_model(const struct ecl_model *m, int32_t cut, int threads, int no_fuse,
                            const float *in) {
    struct run r;
    struct ecl_pool *pool = NULL;
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.no_fuse = no_fuse;
    if (threads > 1) {
        assert_int_equal(ecl_pool_create(threads, &pool), ECL_OK);
        ecl_pool_set_adaptive(pool, 0); /* real threads even on a busy machine */
    }
    r.out = model_run(m, cut, o, pool, in, &r.n, &r.st);
    ecl_pool_destroy(pool);
    return r;
}

/* Returns the number of blocks fused. cut_name: the tensor compared (NULL: the outputs). */
static int32_t check_model(const char *path, const char *cut_name) {
    void *buf = NULL;
    size_t len = 0;
    if (ecl_port_read_file(path, &buf, &len) != ECL_OK) {
        print_message("SKIP: %s is absent\n", path);
        skip();
    }
    struct ecl_model m;
    char err[200];
    assert_int_equal(ecl_model_parse(buf, len, &m, err, sizeof err), ECL_OK);
    int32_t cut = -1;
    if (cut_name) assert_int_equal(ecl_model_find_tensor(&m, cut_name, &cut), ECL_OK);
    size_t n_in = 0;
    float *in = model_input(&m, cut, 77u, &n_in);
    assert_non_null(in);
    struct run ref = run_model(&m, cut, 1, 1, in);
    assert_int_equal(ref.st.n_fused, 0);
    for (int t = 1; t <= 3; t++) {
        struct run f = run_model(&m, cut, t, 0, in);
        assert_int_equal(f.n, ref.n);
        for (size_t i = 0; i < ref.n; i++)
            if (memcmp(&ref.out[i], &f.out[i], sizeof(float)))
                fail_msg("%s: output %zu: unfused %.9g, fused on %d threads %.9g", path, i,
                         ref.out[i], t, f.out[i]);
        if (t == 1) assert_true(f.st.activation_bytes <= ref.st.activation_bytes);
        print_message("%s: %d threads, %d blocks fused, activations %zu -> %zu bytes, "
                      "%zu outputs identical\n",
                      path, t, f.st.n_fused, ref.st.activation_bytes, f.st.activation_bytes, ref.n);
        free(f.out);
        if (t == 3) {
            free(ref.out), free(in), free(buf);
            return f.st.n_fused;
        }
    }
    return 0;
}

static void test_float_model_fused(void **state) {
    (void)state;
    /* out_relu: the 7x7x1280 map after the last block (the 5 logits would hide little) */
    int32_t fused = check_model(ECL_SOURCE_DIR "/models/mobilenet_v2.tflite", "out_relu");
    print_message("float MobileNetV2: %d blocks fused\n", fused);
}

static void test_int8_deeplab_fused(void **state) {
    (void)state;
    int32_t fused = check_model(
        ECL_SOURCE_DIR "/../shared/models/deeplabv3_mnv2_dm05_pascal_quant.tflite", NULL);
    assert_true(fused > 0); /* its 257x257 blocks exceed the int8 threshold on every table */
}

/* ------------------------------------------------------------------ synthetic blocks */
enum { OP_CONV = 3, OP_DW = 4, OP_PAD = 34 };
struct block_case {
    int h, stride, same, pad; /* pad: rows/columns of a PAD before a VALID depthwise */
};

static uint32_t lcg = 12345;
static float frand(void) { /* [-1, 1) */
    lcg = lcg * 1664525u + 1013904223u;
    return (float)(lcg >> 8) / 8388608.0f - 1.0f;
}

/* in [1,h,h,8] -> CONV 1x1 (24, RELU6) -> [PAD] -> DEPTHWISE 3x3 (RELU6) -> CONV 1x1 (16). */
static uint8_t *block_model(const struct block_case *c, size_t *len, float *wa, float *ba,
                            float *wb, float *bb, float *wc, float *bc, int32_t *pads) {
    const int H = c->h, CI = 8, CE = 24, CO = 16;
    for (int i = 0; i < CI * CE; i++)
        wa[i] = frand() * 0.3f;
    for (int i = 0; i < 9 * CE; i++)
        wb[i] = frand() * 0.3f;
    for (int i = 0; i < CE * CO; i++)
        wc[i] = frand() * 0.3f;
    for (int i = 0; i < CE; i++)
        ba[i] = frand(), bb[i] = frand();
    for (int i = 0; i < CO; i++)
        bc[i] = frand();
    int PH = H + 2 * c->pad;
    int OH = c->same ? (PH + c->stride - 1) / c->stride : (PH - 3) / c->stride + 1;
    int32_t pv[8] = {0, 0, c->pad, c->pad, c->pad, c->pad, 0, 0};
    memcpy(pads, pv, sizeof pv);
    struct tb b;
    tb_init(&b);
    int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, H, H, CI}, NULL, 0);
    int twa = tb_tensor(&b, "wa", TB_F32, 4, (int32_t[]){CE, 1, 1, CI}, wa, (size_t)CI * CE * 4);
    int tba = tb_tensor(&b, "ba", TB_F32, 1, (int32_t[]){CE}, ba, CE * 4);
    int te = tb_tensor(&b, "expanded", TB_F32, 4, (int32_t[]){1, H, H, CE}, NULL, 0);
    int twb = tb_tensor(&b, "wb", TB_F32, 4, (int32_t[]){1, 3, 3, CE}, wb, 9 * CE * 4);
    int tbb = tb_tensor(&b, "bb", TB_F32, 1, (int32_t[]){CE}, bb, CE * 4);
    int td = tb_tensor(&b, "depthwise", TB_F32, 4, (int32_t[]){1, OH, OH, CE}, NULL, 0);
    int twc = tb_tensor(&b, "wc", TB_F32, 4, (int32_t[]){CO, 1, 1, CE}, wc, (size_t)CE * CO * 4);
    int tbc = tb_tensor(&b, "bc", TB_F32, 1, (int32_t[]){CO}, bc, CO * 4);
    int to = tb_tensor(&b, "out", TB_F32, 4, (int32_t[]){1, OH, OH, CO}, NULL, 0);
    struct tb_opt pw[] = {{0, 1, 1}, {1, 4, 1}, {2, 4, 1}, {3, 1, 3}}; /* VALID, RELU6 */
    struct tb_opt pj[] = {{0, 1, 1}, {1, 4, 1}, {2, 4, 1}, {3, 1, 0}};
    struct tb_opt dw[] = {
        {0, 1, c->same ? 0 : 1}, {1, 4, c->stride}, {2, 4, c->stride}, {3, 4, 1}, {4, 1, 3}};
    tb_op(&b, OP_CONV, 3, (int[]){ti, twa, tba}, te, 1, pw, 4);
    int tdin = te;
    if (c->pad) {
        int tp = tb_tensor(&b, "pads", TB_I32, 2, (int32_t[]){4, 2}, pads, 32);
        tdin = tb_tensor(&b, "padded", TB_F32, 4, (int32_t[]){1, PH, PH, CE}, NULL, 0);
        tb_op(&b, OP_PAD, 2, (int[]){te, tp}, tdin, 0, NULL, 0);
    }
    tb_op(&b, OP_DW, 3, (int[]){tdin, twb, tbb}, td, 2, dw, 5);
    tb_op(&b, OP_CONV, 3, (int[]){td, twc, tbc}, to, 1, pj, 4);
    tb_io(&b, ti, to);
    uint8_t *f = tb_finish(&b, len);
    tb_free(&b);
    return f;
}

static void test_synthetic_blocks(void **state) {
    (void)state;
    static const struct block_case cases[] = {
        {41, 1, 1, 0}, {41, 2, 1, 0}, {40, 2, 1, 0}, {41, 1, 0, 1}, {41, 2, 0, 1}, {41, 1, 0, 4},
    };
    static float wa[192], ba[24], wb[216], bb[24], wc[384], bc[16];
    static int32_t pads[8];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t len = 0;
        uint8_t *file = block_model(&cases[k], &len, wa, ba, wb, bb, wc, bc, pads);
        assert_non_null(file);
        struct ecl_model m;
        char err[200];
        assert_int_equal(ecl_model_parse(file, len, &m, err, sizeof err), ECL_OK);
        size_t n_in = 0;
        float *in = model_input(&m, -1, 99u + (uint32_t)k, &n_in);
        assert_non_null(in);
        struct run ref = run_model(&m, -1, 1, 1, in);
        for (int t = 1; t <= 2; t++) {
            struct run f = run_model(&m, -1, t, 0, in);
            assert_int_equal(f.n, ref.n);
            for (size_t i = 0; i < ref.n; i++)
                if (memcmp(&ref.out[i], &f.out[i], sizeof(float)))
                    fail_msg("case %zu: output %zu: unfused %.9g, fused on %d threads %.9g", k, i,
                             ref.out[i], t, f.out[i]);
            if (cases[k].pad > 2) assert_int_equal(f.st.n_fused, 0); /* padding-only rows */
            if (t == 1)
                print_message("block %zu (%dx%d, stride %d, %s): %d fused, %zu outputs identical\n",
                              k, cases[k].h, cases[k].h, cases[k].stride,
                              cases[k].pad ? "PAD + VALID" : "SAME", f.st.n_fused, ref.n);
            free(f.out);
        }
        free(ref.out), free(in), free(file);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_model_fused),
        cmocka_unit_test(test_int8_deeplab_fused),
        cmocka_unit_test(test_synthetic_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
