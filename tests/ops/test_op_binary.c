/* Element-wise binary ops (src/tflite/ops/binary.c): broadcasting, fused activations, every
 * float op, integer semantics. */
#include "op_test.h"

static const float A[6] = {1.5f, -2.0f, 3.25f, 0.5f, -0.75f, 4.0f}, B[3] = {0.5f, -1.5f, 2.0f};

static void run_f32(int code, int opt_type, const struct tb_opt *opt, int n_opt, float *got) {
    struct opr_t in[2] = {opr_f32(2, (int32_t[]){2, 3}, A), opr_f32(1, (int32_t[]){3}, B)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 3}, NULL)};
    OPR_OK(code, opt_type, opt, n_opt, in, 2, out, 1, 0);
    memcpy(got, out[0].result, sizeof(float) * 6);
    opr_free(out, 1);
}

static void test_float_ops_broadcast(void **state) {
    struct {
        int code;
        float (*f)(float, float);
    } ops[] = {{ECL_OP_SUB, NULL},     {ECL_OP_DIV, NULL},     {ECL_OP_SQUARED_DIFFERENCE, NULL},
               {ECL_OP_MAXIMUM, NULL}, {ECL_OP_MINIMUM, NULL}, {ECL_OP_ADD, NULL},
               {ECL_OP_MUL, NULL}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        float got[6], want[6];
        run_f32(ops[k].code, 0, NULL, 0, got);
        for (int i = 0; i < 6; i++) {
            float a = A[i], b = B[i % 3];
            switch (ops[k].code) {
            case ECL_OP_SUB:
                want[i] = a - b;
                break;
            case ECL_OP_DIV:
                want[i] = a / b;
                break;
            case ECL_OP_SQUARED_DIFFERENCE:
                want[i] = (a - b) * (a - b);
                break;
            case ECL_OP_MAXIMUM:
                want[i] = a > b ? a : b;
                break;
            case ECL_OP_MINIMUM:
                want[i] = a < b ? a : b;
                break;
            case ECL_OP_ADD:
                want[i] = a + b;
                break;
            default:
                want[i] = a * b;
            }
        }
        assert_floats_near(got, want, 6, 0);
    }
}

static void test_fused_relu6_on_sub(void **state) {
    float got[6];
    struct tb_opt o[] = {{0, 1, 3}}; /* RELU6 */
    run_f32(ECL_OP_SUB, ECL_BO_SubOptions, o, 1, got);
    for (int i = 0; i < 6; i++) {
        float v = A[i] - B[i % 3];
        v = v < 0 ? 0 : (v > 6 ? 6 : v);
        assert_true(got[i] == v);
    }
}

static void test_pow_and_broadcast_both_sides(void **state) {
    static const float x[2] = {2.0f, 3.0f}, y[3] = {0.0f, 1.0f, 2.5f};
    struct opr_t in[2] = {opr_f32(2, (int32_t[]){2, 1}, x), opr_f32(2, (int32_t[]){1, 3}, y)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 3}, NULL)};
    OPR_OK(ECL_OP_POW, 0, NULL, 0, in, 2, out, 1, 0);
    const float *z = out[0].result;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            assert_true(fabsf(z[i * 3 + j] - powf(x[i], y[j])) < 1e-6f * powf(x[i], y[j]) + 1e-7f);
    opr_free(out, 1);
}

static void test_int32_floor_div_mod(void **state) {
    static const int32_t a[4] = {7, -7, 7, -7}, b[4] = {2, 2, -2, -2};
    int codes[2] = {ECL_OP_FLOOR_DIV, ECL_OP_FLOOR_MOD};
    int32_t want[2][4] = {{3, -4, -4, 3}, {1, 1, -1, -1}};
    for (int k = 0; k < 2; k++) {
        struct opr_t in[2] = {opr_tensor(TB_I32, 1, (int32_t[]){4}, a, 0),
                              opr_tensor(TB_I32, 1, (int32_t[]){4}, b, 0)};
        struct opr_t out[1] = {opr_tensor(TB_I32, 1, (int32_t[]){4}, NULL, 0)};
        OPR_OK(codes[k], 0, NULL, 0, in, 2, out, 1, 0);
        assert_memory_equal(out[0].result, want[k], sizeof want[k]);
        opr_free(out, 1);
    }
    /* division by zero is an error of the run, not a crash */
    static const int32_t z[4] = {1, 0, 1, 1};
    struct opr_t in[2] = {opr_tensor(TB_I32, 1, (int32_t[]){4}, a, 0),
                          opr_tensor(TB_I32, 1, (int32_t[]){4}, z, 0)};
    struct opr_t out[1] = {opr_tensor(TB_I32, 1, (int32_t[]){4}, NULL, 0)};
    char err[200];
    assert_int_equal(opr_run(ECL_OP_FLOOR_DIV, 0, NULL, 0, in, 2, out, 1, 0, err, sizeof err),
                     ECL_ERANGE);
    assert_non_null(strstr(err, "FLOOR_DIV at operator 0: integer division by zero"));
}

static void test_shapes_refused(void **state) {
    struct opr_t in[2] = {opr_f32(2, (int32_t[]){2, 3}, A), opr_f32(1, (int32_t[]){2}, B)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 3}, NULL)};
    char err[200];
    assert_int_equal(opr_run(ECL_OP_SUB, 0, NULL, 0, in, 2, out, 1, 0, err, sizeof err),
                     ECL_EFORMAT);
    assert_string_equal(err, "SUB at operator 0: shapes do not broadcast to the output");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_ops_broadcast),
        cmocka_unit_test(test_fused_relu6_on_sub),
        cmocka_unit_test(test_pow_and_broadcast_both_sides),
        cmocka_unit_test(test_int32_floor_div_mod),
        cmocka_unit_test(test_shapes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
