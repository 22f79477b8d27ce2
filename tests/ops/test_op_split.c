/* SPLIT, SPLIT_V, UNPACK, PACK (src/tflite/ops/split.c): pieces checked element by element
 * against index arithmetic on the whole tensor, negative axes, int8/int64/bool, refusals. */
#include "op_test.h"
#include "edgecl/model.h"

static int32_t X24[24]; /* [2, 3, 4]: value = 100 * i + 10 * j + k */

static void fill(void) {
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                X24[(i * 3 + j) * 4 + k] = 100 * i + 10 * j + k;
}

/* Piece o of out (dims od) along axis starts at offset `at` of the whole [2,3,4] tensor. */
static void check_piece(const int32_t *got, const int32_t *od, int axis, int at, int dropped) {
    int32_t n[3];
    for (int k = 0, j = 0; k < 3; k++) /* UNPACK: the axis is gone from od */
        n[k] = dropped && k == axis ? 1 : od[j++];
    size_t w = 0;
    for (int i = 0; i < n[0]; i++)
        for (int j = 0; j < n[1]; j++)
            for (int k = 0; k < n[2]; k++) {
                int ii[3] = {i, j, k};
                ii[axis] += at;
                int32_t want = 100 * ii[0] + 10 * ii[1] + ii[2];
                if (got[w] != want) fail_msg("element %zu: got %d want %d", w, got[w], want);
                w++;
            }
}

static void test_split_axis_input_negative(void **state) {
    fill();
    /* SPLIT: axis is input 0; axis -1 of [2,3,4] in 2 pieces of [2,3,2] */
    struct opr_t in[2] = {opr_tensor(TB_I32, 0, NULL, (int32_t[]){-1}, 1),
                          opr_tensor(TB_I32, 3, (int32_t[]){2, 3, 4}, X24, 0)};
    int32_t od[3] = {2, 3, 2};
    struct opr_t out[2] = {opr_tensor(TB_I32, 3, od, NULL, 0), opr_tensor(TB_I32, 3, od, NULL, 0)};
    struct tb_opt o[1] = {{0, 4, 2}};
    OPR_OK(ECL_OP_SPLIT, ECL_BO_SplitOptions, o, 1, in, 2, out, 2, 0);
    check_piece(out[0].result, od, 2, 0, 0);
    check_piece(out[1].result, od, 2, 2, 0);
    opr_free(out, 2);
    /* axis 1 in 3 pieces */
    in[0].data = (int32_t[]){1};
    int32_t o3[3] = {2, 1, 4};
    struct opr_t out3[3] = {opr_tensor(TB_I32, 3, o3, NULL, 0), opr_tensor(TB_I32, 3, o3, NULL, 0),
                            opr_tensor(TB_I32, 3, o3, NULL, 0)};
    o[0].v = 3;
    OPR_OK(ECL_OP_SPLIT, ECL_BO_SplitOptions, o, 1, in, 2, out3, 3, 0);
    for (int j = 0; j < 3; j++)
        check_piece(out3[j].result, o3, 1, j, 0);
    opr_free(out3, 3);
    /* refusals: uneven split, wrong piece shape */
    o[0].v = 2;
    struct opr_t bad[2] = {opr_tensor(TB_I32, 3, o3, NULL, 0), opr_tensor(TB_I32, 3, o3, NULL, 0)};
    OPR_FAILS(ECL_EFORMAT, "SPLIT at operator 0: the axis does not divide evenly", ECL_OP_SPLIT,
              ECL_BO_SplitOptions, o, 1, in, 2, bad, 2, 0);
    in[0].data = (int32_t[]){2};
    OPR_FAILS(ECL_EFORMAT, "SPLIT at operator 0: output shape in the file does not match",
              ECL_OP_SPLIT, ECL_BO_SplitOptions, o, 1, in, 2, bad, 2, 0);
}

