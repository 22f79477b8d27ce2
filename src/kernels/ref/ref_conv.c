/* Reference convolution, depthwise convolution and fully-connected kernels: the direct loops of
 * the formulas in kernels.h, written for clarity, not speed. Work is split over output rows
 * (n*out_h), on small maps also over channel slices (ecl_split_plan), so that the tools can
 * still use threads when only the reference kernels are on. */
#include <math.h>
#include "kernels/kernels.h"

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}
static inline int32_t clampi(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

struct conv_job {
    const struct ecl_conv_params *p;
    const void *in, *w, *bias;
    void *out;
    struct ecl_shape4 is, ws, os;
    struct ecl_split sp; /* output rows, cut into channel slices on small maps (kernels.h) */
};

/* Terms k in [k0, k1) of one output's dot product (k = (ky * KW + kx) * C + ic, padded
 * positions counted but adding nothing), added in order: to *even / *odd by k's parity when
 * odd is given, else all to *even. */
static void dot_range(const struct conv_job *j, int n, int y, int x, int oc, int k0, int k1,
                      float *even, float *odd) {
    const struct ecl_conv_params *p = j->p;
    const float *in = j->in, *w = j->w;
    struct ecl_shape4 is = j->is, ws = j->ws;
    for (int ky = 0; ky < ws.h; ky++) {
        int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
        if (iy < 0 || iy >= is.h) continue;
        for (int kx = 0; kx < ws.w; kx++) {
            int ix = x * p->stride_w - p->pad_left + kx * p->dil_w;
            int base = (ky * ws.w + kx) * is.c;
            if (ix < 0 || ix >= is.w || base >= k1 || base + is.c <= k0) continue;
            const float *ip = in + (((size_t)n * is.h + iy) * is.w + ix) * is.c;
            const float *wp = w + (((size_t)oc * ws.h + ky) * ws.w + kx) * ws.c;
            for (int ic = 0; ic < is.c; ic++) {
                int k = base + ic;
                if (k < k0 || k >= k1) continue;
                float t = ip[ic] * wp[ic];
                if (odd && (k & 1))
                    *odd += t;
                else
                    *even += t;
            }
        }
    }
}

/* ECL_F32_EIGEN (kernels.h): Eigen's gebp order, without the bias; the last pixels % 4
 * columns of the gemm are summed in plain order. */
static float dot_eigen(const struct conv_job *j, int n, int y, int x, int oc) {
    int k = j->ws.h * j->ws.w * j->is.c, peeled = k - k % 8;
    float even = 0.0f, odd = 0.0f;
    long cols = (long)j->os.n * j->os.h * j->os.w, col = ((long)n * j->os.h + y) * j->os.w + x;
    if (col >= cols - cols % 4) {
        dot_range(j, n, y, x, oc, 0, k, &even, NULL);
        return even;
    }
    dot_range(j, n, y, x, oc, 0, peeled, &even, &odd);
    even += odd;
    dot_range(j, n, y, x, oc, peeled, k, &even, NULL);
    return even;
}

static void conv_f32_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const float *in = j->in, *w = j->w, *bias = j->bias;
    float *out = j->out;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    for (int it = begin; it < end; it++) {
        int r, c0, c1;
        ecl_split_item(&j->sp, it, &r, &c0, &c1);
        int n = r / os.h, y = r % os.h;
        for (int x = 0; x < os.w; x++) {
            float *o = out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = c0; oc < c1; oc++) {
                float acc;
                if (p->f32_order == ECL_F32_EIGEN) {
                    acc = dot_eigen(j, n, y, x, oc);
                    if (bias) acc += bias[oc];
                } else {
                    acc = bias ? bias[oc] : 0.0f;
                    for (int ky = 0; ky < ws.h; ky++) {
                        int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
                        if (iy < 0 || iy >= is.h) continue;
                        for (int kx = 0; kx < ws.w; kx++) {
                            int ix = x * p->stride_w - p->pad_left + kx * p->dil_w;
                            if (ix < 0 || ix >= is.w) continue;
                            const float *ip = in + (((size_t)n * is.h + iy) * is.w + ix) * is.c;
                            const float *wp = w + (((size_t)oc * ws.h + ky) * ws.w + kx) * ws.c;
                            for (int ic = 0; ic < is.c; ic++)
                                acc += ip[ic] * wp[ic];
                        }
                    }
                }
                o[oc] = clampf(acc, p->act_min, p->act_max);
            }
        }
    }
}

