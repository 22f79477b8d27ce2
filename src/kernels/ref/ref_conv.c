/* Reference convolution, depthwise convolution and fully-connected kernels: the direct loops of
 * the formulas in kernels.h, written for clarity, not speed. Work is split over output rows
 * (n*out_h) so that the tools can still use threads when only the reference kernels are on. */
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
};

static void conv_f32_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const float *in = j->in, *w = j->w, *bias = j->bias;
    float *out = j->out;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    for (int r = begin; r < end; r++) {
        int n = r / os.h, y = r % os.h;
        for (int x = 0; x < os.w; x++) {
            float *o = out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = 0; oc < os.c; oc++) {
                float acc = bias ? bias[oc] : 0.0f;
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
                o[oc] = clampf(acc, p->act_min, p->act_max);
            }
        }
    }
}

void ecl_ref_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const float *in,
                        struct ecl_shape4 is, const float *w, struct ecl_shape4 ws,
                        const float *bias, float *out, struct ecl_shape4 os) {
    struct conv_job j = {p, in, w, bias, out, is, ws, os};
    ecl_kctx_run(kc, os.n * os.h, conv_f32_rows, &j);
}

static void conv_i8_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const int8_t *in = j->in, *w = j->w;
    const int32_t *bias = j->bias;
    int8_t *out = j->out;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    for (int r = begin; r < end; r++) {
        int n = r / os.h, y = r % os.h;
        for (int x = 0; x < os.w; x++) {
            int8_t *o = out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = 0; oc < os.c; oc++) {
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
    struct conv_job j = {p, in, w, bias, out, is, ws, os};
    ecl_kctx_run(kc, os.n * os.h, conv_i8_rows, &j);
}

static void dw_f32_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const float *in = j->in, *w = j->w, *bias = j->bias;
    float *out = j->out;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    for (int r = begin; r < end; r++) {
        int n = r / os.h, y = r % os.h;
        for (int x = 0; x < os.w; x++) {
            float *o = out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = 0; oc < os.c; oc++) {
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
    struct conv_job j = {p, in, w, bias, out, is, ws, os};
    ecl_kctx_run(kc, os.n * os.h, dw_f32_rows, &j);
}

static void dw_i8_rows(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const int8_t *in = j->in, *w = j->w;
    const int32_t *bias = j->bias;
    int8_t *out = j->out;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    for (int r = begin; r < end; r++) {
        int n = r / os.h, y = r % os.h;
        for (int x = 0; x < os.w; x++) {
            int8_t *o = out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = 0; oc < os.c; oc++) {
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
    struct conv_job j = {p, in, w, bias, out, is, ws, os};
    ecl_kctx_run(kc, os.n * os.h, dw_i8_rows, &j);
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
