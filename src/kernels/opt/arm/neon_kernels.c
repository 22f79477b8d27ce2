/* NEON float32 kernels for AArch64 (Advanced SIMD is mandatory there, so no runtime check).
 * Same structure as the AVX2 ones (see opt.h and ../x86/): convolution as dot products along
 * the input channels of OHWI weights, MR=4 pixels x NR=4 output channels = 16 float32x4
 * accumulators (of the 32 vector registers), im2col on the stack for non-1x1 convolutions;
 * depthwise vectorised over channels; FC as dot products; ADD element-wise. Kept deliberately
 * simple (no packing, no assembly): correctness first, checked against the reference kernels
 * by tests/test_kernels_opt*.c. */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>
#include "kernels/opt/opt.h"

#define MR 4
#define NR 4
#define IM2COL_MAX_K 2048

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

struct conv_job {
    const struct ecl_conv_params *p;
    const float *in, *w, *bias;
    float *out;
    struct ecl_shape4 is, ws, os;
    int npix;
    struct ecl_split sp; /* conv items: pixel tiles, cut into channel slices on small maps */
};

static inline const float *pix_1x1(const struct conv_job *j, int q) {
    int ohw = j->os.h * j->os.w;
    int n = q / ohw, r = q % ohw, y = r / j->os.w, x = r % j->os.w;
    return j->in + (((size_t)n * j->is.h + (size_t)y * j->p->stride_h) * j->is.w +
                    (size_t)x * j->p->stride_w) *
                       j->is.c;
}

static void im2col(const struct conv_job *j, int q, float *dst) {
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    int ohw = os.h * os.w;
    int n = q / ohw, r = q % ohw, y = r / os.w, x = r % os.w;
    for (int ky = 0; ky < ws.h; ky++)
        for (int kx = 0; kx < ws.w; kx++) {
            int iy = y * p->stride_h - p->pad_top + ky, ix = x * p->stride_w - p->pad_left + kx;
            float *d = dst + ((size_t)ky * ws.w + kx) * is.c;
            if (iy < 0 || iy >= is.h || ix < 0 || ix >= is.w)
                memset(d, 0, (size_t)is.c * sizeof(float));
            else
                memcpy(d, j->in + (((size_t)n * is.h + iy) * is.w + ix) * is.c,
                       (size_t)is.c * sizeof(float));
        }
}

static void conv_tile_range(const struct conv_job *j, int begin, int end, int c_lo, int c_hi) {
    const struct ecl_conv_params *p = j->p;
    const int cout = j->os.c, K = j->ws.h * j->ws.w * j->ws.c;
    const int direct = j->ws.h == 1 && j->ws.w == 1 && p->pad_top == 0 && p->pad_left == 0;
    float col[direct ? 1 : MR * IM2COL_MAX_K];
    for (int t = begin; t < end; t++) {
        int q0 = t * MR, mr = j->npix - q0 < MR ? j->npix - q0 : MR;
        const float *a[MR];
        for (int r = 0; r < MR; r++) {
            if (r >= mr) {
                a[r] = a[0];
            } else if (direct) {
                a[r] = pix_1x1(j, q0 + r);
            } else {
                a[r] = col + (size_t)r * K;
                im2col(j, q0 + r, col + (size_t)r * K);
            }
        }
        for (int oc = c_lo; oc < c_hi; oc += NR) {
            int nr = c_hi - oc < NR ? c_hi - oc : NR;
            const float *w[NR];
            for (int c = 0; c < NR; c++)
                w[c] = j->w + (size_t)(oc + (c < nr ? c : 0)) * K;
            float32x4_t acc[MR][NR];
            for (int r = 0; r < MR; r++)
                for (int c = 0; c < NR; c++)
                    acc[r][c] = vdupq_n_f32(0.0f);
            int k = 0;
            for (; k + 4 <= K; k += 4) {
                float32x4_t x0 = vld1q_f32(a[0] + k), x1 = vld1q_f32(a[1] + k);
                float32x4_t x2 = vld1q_f32(a[2] + k), x3 = vld1q_f32(a[3] + k);
                for (int c = 0; c < NR; c++) {
                    float32x4_t v = vld1q_f32(w[c] + k);
                    acc[0][c] = vfmaq_f32(acc[0][c], x0, v);
                    acc[1][c] = vfmaq_f32(acc[1][c], x1, v);
                    acc[2][c] = vfmaq_f32(acc[2][c], x2, v);
                    acc[3][c] = vfmaq_f32(acc[3][c], x3, v);
                }
            }
            for (int r = 0; r < mr; r++) {
                float *o = j->out + (size_t)(q0 + r) * cout + oc;
                for (int c = 0; c < nr; c++) {
                    float s = vaddvq_f32(acc[r][c]);
                    for (int kk = k; kk < K; kk++)
                        s += a[r][kk] * w[c][kk];
                    if (j->bias) s += j->bias[oc + c];
                    o[c] = clampf(s, p->act_min, p->act_max);
                }
            }
        }
    }
}

