/* PRELU (src/tflite/ops/binary.c): float with alpha broadcast per channel; int8 and uint8 with
 * TFLite's two multipliers (derived in tests/ops/q_ref.h), zero points at the range ends. */
#include "op_test.h"
#include "q_ref.h"

static void test_prelu_float_broadcast(void **state) {
    static const float x[12] = {-3, -1, 0, 1, 2, -0.5f, 4, -4, 0.25f, -2, 7, -7};
    static const float a[3] = {0.25f, 0.5f, -1.0f};
    struct opr_t in[2] = {opr_f32(3, (int32_t[]){2, 2, 3}, x), opr_f32(1, (int32_t[]){3}, a)};
    struct opr_t out[1] = {opr_f32(3, (int32_t[]){2, 2, 3}, NULL)};
    OPR_OK(ECL_OP_PRELU, 0, NULL, 0, in, 2, out, 1, 0);
    const float *y = out[0].result;
    for (int i = 0; i < 12; i++)
        assert_true(y[i] == (x[i] >= 0 ? x[i] : x[i] * a[i % 3]));
    opr_free(out, 1);
}

/* One quantised case: x and alpha values with their (scale, zp), expected from the formula. */
static void run_q(int type, float sx, int zx, float sa, int za, float so, int zo) {
    enum { K = 16 };
    int lo = type == TB_U8 ? 0 : -128, hi = type == TB_U8 ? 255 : 127;
    int32_t xv[K], av[2];
    uint8_t xb[K], ab[2];
    for (int i = 0; i < K; i++) {
        xv[i] = i == 0 ? lo : (i == 1 ? hi : lo + (i * 37) % (hi - lo + 1));
        xb[i] = (uint8_t)xv[i];
    }
    av[0] = lo + 3;
    av[1] = hi - 5;
    ab[0] = (uint8_t)av[0];
    ab[1] = (uint8_t)av[1];
    struct opr_t in[2] = {opr_q(type, 2, (int32_t[]){8, 2}, xb, sx, zx),
                          opr_q(type, 1, (int32_t[]){2}, ab, sa, za)};
    in[1].is_const = 1;
    struct opr_t out[1] = {opr_q(type, 2, (int32_t[]){8, 2}, NULL, so, zo)};
    OPR_OK(ECL_OP_PRELU, 0, NULL, 0, in, 2, out, 1, 0);
    int32_t m1, m2;
    int s1, s2;
    qref_multiplier((double)sx / so, &m1, &s1);
    qref_multiplier((double)sx * sa / so, &m2, &s2);
    const uint8_t *y = out[0].result;
    for (int i = 0; i < K; i++) {
        int32_t v = xv[i] - zx, r;
        r = v >= 0 ? qref_mbqm(v, m1, s1) : qref_mbqm(v * (av[i % 2] - za), m2, s2);
        r += zo;
        r = r < lo ? lo : (r > hi ? hi : r);
        int got = type == TB_U8 ? y[i] : (int8_t)y[i];
        if (got != r) fail_msg("element %d: got %d want %d", i, got, r);
        /* and close to the real value */
        double real = v >= 0 ? v * sx : v * sx * (av[i % 2] - za) * sa;
        double q = real / so + zo;
        q = q < lo ? lo : (q > hi ? hi : q);
        assert_true(fabs(got - q) <= 1.0);
    }
    opr_free(out, 1);
}

static void test_prelu_int8(void **state) {
    run_q(TB_I8, 0.05f, -3, 0.01f, 0, 0.04f, 5);
    run_q(TB_I8, 0.1f, 127, 0.02f, -128, 0.1f, -128); /* zero points at the ends */
}

static void test_prelu_uint8(void **state) {
    run_q(TB_U8, 0.05f, 128, 0.004f, 10, 0.06f, 100);
    run_q(TB_U8, 0.1f, 0, 0.02f, 255, 0.1f, 255);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prelu_float_broadcast),
        cmocka_unit_test(test_prelu_int8),
        cmocka_unit_test(test_prelu_uint8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
