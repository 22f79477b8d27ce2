/* The head's products (head_gemm.h) with AVX-512: register-blocked GEMM micro-kernels over
 * tiles of 4 rows x 64 outputs (16 zmm accumulators, 4 vector loads + 4 broadcasts per 16
 * FMAs), masked loads/stores for the output tail (no padding of the caller's layout), and the
 * optimiser step fused into the weight-gradient tile while it is still in registers.
 *
 * Why no packing: weights are input-major (head_impl.h), so a row of W (or of the batch's
 * deltas) is already contiguous along the outputs, which is what the vector loads want; the
 * scalar operand (an input value) is broadcast from its row. The forward product walks the
 * inputs in blocks of KC rows so the W block (KC x 64 floats, 32 KB) stays in L1 while every
 * sample tile of the mini-batch uses it.
 *
 * Compiled for AVX-512 by the pragma below (the file needs no special build flags); only
 * ecl_head_gemm_avx512(), compiled for the baseline ISA, decides at run time whether the CPU
 * and OS support it (ecl_opt_have_avx512, as the backbone kernels do).
 */
#include "train/head_gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include "kernels/opt/opt.h"

#ifdef __clang__
#pragma clang attribute push(                                                                      \
    __attribute__((target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw")
#endif
#include <immintrin.h>

#define NV 4 /* 16-float vectors per tile: 64 outputs */
#define MR 4 /* rows (samples, or inputs for the gradient) per tile */
#define KC 128u
#define PF_ROWS 64u /* weight rows the fused step prefetches ahead */
#define PF_X 64u /* inputs the gradient prefetches ahead */ /* input rows per forward block */
#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE void tile_masks(uint32_t left, __mmask16 mk[NV]) {
    for (int v = 0; v < NV; v++) {
        const uint32_t l = left > 16u * v ? left - 16u * v : 0;
        mk[v] = l >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << l) - 1u);
    }
}

