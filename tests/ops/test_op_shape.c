/* SHAPE and FILL (src/tflite/ops/shape.c). */
#include "op_test.h"

static void test_shape_int32_and_int64(void **state) {
    float in[2 * 3 * 5] = {0};
    struct opr_t t[1] = {opr_f32(3, (int32_t[]){2, 3, 5}, in)};
    struct opr_t o32[1] = {opr_tensor(TB_I32, 1, (int32_t[]){3}, NULL, 0)};
    OPR_OK(ECL_OP_SHAPE, 0, NULL, 0, t, 1, o32, 1, 0);
    const int32_t *a = o32[0].result;
    assert_true(a[0] == 2 && a[1] == 3 && a[2] == 5);
    opr_free(o32, 1);
    struct tb_opt o[] = {{0, 1, TB_I64}}; /* ShapeOptions.out_type */
    struct opr_t o64[1] = {opr_tensor(TB_I64, 1, (int32_t[]){3}, NULL, 0)};
    OPR_OK(ECL_OP_SHAPE, ECL_BO_ShapeOptions, o, 1, t, 1, o64, 1, 0);
    const int64_t *b = o64[0].result;
    assert_true(b[0] == 2 && b[1] == 3 && b[2] == 5);
    opr_free(o64, 1);
    /* out_type and the output's type must agree */
    struct opr_t bad[1] = {opr_tensor(TB_I32, 1, (int32_t[]){3}, NULL, 0)};
    char err[200];
    assert_int_equal(
        opr_run(ECL_OP_SHAPE, ECL_BO_ShapeOptions, o, 1, t, 1, bad, 1, 0, err, sizeof err),
        ECL_EFORMAT);
    assert_non_null(strstr(err, "output type differs from out_type"));
}

static void test_fill_types(void **state) {
    static const int32_t dims[2] = {3, 4};
    static const int64_t dims64[2] = {3, 4};
    float fv = -2.5f;
    int32_t iv = 77;
    uint8_t uv = 200;
    struct {
        int type;
        const void *v;
        size_t es;
    } cases[3] = {{TB_F32, &fv, 4}, {TB_I32, &iv, 4}, {TB_U8, &uv, 1}};
    for (int c = 0; c < 3; c++)
        for (int d64 = 0; d64 < 2; d64++) {
            struct opr_t t[2] = {d64 ? opr_tensor(TB_I64, 1, (int32_t[]){2}, dims64, 1)
                                     : opr_tensor(TB_I32, 1, (int32_t[]){2}, dims, c != 1),
                                 cases[c].type == TB_U8
                                     ? opr_q(TB_U8, 0, NULL, cases[c].v, 0.5f, 128)
                                     : opr_tensor(cases[c].type, 0, NULL, cases[c].v, 0)};
            struct opr_t out[1] = {cases[c].type == TB_U8
                                       ? opr_q(TB_U8, 2, (int32_t[]){3, 4}, NULL, 0.5f, 128)
                                       : opr_tensor(cases[c].type, 2, (int32_t[]){3, 4}, NULL, 0)};
            OPR_OK(ECL_OP_FILL, 0, NULL, 0, t, 2, out, 1, 0);
            for (int i = 0; i < 12; i++)
                assert_memory_equal((uint8_t *)out[0].result + (size_t)i * cases[c].es, cases[c].v,
                                    cases[c].es);
            opr_free(out, 1);
        }
}

static void test_fill_dims_must_match(void **state) {
    static const int32_t dims[2] = {3, 5};
    float v = 1;
    for (int is_const = 0; is_const < 2; is_const++) {
        struct opr_t t[2] = {opr_tensor(TB_I32, 1, (int32_t[]){2}, dims, is_const),
                             opr_tensor(TB_F32, 0, NULL, &v, 0)};
        struct opr_t out[1] = {opr_f32(2, (int32_t[]){3, 4}, NULL)};
        char err[200];
        assert_int_equal(opr_run(ECL_OP_FILL, 0, NULL, 0, t, 2, out, 1, 0, err, sizeof err),
                         ECL_EFORMAT);
        assert_non_null(strstr(err, "dims input differs from the output's shape"));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_int32_and_int64),
        cmocka_unit_test(test_fill_types),
        cmocka_unit_test(test_fill_dims_must_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