void ecl_ref_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const float *in,
                        struct ecl_shape4 is, const float *w, struct ecl_shape4 ws,
                        const float *bias, float *out, struct ecl_shape4 os) {
    struct conv_job j = {p, in, w, bias, out, is, ws, os, ecl_split_plan(kc, os.n * os.h, os.c, 1)};
    ecl_kctx_run(kc, ecl_split_items(&j.sp), conv_f32_rows, &j);
}

static void conv_i8_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const int8_t *in = j->in, *w = j->w;
    const int32_t *bias = j->bias;
    int8_t *out = j->out;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    for (int it = begin; it < end; it++) {
        int r, c0, c1;
        ecl_split_item(&j->sp, it, &r, &c0, &c1);
        int n = r / os.h, y = r % os.h;
        for (int x = 0; x < os.w; x++) {
            int8_t *o = out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = c0; oc < c1; oc++) {
                int32_t acc = bias ? bias[oc] : 0;
                for (int ky = 0; ky < ws.h; ky++) {
                    int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= is.h) continue;
                    for (int kx = 0; kx < ws.w; kx++) {
                        int ix = x * p->stride_w - p->pad_left + kx * p->dil_w;
                        if (ix < 0 || ix >= is.w) continue;
                        const int8_t *ip = in + (((size_t)n * is.h + iy) * is.w + ix) * is.c;
                        const int8_t *wp = w + (((size_t)oc * ws.h + ky) * ws.w + kx) * ws.c;
                        for (int ic = 0; ic < is.c; ic++)
                            acc += ((int32_t)ip[ic] - p->in_zp) * ((int32_t)wp[ic] - p->w_zp);
                    }
                }
                o[oc] = (int8_t)ecl_requant_out_r(acc, p->out_mult[oc], p->out_shift[oc], p->out_zp,
                                                  p->act_min_q, p->act_max_q, p->rounding);
            }
        }
    }
}

void ecl_ref_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const int8_t *in,
                       struct ecl_shape4 is, const int8_t *w, struct ecl_shape4 ws,
                       const int32_t *bias, int8_t *out, struct ecl_shape4 os) {
    struct conv_job j = {p, in, w, bias, out, is, ws, os, ecl_split_plan(kc, os.n * os.h, os.c, 1)};
    ecl_kctx_run(kc, ecl_split_items(&j.sp), conv_i8_rows, &j);
}

static void dw_f32_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const float *in = j->in, *w = j->w, *bias = j->bias;
    float *out = j->out;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    for (int it = begin; it < end; it++) {
        int r, c0, c1;
        ecl_split_item(&j->sp, it, &r, &c0, &c1);
        int n = r / os.h, y = r % os.h;
        for (int x = 0; x < os.w; x++) {
            float *o = out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = c0; oc < c1; oc++) {
                int ic = oc / dm;
                float acc = bias ? bias[oc] : 0.0f;
                for (int ky = 0; ky < ws.h; ky++) {
                    int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= is.h) continue;
                    for (int kx = 0; kx < ws.w; kx++) {
                        int ix = x * p->stride_w - p->pad_left + kx * p->dil_w;
                        if (ix < 0 || ix >= is.w) continue;
                        acc += in[(((size_t)n * is.h + iy) * is.w + ix) * is.c + ic] *
                               w[((size_t)ky * ws.w + kx) * ws.c + oc];
                    }
                }
                o[oc] = clampf(acc, p->act_min, p->act_max);
            }
        }
    }
}

