/* CONCATENATION (src/tflite/ops/concat.c): float along a negative axis; uint8 and int8 inputs
 * whose quantisation differs from the output's, requantised (TFLite's ConcatenationWithScaling:
 * q_out = zp_out + round((q - zp_in) * s_in / s_out), clamped) against that formula in double
 * with scales chosen so that no value is a rounding tie; refusals. */
#include "op_test.h"

static void test_concat_float_axis_minus1(void **state) {
    static const float a[4] = {1, 2, 3, 4}, b[6] = {5, 6, 7, 8, 9, 10}; /* [2,2] and [2,3] */
    static const float want[10] = {1, 2, 5, 6, 7, 3, 4, 8, 9, 10};
    struct opr_t in[2] = {opr_f32(2, (int32_t[]){2, 2}, a), opr_f32(2, (int32_t[]){2, 3}, b)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 5}, NULL)};
    struct tb_opt o[1] = {{0, 4, -1}};
    OPR_OK(ECL_OP_CONCATENATION, ECL_BO_ConcatenationOptions, o, 1, in, 2, out, 1, 0);
    assert_memory_equal(out[0].result, want, sizeof want);
    opr_free(out, 1);
    out[0].dims[1] = 6;
    OPR_FAILS(ECL_EFORMAT, "CONCATENATION at operator 0: output size along the axis is wrong",
              ECL_OP_CONCATENATION, ECL_BO_ConcatenationOptions, o, 1, in, 2, out, 1, 0);
}

static int32_t requant(int32_t q, float s_in, int32_t zp_in, float s_out, int32_t zp_out,
                       int32_t lo, int32_t hi) {
    double r = (double)(q - zp_in) * s_in / s_out;
    double f = floor(fabs(r) + 0.5);
    int32_t v = (int32_t)(r < 0 ? -f : f) + zp_out;
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Inputs: A [2,128] (s 0.5), B [2,64] (s 0.2), C [2,8] with the output's quantisation (copied);
 * output [2,200] s 0.3: (q - zp) * 5/3 and * 2/3 are never k + 1/2. */
static void run_requant(int type) {
    int u8 = type == TB_U8;
    int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
    int32_t za = u8 ? 100 : -28, zb = u8 ? 131 : 3, zo = u8 ? 110 : -18;
    static uint8_t a[256], b[128], c[16], want[400];
    for (int i = 0; i < 256; i++)
        a[i] = (uint8_t)i; /* every value, both domains */
    for (int i = 0; i < 128; i++)
        b[i] = (uint8_t)(i * 2 + 1);
    for (int i = 0; i < 16; i++)
        c[i] = (uint8_t)(i * 13);
    for (int r = 0; r < 2; r++) {
        uint8_t *w = want + r * 200;
        for (int i = 0; i < 128; i++) {
            int32_t q = u8 ? a[r * 128 + i] : (int8_t)a[r * 128 + i];
            w[i] = (uint8_t)requant(q, 0.5f, za, 0.3f, zo, lo, hi);
        }
        for (int i = 0; i < 64; i++) {
            int32_t q = u8 ? b[r * 64 + i] : (int8_t)b[r * 64 + i];
            w[128 + i] = (uint8_t)requant(q, 0.2f, zb, 0.3f, zo, lo, hi);
        }
        memcpy(w + 192, c + r * 8, 8);
    }
    struct opr_t in[3] = {opr_q(type, 2, (int32_t[]){2, 128}, a, 0.5f, za),
                          opr_q(type, 2, (int32_t[]){2, 64}, b, 0.2f, zb),
                          opr_q(type, 2, (int32_t[]){2, 8}, c, 0.3f, zo)};
    struct opr_t out[1] = {opr_q(type, 2, (int32_t[]){2, 200}, NULL, 0.3f, zo)};
    struct tb_opt o[1] = {{0, 4, 1}};
    OPR_OK(ECL_OP_CONCATENATION, ECL_BO_ConcatenationOptions, o, 1, in, 3, out, 1, 0);
    const uint8_t *got = out[0].result;
    for (int i = 0; i < 400; i++)
        if (got[i] != want[i])
            fail_msg("type %d element %d: got %d want %d", type, i, got[i], want[i]);
    opr_free(out, 1);
}

static void test_concat_requantises_uint8_and_int8(void **state) {
    run_requant(TB_U8);
    run_requant(TB_I8);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concat_float_axis_minus1),
        cmocka_unit_test(test_concat_requantises_uint8_and_int8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
