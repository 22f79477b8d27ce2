/* SLICE and STRIDED_SLICE (src/tflite/ops/slice.c): small cases derived by hand (numpy-style
 * slicing written out), a 6-D case against a plain loop, every mask, and the refusals. */
#include "op_test.h"
#include "edgecl/model.h"

static const float R8[8] = {0, 1, 2, 3, 4, 5, 6, 7};
static const float M34[12] = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}; /* [3, 4] */

/* STRIDED_SLICE options: begin, end, ellipsis, new_axis, shrink masks, offset. */
static int ss_opts(struct tb_opt *o, int bm, int em, int ell, int nax, int shr, int off) {
    int v[6] = {bm, em, ell, nax, shr, off}, n = 0;
    for (int k = 0; k < 6; k++)
        if (v[k]) o[n++] = (struct tb_opt){k, k == 5 ? 1 : 4, v[k]};
    return n;
}

/* Runs a float STRIDED_SLICE of x (nd, dims) with spec of n entries; out shape od. */
static void run_ss(int nd, const int32_t *dims, const float *x, int n, const int32_t *b,
                   const int32_t *e, const int32_t *s, const int *masks, int ond, const int32_t *od,
                   const float *want) {
    struct tb_opt o[6];
    int no = ss_opts(o, masks[0], masks[1], masks[2], masks[3], masks[4], masks[5]);
    struct opr_t in[4] = {opr_f32(nd, dims, x), opr_tensor(TB_I32, 1, (int32_t[]){n}, b, 1),
                          opr_tensor(TB_I32, 1, (int32_t[]){n}, e, 1),
                          opr_tensor(TB_I32, 1, (int32_t[]){n}, s, 1)};
    struct opr_t out[1] = {opr_f32(ond, od, NULL)};
    OPR_OK(ECL_OP_STRIDED_SLICE, ECL_BO_StridedSliceOptions, o, no, in, 4, out, 1, 0);
    assert_memory_equal(out[0].result, want, opr_count(&out[0]) * sizeof(float));
    opr_free(out, 1);
}

static void test_slice_by_hand(void **state) {
    /* M34[1:3, 1:] = [[11,12,13],[21,22,23]]; size -1 runs to the end */
    static const float want[6] = {11, 12, 13, 21, 22, 23};
    struct opr_t in[3] = {opr_f32(2, (int32_t[]){3, 4}, M34),
                          opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){1, 1}, 1),
                          opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){2, -1}, 1)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 3}, NULL)};
    OPR_OK(ECL_OP_SLICE, ECL_BO_SliceOptions, NULL, 0, in, 3, out, 1, 0);
    assert_memory_equal(out[0].result, want, sizeof want);
    opr_free(out, 1);
    /* int64 data with int64 begin/size: x[2:5] of 0..7 */
    static const int64_t x64[8] = {0, -1, 2, -3, 4, -5, 6, -7}, w64[3] = {2, -3, 4};
    struct opr_t i2[3] = {opr_tensor(TB_I64, 1, (int32_t[]){8}, x64, 0),
                          opr_tensor(TB_I64, 1, (int32_t[]){1}, (int64_t[]){2}, 1),
                          opr_tensor(TB_I64, 1, (int32_t[]){1}, (int64_t[]){3}, 1)};
    struct opr_t o2[1] = {opr_tensor(TB_I64, 1, (int32_t[]){3}, NULL, 0)};
    OPR_OK(ECL_OP_SLICE, 0, NULL, 0, i2, 3, o2, 1, 0);
    assert_memory_equal(o2[0].result, w64, sizeof w64);
    opr_free(o2, 1);
}

static void test_slice_refusals(void **state) {
    struct opr_t in[3] = {opr_f32(2, (int32_t[]){3, 4}, M34),
                          opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){1, 1}, 1),
                          opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){2, -1}, 1)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 2}, NULL)};
    OPR_FAILS(ECL_EFORMAT, "SLICE at operator 0: output shape in the file does not match",
              ECL_OP_SLICE, 0, NULL, 0, in, 3, out, 1, 0);
    in[2].data = (int32_t[]){3, 1};
    OPR_FAILS(ECL_EFORMAT, "begin or size outside the input", ECL_OP_SLICE, 0, NULL, 0, in, 3, out,
              1, 0);
    in[2].data = (int32_t[]){2};
    in[2].dims[0] = 1;
    OPR_FAILS(ECL_EFORMAT, "SLICE at operator 0: size must have 2 values", ECL_OP_SLICE, 0, NULL, 0,
              in, 3, out, 1, 0);
}