static void test_split_v_rest(void **state) {
    fill();
    /* sizes {1, -1, 1} along axis 2 of [2,3,4]: the -1 is 2 */
    struct opr_t in[3] = {opr_tensor(TB_I32, 3, (int32_t[]){2, 3, 4}, X24, 0),
                          opr_tensor(TB_I32, 1, (int32_t[]){3}, (int32_t[]){1, -1, 1}, 1),
                          opr_tensor(TB_I32, 1, (int32_t[]){1}, (int32_t[]){-1}, 1)};
    int32_t a[3] = {2, 3, 1}, b[3] = {2, 3, 2};
    struct opr_t out[3] = {opr_tensor(TB_I32, 3, a, NULL, 0), opr_tensor(TB_I32, 3, b, NULL, 0),
                           opr_tensor(TB_I32, 3, a, NULL, 0)};
    struct tb_opt o[1] = {{0, 4, 3}};
    OPR_OK(ECL_OP_SPLIT_V, ECL_BO_SplitVOptions, o, 1, in, 3, out, 3, 0);
    check_piece(out[0].result, a, 2, 0, 0);
    check_piece(out[1].result, b, 2, 1, 0);
    check_piece(out[2].result, a, 2, 3, 0);
    opr_free(out, 3);
    in[1].data = (int32_t[]){1, 2, 2};
    OPR_FAILS(ECL_EFORMAT, "SPLIT_V at operator 0: size_splits do not add up", ECL_OP_SPLIT_V,
              ECL_BO_SplitVOptions, o, 1, in, 3, out, 3, 0);
    in[1].data = (int32_t[]){2, 1, 1};
    OPR_FAILS(ECL_EFORMAT, "SPLIT_V at operator 0: output shape in the file does not match",
              ECL_OP_SPLIT_V, ECL_BO_SplitVOptions, o, 1, in, 3, out, 3, 0);
}

static void test_unpack_and_pack(void **state) {
    fill();
    /* UNPACK axis -2 of [2,3,4]: 3 outputs of [2,4] */
    struct opr_t in[1] = {opr_tensor(TB_I32, 3, (int32_t[]){2, 3, 4}, X24, 0)};
    int32_t od[2] = {2, 4};
    struct opr_t out[3] = {opr_tensor(TB_I32, 2, od, NULL, 0), opr_tensor(TB_I32, 2, od, NULL, 0),
                           opr_tensor(TB_I32, 2, od, NULL, 0)};
    struct tb_opt o[2] = {{0, 4, 3}, {1, 4, -2}};
    OPR_OK(ECL_OP_UNPACK, ECL_BO_UnpackOptions, o, 2, in, 1, out, 3, 0);
    for (int j = 0; j < 3; j++)
        check_piece(out[j].result, od, 1, j, 1);
    /* PACK them back along axis 1 (and -2): the original tensor */
    for (int ax = 1; ax >= -2; ax -= 3) {
        struct opr_t pin[3] = {opr_tensor(TB_I32, 2, od, out[0].result, 0),
                               opr_tensor(TB_I32, 2, od, out[1].result, 0),
                               opr_tensor(TB_I32, 2, od, out[2].result, 0)};
        struct opr_t pout[1] = {opr_tensor(TB_I32, 3, (int32_t[]){2, 3, 4}, NULL, 0)};
        struct tb_opt po[2] = {{0, 4, 3}, {1, 4, ax}};
        OPR_OK(ECL_OP_PACK, ECL_BO_PackOptions, po, 2, pin, 3, pout, 1, 0);
        assert_memory_equal(pout[0].result, X24, sizeof X24);
        opr_free(pout, 1);
    }
    opr_free(out, 3);
    /* UNPACK refusal: num differs from the axis' size */
    o[1].v = 0;
    OPR_FAILS(ECL_EFORMAT, "UNPACK at operator 0: num differs", ECL_OP_UNPACK, ECL_BO_UnpackOptions,
              o, 2, in, 1, out, 3, 0);
    opr_free(out, 3);
    struct opr_t bad[1] = {opr_tensor(TB_I32, 2, (int32_t[]){2, 4}, NULL, 0)};
    struct tb_opt o1[2] = {{0, 4, 1}, {1, 4, 1}};
    struct opr_t in1[1] = {opr_tensor(TB_I32, 3, (int32_t[]){2, 1, 4}, X24, 0)};
    OPR_OK(ECL_OP_UNPACK, ECL_BO_UnpackOptions, o1, 2, in1, 1, bad, 1, 0);
    opr_free(bad, 1);
    bad[0] = opr_tensor(TB_I32, 2, (int32_t[]){4, 2}, NULL, 0);
    OPR_FAILS(ECL_EFORMAT, "UNPACK at operator 0: output shape in the file does not match",
              ECL_OP_UNPACK, ECL_BO_UnpackOptions, o1, 2, in1, 1, bad, 1, 0);
}

