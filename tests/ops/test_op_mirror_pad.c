/* MIRROR_PAD (src/tflite/ops/pad.c): REFLECT and SYMMETRIC written out by hand in 1-D and 2-D,
 * a 5-D int8 case against a plain per-index mirror, int64 paddings, refusals. */
#include "op_test.h"

static void run_1d(int mode, int before, int after, const float *want, int n_out) {
    static const float x[4] = {1, 2, 3, 4};
    struct opr_t in[2] = {opr_f32(1, (int32_t[]){4}, x),
                          opr_tensor(TB_I32, 2, (int32_t[]){1, 2}, (int32_t[]){before, after}, 1)};
    struct opr_t out[1] = {opr_f32(1, (int32_t[]){n_out}, NULL)};
    struct tb_opt o[1] = {{0, 1, mode}};
    OPR_OK(ECL_OP_MIRROR_PAD, ECL_BO_MirrorPadOptions, o, 1, in, 2, out, 1, 0);
    assert_memory_equal(out[0].result, want, sizeof(float) * (size_t)n_out);
    opr_free(out, 1);
}

static void test_mirror_pad_1d_by_hand(void **state) {
    /* REFLECT [1 2 3 4] by (3, 2): 4 3 2 | 1 2 3 4 | 3 2 */
    run_1d(0, 3, 2, (float[]){4, 3, 2, 1, 2, 3, 4, 3, 2}, 9);
    /* SYMMETRIC by (4, 1): 4 3 2 1 | 1 2 3 4 | 4 */
    run_1d(1, 4, 1, (float[]){4, 3, 2, 1, 1, 2, 3, 4, 4}, 9);
    run_1d(0, 0, 0, (float[]){1, 2, 3, 4}, 4);
}

static void test_mirror_pad_2d_by_hand(void **state) {
    /* [[1 2 3] [4 5 6]] REFLECT by ((1,1),(2,0)) */
    static const float x[6] = {1, 2, 3, 4, 5, 6};
    static const float want[4 * 5] = {6, 5, 4, 5, 6, 3, 2, 1, 2, 3, 6, 5, 4, 5, 6, 3, 2, 1, 2, 3};
    static const int64_t pads[4] = {1, 1, 2, 0};
    struct opr_t in[2] = {opr_f32(2, (int32_t[]){2, 3}, x),
                          opr_tensor(TB_I64, 2, (int32_t[]){2, 2}, pads, 1)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){4, 5}, NULL)};
    OPR_OK(ECL_OP_MIRROR_PAD, 0, NULL, 0, in, 2, out, 1, 0);
    assert_memory_equal(out[0].result, want, sizeof want);
    opr_free(out, 1);
}

static int mirror(int o, int before, int n, int sym) {
    int i = o - before; /* reflect about the edge (sym: the edge repeated) */
    while (i < 0 || i >= n)
        i = i < 0 ? (sym ? -1 - i : -i) : (sym ? 2 * n - 1 - i : 2 * n - 2 - i);
    return i;
}

static void test_mirror_pad_5d_int8(void **state) {
    int32_t d[5] = {2, 1, 3, 2, 3}, od[5];
    /* REFLECT pads stay below n, SYMMETRIC ones reach n */
    static const int32_t all_pads[2][10] = {{1, 1, 0, 0, 2, 1, 0, 1, 2, 0},
                                            {1, 1, 0, 1, 2, 1, 0, 2, 3, 0}};
    static int8_t x[2 * 1 * 3 * 2 * 3], want[4 * 2 * 6 * 4 * 6];
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = (int8_t)(i * 11 - 60);
    for (int sym = 0; sym < 2; sym++) {
        const int32_t *pads = all_pads[sym];
        for (int k = 0; k < 5; k++)
            od[k] = d[k] + pads[2 * k] + pads[2 * k + 1];
        size_t w = 0;
        int i[5];
        for (i[0] = 0; i[0] < od[0]; i[0]++)
            for (i[1] = 0; i[1] < od[1]; i[1]++)
                for (i[2] = 0; i[2] < od[2]; i[2]++)
                    for (i[3] = 0; i[3] < od[3]; i[3]++)
                        for (i[4] = 0; i[4] < od[4]; i[4]++) {
                            size_t s = 0;
                            for (int k = 0; k < 5; k++)
                                s = s * (size_t)d[k] + (size_t)mirror(i[k], pads[2 * k], d[k], sym);
                            want[w++] = x[s];
                        }
        struct opr_t in[2] = {opr_q(TB_I8, 5, d, x, 0.1f, -7),
                              opr_tensor(TB_I32, 2, (int32_t[]){5, 2}, pads, 1)};
        struct opr_t out[1] = {opr_q(TB_I8, 5, od, NULL, 0.1f, -7)};
        struct tb_opt o[1] = {{0, 1, sym}};
        OPR_OK(ECL_OP_MIRROR_PAD, ECL_BO_MirrorPadOptions, o, 1, in, 2, out, 1, 0);
        assert_int_equal(opr_count(&out[0]), w);
        assert_memory_equal(out[0].result, want, w);
        opr_free(out, 1);
    }
}

static void test_mirror_pad_refusals(void **state) {
    static const float x[4] = {1, 2, 3, 4};
    struct opr_t in[2] = {opr_f32(1, (int32_t[]){4}, x),
                          opr_tensor(TB_I32, 2, (int32_t[]){1, 2}, (int32_t[]){4, 0}, 1)};
    struct opr_t out[1] = {opr_f32(1, (int32_t[]){8}, NULL)};
    OPR_FAILS(ECL_EFORMAT, "MIRROR_PAD at operator 0: a REFLECT padding must be below",
              ECL_OP_MIRROR_PAD, 0, NULL, 0, in, 2, out, 1, 0);
    struct tb_opt sym[1] = {{0, 1, 1}};
    in[1].data = (int32_t[]){5, 0};
    out[0].dims[0] = 9;
    OPR_FAILS(ECL_EFORMAT, "a SYMMETRIC padding exceeds", ECL_OP_MIRROR_PAD,
              ECL_BO_MirrorPadOptions, sym, 1, in, 2, out, 1, 0);
    in[1].data = (int32_t[]){1, 1};
    OPR_FAILS(ECL_EFORMAT, "MIRROR_PAD at operator 0: output shape in the file does not match",
              ECL_OP_MIRROR_PAD, 0, NULL, 0, in, 2, out, 1, 0);
    out[0].dims[0] = 6;
    in[1].is_const = 0;
    OPR_FAILS(ECL_EUNSUPPORTED, "paddings must be a constant", ECL_OP_MIRROR_PAD, 0, NULL, 0, in, 2,
              out, 1, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mirror_pad_1d_by_hand),
        cmocka_unit_test(test_mirror_pad_2d_by_hand),
        cmocka_unit_test(test_mirror_pad_5d_int8),
        cmocka_unit_test(test_mirror_pad_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