static void test_strided_slice_1d(void **state) {
    int none[6] = {0}, be[6] = {1, 1, 0, 0, 0, 0}, e_only[6] = {0, 1, 0, 0, 0, 0};
    /* x[::-1] */
    run_ss(1, (int32_t[]){8}, R8, 1, (int32_t[]){0}, (int32_t[]){0}, (int32_t[]){-1}, be, 1,
           (int32_t[]){8}, (float[]){7, 6, 5, 4, 3, 2, 1, 0});
    /* x[6:1:-2] */
    run_ss(1, (int32_t[]){8}, R8, 1, (int32_t[]){6}, (int32_t[]){1}, (int32_t[]){-2}, none, 1,
           (int32_t[]){3}, (float[]){6, 4, 2});
    /* x[-3:] */
    run_ss(1, (int32_t[]){8}, R8, 1, (int32_t[]){-3}, (int32_t[]){0}, (int32_t[]){1}, e_only, 1,
           (int32_t[]){3}, (float[]){5, 6, 7});
    /* x[1:-1:3]: 1, 4 (7 excluded) */
    run_ss(1, (int32_t[]){8}, R8, 1, (int32_t[]){1}, (int32_t[]){-1}, (int32_t[]){3}, none, 1,
           (int32_t[]){2}, (float[]){1, 4});
    /* out-of-range indices clamp: x[-100:100:3] = 0, 3, 6; x[100:-100:-3] = 7, 4, 1 */
    run_ss(1, (int32_t[]){8}, R8, 1, (int32_t[]){-100}, (int32_t[]){100}, (int32_t[]){3}, none, 1,
           (int32_t[]){3}, (float[]){0, 3, 6});
    run_ss(1, (int32_t[]){8}, R8, 1, (int32_t[]){100}, (int32_t[]){-100}, (int32_t[]){-3}, none, 1,
           (int32_t[]){3}, (float[]){7, 4, 1});
    /* empty: x[5:2] */
    run_ss(1, (int32_t[]){8}, R8, 1, (int32_t[]){5}, (int32_t[]){2}, (int32_t[]){1}, none, 1,
           (int32_t[]){0}, (float[]){0});
    /* offset: end is a size, x[2 : 2+3] */
    int off[6] = {0, 0, 0, 0, 0, 1};
    run_ss(1, (int32_t[]){8}, R8, 1, (int32_t[]){2}, (int32_t[]){3}, (int32_t[]){1}, off, 1,
           (int32_t[]){3}, (float[]){2, 3, 4});
}

static void test_strided_slice_masks(void **state) {
    int32_t d34[2] = {3, 4};
    /* x[1] and x[-1]: shrink axis 0 (end ignored) */
    int shr0[6] = {0, 2, 0, 0, 1, 0};
    run_ss(2, d34, M34, 2, (int32_t[]){1, 0}, (int32_t[]){2, 0}, (int32_t[]){1, 1}, shr0, 1,
           (int32_t[]){4}, (float[]){10, 11, 12, 13});
    run_ss(2, d34, M34, 2, (int32_t[]){-1, 0}, (int32_t[]){0, 0}, (int32_t[]){1, 1}, shr0, 1,
           (int32_t[]){4}, (float[]){20, 21, 22, 23});
    /* x[2, 3]: both shrunk, a scalar */
    int shr_all[6] = {0, 0, 0, 0, 3, 0};
    run_ss(2, d34, M34, 2, (int32_t[]){2, 3}, (int32_t[]){3, 4}, (int32_t[]){1, 1}, shr_all, 0,
           NULL, (float[]){23});
    /* x[::-1, ::-2] = rows 2,1,0, cols 3,1 */
    int be3[6] = {3, 3, 0, 0, 0, 0};
    run_ss(2, d34, M34, 2, (int32_t[]){0, 0}, (int32_t[]){0, 0}, (int32_t[]){-1, -2}, be3, 2,
           (int32_t[]){3, 2}, (float[]){23, 21, 13, 11, 3, 1});
    /* x[..., 1] on [3,4]: column 1 */
    int ell[6] = {0, 0, 1, 0, 2, 0};
    run_ss(2, d34, M34, 2, (int32_t[]){0, 1}, (int32_t[]){0, 2}, (int32_t[]){1, 1}, ell, 1,
           (int32_t[]){3}, (float[]){1, 11, 21});
    /* x[:, None, 1:3] on [3,4]: shape [3, 1, 2] */
    int nax[6] = {1, 1, 0, 2, 0, 0};
    run_ss(2, d34, M34, 3, (int32_t[]){0, 0, 1}, (int32_t[]){0, 0, 3}, (int32_t[]){1, 1, 1}, nax, 3,
           (int32_t[]){3, 1, 2}, (float[]){1, 2, 11, 12, 21, 22});
    /* x[..., None] on [3,4]: shape [3, 4, 1], the values in order */
    int ell_new[6] = {0, 0, 1, 2, 0, 0};
    run_ss(2, d34, M34, 2, (int32_t[]){0, 0}, (int32_t[]){0, 0}, (int32_t[]){1, 1}, ell_new, 3,
           (int32_t[]){3, 4, 1}, M34);
    /* x[None, ..., 2] on [3,4]: shape [1, 3], column 2 */
    int new_ell[6] = {0, 0, 2, 1, 4, 0};
    run_ss(2, d34, M34, 3, (int32_t[]){0, 0, 2}, (int32_t[]){0, 0, 3}, (int32_t[]){1, 1, 1},
           new_ell, 2, (int32_t[]){1, 3}, (float[]){2, 12, 22});
    /* fewer spec entries than dims: x[1:] on [3,4] keeps dim 1 whole */
    int none[6] = {0};
    run_ss(2, d34, M34, 1, (int32_t[]){1}, (int32_t[]){3}, (int32_t[]){1}, none, 2,
           (int32_t[]){2, 4}, (float[]){10, 11, 12, 13, 20, 21, 22, 23});
}

