/* The head's products and optimiser update in plain C (head_gemm.h): the reference the
 * optimised tables are tested against, and the path on CPUs without them.
 *
 * - Weights are input-major (head_impl.h), so the forward product z += a * W[k,:] and the
 *   weight gradient G[k,:] += a * d are unit-stride axpys over outputs. They are tiled over a
 *   block of input rows so that a W/G tile (KB x n floats) stays in L1/L2 while we sweep the
 *   mini-batch, instead of streaming all of W once per sample.
 * - Hidden activations after ReLU are often zero; the loops skip zero inputs, which makes the
 *   second layer (and sparse latents) cheaper for free.
 */
#include "train/head_gemm.h"

#include <math.h>
#include <string.h>

#define KB 64u /* input rows per tile */

/* Hot loops. The default -O2 of GCC 12 only vectorises loops whose trip count is known, so
 * the axpy kernels are written with GCC/Clang vector extensions (8 floats: two SSE ops on
 * baseline x86-64, one AVX op or two NEON ops where available), with a scalar tail and a
 * plain-C fallback. Four rows (or four samples) are combined per pass so the accumulator row
 * is loaded and stored once per four multiply-adds instead of once per one. */
#if defined(__GNUC__) || defined(__clang__)
typedef float v8f __attribute__((vector_size(32), aligned(4)));
#define V8_LOAD(p) (*(const v8f *)(const void *)(p))
#define V8_STORE(p, v) (*(v8f *)(void *)(p) = (v))
#define HAVE_V8 1
#endif

/* z[o] += a0*r0[o] + a1*r1[o] + a2*r2[o] + a3*r3[o], o < n */
static void axpy4(float *restrict z, const float *restrict r0, const float *restrict r1,
                  const float *restrict r2, const float *restrict r3, float a0, float a1, float a2,
                  float a3, uint32_t n) {
    uint32_t o = 0;
#ifdef HAVE_V8
    for (; o + 8 <= n; o += 8) {
        v8f acc = V8_LOAD(z + o);
        acc += a0 * V8_LOAD(r0 + o) + a1 * V8_LOAD(r1 + o);
        acc += a2 * V8_LOAD(r2 + o) + a3 * V8_LOAD(r3 + o);
        V8_STORE(z + o, acc);
    }
#endif
    for (; o < n; o++)
        z[o] += a0 * r0[o] + a1 * r1[o] + a2 * r2[o] + a3 * r3[o];
}

/* z[o] += a * r[o], o < n */
static void axpy1(float *restrict z, const float *restrict r, float a, uint32_t n) {
    uint32_t o = 0;
#ifdef HAVE_V8
    for (; o + 8 <= n; o += 8)
        V8_STORE(z + o, V8_LOAD(z + o) + a * V8_LOAD(r + o));
#endif
    for (; o < n; o++)
        z[o] += a * r[o];
}

static void fwd_ref(float *z, size_t ldz, const float *x, size_t ldx, const float *w, size_t ldw,
                    uint32_t m, uint32_t n, uint32_t kd) {
    for (uint32_t k0 = 0; k0 < kd; k0 += KB) {
        uint32_t k1 = k0 + KB < kd ? k0 + KB : kd;
        for (uint32_t i = 0; i < m; i++) {
            const float *xi = x + (size_t)i * ldx;
            float *zi = z + (size_t)i * ldz;
            uint32_t k = k0;
            for (; k + 4 <= k1; k += 4) {
                const float a0 = xi[k], a1 = xi[k + 1], a2 = xi[k + 2], a3 = xi[k + 3];
                if (a0 == 0.0f && a1 == 0.0f && a2 == 0.0f && a3 == 0.0f)
                    continue; /* ReLU inputs are often zero */
                const float *wk = w + (size_t)k * ldw;
                axpy4(zi, wk, wk + ldw, wk + 2 * ldw, wk + 3 * ldw, a0, a1, a2, a3, n);
            }
            for (; k < k1; k++)
                if (xi[k] != 0.0f) axpy1(zi, w + (size_t)k * ldw, xi[k], n);
        }
    }
}

