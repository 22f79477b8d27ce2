/* Reference hybrid (dynamic-range) kernels: TFLite's arithmetic for float activations with int8
 * weights (see kernels.h). The input is quantised per batch into the scratch area first, then
 * the output rows are computed (split over threads like the other reference kernels). */
#include <math.h>
#include <string.h>
#include "kernels/kernels.h"

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

size_t ecl_hybrid_scratch(size_t in_count, int32_t batch) {
    size_t b = batch > 0 ? (size_t)batch : 1;
    return ((in_count + 63) & ~(size_t)63) + b * (sizeof(float) + sizeof(int32_t));
}

void ecl_ref_quantize_batch(const float *x, size_t n, int asymmetric, int8_t *q, float *scale,
                            int32_t *offset) {
    float lo = n ? x[0] : 0.0f, hi = lo;
    for (size_t i = 1; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    *offset = 0;
    if (!asymmetric) {
        float range = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
        if (range == 0.0f) {
            memset(q, 0, n);
            *scale = 1.0f;
            return;
        }
        *scale = range / 127.0f;
        float inv = 127.0f / range;
        for (size_t i = 0; i < n; i++) {
            int32_t v = (int32_t)roundf(x[i] * inv);
            q[i] = (int8_t)(v > 127 ? 127 : (v < -127 ? -127 : v));
        }
        return;
    }
    double rmin = lo < 0.0f ? lo : 0.0, rmax = hi > 0.0f ? hi : 0.0;
    if (rmin == rmax) {
        memset(q, 0, n);
        *scale = 1.0f;
        return;
    }
    double s = (rmax - rmin) / 255.0;
    double zmin = -128.0 - rmin / s, zmax = 127.0 - rmax / s;
    double emin = 128.0 + fabs(rmin / s), emax = 127.0 + fabs(rmax / s);
    double z = emin < emax ? zmin : zmax;
    int32_t zp = z <= -128.0 ? -128 : (z >= 127.0 ? 127 : (int32_t)round(z));
    *scale = (float)s;
    *offset = zp;
    float inv = 1.0f / *scale;
    for (size_t i = 0; i < n; i++) {
        int32_t v = (int32_t)roundf((float)zp + x[i] * inv);
        q[i] = (int8_t)(v > 127 ? 127 : (v < -128 ? -128 : v));
    }
}

struct hjob {
    const struct ecl_conv_params *p;
    const struct ecl_hybrid_params *h;
    const int8_t *q, *w;
    const float *sf, *bias;
    const int32_t *off;
    float *out;
    struct ecl_shape4 is, ws, os;
    struct ecl_split sp; /* output rows, cut into channel slices on small maps (kernels.h) */
};

/* Splits the scratch into the quantised input, the scales and the offsets; quantises. */
static void quantize_input(const struct ecl_kctx *kc, const float *in, size_t per_batch,
                           int32_t batch, int asym, struct hjob *j) {
    uint8_t *s = kc->scratch;
    int8_t *q = (int8_t *)s;
    float *sf = (float *)(s + ((per_batch * (size_t)batch + 63) & ~(size_t)63));
    int32_t *off = (int32_t *)(sf + batch);
    for (int32_t b = 0; b < batch; b++)
        ecl_ref_quantize_batch(in + (size_t)b * per_batch, per_batch, asym,
                               q + (size_t)b * per_batch, &sf[b], &off[b]);
    j->q = q;
    j->sf = sf;
    j->off = off;
}

static inline float hscale(const struct hjob *j, int n, int o) {
    return j->sf[n] * j->h->w_scale[j->h->per_channel ? o : 0];
}

static void conv_rows(void *ctx, int begin, int end) {
    const struct hjob *j = ctx;
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    for (int it = begin; it < end; it++) {
        int r, c0, c1;
        ecl_split_item(&j->sp, it, &r, &c0, &c1);
        int n = r / os.h, y = r % os.h;
        int32_t zo = j->off[n];
        for (int x = 0; x < os.w; x++) {
            float *o = j->out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = c0; oc < c1; oc++) {
                int32_t acc = 0;
                for (int ky = 0; ky < ws.h; ky++) {
                    int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= is.h) continue;
                    for (int kx = 0; kx < ws.w; kx++) {
                        int ix = x * p->stride_w - p->pad_left + kx * p->dil_w;
                        if (ix < 0 || ix >= is.w) continue;
                        const int8_t *ip = j->q + (((size_t)n * is.h + iy) * is.w + ix) * is.c;
                        const int8_t *wp = j->w + (((size_t)oc * ws.h + ky) * ws.w + kx) * ws.c;
                        for (int ic = 0; ic < is.c; ic++)
                            acc += ((int32_t)ip[ic] - zo) * (int32_t)wp[ic];
                    }
                }
                float v = (float)acc * hscale(j, n, oc);
                o[oc] = clampf(v + (j->bias ? j->bias[oc] : 0.0f), p->act_min, p->act_max);
            }
        }
    }
}