/* 6-D int8 with odd sizes and mixed strides against a plain loop. */
static void test_strided_slice_6d_int8(void **state) {
    int32_t d[6] = {2, 3, 4, 3, 5, 2}, b[6] = {1, 0, 3, 2, 4, -1}, e[6] = {2, 3, 0, -4, 0, -3},
            s[6] = {1, 2, -2, -1, -3, -1}, od[6] = {1, 2, 2, 3, 2, 2};
    static int8_t x[2 * 3 * 4 * 3 * 5 * 2], want[1 * 2 * 2 * 3 * 2 * 2];
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = (int8_t)(i * 7 + 3);
    /* numpy: x[1:2, 0:3:2, 3:0:-2, 2::-1 (end -4 -> clamps to -1), 4:0:-3, -1:-3:-1] */
    int end_mask = 1 << 3; /* dim 3 runs to the start */
    size_t w = 0;
    for (int i0 = 1; i0 < 2; i0++)
        for (int i1 = 0; i1 < 3; i1 += 2)
            for (int i2 = 3; i2 > 0; i2 -= 2)
                for (int i3 = 2; i3 >= 0; i3--)
                    for (int i4 = 4; i4 > 0; i4 -= 3)
                        for (int i5 = 1; i5 > -1; i5--)
                            want[w++] = x[((((i0 * 3 + i1) * 4 + i2) * 3 + i3) * 5 + i4) * 2 + i5];
    assert_int_equal(w, sizeof want);
    struct tb_opt o[1] = {{1, 4, end_mask}};
    struct opr_t in[4] = {
        opr_q(TB_I8, 6, d, x, 0.25f, 1), opr_tensor(TB_I32, 1, (int32_t[]){6}, b, 1),
        opr_tensor(TB_I32, 1, (int32_t[]){6}, e, 1), opr_tensor(TB_I32, 1, (int32_t[]){6}, s, 1)};
    struct opr_t out[1] = {opr_q(TB_I8, 6, od, NULL, 0.25f, 1)};
    OPR_OK(ECL_OP_STRIDED_SLICE, ECL_BO_StridedSliceOptions, o, 1, in, 4, out, 1, 0);
    assert_memory_equal(out[0].result, want, sizeof want);
    opr_free(out, 1);
}

