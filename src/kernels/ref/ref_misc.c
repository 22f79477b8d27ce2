/* Reference pooling, element-wise, reduction, softmax and data-movement kernels.
 * Rounding: int8 average pooling and quantisation round half away from zero (as TFLite's
 * reference kernels do); int8 requantisation uses the gemmlowp helpers in kernels.h. */
#include <math.h>
#include <string.h>
#include "kernels/kernels.h"

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}
static inline int32_t clampi(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* ------------------------------------------------------------------ pooling */
/* One function for the four pooling variants: the window bounds are the part of interest. */
#define POOL_WINDOW                                                                                \
    int y0 = y * p->stride_h - p->pad_top, x0 = x * p->stride_w - p->pad_left;                     \
    int ky0 = y0 < 0 ? -y0 : 0, kx0 = x0 < 0 ? -x0 : 0;                                            \
    int ky1 = p->filter_h, kx1 = p->filter_w;                                                      \
    if (y0 + ky1 > is.h) ky1 = is.h - y0;                                                          \
    if (x0 + kx1 > is.w) kx1 = is.w - x0;

/* Items of the generic split (kernels.h): an output row, or a channel slice of one. */
struct pool_job {
    const struct ecl_pool_params *p;
    const void *in;
    void *out;
    struct ecl_shape4 is, os;
    struct ecl_split sp;
};

#define POOL_TASK(NAME, T, ...)                                                                    \
    static void NAME(void *ctx, int begin, int end) {                                              \
        const struct pool_job *j = ctx;                                                            \
        const struct ecl_pool_params *p = j->p;                                                    \
        const T *in = j->in;                                                                       \
        T *out = j->out;                                                                           \
        struct ecl_shape4 is = j->is, os = j->os;                                                  \
        for (int it = begin; it < end; it++) {                                                     \
            int row, c0, c1;                                                                       \
            ecl_split_item(&j->sp, it, &row, &c0, &c1);                                            \
            int n = row / os.h, y = row % os.h;                                                    \
            for (int x = 0; x < os.w; x++) {                                                       \
                POOL_WINDOW                                                                        \
                for (int c = c0; c < c1; c++) {                                                    \
                    __VA_ARGS__                                                                    \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

#define POOL_IN(ky, kx) in[(((size_t)n * is.h + y0 + (ky)) * is.w + x0 + (kx)) * is.c + c]
#define POOL_OUT out[(((size_t)n * os.h + y) * os.w + x) * os.c + c]

POOL_TASK(avgpool_f32_task, float, {
    float s = 0;
    int cnt = 0;
    for (int ky = ky0; ky < ky1; ky++)
        for (int kx = kx0; kx < kx1; kx++, cnt++)
            s += POOL_IN(ky, kx);
    float v = cnt ? s / (float)cnt : 0.0f;
    POOL_OUT = clampf(v, p->act_min, p->act_max);
})

POOL_TASK(maxpool_f32_task, float, {
    float m = -INFINITY;
    for (int ky = ky0; ky < ky1; ky++)
        for (int kx = kx0; kx < kx1; kx++) {
            float v = POOL_IN(ky, kx);
            if (v > m) m = v;
        }
    POOL_OUT = clampf(m, p->act_min, p->act_max);
})

POOL_TASK(avgpool_i8_task, int8_t, {
    int32_t s = 0, cnt = 0;
    for (int ky = ky0; ky < ky1; ky++)
        for (int kx = kx0; kx < kx1; kx++, cnt++)
            s += POOL_IN(ky, kx);
    int32_t v = 0;
    if (cnt && p->half_up) /* floor((s + cnt/2) / cnt) */
        v = s >= -(cnt / 2) ? (s + cnt / 2) / cnt : -((-(s + cnt / 2) + cnt - 1) / cnt);
    else if (cnt)
        v = s > 0 ? (s + cnt / 2) / cnt : (s - cnt / 2) / cnt;
    POOL_OUT = (int8_t)clampi(v, p->act_min_q, p->act_max_q);
})

POOL_TASK(maxpool_i8_task, int8_t, {
    int32_t m = -128;
    for (int ky = ky0; ky < ky1; ky++)
        for (int kx = kx0; kx < kx1; kx++) {
            int32_t v = POOL_IN(ky, kx);
            if (v > m) m = v;
        }
    POOL_OUT = (int8_t)clampi(m, p->act_min_q, p->act_max_q);
})

static void pool_run(const struct ecl_kctx *kc, const struct ecl_pool_params *p, const void *in,
                     struct ecl_shape4 is, void *out, struct ecl_shape4 os, ecl_task_fn task) {
    struct pool_job j = {p, in, out, is, os, ecl_split_plan(kc, os.n * os.h, os.c, 16)};
    ecl_kctx_run(kc, ecl_split_items(&j.sp), task, &j);
}

void ecl_ref_avgpool_f32(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                         const float *in, struct ecl_shape4 is, float *out, struct ecl_shape4 os) {
    pool_run(kc, p, in, is, out, os, avgpool_f32_task);
}

void ecl_ref_maxpool_f32(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                         const float *in, struct ecl_shape4 is, float *out, struct ecl_shape4 os) {
    pool_run(kc, p, in, is, out, os, maxpool_f32_task);
}

void ecl_ref_avgpool_i8(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                        const int8_t *in, struct ecl_shape4 is, int8_t *out, struct ecl_shape4 os) {
    pool_run(kc, p, in, is, out, os, avgpool_i8_task);
}

void ecl_ref_maxpool_i8(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                        const int8_t *in, struct ecl_shape4 is, int8_t *out, struct ecl_shape4 os) {
    pool_run(kc, p, in, is, out, os, maxpool_i8_task);
}

/* ------------------------------------------------------------------ binary */
/* Broadcast index: a dimension of size 1 always reads index 0. */
static inline size_t bidx(struct ecl_shape4 s, int n, int y, int x, int c) {
    n = s.n == 1 ? 0 : n;
    y = s.h == 1 ? 0 : y;
    x = s.w == 1 ? 0 : x;
    c = s.c == 1 ? 0 : c;
    return (((size_t)n * s.h + y) * s.w + x) * s.c + c;
}

#define BINARY_LOOP(EXPR)                                                                          \
    size_t o_ = 0;                                                                                 \
    for (int n = 0; n < os.n; n++)                                                                 \
        for (int y = 0; y < os.h; y++)                                                             \
            for (int x = 0; x < os.w; x++)                                                         \
                for (int c = 0; c < os.c; c++, o_++) {                                             \
                    size_t ia = bidx(as, n, y, x, c), ib = bidx(bs, n, y, x, c);                   \
                    out[o_] = EXPR;                                                                \
                }

void ecl_ref_add_f32(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const float *a,
                     struct ecl_shape4 as, const float *b, struct ecl_shape4 bs, float *out,
                     struct ecl_shape4 os) {
    BINARY_LOOP(clampf(a[ia] + b[ib], p->act_min, p->act_max))
}

void ecl_ref_mul_f32(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const float *a,
                     struct ecl_shape4 as, const float *b, struct ecl_shape4 bs, float *out,
                     struct ecl_shape4 os) {
    BINARY_LOOP(clampf(a[ia] * b[ib], p->act_min, p->act_max))
}

static inline int8_t add_i8_one(const struct ecl_binary_params *p, int32_t a, int32_t b) {
    int32_t sa = (a - p->a_zp) * (1 << p->left_shift);
    int32_t sb = (b - p->b_zp) * (1 << p->left_shift);
    int64_t sum = (int64_t)ecl_requant(sa, p->a_mult, p->a_shift) +
                  ecl_requant(sb, p->b_mult, p->b_shift); /* int64: no overflow */
    int32_t s32 = sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
    return (int8_t)ecl_requant_out(s32, p->out_mult, p->out_shift, p->out_zp, p->act_min_q,
                                   p->act_max_q);
}

static inline int8_t mul_i8_one(const struct ecl_binary_params *p, int32_t a, int32_t b) {
    return (int8_t)ecl_requant_out((a - p->a_zp) * (b - p->b_zp), p->out_mult, p->out_shift,
                                   p->out_zp, p->act_min_q, p->act_max_q);
}

void ecl_ref_add_i8(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const int8_t *a,
                    struct ecl_shape4 as, const int8_t *b, struct ecl_shape4 bs, int8_t *out,
                    struct ecl_shape4 os) {
    BINARY_LOOP(add_i8_one(p, a[ia], b[ib]))
}

void ecl_ref_mul_i8(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const int8_t *a,
                    struct ecl_shape4 as, const int8_t *b, struct ecl_shape4 bs, int8_t *out,
                    struct ecl_shape4 os) {
    BINARY_LOOP(mul_i8_one(p, a[ia], b[ib]))
}

/* ------------------------------------------------------------------ reductions */
struct mean_job {
    const float *in;
    struct ecl_shape4 is;
    float *out;
    struct ecl_split sp;
};

static void mean_hw_task(void *ctx, int begin, int end) {
    /* float only (no soft-double on single-precision FPUs such as Cortex-M4F): each row is
     * summed separately, then the row sums, which keeps the rounding error of a 7x7 or even
     * 112x112 map at a few float ulps. */
    const struct mean_job *j = ctx;
    struct ecl_shape4 is = j->is;
    for (int it = begin; it < end; it++) {
        int n, c0, c1;
        ecl_split_item(&j->sp, it, &n, &c0, &c1);
        for (int c = c0; c < c1; c++) {
            float s = 0.0f;
            for (int y = 0; y < is.h; y++) {
                const float *row = j->in + (((size_t)n * is.h + y) * is.w) * is.c + c;
                float r = 0.0f;
                for (int x = 0; x < is.w; x++)
                    r += row[(size_t)x * is.c];
                s += r;
            }
            size_t hw = (size_t)is.h * is.w;
            j->out[(size_t)n * is.c + c] = hw ? s / (float)hw : 0.0f;
        }
    }
}

void ecl_ref_mean_hw_f32(const struct ecl_kctx *kc, const float *in, struct ecl_shape4 is,
                         float *out) {
    struct mean_job j = {in, is, out, ecl_split_plan(kc, is.n, is.c, 16)};
    ecl_kctx_run(kc, ecl_split_items(&j.sp), mean_hw_task, &j);
}

/* Output index of a 4-D input position with the reduced axes collapsed to 1. */
static inline size_t red_idx(struct ecl_shape4 os, unsigned m, int n, int y, int x, int c) {
    return bidx(os, m & 1 ? 0 : n, m & 2 ? 0 : y, m & 4 ? 0 : x, m & 8 ? 0 : c);
}

static struct ecl_shape4 red_shape(struct ecl_shape4 is, unsigned m) {
    struct ecl_shape4 os = is;
    if (m & 1) os.n = 1;
    if (m & 2) os.h = 1;
    if (m & 4) os.w = 1;
    if (m & 8) os.c = 1;
    return os;
}

void ecl_ref_mean_f32(const float *in, struct ecl_shape4 is, unsigned axis_mask, float *out) {
    struct ecl_shape4 os = red_shape(is, axis_mask);
    size_t on = ecl_shape4_count(os), cnt = on ? ecl_shape4_count(is) / on : 0;
    for (size_t i = 0; i < on; i++)
        out[i] = 0;
    size_t k = 0;
    for (int n = 0; n < is.n; n++)
        for (int y = 0; y < is.h; y++)
            for (int x = 0; x < is.w; x++)
                for (int c = 0; c < is.c; c++, k++)
                    out[red_idx(os, axis_mask, n, y, x, c)] += in[k];
    for (size_t i = 0; i < on; i++)
        out[i] = cnt ? out[i] / (float)cnt : 0.0f;
}

void ecl_ref_mean_i8(const int8_t *in, struct ecl_shape4 is, unsigned axis_mask, int32_t in_zp,
                     int32_t out_zp, int32_t mult, int32_t shift, int8_t *out) {
    struct ecl_shape4 os = red_shape(is, axis_mask);
    size_t on = ecl_shape4_count(os), cnt = on ? ecl_shape4_count(is) / on : 0;
    /* Accumulate per output in int32 using the output buffer row by row: the reduced count of
     * a MobileNet feature map (<= 64*64) times 255 fits easily. */
    for (size_t oi = 0; oi < on; oi++) {
        int32_t s = 0;
        int on_ = (int)(oi / ((size_t)os.h * os.w * os.c)),
            rem = (int)(oi % ((size_t)os.h * os.w * os.c));
        int oy = rem / (os.w * os.c), ox = (rem / os.c) % os.w, oc = rem % os.c;
        for (int n = 0; n < is.n; n++) {
            if (!(axis_mask & 1) && n != on_) continue;
            for (int y = 0; y < is.h; y++) {
                if (!(axis_mask & 2) && y != oy) continue;
                for (int x = 0; x < is.w; x++) {
                    if (!(axis_mask & 4) && x != ox) continue;
                    for (int c = 0; c < is.c; c++) {
                        if (!(axis_mask & 8) && c != oc) continue;
                        s += in[(((size_t)n * is.h + y) * is.w + x) * is.c + c] - in_zp;
                    }
                }
            }
        }
        (void)cnt;
        out[oi] = (int8_t)ecl_requant_out(s, mult, shift, out_zp, -128, 127);
    }
}

/* ------------------------------------------------------------------ unary / softmax */
void ecl_ref_softmax_f32(const float *in, float *out, int32_t outer, int32_t depth, float beta) {
    for (int32_t r = 0; r < outer; r++) {
        const float *x = in + (size_t)r * depth;
        float *y = out + (size_t)r * depth;
        float m = -INFINITY;
        for (int32_t i = 0; i < depth; i++)
            m = x[i] > m ? x[i] : m;
        float s = 0.0f; /* terms in (0, 1], one of them 1: float is accurate enough */
        for (int32_t i = 0; i < depth; i++) {
            y[i] = expf(beta * (x[i] - m));
            s += y[i];
        }
        float inv = 1.0f / s;
        for (int32_t i = 0; i < depth; i++)
            y[i] *= inv;
    }
}

void ecl_ref_softmax_i8(const int8_t *in, int8_t *out, int32_t outer, int32_t depth, float beta,
                        float in_scale, float out_scale, int32_t out_zp) {
    for (int32_t r = 0; r < outer; r++) {
        const int8_t *x = in + (size_t)r * depth;
        int8_t *y = out + (size_t)r * depth;
        int32_t m = -128;
        for (int32_t i = 0; i < depth; i++)
            m = x[i] > m ? x[i] : m;
        float s = 0.0f, k = beta * in_scale; /* float: the output has 8 bits */
        for (int32_t i = 0; i < depth; i++)
            s += expf(k * (float)(x[i] - m));
        for (int32_t i = 0; i < depth; i++) {
            float p = expf(k * (float)(x[i] - m)) / s;
            float q = roundf(p / out_scale) + (float)out_zp;
            y[i] = (int8_t)(!(q >= -128.0f) ? -128 : (q > 127.0f ? 127 : (int32_t)q));
        }
    }
}

void ecl_ref_hard_swish_f32(const float *in, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        out[i] = x * clampf(x + 3.0f, 0.0f, 6.0f) / 6.0f;
    }
}

void ecl_ref_logistic_f32(const float *in, float *out, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = 1.0f / (1.0f + expf(-in[i]));
}

void ecl_ref_lut_i8(const int8_t *in, int8_t *out, size_t n, const int8_t lut[256]) {
    for (size_t i = 0; i < n; i++)
        out[i] = lut[(int)in[i] + 128];
}

void ecl_ref_quantize_f32_i8(const float *in, int8_t *out, size_t n, float scale, int32_t zp) {
    for (size_t i = 0; i < n; i++) {
        float q = roundf(in[i] / scale);
        /* Compare in float first: a huge or NaN input must not overflow the int conversion. */
        float v = q + (float)zp;
        out[i] = (int8_t)(!(v >= -128.0f) ? -128 : (v > 127.0f ? 127 : (int32_t)v));
    }
}

struct quant_job {
    ecl_quantize_run_fn run;
    const float *in;
    int8_t *out;
    size_t n, len;
    float scale;
    int32_t zp;
};

static void quant_task(void *ctx, int begin, int end) {
    const struct quant_job *j = ctx;
    size_t b = (size_t)begin * j->len, e = (size_t)end * j->len;
    if (e > j->n) e = j->n;
    j->run(j->in + b, j->out + b, e - b, j->scale, j->zp);
}

void ecl_quantize_f32_i8_split(const struct ecl_kctx *kc, ecl_quantize_run_fn run, const float *in,
                               int8_t *out, size_t n, float scale, int32_t zp) {
    struct quant_job j = {run, in, out, n, ecl_split_elem_len(kc, n), scale, zp};
    int items = ecl_split_elem_items(n, j.len);
    if (items < 0)
        run(in, out, n, scale, zp);
    else
        ecl_kctx_run(kc, items, quant_task, &j);
}

void ecl_ref_quantize_f32_i8_kc(const struct ecl_kctx *kc, const float *in, int8_t *out, size_t n,
                                float scale, int32_t zp) {
    ecl_quantize_f32_i8_split(kc, ecl_ref_quantize_f32_i8, in, out, n, scale, zp);
}

void ecl_ref_dequantize_i8_f32(const int8_t *in, float *out, size_t n, float scale, int32_t zp) {
    for (size_t i = 0; i < n; i++)
        out[i] = scale * (float)((int32_t)in[i] - zp);
}

void ecl_ref_requantize_i8(const int8_t *in, int8_t *out, size_t n, int32_t in_zp, int32_t out_zp,
                           int32_t mult, int32_t shift) {
    for (size_t i = 0; i < n; i++)
        out[i] = (int8_t)ecl_requant_out((int32_t)in[i] - in_zp, mult, shift, out_zp, -128, 127);
}

/* ------------------------------------------------------------------ data movement */
/* Fill n elements with the pad value: memset when all its bytes are equal (0.0f, any int8),
 * else copy the first element and double the filled part. */
static void pad_fill(unsigned char *dst, size_t n, size_t es, const unsigned char *v) {
    if (!n) return;
    size_t k = 1;
    while (k < es && v[k] == v[0])
        k++;
    if (k == es) {
        memset(dst, v[0], n * es);
        return;
    }
    memcpy(dst, v, es);
    for (size_t done = 1; done < n;) {
        size_t c = done < n - done ? done : n - done;
        memcpy(dst + done * es, dst, c * es);
        done += c;
    }
}

/* Output-order walk, one contiguous block per run: a padded (n, y) row is one fill, an input
 * row is [left pad][is.w pixels][right pad], and the pixels are a single memcpy when the
 * channels are not padded (the usual ZeroPadding2D case), else one memcpy per pixel. */
void ecl_ref_pad(const void *in, struct ecl_shape4 is, const int32_t pads[8], void *out,
                 size_t elem_size, const void *pad_value) {
    struct ecl_shape4 os = {is.n + pads[0] + pads[1], is.h + pads[2] + pads[3],
                            is.w + pads[4] + pads[5], is.c + pads[6] + pads[7]};
    const unsigned char *src = in, *pv = pad_value;
    unsigned char *dst = out;
    const size_t es = elem_size, orow = (size_t)os.w * os.c, irow = (size_t)is.w * is.c;
    for (int n = 0; n < os.n; n++) {
        int in_n = n - pads[0];
        for (int y = 0; y < os.h; y++, dst += orow * es) {
            int in_y = y - pads[2];
            if (in_n < 0 || in_n >= is.n || in_y < 0 || in_y >= is.h) {
                pad_fill(dst, orow, es, pv);
                continue;
            }
            const unsigned char *s = src + (((size_t)in_n * is.h + in_y) * irow) * es;
            unsigned char *d = dst;
            pad_fill(d, (size_t)pads[4] * os.c, es, pv);
            d += (size_t)pads[4] * os.c * es;
            if (pads[6] == 0 && pads[7] == 0) {
                memcpy(d, s, irow * es);
                d += irow * es;
            } else {
                for (int x = 0; x < is.w; x++) {
                    pad_fill(d, (size_t)pads[6], es, pv);
                    d += (size_t)pads[6] * es;
                    memcpy(d, s + (size_t)x * is.c * es, (size_t)is.c * es);
                    d += (size_t)is.c * es;
                    pad_fill(d, (size_t)pads[7], es, pv);
                    d += (size_t)pads[7] * es;
                }
            }
            pad_fill(d, (size_t)pads[5] * os.c, es, pv);
        }
    }
}

void ecl_ref_concat(const void *const *ins, const struct ecl_shape4 *shapes, int n, int axis,
                    void *out, size_t elem_size) {
    /* View every input as [outer][axis_len * inner]: copy one slab per input per outer. */
    int32_t d0[4] = {shapes[0].n, shapes[0].h, shapes[0].w, shapes[0].c};
    size_t outer = 1;
    for (int k = 0; k < axis; k++)
        outer *= (size_t)d0[k];
    unsigned char *dst = out;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n; i++) {
            int32_t d[4] = {shapes[i].n, shapes[i].h, shapes[i].w, shapes[i].c};
            size_t slab = elem_size;
            for (int k = axis; k < 4; k++)
                slab *= (size_t)d[k];
            memcpy(dst, (const unsigned char *)ins[i] + o * slab, slab);
            dst += slab;
        }
}

/* ------------------------------------------------------------------ fixed point */
void ecl_quantize_multiplier(double real, int32_t *mult, int32_t *shift) {
    if (!(real > 0) || !isfinite(real)) {
        *mult = 0;
        *shift = 0;
        return;
    }
    int e;
    double q = frexp(real, &e); /* real = q * 2^e, q in [0.5, 1) */
    int64_t qf = (int64_t)llround(q * (double)(1ll << 31));
    if (qf == (1ll << 31)) {
        qf /= 2;
        e++;
    }
    if (e < -31) { /* too small to represent: flush to zero */
        qf = 0;
        e = 0;
    }
    if (e > 30) { /* saturate huge multipliers */
        e = 30;
        qf = INT32_MAX;
    }
    *mult = (int32_t)qf;
    *shift = e;
}
