/* CONV_2D and FULLY_CONNECTED int8 requantisation (src/tflite/ops/conv.c, fc.c): with the
 * default ECL_ARITH_RUNTIME the interpreter rounds once, as TFLite's runtime does through ruy,
 * floor(acc * real + 1/2); with ECL_ARITH_REFERENCE twice, as TFLite's reference kernels
 * (tests/ops/q_ref.h: the doubling high multiply, then a right shift rounding half away from
 * zero; the two agree when there is no right shift). Power-of-two scales make the multipliers exact
 * (real = 2^-2 and 2^-3), so many accumulators are ties and the two roundings part on many outputs;
 * both are computed here from their definitions, and the ref and optimised kernels must agree. */
#include "op_test.h"
#include "q_ref.h"

enum { P = 256 }; /* every int8 input value once */

static const float real_of[2] = {0.25f, 0.125f}; /* per output channel */

static int32_t want_single(int32_t acc, double real) {
    return (int32_t)floor((double)acc * real + 0.5); /* exact: real is a power of two */
}

static int32_t want_double(int32_t acc, double real) {
    int32_t m;
    int sh;
    qref_multiplier(real, &m, &sh);
    return qref_mbqm(acc, m, sh);
}

static int32_t clamp8(int32_t v) {
    return v < -128 ? -128 : v > 127 ? 127 : v;
}

/* Checks y[p * 2 + o] against the rounding; returns how many outputs the two roundings give
 * differently (the test must discriminate). */
static int check(const int8_t *y, const int8_t *x, const int8_t *w, const int32_t *b, int single) {
    int parted = 0;
    for (int p = 0; p < P; p++)
        for (int o = 0; o < 2; o++) {
            int32_t acc = b[o] + (int32_t)x[p] * w[o];
            int32_t s = clamp8(want_single(acc, real_of[o])),
                    d = clamp8(want_double(acc, real_of[o]));
            parted += s != d;
            if (y[p * 2 + o] != (single ? s : d))
                fail_msg("pixel %d channel %d acc %d: got %d want %d (%s rounding)", p, o, acc,
                         y[p * 2 + o], single ? s : d, single ? "single" : "double");
        }
    return parted;
}

static void inputs(int8_t *x) {
    for (int p = 0; p < P; p++)
        x[p] = (int8_t)(p - 128);
}

static void test_conv_i8_rounding(void **state) {
    int8_t x[P], w[2] = {1, 3};
    int32_t b[2] = {7, -5};
    inputs(x);
    for (int mode = 0; mode < 2; mode++) {
        struct opr_t in[3] = {opr_q(TB_I8, 4, (int32_t[]){1, 1, P, 1}, x, 1.0f / 64, 0),
                              opr_tensor(TB_I8, 4, (int32_t[]){2, 1, 1, 1}, w, 1),
                              opr_tensor(TB_I32, 1, (int32_t[]){2}, b, 1)};
        /* filter scales 2^-7, 2^-8: real = 2^-6 * w_scale / 2^-11 = 2^-2, 2^-3 */
        in[1].n_q = in[2].n_q = 2;
        for (int o = 0; o < 2; o++) {
            in[1].scale[o] = real_of[o] / 32.0f;
            in[2].scale[o] = in[1].scale[o] / 64.0f;
            in[1].zp[o] = in[2].zp[o] = 0;
        }
        struct opr_t out[1] = {opr_q(TB_I8, 4, (int32_t[]){1, 1, P, 2}, NULL, 1.0f / 2048, 0)};
        struct tb_opt o[] = {{0, 1, 0}, {1, 4, 1}, {2, 4, 1}, {3, 1, 0}, {4, 4, 1}, {5, 4, 1}};
        OPR_OK(ECL_OP_CONV_2D, ECL_BO_Conv2DOptions, o, 6, in, 3, out, 1,
               mode ? OPR_ARITH_REFERENCE : 0);
        int parted = check(out[0].result, x, w, b, mode == 0);
        fprintf(stderr, "conv: %d of %d outputs differ between the roundings\n", parted, 2 * P);
        assert_true(parted >= 32);
        opr_free(out, 1);
    }
}

static void test_fc_i8_rounding(void **state) {
    int8_t x[P], w[2] = {1, 3};
    int32_t b[2] = {7, -5};
    inputs(x);
    for (int mode = 0; mode < 2; mode++) {
        /* per-tensor weights 2^-8: real 2^-3 for both rows */
        struct opr_t in[3] = {opr_q(TB_I8, 2, (int32_t[]){P, 1}, x, 1.0f / 64, 0),
                              opr_q(TB_I8, 2, (int32_t[]){2, 1}, w, 1.0f / 256, 0),
                              opr_q(TB_I32, 1, (int32_t[]){2}, b, 1.0f / 16384, 0)};
        in[1].is_const = in[2].is_const = 1;
        struct opr_t out[1] = {opr_q(TB_I8, 2, (int32_t[]){P, 2}, NULL, 1.0f / 2048, 0)};
        OPR_OK(ECL_OP_FULLY_CONNECTED, 0, NULL, 0, in, 3, out, 1, mode ? OPR_ARITH_REFERENCE : 0);
        const int8_t *y = out[0].result;
        int parted = 0;
        for (int p = 0; p < P; p++)
            for (int o = 0; o < 2; o++) {
                int32_t acc = b[o] + (int32_t)x[p] * w[o];
                int32_t s = clamp8(want_single(acc, 0.125)), d = clamp8(want_double(acc, 0.125));
                parted += s != d;
                assert_int_equal(y[p * 2 + o], mode ? d : s);
            }
        fprintf(stderr, "fc: %d of %d outputs differ between the roundings\n", parted, 2 * P);
        assert_true(parted >= 32);
        opr_free(out, 1);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_i8_rounding),
        cmocka_unit_test(test_fc_i8_rounding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
