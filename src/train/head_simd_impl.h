/* src/train/head_simd_impl.h - the body of the head's optimised products (head_gemm.h), one
 * source for several x86 vector widths. Included by head_avx512.c and head_avx2.c, each after
 * its target pragma and after defining: VT (vector type), VL (floats per vector), NV (vectors
 * per tile), MASK_T / V_MASK(left) (lane mask of the first min(left, VL) lanes), V_LOADM(mk, p)
 * (masked load, zero elsewhere, no fault on masked lanes), V_STOREM(p, mk, v), V_SET1, V_ZERO,
 * V_ADD, V_SUB, V_MUL, V_DIV, V_SQRT, V_FMADD(a, b, c) = a * b + c, V_REDUCE (horizontal sum)
 * and SIMD_NAME(x) (unique names). Not a header to include anywhere else.
 *
 * Register-blocked GEMM micro-kernels over tiles of MR rows x NV vectors (MR * NV accumulators,
 * NV vector loads + MR broadcasts per MR * NV FMAs), masked loads/stores for the output tail
 * (no padding of the caller's layout), and the optimiser step fused into the weight-gradient
 * tile while it is still in registers.
 *
 * Why no packing: weights are input-major (head_impl.h), so a row of W (or of the batch's
 * deltas) is already contiguous along the outputs, which is what the vector loads want; the
 * scalar operand (an input value) is broadcast from its row. The forward product walks the
 * inputs in blocks of KC rows so the W block (KC x TW floats) stays in L1 while every sample
 * tile of the mini-batch uses it, and prefetches the next block (software prefetch measured
 * 2.1 -> 1.3 ms for 20480 x 128 at batch 32); the fused step prefetches the W/m/v rows it
 * will update PF_ROWS ahead.
 */
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define MR 4            /* rows (samples, or inputs for the gradient) per tile */
#define KC 128u         /* input rows per forward block */
#define PF_ROWS 64u     /* weight rows the fused step prefetches ahead */
#define PF_X 64u        /* inputs the gradient prefetches ahead */
#define FTZ_DAZ 0x8040u /* MXCSR flush-to-zero (bit 15) and denormals-are-zero (bit 6) */
#define TW (VL * NV)    /* outputs per tile */
#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE void tile_masks(uint32_t left, MASK_T mk[NV]) {
    for (int v = 0; v < NV; v++)
        mk[v] = V_MASK(left > (uint32_t)VL * v ? left - (uint32_t)VL * v : 0);
}