static void test_strided_slice_refusals(void **state) {
    struct opr_t in[4] = {opr_f32(1, (int32_t[]){8}, R8),
                          opr_tensor(TB_I32, 1, (int32_t[]){1}, (int32_t[]){1}, 1),
                          opr_tensor(TB_I32, 1, (int32_t[]){1}, (int32_t[]){5}, 1),
                          opr_tensor(TB_I32, 1, (int32_t[]){1}, (int32_t[]){2}, 1)};
    struct opr_t out[1] = {opr_f32(1, (int32_t[]){3}, NULL)};
    OPR_FAILS(ECL_EFORMAT,
              "STRIDED_SLICE at operator 0: output shape in the file does not match: expected [2]",
              ECL_OP_STRIDED_SLICE, 0, NULL, 0, in, 4, out, 1, 0);
    in[3].data = (int32_t[]){0};
    OPR_FAILS(ECL_EFORMAT, "stride 0", ECL_OP_STRIDED_SLICE, 0, NULL, 0, in, 4, out, 1, 0);
    /* x[8] on a dim of 8: TFLite would read past the end */
    struct tb_opt shr[1] = {{4, 4, 1}};
    in[1].data = (int32_t[]){8};
    in[3].data = (int32_t[]){1};
    out[0] = opr_f32(0, NULL, NULL);
    OPR_FAILS(ECL_EFORMAT, "shrink_axis index out of range", ECL_OP_STRIDED_SLICE,
              ECL_BO_StridedSliceOptions, shr, 1, in, 4, out, 1, 0);
    /* two spec entries for a 1-D input */
    struct opr_t two[4] = {in[0], opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){0, 0}, 1),
                           opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){1, 1}, 1),
                           opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){1, 1}, 1)};
    out[0] = opr_f32(2, (int32_t[]){1, 1}, NULL);
    OPR_FAILS(ECL_EUNSUPPORTED, "the spec does not fit the input", ECL_OP_STRIDED_SLICE, 0, NULL, 0,
              two, 4, out, 1, 0);
    in[2].is_const = 0;
    OPR_FAILS(ECL_EUNSUPPORTED, "end must be a constant", ECL_OP_STRIDED_SLICE, 0, NULL, 0, in, 4,
              out, 1, 0);
}

/* Python's slice.indices() rule for one dim: start and length (the semantics TFLite's
 * StridedSlice follows), written as Python documents it. */
static int py_slice(int b, int e, int s, int n, int bm, int em, int *start) {
    int lower = s > 0 ? 0 : -1, upper = s > 0 ? n : n - 1;
    int st, sp;
    if (bm) {
        st = s > 0 ? lower : upper;
    } else {
        st = b < 0 ? b + n : b;
        st = st < lower ? lower : (st > upper ? upper : st);
    }
    if (em) {
        sp = s > 0 ? upper : lower;
    } else {
        sp = e < 0 ? e + n : e;
        sp = sp < lower ? lower : (sp > upper ? upper : sp);
    }
    *start = st;
    int len = s > 0 ? (sp - st + s - 1) / s : (st - sp - s - 1) / -s;
    return len > 0 && (s > 0 ? sp > st : st > sp) ? len : 0;
}

/* 400 random slices of random int32 tensors up to 4-D (masks, negative and out-of-range
 * indices, negative strides, shrinks) against py_slice and a plain index walk. */
static void test_strided_slice_random(void **state) {
    static int32_t x[5 * 5 * 5 * 5], want[5 * 5 * 5 * 5];
    for (int i = 0; i < 625; i++)
        x[i] = i * 3 - 7;
    uint32_t r = 12345;
#define RND(n) ((int)((r = r * 1103515245u + 12345u) >> 16) % (n))
    for (int t = 0; t < 400; t++) {
        int nd = 1 + RND(4), bm = RND(16), em = RND(16), shr = RND(3) ? 0 : RND(16);
        int32_t d[4], b[4], e[4], s[4], od[4], st[4], len[4], ond = 0, bad = 0;
        for (int k = 0; k < nd; k++) {
            d[k] = 1 + RND(5);
            b[k] = RND(15) - 7;
            e[k] = RND(15) - 7;
            s[k] = RND(2) ? 1 + RND(3) : -1 - RND(3);
            if (shr >> k & 1) {
                int v = b[k] < 0 ? b[k] + d[k] : b[k];
                if (bm >> k & 1) v = s[k] > 0 ? 0 : d[k] - 1;
                bad |= v < 0 || v >= d[k];
                st[k] = v;
                len[k] = 1;
            } else {
                len[k] = py_slice(b[k], e[k], s[k], d[k], bm >> k & 1, em >> k & 1, &st[k]);
                od[ond++] = len[k];
            }
        }
        shr &= (1 << nd) - 1;
        struct tb_opt o[3] = {
            {0, 4, bm & ((1 << nd) - 1)}, {1, 4, em & ((1 << nd) - 1)}, {4, 4, shr}};
        struct opr_t in[4] = {opr_tensor(TB_I32, nd, d, x, 0),
                              opr_tensor(TB_I32, 1, (int32_t[]){nd}, b, 1),
                              opr_tensor(TB_I32, 1, (int32_t[]){nd}, e, 1),
                              opr_tensor(TB_I32, 1, (int32_t[]){nd}, s, 1)};
        struct opr_t out[1] = {opr_tensor(TB_I32, ond, od, NULL, 0)};
        if (bad) {
            OPR_FAILS(ECL_EFORMAT, "shrink_axis index out of range", ECL_OP_STRIDED_SLICE,
                      ECL_BO_StridedSliceOptions, o, 3, in, 4, out, 1, 0);
            continue;
        }
        OPR_OK(ECL_OP_STRIDED_SLICE, ECL_BO_StridedSliceOptions, o, 3, in, 4, out, 1, 0);
        size_t n = 0;
        int32_t idx[4] = {0};
        int total = 1;
        for (int k = 0; k < nd; k++)
            total *= len[k];
        for (int c = 0; c < total; c++) {
            size_t src = 0;
            for (int k = 0; k < nd; k++)
                src = src * (size_t)d[k] + (size_t)(st[k] + idx[k] * s[k]);
            want[n++] = x[src];
            for (int k = nd - 1; k >= 0 && ++idx[k] == len[k]; k--)
                idx[k] = 0;
        }
        if (n && memcmp(out[0].result, want, n * sizeof(int32_t)))
            fail_msg("case %d differs: nd %d d %d %d %d %d b %d %d %d %d e %d %d %d %d s %d %d %d "
                     "%d bm %d em %d shr %d",
                     t, nd, d[0], d[1], d[2], d[3], b[0], b[1], b[2], b[3], e[0], e[1], e[2], e[3],
                     s[0], s[1], s[2], s[3], bm, em, shr);
        opr_free(out, 1);
    }
#undef RND
}

