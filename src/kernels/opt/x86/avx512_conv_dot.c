/* AVX-512F float32 CONV_2D, dot-product path (see avx512_conv.c): 7x7-map layers that were not
 * prepacked, large weights, other KxK convs via im2col. 4 pixels x 4 channels = 16 zmm
 * accumulators along k, reduced once per tile by a shuffle tree into one zmm of 16 outputs
 * (lane group r = pixel r, lane j = channel j); weights larger than 256 KiB are walked in
 * chunks of output channels that stay in L2. */
#include "kernels/opt/x86/avx512_conv.h"

/* Sum each of the 16 accumulators c[r*4+j] and return them as one vector, lane 4r+j. */
static inline __m512 reduce16(const __m512 c[16]) {
    __m512 v[4];
    for (int r = 0; r < 4; r++) {
        const __m512 *q = c + 4 * r;
        __m512 u01 = _mm512_add_ps(_mm512_unpacklo_ps(q[0], q[1]), _mm512_unpackhi_ps(q[0], q[1]));
        __m512 u23 = _mm512_add_ps(_mm512_unpacklo_ps(q[2], q[3]), _mm512_unpackhi_ps(q[2], q[3]));
        __m512d a = _mm512_castps_pd(u01), b = _mm512_castps_pd(u23);
        v[r] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                             _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    __m512 x = _mm512_add_ps(_mm512_shuffle_f32x4(v[0], v[1], 0x88),
                             _mm512_shuffle_f32x4(v[0], v[1], 0xDD));
    __m512 y = _mm512_add_ps(_mm512_shuffle_f32x4(v[2], v[3], 0x88),
                             _mm512_shuffle_f32x4(v[2], v[3], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x88), _mm512_shuffle_f32x4(x, y, 0xDD));
}

/* out row r (< mr), channels [0, nr) = act(bias + dot(a + r*lda, w + j*K)). Rows/channels
 * past mr/nr are computed from repeated (readable) rows and not stored. */
static inline void ukr_dot(int K, const float *a, size_t lda, const float *w0, const float *w1,
                           const float *w2, const float *w3, const float *bias, float *out,
                           size_t ldo, int mr, int nr, __m512 lo, __m512 hi, int rows_ok) {
    const float *a0 = a, *a1 = rows_ok > 1 ? a + lda : a, *a2 = rows_ok > 2 ? a + 2 * lda : a;
    const float *a3 = rows_ok > 3 ? a + 3 * lda : a;
    __m512 c[16];
    for (int i = 0; i < 16; i++)
        c[i] = _mm512_setzero_ps();
    int k = 0;
#define DOT_STEP(LOAD)                                                                             \
    {                                                                                              \
        __m512 x0 = LOAD(a0 + k), x1 = LOAD(a1 + k), x2 = LOAD(a2 + k), x3 = LOAD(a3 + k);         \
        __m512 v = LOAD(w0 + k);                                                                   \
        c[0] = _mm512_fmadd_ps(x0, v, c[0]), c[4] = _mm512_fmadd_ps(x1, v, c[4]);                  \
        c[8] = _mm512_fmadd_ps(x2, v, c[8]), c[12] = _mm512_fmadd_ps(x3, v, c[12]);                \
        v = LOAD(w1 + k);                                                                          \
        c[1] = _mm512_fmadd_ps(x0, v, c[1]), c[5] = _mm512_fmadd_ps(x1, v, c[5]);                  \
        c[9] = _mm512_fmadd_ps(x2, v, c[9]), c[13] = _mm512_fmadd_ps(x3, v, c[13]);                \
        v = LOAD(w2 + k);                                                                          \
        c[2] = _mm512_fmadd_ps(x0, v, c[2]), c[6] = _mm512_fmadd_ps(x1, v, c[6]);                  \
        c[10] = _mm512_fmadd_ps(x2, v, c[10]), c[14] = _mm512_fmadd_ps(x3, v, c[14]);              \
        v = LOAD(w3 + k);                                                                          \
        c[3] = _mm512_fmadd_ps(x0, v, c[3]), c[7] = _mm512_fmadd_ps(x1, v, c[7]);                  \
        c[11] = _mm512_fmadd_ps(x2, v, c[11]), c[15] = _mm512_fmadd_ps(x3, v, c[15]);              \
    }
    for (; k + 16 <= K; k += 16)
        DOT_STEP(_mm512_loadu_ps)
    if (k < K) {
        __mmask16 m = kmask(K - k);
#define MLOAD(p) _mm512_maskz_loadu_ps(m, (p))
        DOT_STEP(MLOAD)
#undef MLOAD
    }
#undef DOT_STEP
    __m512 s = reduce16(c);
    __m512 b;
    if (nr == DNR)
        b = bias ? _mm512_broadcast_f32x4(_mm_loadu_ps(bias)) : _mm512_setzero_ps();
    else
        b = bias ? _mm512_broadcast_f32x4(_mm_maskz_loadu_ps((__mmask8)((1u << nr) - 1), bias))
                 : _mm512_setzero_ps();
    s = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(s, b), lo), hi);
    __mmask8 om = (__mmask8)((1u << nr) - 1);
    _mm_mask_storeu_ps(out, om, _mm512_castps512_ps128(s));
    if (mr > 1) _mm_mask_storeu_ps(out + ldo, om, _mm512_extractf32x4_ps(s, 1));
    if (mr > 2) _mm_mask_storeu_ps(out + 2 * ldo, om, _mm512_extractf32x4_ps(s, 2));
    if (mr > 3) _mm_mask_storeu_ps(out + 3 * ldo, om, _mm512_extractf32x4_ps(s, 3));
}