/* z[r][0..64) += sum_p x[r][p] * w[p][0..64), r < mr, p < kc */
static ALWAYS_INLINE void fwd_tile(float *z, size_t ldz, const float *x, size_t ldx, const float *w,
                                   size_t ldw, uint32_t kc, const __mmask16 *mk, const float *pf,
                                   const int mr) {
    __m512 acc[MR][NV];
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[r][v] = _mm512_maskz_loadu_ps(mk[v], z + r * ldz + 16 * v);
    for (uint32_t p = 0; p < kc; p++) {
        const float *wp = w + p * ldw;
        if (pf) { /* the next block's row p, same columns: hides DRAM latency */
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                _mm_prefetch((const char *)(pf + p * ldw + 16 * v), _MM_HINT_T0);
        }
        __m512 b[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            b[v] = _mm512_maskz_loadu_ps(mk[v], wp + 16 * v);
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++) {
            const __m512 a = _mm512_set1_ps(x[r * ldx + p]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            _mm512_mask_storeu_ps(z + r * ldz + 16 * v, mk[v], acc[r][v]);
}

static void fwd_avx512(float *z, size_t ldz, const float *x, size_t ldx, const float *w, size_t ldw,
                       uint32_t m, uint32_t n, uint32_t kd) {
    for (uint32_t k0 = 0; k0 < kd; k0 += KC) {
        const uint32_t kc = kd - k0 < KC ? kd - k0 : KC;
        for (uint32_t o0 = 0; o0 < n; o0 += 16 * NV) {
            __mmask16 mk[NV];
            tile_masks(n - o0, mk);
            const float *wb = w + (size_t)k0 * ldw + o0;
            /* the first sample tile prefetches the next block (rows past kd are not read) */
            const uint32_t kn = kd - k0 - kc < KC ? kd - k0 - kc : KC;
            const float *pf = kn > 0 ? wb + (size_t)kc * ldw : NULL;
            uint32_t i0 = 0;
            for (; i0 + MR <= m; i0 += MR, pf = NULL)
                fwd_tile(z + i0 * ldz + o0, ldz, x + i0 * ldx + k0, ldx, wb, ldw, kc, mk, pf, MR);
            float *zt = z + i0 * ldz + o0;
            const float *xt = x + i0 * ldx + k0;
            switch (m - i0) {
            case 3:
                fwd_tile(zt, ldz, xt, ldx, wb, ldw, kc, mk, pf, 3);
                break;
            case 2:
                fwd_tile(zt, ldz, xt, ldx, wb, ldw, kc, mk, pf, 2);
                break;
            case 1:
                fwd_tile(zt, ldz, xt, ldx, wb, ldw, kc, mk, pf, 1);
                break;
            default:
                break;
            }
        }
    }
}

/* The optimiser step on one 16-wide vector of weights at w (+ m, v at the same offset) with
 * gradient g: the operations of ecl_head_update_ in the same order, without contraction. */
static ALWAYS_INLINE void upd_vec(const struct ecl_head_upd *u, size_t off, __mmask16 mk, __m512 g,
                                  __m512 *pen) {
    float *wp = u->w + off;
    __m512 w = _mm512_maskz_loadu_ps(mk, wp);
    if (u->l2 > 0.0f) {
        g = _mm512_add_ps(g, _mm512_mul_ps(_mm512_set1_ps(u->l2), w));
        *pen = _mm512_add_ps(*pen, _mm512_mul_ps(w, w));
    }
    const __m512 lr = _mm512_set1_ps(u->lr_t);
    if (u->kind == ECL_UPD_ADAM) {
        __m512 m = _mm512_maskz_loadu_ps(mk, u->m + off), v = _mm512_maskz_loadu_ps(mk, u->v + off);
        m = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(u->b1), m),
                          _mm512_mul_ps(_mm512_set1_ps(u->c1), g));
        v = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(u->b2), v),
                          _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(u->c2), g), g));
        _mm512_mask_storeu_ps(u->m + off, mk, m);
        _mm512_mask_storeu_ps(u->v + off, mk, v);
        const __m512 den = _mm512_add_ps(_mm512_sqrt_ps(v), _mm512_set1_ps(u->eps_t));
        w = _mm512_sub_ps(w, _mm512_div_ps(_mm512_mul_ps(lr, m), den));
    } else if (u->kind == ECL_UPD_MOMENTUM) {
        __m512 m = _mm512_maskz_loadu_ps(mk, u->m + off);
        m = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(u->mu), m), g);
        _mm512_mask_storeu_ps(u->m + off, mk, m);
        w = _mm512_sub_ps(w, _mm512_mul_ps(lr, m));
    } else {
        w = _mm512_sub_ps(w, _mm512_mul_ps(lr, g));
    }
    _mm512_mask_storeu_ps(wp, mk, w);
}