void ecl_ref_conv2d_hybrid(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const struct ecl_hybrid_params *h, const float *in, struct ecl_shape4 is,
                           const int8_t *w, struct ecl_shape4 ws, const float *bias, float *out,
                           struct ecl_shape4 os) {
    struct hjob j = {p,    h,   NULL, w,  NULL, bias,
                     NULL, out, is,   ws, os,   ecl_split_plan(kc, os.n * os.h, os.c, 1)};
    quantize_input(kc, in, (size_t)is.h * is.w * is.c, is.n, h->asymmetric, &j);
    ecl_kctx_run(kc, ecl_split_items(&j.sp), conv_rows, &j);
}

static void dw_rows(void *ctx, int begin, int end) {
    const struct hjob *j = ctx;
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    for (int it = begin; it < end; it++) {
        int r, c0, c1;
        ecl_split_item(&j->sp, it, &r, &c0, &c1);
        int n = r / os.h, y = r % os.h;
        int32_t zo = j->off[n];
        for (int x = 0; x < os.w; x++) {
            float *o = j->out + (((size_t)n * os.h + y) * os.w + x) * os.c;
            for (int oc = c0; oc < c1; oc++) {
                int ic = oc / dm;
                int32_t acc = 0;
                for (int ky = 0; ky < ws.h; ky++) {
                    int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= is.h) continue;
                    for (int kx = 0; kx < ws.w; kx++) {
                        int ix = x * p->stride_w - p->pad_left + kx * p->dil_w;
                        if (ix < 0 || ix >= is.w) continue;
                        int32_t iv = j->q[(((size_t)n * is.h + iy) * is.w + ix) * is.c + ic];
                        acc += (iv - zo) * (int32_t)j->w[((size_t)ky * ws.w + kx) * ws.c + oc];
                    }
                }
                float v = (float)acc * hscale(j, n, oc);
                o[oc] = clampf(v + (j->bias ? j->bias[oc] : 0.0f), p->act_min, p->act_max);
            }
        }
    }
}

void ecl_ref_dwconv_hybrid(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const struct ecl_hybrid_params *h, const float *in, struct ecl_shape4 is,
                           const int8_t *w, struct ecl_shape4 ws, const float *bias, float *out,
                           struct ecl_shape4 os) {
    struct hjob j = {p,    h,   NULL, w,  NULL, bias,
                     NULL, out, is,   ws, os,   ecl_split_plan(kc, os.n * os.h, os.c, 1)};
    quantize_input(kc, in, (size_t)is.h * is.w * is.c, is.n, h->asymmetric, &j);
    ecl_kctx_run(kc, ecl_split_items(&j.sp), dw_rows, &j);
}

void ecl_ref_fc_hybrid(const struct ecl_kctx *kc, const struct ecl_fc_params *p,
                       const struct ecl_hybrid_params *h, const float *in, int32_t batch,
                       int32_t in_dim, const int8_t *w, const float *bias, float *out,
                       int32_t out_dim) {
    struct hjob j;
    memset(&j, 0, sizeof j);
    j.h = h;
    quantize_input(kc, in, (size_t)in_dim, batch, h->asymmetric, &j);
    for (int32_t b = 0; b < batch; b++)
        for (int32_t o = 0; o < out_dim; o++) {
            const int8_t *wr = w + (size_t)o * in_dim, *x = j.q + (size_t)b * in_dim;
            int32_t acc = 0;
            for (int32_t i = 0; i < in_dim; i++)
                acc += ((int32_t)x[i] - j.off[b]) * (int32_t)wr[i];
            float v = (float)acc * hscale(&j, b, o);
            out[(size_t)b * out_dim + o] =
                clampf((bias ? bias[o] : 0.0f) + v, p->act_min, p->act_max);
        }
}