static void conv_tiles(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    for (int it = begin; it < end; it++) {
        int t, c0, c1;
        ecl_split_item(&j->sp, it, &t, &c0, &c1);
        conv_tile_range(j, t, t + 1, c0, c1);
    }
}

void ecl_neon_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                         const float *in, struct ecl_shape4 is, const float *w,
                         struct ecl_shape4 ws, const float *bias, float *out,
                         struct ecl_shape4 os) {
    int one = ws.h == 1 && ws.w == 1 && p->pad_top == 0 && p->pad_left == 0;
    long K = (long)ws.h * ws.w * ws.c;
    if (ws.c != is.c || p->dil_h != 1 || p->dil_w != 1 || (!one && K > IM2COL_MAX_K) ||
        (long)os.n * os.h * os.w > 0x7fffff00L) {
        ecl_ref_conv2d_f32(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct conv_job j = {p, in, w, bias, out, is, ws, os, os.n * os.h * os.w, {0, 1, 0, 1}};
    j.sp = ecl_split_plan(kc, (j.npix + MR - 1) / MR, os.c, 16);
    ecl_kctx_run(kc, ecl_split_items(&j.sp), conv_tiles, &j);
}

/* ---- depthwise: 4 channels per vector, scalar channel tail ---- */
static void dw_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    const int C = os.c;
    const float32x4_t lo = vdupq_n_f32(p->act_min), hi = vdupq_n_f32(p->act_max);
    for (int r = begin; r < end; r++) {
        int n = r / os.h, y = r % os.h;
        const float *inb = j->in + (size_t)n * is.h * is.w * C;
        float *ob = j->out + ((size_t)n * os.h + y) * os.w * C;
        for (int x = 0; x < os.w; x++) {
            int c = 0;
            for (; c + 4 <= C; c += 4) {
                float32x4_t acc = j->bias ? vld1q_f32(j->bias + c) : vdupq_n_f32(0.0f);
                for (int ky = 0; ky < ws.h; ky++) {
                    int iy = y * p->stride_h - p->pad_top + ky;
                    if (iy < 0 || iy >= is.h) continue;
                    for (int kx = 0; kx < ws.w; kx++) {
                        int ix = x * p->stride_w - p->pad_left + kx;
                        if (ix < 0 || ix >= is.w) continue;
                        acc = vfmaq_f32(acc, vld1q_f32(inb + ((size_t)iy * is.w + ix) * C + c),
                                        vld1q_f32(j->w + ((size_t)ky * ws.w + kx) * C + c));
                    }
                }
                vst1q_f32(ob + (size_t)x * C + c, vminq_f32(vmaxq_f32(acc, lo), hi));
            }
            for (; c < C; c++) {
                float acc = j->bias ? j->bias[c] : 0.0f;
                for (int ky = 0; ky < ws.h; ky++) {
                    int iy = y * p->stride_h - p->pad_top + ky;
                    if (iy < 0 || iy >= is.h) continue;
                    for (int kx = 0; kx < ws.w; kx++) {
                        int ix = x * p->stride_w - p->pad_left + kx;
                        if (ix < 0 || ix >= is.w) continue;
                        acc += inb[((size_t)iy * is.w + ix) * C + c] *
                               j->w[((size_t)ky * ws.w + kx) * C + c];
                    }
                }
                ob[(size_t)x * C + c] = clampf(acc, p->act_min, p->act_max);
            }
        }
    }
}

void ecl_neon_dwconv_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                         const float *in, struct ecl_shape4 is, const float *w,
                         struct ecl_shape4 ws, const float *bias, float *out,
                         struct ecl_shape4 os) {
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    if (dm != 1 || is.c != os.c || ws.c != os.c || p->dil_h != 1 || p->dil_w != 1) {
        ecl_ref_dwconv_f32(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct conv_job j = {p, in, w, bias, out, is, ws, os, 0, {0, 1, 0, 1}};
    ecl_kctx_run(kc, os.n * os.h, dw_rows, &j);
}

/* ---- fully connected ---- */
struct fc_job {
    const struct ecl_fc_params *p;
    const float *in, *w, *bias;
    float *out;
    int batch, in_dim, out_dim;
};

static void fc_rows(void *ctx, int begin, int end) {
    const struct fc_job *j = ctx;
    const int K = j->in_dim;
    for (int o = begin; o < end; o++) {
        const float *wr = j->w + (size_t)o * K;
        for (int b = 0; b < j->batch; b++) {
            const float *x = j->in + (size_t)b * K;
            float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
            int k = 0;
            for (; k + 8 <= K; k += 8) {
                a0 = vfmaq_f32(a0, vld1q_f32(x + k), vld1q_f32(wr + k));
                a1 = vfmaq_f32(a1, vld1q_f32(x + k + 4), vld1q_f32(wr + k + 4));
            }
            for (; k + 4 <= K; k += 4)
                a0 = vfmaq_f32(a0, vld1q_f32(x + k), vld1q_f32(wr + k));
            float s = vaddvq_f32(vaddq_f32(a0, a1));
            for (; k < K; k++)
                s += x[k] * wr[k];
            if (j->bias) s += j->bias[o];
            j->out[(size_t)b * j->out_dim + o] = clampf(s, j->p->act_min, j->p->act_max);
        }
    }
}

void ecl_neon_fc_f32(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const float *in,
                     int32_t batch, int32_t in_dim, const float *w, const float *bias, float *out,
                     int32_t out_dim) {
    struct fc_job j = {p, in, w, bias, out, batch, in_dim, out_dim};
    if (batch <= 0 || in_dim <= 0) {
        ecl_ref_fc_f32(kc, p, in, batch, in_dim, w, bias, out, out_dim);
        return;
    }
    if ((long)out_dim * in_dim * batch < 65536)
        fc_rows(&j, 0, out_dim);
    else
        ecl_kctx_run(kc, out_dim, fc_rows, &j);
}

/* ---- add (same shapes; broadcasting goes to the reference) ---- */
struct add_job {
    const struct ecl_binary_params *p;
    const float *a, *b;
    float *out;
    size_t n, len; /* len: values per item (ecl_split_elem_len) */
};

static void add_chunks(void *ctx, int begin, int end) {
    const struct add_job *j = ctx;
    const float32x4_t lo = vdupq_n_f32(j->p->act_min), hi = vdupq_n_f32(j->p->act_max);
    size_t i = (size_t)begin * j->len, e = (size_t)end * j->len;
    if (e > j->n) e = j->n;
    for (; i + 4 <= e; i += 4)
        vst1q_f32(
            j->out + i,
            vminq_f32(vmaxq_f32(vaddq_f32(vld1q_f32(j->a + i), vld1q_f32(j->b + i)), lo), hi));
    for (; i < e; i++)
        j->out[i] = clampf(j->a[i] + j->b[i], j->p->act_min, j->p->act_max);
}

void ecl_neon_add_f32(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const float *a,
                      struct ecl_shape4 as, const float *b, struct ecl_shape4 bs, float *out,
                      struct ecl_shape4 os) {
    size_t n = ecl_shape4_count(os), len = ecl_split_elem_len(kc, n);
    int items = ecl_split_elem_items(n, len);
    if (!ecl_opt_same_shape(as, os) || !ecl_opt_same_shape(bs, os) || items < 0) {
        ecl_ref_add_f32(kc, p, a, as, b, bs, out, os);
        return;
    }
    struct add_job j = {p, a, b, out, n, len};
    ecl_kctx_run(kc, items, add_chunks, &j);
}
#endif