void ecl_ref_dwconv_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const float *in,
                        struct ecl_shape4 is, const float *w, struct ecl_shape4 ws,
                        const float *bias, float *out, struct ecl_shape4 os) {
    struct conv_job j = {p, in, w, bias, out, is, ws, os, ecl_split_plan(kc, os.n * os.h, os.c, 1)};
    ecl_kctx_run(kc, ecl_split_items(&j.sp), dw_f32_rows, &j);
}

static void dw_i8_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const int8_t *in = j->in, *w = j->w;
    const int32_t *bias = j->bias;
    int8_t *out = j->out;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    for (int it = begin; it < end; it++) {
        int r, c0, c1;
        ecl_split_item(&j->sp, it, &r, &c0, &c1);
        int n = r / os.h, y = r % os.h;
        for (int x = 0; x < os.w; x++) {
            int8_t *o = out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = c0; oc < c1; oc++) {
                int ic = oc / dm;
                int32_t acc = bias ? bias[oc] : 0;
                for (int ky = 0; ky < ws.h; ky++) {
                    int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= is.h) continue;
                    for (int kx = 0; kx < ws.w; kx++) {
                        int ix = x * p->stride_w - p->pad_left + kx * p->dil_w;
                        if (ix < 0 || ix >= is.w) continue;
                        int32_t iv = in[(((size_t)n * is.h + iy) * is.w + ix) * is.c + ic];
                        acc += (iv - p->in_zp) *
                               ((int32_t)w[((size_t)ky * ws.w + kx) * ws.c + oc] - p->w_zp);
                    }
                }
                o[oc] = (int8_t)ecl_requant_out_r(acc, p->out_mult[oc], p->out_shift[oc], p->out_zp,
                                                  p->act_min_q, p->act_max_q, p->rounding);
            }
        }
    }
}

void ecl_ref_dwconv_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const int8_t *in,
                       struct ecl_shape4 is, const int8_t *w, struct ecl_shape4 ws,
                       const int32_t *bias, int8_t *out, struct ecl_shape4 os) {
    struct conv_job j = {p, in, w, bias, out, is, ws, os, ecl_split_plan(kc, os.n * os.h, os.c, 1)};
    ecl_kctx_run(kc, ecl_split_items(&j.sp), dw_i8_rows, &j);
}

void ecl_ref_fc_f32(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const float *in,
                    int32_t batch, int32_t in_dim, const float *w, const float *bias, float *out,
                    int32_t out_dim) {
    for (int32_t b = 0; b < batch; b++)
        for (int32_t o = 0; o < out_dim; o++) {
            float acc = bias ? bias[o] : 0.0f;
            const float *wr = w + (size_t)o * in_dim, *x = in + (size_t)b * in_dim;
            for (int32_t i = 0; i < in_dim; i++)
                acc += x[i] * wr[i];
            out[(size_t)b * out_dim + o] = clampf(acc, p->act_min, p->act_max);
        }
}

void ecl_ref_fc_i8(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const int8_t *in,
                   int32_t batch, int32_t in_dim, const int8_t *w, const int32_t *bias, int8_t *out,
                   int32_t out_dim) {
    for (int32_t b = 0; b < batch; b++)
        for (int32_t o = 0; o < out_dim; o++) {
            int32_t acc = bias ? bias[o] : 0;
            const int8_t *wr = w + (size_t)o * in_dim, *x = in + (size_t)b * in_dim;
            for (int32_t i = 0; i < in_dim; i++)
                acc += ((int32_t)x[i] - p->in_zp) * ((int32_t)wr[i] - p->w_zp);
            int k = p->per_channel ? o : 0;
            out[(size_t)b * out_dim + o] =
                (int8_t)ecl_requant_out_r(acc, p->out_mult[k], p->out_shift[k], p->out_zp,
                                          p->act_min_q, p->act_max_q, p->rounding);
        }
}
