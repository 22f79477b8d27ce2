/* src/kernels/opt/arm/neon_i8_body.h - int8 CONV_2D (scratch function + kernel) and
 * FULLY_CONNECTED for AArch64, written once over a 16-byte dot-product step:
 *   NI8_DOT(acc, a, b): int32x4_t acc plus the 16 products a[i]*b[i] (int8), where only the sum
 *                       of acc's four lanes matters;
 *   NI8_FN(name):       the entry point's name.
 * Included by neon_dot.c (NI8_DOT = SDOT, vdotq_s32; that file alone is compiled with
 * -march=armv8.2-a+dotprod) and by neon_i8.c (widening multiplies and pairwise adds: the
 * fallback for cores without the dot-product extension). Bit-exact with the reference kernels.
 *
 * The sum is expanded so that every product is int8 x int8 (weights of lowered uint8 models keep
 * their zero point w_zp, and x - in_zp does not fit in int8):
 *   acc[p,o] = bias[o] + sum_k (x - in_zp)(w - w_zp)
 *            = sum_k x*w  +  [bias[o] - in_zp*sum_k w + K*in_zp*w_zp]  -  w_zp * sum_k x
 * The bracket is per channel (computed while packing the weights), sum_k x per pixel (only when
 * w_zp != 0). Taps outside the image are gathered as x = in_zp, which makes their term
 * (in_zp - in_zp)(w - w_zp) = 0 as in the reference. All of it in wrapping 32-bit arithmetic,
 * equal to the reference's int32 sum whenever that one does not overflow.
 *
 * CONV_2D: the weights are packed into the scratch (rows padded with zeros to K16 = K rounded up
 * to 16, output channels to a multiple of 4) with the per-channel constants after them; tiles of
 * 4 pixels x 4 output channels keep 16 int32x4 accumulators of dot products along k, reduced with
 * pairwise adds to one int32x4 of 4 channels per pixel, requantised by q_neon.h. Pixels are the
 * NHWC input rows themselves (1x1, no padding, K % 16 == 0) or gathered (im2col, on the stack,
 * zero tail to K16). Threads split the tiles of pixels. FULLY_CONNECTED: blocks of 4 rows, the
 * K % 16 tail through zero-padded copies, threads split the blocks. */
#include <string.h>
#include "kernels/opt/arm/q_neon.h"
#include "kernels/opt/opt.h"

#define NI8_MR 4
#define NI8_MAX_K16 4608 /* im2col rows on the stack: 4 x 4608 bytes */

static inline int ni8_k16(long K) {
    return (int)((K + 15) & ~15L);
}

static int ni8_direct(const struct ecl_conv_params *p, struct ecl_shape4 ws) {
    return ws.h == 1 && ws.w == 1 && p->pad_top == 0 && p->pad_left == 0 && ws.c % 16 == 0;
}

/* Shapes the kernel handles itself (others go to the reference). */
static int ni8_conv_ok(const struct ecl_conv_params *p, struct ecl_shape4 is, struct ecl_shape4 ws,
                       struct ecl_shape4 os) {
    long K = (long)ws.h * ws.w * ws.c;
    if (ws.c != is.c || ws.n != os.c || p->dil_h != 1 || p->dil_w != 1 || K <= 0 || os.c <= 0)
        return 0;
    if (!ni8_direct(p, ws) && K > NI8_MAX_K16) return 0;
    if (K > (1L << 24) || (long)os.c * ni8_k16(K) > (1L << 30)) return 0;
    return (long)os.n * os.h * os.w <= 0x7fffff00L;
}

static size_t ni8_cout4(int c) {
    return ((size_t)c + 3) & ~(size_t)3;
}

size_t NI8_FN(conv2d_i8_scratch)(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                 struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads) {
    (void)n_threads;
    if (!ni8_conv_ok(p, is, ws, os)) return 0;
    int K16 = ni8_k16((long)ws.h * ws.w * ws.c);
    return ni8_cout4(os.c) * ((size_t)K16 + sizeof(int32_t));
}