static void wgrad_ref(float *g, size_t ldg, const float *x, size_t ldx, const float *d, size_t ldd,
                      uint32_t m, uint32_t n, uint32_t kd, struct ecl_head_upd *u) {
    for (uint32_t k0 = 0; k0 < kd; k0 += KB) {
        uint32_t k1 = k0 + KB < kd ? k0 + KB : kd;
        for (uint32_t k = k0; k < k1; k++)
            memset(g + (size_t)k * ldg, 0, n * sizeof(float));
        uint32_t i = 0;
        for (; i + 4 <= m; i += 4) { /* four samples per pass over the G tile */
            const float *x0 = x + (size_t)i * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
            const float *d0 = d + (size_t)i * ldd, *d1 = d0 + ldd, *d2 = d1 + ldd, *d3 = d2 + ldd;
            for (uint32_t k = k0; k < k1; k++) {
                const float a0 = x0[k], a1 = x1[k], a2 = x2[k], a3 = x3[k];
                if (a0 == 0.0f && a1 == 0.0f && a2 == 0.0f && a3 == 0.0f) continue;
                axpy4(g + (size_t)k * ldg, d0, d1, d2, d3, a0, a1, a2, a3, n);
            }
        }
        for (; i < m; i++) {
            const float *xi = x + (size_t)i * ldx;
            const float *di = d + (size_t)i * ldd;
            for (uint32_t k = k0; k < k1; k++)
                if (xi[k] != 0.0f) axpy1(g + (size_t)k * ldg, di, xi[k], n);
        }
    }
    if (!u) return;
    for (uint32_t k = 0; k < kd; k++) {
        float *gk = g + (size_t)k * ldg, *wk = u->w + (size_t)k * u->ld;
        if (u->l2 > 0.0f) {
            float sk = 0.0f;
            for (uint32_t o = 0; o < n; o++) {
                gk[o] += u->l2 * wk[o];
                sk += wk[o] * wk[o];
            }
            u->pen += sk;
        }
        ecl_head_update_(u, wk, gk, u->m ? u->m + (size_t)k * u->ld : NULL,
                         u->v ? u->v + (size_t)k * u->ld : NULL, n);
    }
}

static void dgrad_ref(float *dn, size_t lddn, const float *a, size_t lda, const float *d,
                      size_t ldd, const float *w, size_t ldw, uint32_t m, uint32_t n, uint32_t kd) {
    for (uint32_t i = 0; i < m; i++) {
        const float *ai = a + (size_t)i * lda;
        const float *di = d + (size_t)i * ldd;
        float *dni = dn + (size_t)i * lddn;
        for (uint32_t k = 0; k < kd; k++) {
            if (ai[k] <= 0.0f) {
                dni[k] = 0.0f;
                continue;
            }
            const float *wk = w + (size_t)k * ldw;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
            uint32_t o = 0;
            for (; o + 4 <= n; o += 4) {
                s0 += wk[o] * di[o];
                s1 += wk[o + 1] * di[o + 1];
                s2 += wk[o + 2] * di[o + 2];
                s3 += wk[o + 3] * di[o + 3];
            }
            for (; o < n; o++)
                s0 += wk[o] * di[o];
            dni[k] = (s0 + s1) + (s2 + s3);
        }
    }
}

const struct ecl_head_gemm ecl_head_gemm_ref = {"ref", fwd_ref, wgrad_ref, dgrad_ref};

/* Lane-wise sqrt of a v8f. GCC's vector extensions have no sqrt, and with the default
 * -fmath-errno a scalar sqrtf loop is not vectorised, so use the ISA's IEEE (correctly
 * rounded, hence identical to sqrtf) vector square root where there is one. */