static void conv_dot_range(const struct conv_job *j, int begin, int end, int c_lo, int c_hi) {
    const struct ecl_conv_params *p = j->p;
    const int cout = j->os.c, K = j->K;
    const __m512 lo = _mm512_set1_ps(p->act_min), hi = _mm512_set1_ps(p->act_max);
    float col[DMR * IM2COL_MAX_K] __attribute__((aligned(64)));
    /* Large weights (e.g. 320->1280): walk them in chunks of output channels that stay in L2,
     * re-reading the smaller activation rows instead. */
    int ocs = cout;
    if (j->direct && (size_t)cout * K * sizeof(float) > (256u << 10)) {
        ocs = (int)((192u << 10) / ((size_t)K * sizeof(float))) & ~(DNR - 1);
        if (ocs < DNR) ocs = DNR;
    }
    for (int oc0 = c_lo; oc0 < c_hi; oc0 += ocs) {
        int oc1 = c_hi - oc0 < ocs ? c_hi : oc0 + ocs;
        for (int t = begin; t < end; t++) {
            int q0 = t * DMR, mr = j->npix - q0 < DMR ? j->npix - q0 : DMR;
            size_t lda;
            const float *a;
            int rows_ok;
            if (j->direct && p->stride_h == 1 && p->stride_w == 1) {
                a = j->in + (size_t)q0 * K, lda = (size_t)K, rows_ok = mr;
            } else {
                a = tile_rows(j, q0, mr, DMR, col, &lda);
                rows_ok = DMR;
            }
            float *o = j->out + (size_t)q0 * cout;
            for (int oc = oc0; oc < oc1; oc += DNR) {
                int nr = cout - oc < DNR ? cout - oc : DNR;
                const float *w0 = j->w + (size_t)oc * K;
                const float *w1 = nr > 1 ? w0 + K : w0, *w2 = nr > 2 ? w0 + 2 * K : w0;
                const float *w3 = nr > 3 ? w0 + 3 * K : w0;
                ukr_dot(K, a, lda, w0, w1, w2, w3, j->bias ? j->bias + oc : NULL, o + oc,
                        (size_t)cout, mr, nr, lo, hi, rows_ok);
            }
        }
    }
}

static void conv_dot(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    if (j->sp.slices == 1) { /* items are tiles: keep the L2 blocking over them */
        conv_dot_range(j, begin, end, 0, j->os.c);
        return;
    }
    for (int it = begin; it < end; it++) {
        int t, c0, c1;
        ecl_split_item(&j->sp, it, &t, &c0, &c1);
        conv_dot_range(j, t, t + 1, c0, c1);
    }
}

void ecl_avx512_conv_dot(const struct ecl_kctx *kc, struct conv_job *j) {
    j->sp = ecl_split_plan(kc, (j->npix + DMR - 1) / DMR, j->os.c, 16);
    ecl_kctx_run(kc, ecl_split_items(&j->sp), conv_dot, j);
}