struct ni8_conv {
    const struct ecl_conv_params *p;
    const int8_t *in, *wp; /* wp: packed weights, cout4 rows of K16 */
    const int32_t *cterm;  /* per channel: bias - in_zp*sum w + K*in_zp*w_zp (wrapping) */
    int8_t *out;
    struct ecl_shape4 is, ws, os;
    int npix, K, K16, direct, vec_ok;
};

/* sum_k x over a zero-padded row of K16 bytes. */
static inline int32_t ni8_sum(const int8_t *x, int K16) {
    int32x4_t s = vdupq_n_s32(0);
    const int8x16_t ones = vdupq_n_s8(1);
    for (int k = 0; k < K16; k += 16)
        s = NI8_DOT(s, vld1q_s8(x + k), ones);
    return vaddvq_s32(s);
}

static void ni8_pack(struct ni8_conv *j, const int8_t *w, const int32_t *bias, void *scratch) {
    const struct ecl_conv_params *p = j->p;
    int cout = j->os.c, K = j->K, K16 = j->K16;
    size_t c4 = ni8_cout4(cout);
    int8_t *wp = scratch;
    int32_t *ct = (int32_t *)(void *)(wp + c4 * (size_t)K16);
    for (size_t o = 0; o < c4; o++) {
        int8_t *d = wp + o * (size_t)K16;
        if ((int)o >= cout) {
            memset(d, 0, (size_t)K16);
            ct[o] = 0;
            continue;
        }
        memcpy(d, w + o * (size_t)K, (size_t)K);
        memset(d + K, 0, (size_t)(K16 - K));
        uint32_t sw = (uint32_t)ni8_sum(d, K16); /* the padding is zeros */
        uint32_t c = bias ? (uint32_t)bias[o] : 0u;
        c -= (uint32_t)p->in_zp * sw;
        c += (uint32_t)K * (uint32_t)p->in_zp * (uint32_t)p->w_zp;
        ct[o] = (int32_t)c;
    }
    j->wp = wp;
    j->cterm = ct;
}

static void ni8_im2col(const struct ni8_conv *j, int q, int8_t *dst) {
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    int ohw = os.h * os.w;
    int n = q / ohw, r = q % ohw, y = r / os.w, x = r % os.w;
    for (int ky = 0; ky < ws.h; ky++)
        for (int kx = 0; kx < ws.w; kx++) {
            int iy = y * p->stride_h - p->pad_top + ky, ix = x * p->stride_w - p->pad_left + kx;
            int8_t *d = dst + ((size_t)ky * ws.w + kx) * is.c;
            if (iy < 0 || iy >= is.h || ix < 0 || ix >= is.w)
                memset(d, (int8_t)p->in_zp, (size_t)is.c);
            else
                memcpy(d, j->in + (((size_t)n * is.h + iy) * is.w + ix) * is.c, (size_t)is.c);
        }
    memset(dst + j->K, 0, (size_t)(j->K16 - j->K));
}

static inline const int8_t *ni8_pix(const struct ni8_conv *j, int q) {
    int ohw = j->os.h * j->os.w;
    int n = q / ohw, r = q % ohw, y = r / j->os.w, x = r % j->os.w;
    return j->in + (((size_t)n * j->is.h + (size_t)y * j->p->stride_h) * j->is.w +
                    (size_t)x * j->p->stride_w) *
                       j->is.c;
}

/* Per-lane (mult, shift) of the 4 channels [o0, o0+4) (lanes past n repeat channel o0; one pair
 * for all when per_tensor). */
static inline void ni8_params4(const int32_t *mult, const int32_t *shift, int o0, int n,
                               int per_tensor, int32_t m[4], int32_t s[4]) {
    for (int c = 0; c < 4; c++) {
        int o = per_tensor ? 0 : o0 + (c < n ? c : 0);
        m[c] = mult[o], s[c] = shift[o];
    }
}

/* Requantises 4 accumulators (with rq and o, else lane by lane with m, s) and stores the first n.
 */