/* PACK of scalars into a vector (int64), of int8 and bool pairs along the last axis. */
static void test_pack_types(void **state) {
    static const int64_t a = -5, b = 1LL << 40, want64[2] = {-5, 1LL << 40};
    struct opr_t in[2] = {opr_tensor(TB_I64, 0, NULL, &a, 0), opr_tensor(TB_I64, 0, NULL, &b, 0)};
    struct opr_t out[1] = {opr_tensor(TB_I64, 1, (int32_t[]){2}, NULL, 0)};
    struct tb_opt o[2] = {{0, 4, 2}, {1, 4, 0}};
    OPR_OK(ECL_OP_PACK, ECL_BO_PackOptions, o, 2, in, 2, out, 1, 0);
    assert_memory_equal(out[0].result, want64, sizeof want64);
    opr_free(out, 1);
    static const uint8_t p[3] = {1, 0, 1}, q[3] = {0, 0, 1}, wantb[6] = {1, 0, 0, 0, 1, 1};
    int types[2] = {TB_BOOL, TB_I8};
    for (int t = 0; t < 2; t++) {
        struct opr_t bin[2] = {opr_tensor(types[t], 1, (int32_t[]){3}, p, 0),
                               opr_tensor(types[t], 1, (int32_t[]){3}, q, 0)};
        struct opr_t bout[1] = {opr_tensor(types[t], 2, (int32_t[]){3, 2}, NULL, 0)};
        if (types[t] == TB_I8) {
            bin[0] = opr_q(TB_I8, 1, (int32_t[]){3}, p, 0.1f, 0);
            bin[1] = opr_q(TB_I8, 1, (int32_t[]){3}, q, 0.1f, 0);
            bout[0] = opr_q(TB_I8, 2, (int32_t[]){3, 2}, NULL, 0.1f, 0);
        }
        struct tb_opt ob[2] = {{0, 4, 2}, {1, 4, -1}};
        OPR_OK(ECL_OP_PACK, ECL_BO_PackOptions, ob, 2, bin, 2, bout, 1, 0);
        assert_memory_equal(bout[0].result, wantb, sizeof wantb);
        opr_free(bout, 1);
        /* int8 inputs quantised differently from the output are refused (PACK moves values) */
        if (types[t] == TB_I8) {
            bin[1].scale[0] = 0.2f;
            OPR_FAILS(ECL_EUNSUPPORTED, "PACK at operator 0: int8 input and output quantisation",
                      ECL_OP_PACK, ECL_BO_PackOptions, ob, 2, bin, 2, bout, 1, 0);
        }
    }
    out[0] = opr_tensor(TB_I64, 1, (int32_t[]){3}, NULL, 0);
    OPR_FAILS(ECL_EFORMAT, "PACK at operator 0: output shape in the file does not match",
              ECL_OP_PACK, ECL_BO_PackOptions, o, 2, in, 2, out, 1, 0);
}

/* A SPLIT of which only the second piece is the model's output: the first still needs memory
 * (the op writes it), the requested one holds the second half. */
static void test_split_one_output_requested(void **state) {
    static const float x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, want[4] = {4, 5, 6, 7};
    static const int32_t axis[1] = {0};
    struct tb b;
    tb_init(&b);
    int ti = tb_tensor(&b, "x", TB_F32, 1, (int32_t[]){8}, NULL, 0);
    int ta = tb_tensor(&b, "axis", TB_I32, 0, (int32_t[]){0}, axis, sizeof axis);
    int t0 = tb_tensor(&b, "lo", TB_F32, 1, (int32_t[]){4}, NULL, 0);
    int t1 = tb_tensor(&b, "hi", TB_F32, 1, (int32_t[]){4}, NULL, 0);
    struct tb_opt o[1] = {{0, 4, 2}};
    tb_op_multi(&b, ECL_OP_SPLIT, 2, (int[]){ta, ti}, 2, (int[]){t0, t1}, ECL_BO_SplitOptions, o,
                1);
    tb_io(&b, ti, t1);
    size_t len;
    uint8_t *file = tb_finish(&b, &len);
    tb_free(&b);
    struct ecl_model m;
    char err[200];
    if (ecl_model_parse(file, len, &m, err, sizeof err)) fail_msg("%s", err);
    struct ecl_interp_opts opts = ecl_interp_default_opts();
    size_t need;
    if (ecl_interp_mem_size(&m, -1, &opts, &need, err, sizeof err)) fail_msg("%s", err);
    void *arena = malloc(need);
    struct ecl_interp *it;
    if (ecl_interp_init(&m, -1, &opts, arena, need, &it, err, sizeof err)) fail_msg("%s", err);
    float got[4];
    assert_int_equal(ecl_interp_set_input(it, 0, x, sizeof x), ECL_OK);
    assert_int_equal(ecl_interp_invoke(it), ECL_OK);
    assert_int_equal(ecl_interp_get_output(it, 0, got, sizeof got), ECL_OK);
    assert_memory_equal(got, want, sizeof want);
    free(arena);
    free(file);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_axis_input_negative),
        cmocka_unit_test(test_split_v_rest),
        cmocka_unit_test(test_unpack_and_pack),
        cmocka_unit_test(test_pack_types),
        cmocka_unit_test(test_split_one_output_requested),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