/* z[r][0..64) += sum_p x[r][p] * w[p][0..64), r < mr, p < kc */
static ALWAYS_INLINE void fwd_tile(float *z, size_t ldz, const float *x, size_t ldx, const float *w,
                                   size_t ldw, uint32_t kc, const MASK_T *mk, const float *pf,
                                   const int mr) {
    VT acc[MR][NV];
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[r][v] = V_LOADM(mk[v], z + r * ldz + VL * v);
    for (uint32_t p = 0; p < kc; p++) {
        const float *wp = w + p * ldw;
        if (pf) { /* the next block's row p, same columns: hides DRAM latency */
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                _mm_prefetch((const char *)(pf + p * ldw + VL * v), _MM_HINT_T0);
        }
        VT b[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            b[v] = V_LOADM(mk[v], wp + VL * v);
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++) {
            const VT a = V_SET1(x[r * ldx + p]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                acc[r][v] = V_FMADD(a, b[v], acc[r][v]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            V_STOREM(z + r * ldz + VL * v, mk[v], acc[r][v]);
}

static void SIMD_NAME(fwd)(float *z, size_t ldz, const float *x, size_t ldx, const float *w,
                           size_t ldw, uint32_t m, uint32_t n, uint32_t kd) {
    for (uint32_t k0 = 0; k0 < kd; k0 += KC) {
        const uint32_t kc = kd - k0 < KC ? kd - k0 : KC;
        for (uint32_t o0 = 0; o0 < n; o0 += TW) {
            MASK_T mk[NV];
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

/* The optimiser step on one vector of weights at w (+ m, v at the same offset) with
 * gradient g: the operations of ecl_head_update_ in the same order, without contraction. */
static ALWAYS_INLINE void upd_vec(const struct ecl_head_upd *u, size_t off, MASK_T mk, VT g,
                                  VT *pen) {
    float *wp = u->w + off;
    VT w = V_LOADM(mk, wp);
    if (u->l2 > 0.0f) {
        g = V_ADD(g, V_MUL(V_SET1(u->l2), w));
        *pen = V_ADD(*pen, V_MUL(w, w));
    }
    const VT lr = V_SET1(u->lr_t);
    if (u->kind == ECL_UPD_ADAM) {
        VT m = V_LOADM(mk, u->m + off), v = V_LOADM(mk, u->v + off);
        m = V_ADD(V_MUL(V_SET1(u->b1), m), V_MUL(V_SET1(u->c1), g));
        v = V_ADD(V_MUL(V_SET1(u->b2), v), V_MUL(V_MUL(V_SET1(u->c2), g), g));
        V_STOREM(u->m + off, mk, m);
        V_STOREM(u->v + off, mk, v);
        const VT den = V_ADD(V_SQRT(v), V_SET1(u->eps_t));
        w = V_SUB(w, V_DIV(V_MUL(lr, m), den));
    } else if (u->kind == ECL_UPD_MOMENTUM) {
        VT m = V_LOADM(mk, u->m + off);
        m = V_ADD(V_MUL(V_SET1(u->mu), m), g);
        V_STOREM(u->m + off, mk, m);
        w = V_SUB(w, V_MUL(lr, m));
    } else {
        w = V_SUB(w, V_MUL(lr, g));
    }
    V_STOREM(wp, mk, w);
}

/* Prefetches line j (< MR * NV: row j / NV, vector j % NV) of the W, m, v tile at pfoff. */
static ALWAYS_INLINE void pf_state(const struct ecl_head_upd *u, size_t pfoff, uint32_t j) {
    const size_t o = pfoff + (j / NV) * u->ld + VL * (j % NV);
    _mm_prefetch((const char *)(u->w + o), _MM_HINT_T0);
    if (u->m) _mm_prefetch((const char *)(u->m + o), _MM_HINT_T0);
    if (u->v) _mm_prefetch((const char *)(u->v + o), _MM_HINT_T0);
}

/* g[r][0..64) = sum_i x[i][r] * d[i][0..64), r < mr, i < m; then store and/or step. With
 * pfoff != 0, the W/m/v tile at pfoff (PF_ROWS rows below) is prefetched one line per array
 * every second sample, spread over the FMAs (a burst of 3 x 32 prefetches per row block waited
 * on the miss buffers: the fused Adam gradient of 20480 x 128 took 2.7 ms alone, now 1.45). */
static ALWAYS_INLINE void wgrad_tile(float *g, size_t ldg, const float *x, size_t ldx,
                                     const float *d, size_t ldd, uint32_t m, const MASK_T *mk,
                                     struct ecl_head_upd *u, size_t uoff, size_t pfoff,
                                     const int mr) {
    VT acc[MR][NV];
#pragma GCC unroll 4
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            acc[r][v] = V_ZERO();
    for (uint32_t i = 0; i < m; i++) {
        const float *di = d + i * ldd, *xi = x + i * ldx;
        if (pfoff && (i & 1u) == 0 && (i >> 1) < MR * NV) pf_state(u, pfoff, i >> 1);
        VT b[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            b[v] = V_LOADM(mk[v], di + VL * v);
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++) {
            const VT a = V_SET1(xi[r]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                acc[r][v] = V_FMADD(a, b[v], acc[r][v]);
        }
    }
    for (uint32_t j = (m + 1) / 2; pfoff && j < MR * NV; j++) /* small batches: the rest */
        pf_state(u, pfoff, j);
    if (g) {
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                V_STOREM(g + r * ldg + VL * v, mk[v], acc[r][v]);
    }
    if (u) {
        VT pen = V_ZERO();
#pragma GCC unroll 4
        for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
                upd_vec(u, uoff + r * u->ld + VL * v, mk[v], acc[r][v], &pen);
        if (u->l2 > 0.0f) u->pen += (double)V_REDUCE(pen);
    }
}

static __attribute__((noinline)) void SIMD_NAME(wgrad_body)(float *g, size_t ldg, const float *x,
                                                            size_t ldx, const float *d, size_t ldd,
                                                            uint32_t m, uint32_t n, uint32_t kd,
                                                            struct ecl_head_upd *uarg) {
    /* A local copy: the compiler then knows the stores to w, m, v do not change the step's
     * constants, which it would otherwise reload after every store. */
    struct ecl_head_upd local;
    struct ecl_head_upd *u = NULL;
    if (uarg) {
        local = *uarg;
        u = &local;
    }
    uint32_t k0 = 0;
    for (; k0 < kd; k0 += MR) {
        const uint32_t mr = kd - k0 < MR ? kd - k0 : MR;
        if (k0 % 16 == 0 && k0 + PF_X < kd) /* the inputs' next cache line, every sample */
            for (uint32_t i = 0; i < m; i++)
                _mm_prefetch((const char *)(x + i * ldx + k0 + PF_X), _MM_HINT_T0);
        for (uint32_t o0 = 0; o0 < n; o0 += TW) {
            MASK_T mk[NV];
            tile_masks(n - o0, mk);
            float *gt = g ? g + k0 * ldg + o0 : NULL;
            const size_t uoff = u ? k0 * u->ld + o0 : 0;
            const size_t pfoff = u && k0 + PF_ROWS + MR <= kd ? (k0 + PF_ROWS) * u->ld + o0 : 0;
            switch (mr) {
            case 4:
                wgrad_tile(gt, ldg, x + k0, ldx, d + o0, ldd, m, mk, u, uoff, pfoff, 4);
                break;
            case 3:
                wgrad_tile(gt, ldg, x + k0, ldx, d + o0, ldd, m, mk, u, uoff, pfoff, 3);
                break;
            case 2:
                wgrad_tile(gt, ldg, x + k0, ldx, d + o0, ldd, m, mk, u, uoff, pfoff, 2);
                break;
            default:
                wgrad_tile(gt, ldg, x + k0, ldx, d + o0, ldd, m, mk, u, uoff, pfoff, 1);
                break;
            }
        }
    }
    if (uarg) uarg->pen = local.pen;
}

/* With a step, the body runs with subnormals flushed to zero (MXCSR FTZ + DAZ, restored after;
 * head_gemm.h): once a weight's gradient stays zero or tiny (dead input, converged batch),
 * its m and g * g reach the subnormal range, where each vector operation on them takes a
 * microcode assist (measured: 20480-d Adam step 4.3 -> 3.6 ms after 10^4 steps on one batch). */
static void SIMD_NAME(wgrad)(float *g, size_t ldg, const float *x, size_t ldx, const float *d,
                             size_t ldd, uint32_t m, uint32_t n, uint32_t kd,
                             struct ecl_head_upd *u) {
    if (!u) {
        SIMD_NAME(wgrad_body)(g, ldg, x, ldx, d, ldd, m, n, kd, NULL);
        return;
    }
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | FTZ_DAZ);
    SIMD_NAME(wgrad_body)(g, ldg, x, ldx, d, ldd, m, n, kd, u);
    _mm_setcsr(csr);
}

/* dn[i][k] = a[i][k] > 0 ? w[k][0..n) . d[i][0..n) : 0: one vector dot product per entry (the
 * layers this serves are small: hidden x classes). */
static void SIMD_NAME(dgrad)(float *dn, size_t lddn, const float *a, size_t lda, const float *d,
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
            VT acc = V_ZERO();
            for (uint32_t o = 0; o < n; o += VL) {
                const MASK_T mk = V_MASK(n - o);
                acc = V_FMADD(V_LOADM(mk, wk + o), V_LOADM(mk, di + o), acc);
            }
            dni[k] = V_REDUCE(acc);
        }
    }
}

const struct ecl_head_gemm SIMD_TABLE = {SIMD_INSTANCE, SIMD_NAME(fwd), SIMD_NAME(wgrad),
                                         SIMD_NAME(dgrad)};