static inline void ni8_out4(const struct rqn *rq, const struct rqo *o, int32_t zp, int32_t lo,
                            int32_t hi, int32_t rounding, const int32_t m[4], const int32_t s[4],
                            int32x4_t v, int8_t *dst, int n) {
    if (rq)
        v = rqo_requant(v, rq, o);
    else
        v = rqo_requant_scalar(v, m, s, zp, lo, hi, rounding);
    rqo_store(dst, v, n);
}

static inline int32x4_t ni8_hsum4(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

/* Requantises and stores the 4 channels [oc, oc+4) of the tile's first mr pixels (accumulators
 * s0..s3, one per pixel; the rows unrolled so that nothing is indexed at run time). */
static void ni8_conv_out(const struct ni8_conv *j, int q0, int mr, int oc, int32x4_t s0,
                         int32x4_t s1, int32x4_t s2, int32x4_t s3) {
    const struct ecl_conv_params *p = j->p;
    const int cout = j->os.c, nr = cout - oc < 4 ? cout - oc : 4;
    int32_t m[4], s[4];
    ni8_params4(p->out_mult, p->out_shift, oc, nr, 0, m, s);
    int8_t *o = j->out + (size_t)q0 * cout + oc;
    if (j->vec_ok) {
        struct rqn rq = rqn_load(m, s, p->rounding);
        struct rqo ro = rqo_make(p->out_zp, p->act_min_q, p->act_max_q);
        rqo_store(o, rqo_requant(s0, &rq, &ro), nr);
        if (mr > 1) rqo_store(o + cout, rqo_requant(s1, &rq, &ro), nr);
        if (mr > 2) rqo_store(o + 2 * (size_t)cout, rqo_requant(s2, &rq, &ro), nr);
        if (mr > 3) rqo_store(o + 3 * (size_t)cout, rqo_requant(s3, &rq, &ro), nr);
        return;
    }
    int32x4_t v[4] = {s0, s1, s2, s3};
    for (int r = 0; r < mr; r++)
        ni8_out4(NULL, NULL, p->out_zp, p->act_min_q, p->act_max_q, p->rounding, m, s, v[r],
                 o + (size_t)r * cout, nr);
}

static void ni8_conv_tiles(void *ctx, int begin, int end) {
    const struct ni8_conv *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const int cout = j->os.c, K16 = j->K16;
    int8_t col[j->direct ? 1 : NI8_MR * K16];
    for (int t = begin; t < end; t++) {
        int q0 = t * NI8_MR, mr = j->npix - q0 < NI8_MR ? j->npix - q0 : NI8_MR;
        const int8_t *a[NI8_MR];
        int32_t zx[NI8_MR] = {0}; /* w_zp * sum_k x, per pixel */
        for (int r = 0; r < NI8_MR; r++) {
            if (r >= mr) {
                a[r] = a[0];
                continue;
            }
            if (j->direct) {
                a[r] = ni8_pix(j, q0 + r);
            } else {
                a[r] = col + (size_t)r * K16;
                ni8_im2col(j, q0 + r, col + (size_t)r * K16);
            }
            if (p->w_zp) zx[r] = (int32_t)((uint32_t)p->w_zp * (uint32_t)ni8_sum(a[r], K16));
        }
        for (int oc = 0; oc < cout; oc += 4) {
            const int8_t *w0 = j->wp + (size_t)oc * K16, *w1 = w0 + K16, *w2 = w1 + K16,
                         *w3 = w2 + K16;
            int32x4_t acc[NI8_MR][4];
            for (int r = 0; r < NI8_MR; r++)
                for (int c = 0; c < 4; c++)
                    acc[r][c] = vdupq_n_s32(0);
            for (int k = 0; k < K16; k += 16) {
                int8x16_t x0 = vld1q_s8(a[0] + k), x1 = vld1q_s8(a[1] + k);
                int8x16_t x2 = vld1q_s8(a[2] + k), x3 = vld1q_s8(a[3] + k);
                int8x16_t v0 = vld1q_s8(w0 + k), v1 = vld1q_s8(w1 + k);
                int8x16_t v2 = vld1q_s8(w2 + k), v3 = vld1q_s8(w3 + k);
#define NI8_ROW(r, x)                                                                              \
    acc[r][0] = NI8_DOT(acc[r][0], x, v0);                                                         \
    acc[r][1] = NI8_DOT(acc[r][1], x, v1);                                                         \
    acc[r][2] = NI8_DOT(acc[r][2], x, v2);                                                         \
    acc[r][3] = NI8_DOT(acc[r][3], x, v3);
                NI8_ROW(0, x0)
                NI8_ROW(1, x1)
                NI8_ROW(2, x2)
                NI8_ROW(3, x3)
#undef NI8_ROW
            }
            int32x4_t ct = vld1q_s32(j->cterm + oc);
            int32x4_t s0 = ni8_hsum4(acc[0][0], acc[0][1], acc[0][2], acc[0][3]);
            int32x4_t s1 = ni8_hsum4(acc[1][0], acc[1][1], acc[1][2], acc[1][3]);
            int32x4_t s2 = ni8_hsum4(acc[2][0], acc[2][1], acc[2][2], acc[2][3]);
            int32x4_t s3 = ni8_hsum4(acc[3][0], acc[3][1], acc[3][2], acc[3][3]);
            s0 = vsubq_s32(vaddq_s32(s0, ct), vdupq_n_s32(zx[0]));
            s1 = vsubq_s32(vaddq_s32(s1, ct), vdupq_n_s32(zx[1]));
            s2 = vsubq_s32(vaddq_s32(s2, ct), vdupq_n_s32(zx[2]));
            s3 = vsubq_s32(vaddq_s32(s3, ct), vdupq_n_s32(zx[3]));
            ni8_conv_out(j, q0, mr, oc, s0, s1, s2, s3);
        }
    }
}

void NI8_FN(conv2d_i8)(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const int8_t *in,
                       struct ecl_shape4 is, const int8_t *w, struct ecl_shape4 ws,
                       const int32_t *bias, int8_t *out, struct ecl_shape4 os) {
    size_t need = NI8_FN(conv2d_i8_scratch)(p, is, ws, os, 1);
    if (!need || !kc || !kc->scratch || kc->scratch_bytes < need) {
        ecl_ref_conv2d_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct ni8_conv j = {0};
    j.p = p, j.in = in, j.out = out, j.is = is, j.ws = ws, j.os = os;
    j.npix = os.n * os.h * os.w;
    j.K = ws.h * ws.w * ws.c;
    j.K16 = ni8_k16(j.K);
    j.direct = ni8_direct(p, ws);
    j.vec_ok = rqn_vec_ok(p->out_mult, p->out_shift, os.c, p->rounding) &&
               rqo_ok(p->out_zp, p->act_min_q, p->act_max_q);
    ni8_pack(&j, w, bias, kc->scratch);
    ecl_kctx_run(kc, (j.npix + NI8_MR - 1) / NI8_MR, ni8_conv_tiles, &j);
}

/* ---- FULLY_CONNECTED: 4 output rows at a time ---- */
struct ni8_fc {
    const struct ecl_fc_params *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    int batch, K, out_dim, vec_ok;
};

static void ni8_fc_rows(void *ctx, int begin, int end) {
    const struct ni8_fc *j = ctx;
    const struct ecl_fc_params *p = j->p;
    const int K = j->K, Kf = K & ~15, rem = K - Kf;
    const int8x16_t ones = vdupq_n_s8(1);
    for (int blk = begin; blk < end; blk++) {
        int o0 = blk * 4, nr = j->out_dim - o0 < 4 ? j->out_dim - o0 : 4;
        const int8_t *wr[4];
        int8_t wt[4][16], xt[16];
        memset(wt, 0, sizeof wt);
        for (int c = 0; c < 4; c++) {
            wr[c] = j->w + (size_t)(o0 + (c < nr ? c : 0)) * K;
            memcpy(wt[c], wr[c] + Kf, (size_t)rem);
        }
        int32_t m[4], sh[4];
        ni8_params4(p->out_mult, p->out_shift, o0, nr, !p->per_channel, m, sh);
        struct rqn rq = rqn_load(m, sh, p->rounding);
        struct rqo ro = rqo_make(p->out_zp, p->act_min_q, p->act_max_q);
        int32x4_t bconst = vdupq_n_s32(0); /* bias - in_zp*sum w + K*in_zp*w_zp, 4 rows */
        for (int b = 0; b < j->batch; b++) {
            const int8_t *x = j->in + (size_t)b * K;
            memset(xt, 0, sizeof xt);
            memcpy(xt, x + Kf, (size_t)rem);
            int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0, sx = a0;
            int32x4_t s0 = a0, s1 = a0, s2 = a0, s3 = a0;
            const int want_sw = b == 0 && p->in_zp != 0;
            for (int k = 0; k <= Kf; k += 16) {
                int8x16_t xv, v0, v1, v2, v3;
                if (k < Kf) {
                    xv = vld1q_s8(x + k);
                    v0 = vld1q_s8(wr[0] + k), v1 = vld1q_s8(wr[1] + k);
                    v2 = vld1q_s8(wr[2] + k), v3 = vld1q_s8(wr[3] + k);
                } else {
                    if (!rem) break;
                    xv = vld1q_s8(xt);
                    v0 = vld1q_s8(wt[0]), v1 = vld1q_s8(wt[1]);
                    v2 = vld1q_s8(wt[2]), v3 = vld1q_s8(wt[3]);
                }
                a0 = NI8_DOT(a0, xv, v0);
                a1 = NI8_DOT(a1, xv, v1);
                a2 = NI8_DOT(a2, xv, v2);
                a3 = NI8_DOT(a3, xv, v3);
                if (p->w_zp) sx = NI8_DOT(sx, xv, ones);
                if (want_sw) {
                    s0 = NI8_DOT(s0, v0, ones);
                    s1 = NI8_DOT(s1, v1, ones);
                    s2 = NI8_DOT(s2, v2, ones);
                    s3 = NI8_DOT(s3, v3, ones);
                }
            }
            if (b == 0) {
                int32_t bb[4];
                for (int c = 0; c < 4; c++)
                    bb[c] = j->bias ? j->bias[o0 + (c < nr ? c : 0)] : 0;
                /* wrapping: in_zp * sum w and K*in_zp*w_zp as vector (modular) products */
                int32x4_t sw = ni8_hsum4(s0, s1, s2, s3);
                bconst = vsubq_s32(vld1q_s32(bb), vmulq_n_s32(sw, p->in_zp));
                bconst = vaddq_s32(bconst, vdupq_n_s32((int32_t)((uint32_t)K * (uint32_t)p->in_zp *
                                                                 (uint32_t)p->w_zp)));
            }
            int32x4_t v = ni8_hsum4(a0, a1, a2, a3);
            v = vaddq_s32(v, bconst);
            if (p->w_zp)
                v = vsubq_s32(v,
                              vdupq_n_s32((int32_t)((uint32_t)p->w_zp * (uint32_t)vaddvq_s32(sx))));
            ni8_out4(j->vec_ok ? &rq : NULL, &ro, p->out_zp, p->act_min_q, p->act_max_q,
                     p->rounding, m, sh, v, j->out + (size_t)b * j->out_dim + o0, nr);
        }
    }
}

void NI8_FN(fc_i8)(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const int8_t *in,
                   int32_t batch, int32_t in_dim, const int8_t *w, const int32_t *bias, int8_t *out,
                   int32_t out_dim) {
    if (batch <= 0 || in_dim <= 0 || out_dim <= 0 || out_dim > 0x7ffffff0) {
        ecl_ref_fc_i8(kc, p, in, batch, in_dim, w, bias, out, out_dim);
        return;
    }
    struct ni8_fc j = {p, in, w, bias, out, batch, in_dim, out_dim, 0};
    j.vec_ok = rqn_vec_ok(p->out_mult, p->out_shift, p->per_channel ? out_dim : 1, p->rounding) &&
               rqo_ok(p->out_zp, p->act_min_q, p->act_max_q);
    int blocks = (out_dim + 3) / 4;
    if ((long)out_dim * in_dim * batch < 65536)
        ni8_fc_rows(&j, 0, blocks);
    else
        ecl_kctx_run(kc, blocks, ni8_fc_rows, &j);
}