/* begin computed from constants (a CONCATENATION of two constants, folded at init): the
 * sizing pass has no values yet, the real pass reads them. */
static void test_slice_begin_from_a_folded_op(void **state) {
    static const int32_t b0[1] = {1}, b1[1] = {2}, size[2] = {2, 2};
    static const float want[4] = {12, 13, 22, 23};
    struct tb b;
    tb_init(&b);
    int x = tb_tensor(&b, "x", TB_F32, 2, (int32_t[]){3, 4}, NULL, 0);
    int c0 = tb_tensor(&b, "b0", TB_I32, 1, (int32_t[]){1}, b0, sizeof b0);
    int c1 = tb_tensor(&b, "b1", TB_I32, 1, (int32_t[]){1}, b1, sizeof b1);
    int beg = tb_tensor(&b, "begin", TB_I32, 1, (int32_t[]){2}, NULL, 0);
    int sz = tb_tensor(&b, "size", TB_I32, 1, (int32_t[]){2}, size, sizeof size);
    int y = tb_tensor(&b, "y", TB_F32, 2, (int32_t[]){2, 2}, NULL, 0);
    tb_op(&b, ECL_OP_CONCATENATION, 2, (int[]){c0, c1}, beg, ECL_BO_ConcatenationOptions, NULL, 0);
    tb_op(&b, ECL_OP_SLICE, 3, (int[]){x, beg, sz}, y, 0, NULL, 0);
    tb_io(&b, x, y);
    size_t len;
    uint8_t *file = tb_finish(&b, &len);
    tb_free(&b);
    struct ecl_model m;
    char err[200];
    assert_int_equal(ecl_model_parse(file, len, &m, err, sizeof err), ECL_OK);
    struct ecl_interp_opts o = ecl_interp_default_opts();
    size_t need;
    if (ecl_interp_mem_size(&m, -1, &o, &need, err, sizeof err)) fail_msg("%s", err);
    void *arena = malloc(need);
    struct ecl_interp *it;
    if (ecl_interp_init(&m, -1, &o, arena, need, &it, err, sizeof err)) fail_msg("%s", err);
    float got[4];
    assert_int_equal(ecl_interp_set_input(it, 0, M34, sizeof M34), ECL_OK);
    assert_int_equal(ecl_interp_invoke(it), ECL_OK);
    assert_int_equal(ecl_interp_get_output(it, 0, got, sizeof got), ECL_OK);
    assert_memory_equal(got, want, sizeof want);
    struct ecl_interp_stats st;
    ecl_interp_get_stats(it, &st);
    assert_int_equal(st.n_ops_run, 1); /* the CONCATENATION ran once at init */
    free(arena);
    free(file);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice_by_hand),
        cmocka_unit_test(test_slice_refusals),
        cmocka_unit_test(test_strided_slice_1d),
        cmocka_unit_test(test_strided_slice_masks),
        cmocka_unit_test(test_strided_slice_6d_int8),
        cmocka_unit_test(test_strided_slice_refusals),
        cmocka_unit_test(test_slice_begin_from_a_folded_op),
        cmocka_unit_test(test_strided_slice_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