/* g[r][0..64) = sum_i x[i][r] * d[i][0..64), r < mr, i < m; then store and/or step. */
static ALWAYS_INLINE void wgrad_tile(float *g, size_t ldg, const float *x, size_t ldx,
                                     const float *d, size_t ldd, uint32_t m, const __mmask16 *mk,
                                     struct ecl_head_upd *u, size_t uoff, const int mr) {
    __m512 acc[MR][NV];
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[r][v] = _mm512_setzero_ps();
    for (uint32_t i = 0; i < m; i++) {
        const float *di = d + i * ldd, *xi = x + i * ldx;
        __m512 b[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            b[v] = _mm512_maskz_loadu_ps(mk[v], di + 16 * v);
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++) {
            const __m512 a = _mm512_set1_ps(xi[r]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
        }
    }
    if (g) {
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                _mm512_mask_storeu_ps(g + r * ldg + 16 * v, mk[v], acc[r][v]);
    }
    if (u) {
        __m512 pen = _mm512_setzero_ps();
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                upd_vec(u, uoff + r * u->ld + 16 * v, mk[v], acc[r][v], &pen);
        if (u->l2 > 0.0f) u->pen += (double)_mm512_reduce_add_ps(pen);
    }
}

static void wgrad_avx512(float *g, size_t ldg, const float *x, size_t ldx, const float *d,
                         size_t ldd, uint32_t m, uint32_t n, uint32_t kd, struct ecl_head_upd *u) {
    uint32_t k0 = 0;
    for (; k0 < kd; k0 += MR) {
        const uint32_t mr = kd - k0 < MR ? kd - k0 : MR;
        if (k0 % 16 == 0 && k0 + PF_X < kd) /* the inputs' next cache line, every sample */
            for (uint32_t i = 0; i < m; i++)
                _mm_prefetch((const char *)(x + i * ldx + k0 + PF_X), _MM_HINT_T0);
        if (u && k0 + PF_ROWS + MR <= kd) { /* the rows the step will update next */
            for (uint32_t r = 0; r < MR; r++) {
                const size_t off = (k0 + PF_ROWS + r) * u->ld;
                for (uint32_t o = 0; o < n; o += 16) {
                    _mm_prefetch((const char *)(u->w + off + o), _MM_HINT_T0);
                    if (u->m) _mm_prefetch((const char *)(u->m + off + o), _MM_HINT_T0);
                    if (u->v) _mm_prefetch((const char *)(u->v + off + o), _MM_HINT_T0);
                }
            }
        }
        for (uint32_t o0 = 0; o0 < n; o0 += 16 * NV) {
            __mmask16 mk[NV];
            tile_masks(n - o0, mk);
            float *gt = g ? g + k0 * ldg + o0 : NULL;
            const size_t uoff = u ? k0 * u->ld + o0 : 0;
            switch (mr) {
            case 4:
                wgrad_tile(gt, ldg, x + k0, ldx, d + o0, ldd, m, mk, u, uoff, 4);
                break;
            case 3:
                wgrad_tile(gt, ldg, x + k0, ldx, d + o0, ldd, m, mk, u, uoff, 3);
                break;
            case 2:
                wgrad_tile(gt, ldg, x + k0, ldx, d + o0, ldd, m, mk, u, uoff, 2);
                break;
            default:
                wgrad_tile(gt, ldg, x + k0, ldx, d + o0, ldd, m, mk, u, uoff, 1);
                break;
            }
        }
    }
}

/* dn[i][k] = a[i][k] > 0 ? w[k][0..n) . d[i][0..n) : 0: one vector dot product per entry (the
 * layers this serves are small: hidden x classes). */
static void dgrad_avx512(float *dn, size_t lddn, const float *a, size_t lda, const float *d,
                         size_t ldd, const float *w, size_t ldw, uint32_t m, uint32_t n,
                         uint32_t kd) {
    for (uint32_t i = 0; i < m; i++) {
        const float *ai = a + i * lda, *di = d + i * ldd;
        float *dni = dn + i * lddn;
        for (uint32_t k = 0; k < kd; k++) {
            if (ai[k] <= 0.0f) {
                dni[k] = 0.0f;
                continue;
            }
            const float *wk = w + k * ldw;
            __m512 acc = _mm512_setzero_ps();
            for (uint32_t o = 0; o < n; o += 16) {
                const __mmask16 mk =
                    n - o >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - o)) - 1u);
                acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, wk + o),
                                      _mm512_maskz_loadu_ps(mk, di + o), acc);
            }
            dni[k] = _mm512_reduce_add_ps(acc);
        }
    }
}

static const struct ecl_head_gemm gemm_avx512 = {"avx512", fwd_avx512, wgrad_avx512, dgrad_avx512};

#ifdef __clang__
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

const struct ecl_head_gemm *ecl_head_gemm_avx512(void) {
    return ecl_opt_have_avx512() ? &gemm_avx512 : NULL;
}

#else
typedef int ecl_head_avx512_unused; /* ISO C: no empty translation unit */
#endif