#ifdef HAVE_V8
#if defined(__SSE__)
#include <xmmintrin.h>
static inline void v8_sqrt(v8f *x) {
    __m128 lo, hi;
    memcpy(&lo, x, sizeof lo);
    memcpy(&hi, (const char *)x + sizeof lo, sizeof hi);
    lo = _mm_sqrt_ps(lo);
    hi = _mm_sqrt_ps(hi);
    memcpy(x, &lo, sizeof lo);
    memcpy((char *)x + sizeof lo, &hi, sizeof hi);
}
#elif defined(__aarch64__)
#include <arm_neon.h>
static inline void v8_sqrt(v8f *x) {
    float32x4_t lo, hi;
    memcpy(&lo, x, sizeof lo);
    memcpy(&hi, (const char *)x + sizeof lo, sizeof hi);
    lo = vsqrtq_f32(lo);
    hi = vsqrtq_f32(hi);
    memcpy(x, &lo, sizeof lo);
    memcpy((char *)x + sizeof lo, &hi, sizeof hi);
}
#else
static inline void v8_sqrt(v8f *x) {
    for (int i = 0; i < 8; i++)
        (*x)[i] = sqrtf((*x)[i]);
}
#endif
#endif

void ecl_head_update_(const struct ecl_head_upd *u, float *restrict w, const float *restrict g,
                      float *restrict m, float *restrict v, uint32_t count) {
    const float lr_t = u->lr_t, eps_t = u->eps_t;
    uint32_t j = 0;
    if (u->kind == ECL_UPD_ADAM) {
        const float b1 = u->b1, b2 = u->b2, c1 = u->c1, c2 = u->c2;
#ifdef HAVE_V8
        for (; j + 8 <= count; j += 8) {
            const v8f gj = V8_LOAD(g + j);
            const v8f mj = b1 * V8_LOAD(m + j) + c1 * gj;
            const v8f vj = b2 * V8_LOAD(v + j) + c2 * gj * gj;
            V8_STORE(m + j, mj);
            V8_STORE(v + j, vj);
            v8f sj = vj;
            v8_sqrt(&sj);
            V8_STORE(w + j, V8_LOAD(w + j) - lr_t * mj / (sj + eps_t));
        }
#endif
        for (; j < count; j++) {
            float gj = g[j];
            m[j] = b1 * m[j] + c1 * gj;
            v[j] = b2 * v[j] + c2 * gj * gj;
            w[j] -= lr_t * m[j] / (sqrtf(v[j]) + eps_t);
        }
    } else if (u->kind == ECL_UPD_MOMENTUM) {
        const float mu = u->mu;
#ifdef HAVE_V8
        for (; j + 8 <= count; j += 8) {
            const v8f mj = mu * V8_LOAD(m + j) + V8_LOAD(g + j);
            V8_STORE(m + j, mj);
            V8_STORE(w + j, V8_LOAD(w + j) - lr_t * mj);
        }
#endif
        for (; j < count; j++) {
            m[j] = mu * m[j] + g[j];
            w[j] -= lr_t * m[j];
        }
    } else {
#ifdef HAVE_V8
        for (; j + 8 <= count; j += 8)
            V8_STORE(w + j, V8_LOAD(w + j) - lr_t * V8_LOAD(g + j));
#endif
        for (; j < count; j++)
            w[j] -= lr_t * g[j];
    }
}

#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)))
const struct ecl_head_gemm *ecl_head_gemm_avx512(void) {
    return NULL;
}
const struct ecl_head_gemm *ecl_head_gemm_avx2(void) {
    return NULL;
}
#endif

const struct ecl_head_gemm *ecl_head_gemm_best(void) {
    const struct ecl_head_gemm *t = ecl_head_gemm_avx512();
    if (!t) t = ecl_head_gemm_avx2();
    return t ? t : &ecl_head_gemm_ref;
}
