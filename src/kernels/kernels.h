/* src/kernels/kernels.h - kernel signatures and the dispatch table (internal contract).
 *
 * Every kernel the interpreter runs is a function pointer in struct ecl_kernels. The plain-C
 * reference kernels (src/kernels/ref/) are the specification; optimised kernels
 * (src/kernels/opt/) have exactly the same signatures and must give the same results (float:
 * within rounding; int8: bit-exact unless documented otherwise).
 *
 *     struct ecl_kernels k = ecl_kernels_best();   // ref, then opt overrides what it has
 *     struct ecl_kctx kc = {0};                     // serial, no scratch
 *     k.conv2d_f32(&kc, &p, in, is, w, ws, bias, out, os);
 *
 * Layouts (TFLite): activations NHWC; CONV_2D filter OHWI [out_c][kh][kw][in_c];
 * DEPTHWISE_CONV_2D filter 1HWC [1][kh][kw][in_c*depth_multiplier]; FULLY_CONNECTED weights
 * [out][in] (row-major, one row per output). Biases are per output channel (float, or int32
 * in the int8 kernels with scale in_scale*w_scale[c] and zero point 0). bias may be NULL.
 *
 * Convolution (stride s, dilation d, padding pad_top/pad_left computed by the caller):
 *   out[n,y,x,o] = act( bias[o] + sum_{ky,kx,i} in[n, y*sh - pt + ky*dh, x*sw - pl + kx*dw, i]
 *                                               * w[o,ky,kx,i] )   (out-of-image taps = 0)
 * Depthwise: out channel o = i*depth_multiplier + m reads only input channel i.
 *   act(v) = min(max(v, act_min), act_max)   (none: -inf/+inf, RELU: 0/+inf, RELU6: 0/6)
 *
 * int8 (TFLite semantics): real = scale * (q - zero_point). Weights are per output channel
 * with zero point 0 (int8 models) or per tensor with zero point w_zp (uint8 models, lowered to
 * int8 by subtracting 128 from every value and zero point); activations per tensor.
 * Accumulation is exact in int32:
 *   acc[o] = bias[o] + sum (in_q - in_zp) * (w_q - w_zp)
 *   out_q  = clamp(out_zp + requant(acc[o], mult[o], shift[o]), act_min_q, act_max_q)
 * requant(x, m, s) = x * m * 2^(s-31), rounded as the params' `rounding` says (enum
 * ecl_rounding, chosen by the op at prepare; 0 = ECL_ROUND_DOUBLE):
 *   ECL_ROUND_DOUBLE (TFLite's reference kernels; gemmlowp): shift left by max(s,0), then
 *     SaturatingRoundingDoublingHighMul (round half away from zero), then RoundingDivideByPOT
 *     by max(-s,0) (round half away from zero): ecl_requant();
 *   ECL_ROUND_SINGLE (per-channel int8 gemm path: single rounding as TFLite's runtime does,
 *     through ruy): (x * m + 2^(k-1)) >> k with k = 31 - s, one rounding, halves up:
 *     ecl_requant_single().
 * mult/shift come from ecl_quantize_multiplier(real_multiplier) with
 * real = in_scale*w_scale[o]/out_scale.
 *
 * Threads: kernels may split work with kc->parallel_for (NULL = run serially). Scratch:
 * kc->scratch/scratch_bytes is a per-call area of at least the size the kernel's *_scratch
 * function asked for at plan time (NULL function = needs none).
 */
#ifndef EDGECL_KERNELS_H
#define EDGECL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ecl_shape4 {
    int32_t n, h, w, c;
};

static inline size_t ecl_shape4_count(struct ecl_shape4 s) {
    return (size_t)s.n * (size_t)s.h * (size_t)s.w * (size_t)s.c;
}

/* fn(ctx, begin, end) processes items [begin, end). parallel_for must call fn on disjoint
 * ranges covering [0, n) and return when all are done. */
#ifndef ECL_PARALLEL_FOR_DEFINED
#define ECL_PARALLEL_FOR_DEFINED /* same typedefs in include/edgecl/model.h */
typedef void (*ecl_task_fn)(void *ctx, int begin, int end);
typedef void (*ecl_parallel_for_fn)(void *user, int n, ecl_task_fn fn, void *ctx);
#endif

struct ecl_kctx {
    ecl_parallel_for_fn parallel_for; /* NULL: serial */
    void *pf_user;
    int n_threads; /* hint for work splitting, >= 1 (0 treated as 1) */
    void *scratch; /* 64-byte aligned, scratch_bytes long (may be NULL) */
    size_t scratch_bytes;
};

static inline void ecl_kctx_run(const struct ecl_kctx *kc, int n, ecl_task_fn fn, void *ctx) {
    if (n <= 0) return;
    if (kc && kc->parallel_for && n > 1)
        kc->parallel_for(kc->pf_user, n, fn, ctx);
    else
        fn(ctx, 0, n);
}

/* How an int8 kernel rounds its requantisation (see the comment at the top). TFLite's
 * optimised kernels, which its runtime runs, use ECL_ROUND_SINGLE for per-channel int8
 * CONV_2D (ruy) and ECL_ROUND_DOUBLE everywhere else (its reference kernels use DOUBLE
 * throughout). */
enum ecl_rounding {
    ECL_ROUND_DOUBLE = 0,
    ECL_ROUND_SINGLE = 1,
};

/* Summation order of the reference float CONV_2D (the optimised kernels keep their own):
 *   ECL_F32_SEQ: act(bias + sum over k), k = (ky, kx, ic) in order;
 *   ECL_F32_EIGEN: as TFLite's runtime (im2col + cpu_backend_gemm on Eigen's gebp kernel, no
 *     FMA on wasm), the gemm's columns being the output pixels (n, y, x) in order: in the
 *     columns of full groups of 4, over the first K - K % 8 terms, even k into one accumulator
 *     and odd k into another, their sum, then the last K % 8 terms in order; in the last
 *     pixels % 4 columns, all K terms in order; then + bias, then the clamp (k counts padded
 *     positions too). Bit-identical to tfjs-tflite's builtin CONV_2D on the measured cases
 *     (K 27, 32; docs/models.md); Eigen's cache blocking of a large K is not modelled. */
enum ecl_f32_order {
    ECL_F32_SEQ = 0,
    ECL_F32_EIGEN = 1,
};

/* The generic work split, for ops that have no better one of their own: an NHWC output is
 * cut into items of one output row (n, y) each (or one pixel tile: "rows" are whatever the
 * kernel walks); when there are few rows (7x7 maps, a global pool's single row) and they do not
 * fall evenly on the pool's 4 chunks per thread, each row is also cut into channel slices
 * (boundaries at multiples of cq channels) so the threads get balanced shares. Each
 * output element belongs to exactly one item and is computed the same way whatever the split,
 * so results do not depend on the number of threads.
 *
 *     struct ecl_split sp = ecl_split_plan(kc, os.n * os.h, os.c, 16);
 *     ecl_kctx_run(kc, ecl_split_items(&sp), task, &job);   // job holds sp
 *     ... in task(ctx, begin, end): for (int it = begin; it < end; it++) {
 *             int row, c0, c1; ecl_split_item(&j->sp, it, &row, &c0, &c1); ... } */
struct ecl_split {
    int rows, slices, c, cq;
};

static inline struct ecl_split ecl_split_plan(const struct ecl_kctx *kc, int rows, int c, int cq) {
    struct ecl_split s = {rows > 0 ? rows : 0, 1, c > 0 ? c : 0, cq > 0 ? cq : 1};
    int t = kc && kc->parallel_for && kc->n_threads > 1 ? kc->n_threads : 1;
    int k = 4 * t; /* the pool's chunks per job (port_pool.c) */
    if (t > 1 && s.rows > 0 && s.rows < 4 * k && s.rows % k) {
        /* rows * slices a multiple of k: every chunk gets the same share (13 pixel tiles of a
         * 7x7 map on 2 threads: 8 slices, 104 items, 13 per chunk) */
        int a = s.rows, b = k;
        while (b) {
            int r = a % b;
            a = b, b = r;
        }
        int want = k / a, most = (s.c + s.cq - 1) / s.cq;
        s.slices = want < most ? want : (most > 0 ? most : 1);
    }
    return s;
}

static inline int ecl_split_items(const struct ecl_split *s) {
    return s->rows * s->slices;
}

static inline void ecl_split_item(const struct ecl_split *s, int item, int *row, int *c0, int *c1) {
    int k = item % s->slices, units = (s->c + s->cq - 1) / s->cq;
    *row = item / s->slices;
    *c0 = (int)((int64_t)units * k / s->slices) * s->cq;
    *c1 = (int)((int64_t)units * (k + 1) / s->slices) * s->cq;
    if (*c1 > s->c) *c1 = s->c;
}

/* Element-wise work over n values: chunks of about ECL_SPLIT_ELEMS values (a multiple of 64);
 * when there are few, their number is rounded up to a multiple of the pool's 4 chunks per
 * thread so every thread gets the same share. Item i covers [i * len, min(n, (i + 1) * len)).
 *
 *     size_t len = ecl_split_elem_len(kc, n);
 *     ecl_kctx_run(kc, ecl_split_elem_items(n, len), task, &job);   // job holds n and len */
#define ECL_SPLIT_ELEMS 4096
static inline size_t ecl_split_elem_len(const struct ecl_kctx *kc, size_t n) {
    size_t t = kc && kc->parallel_for && kc->n_threads > 1 ? (size_t)kc->n_threads : 1, k = 4 * t;
    size_t items = (n + ECL_SPLIT_ELEMS - 1) / ECL_SPLIT_ELEMS;
    if (t > 1 && items < 4 * k) items = (items + k - 1) / k * k;
    size_t len = items ? (n + items - 1) / items : ECL_SPLIT_ELEMS;
    len = (len + 63) & ~(size_t)63;
    return len ? len : 64;
}

static inline int ecl_split_elem_items(size_t n, size_t len) {
    size_t items = (n + len - 1) / len;
    return items > 0x7fffffff ? -1 : (int)items;
}

/* Convolution / depthwise convolution parameters (fused activation included). */
struct ecl_conv_params {
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier; /* depthwise only */
    float act_min, act_max;   /* float kernels */
    /* int8 kernels */
    int32_t in_zp, out_zp;
    int32_t w_zp; /* filter zero point (per tensor): 0 for int8 models, non-zero for uint8 ones */
    int32_t act_min_q, act_max_q; /* within [-128, 127] */
    const int32_t *out_mult;      /* per output channel */
    const int32_t *out_shift;     /* per output channel */
    int32_t rounding;             /* enum ecl_rounding (0: double) */
    int32_t f32_order;            /* float CONV_2D: enum ecl_f32_order (reference kernel only) */
    /* CONV_2D: the weights as the table's conv2d_i8_prepack / conv2d_f32_prepack packed them at
     * plan time (into *_prepack_bytes persistent bytes), for this w, bias and these params;
     * NULL: the kernel packs per call (or needs no packing). Other kernels ignore it. */
    const void *w_packed;
};

/* FULLY_CONNECTED: out[b,o] = act(bias[o] + sum_i in[b,i] * w[o,i]). */
struct ecl_fc_params {
    float act_min, act_max;
    int32_t in_zp, out_zp;
    int32_t w_zp; /* weight zero point (per tensor), see ecl_conv_params */
    int32_t act_min_q, act_max_q;
    const int32_t *out_mult; /* per output row (length 1 => per-tensor: set per_channel = 0) */
    const int32_t *out_shift;
    int per_channel;
    int32_t rounding; /* enum ecl_rounding (0: double) */
};

/* Pooling (AVERAGE_POOL_2D / MAX_POOL_2D). Average divides by the number of in-image taps
 * (TFLite); int8 average rounds half away from zero (half_up: up); in and out share scale/zero
 * point. */
struct ecl_pool_params {
    int32_t stride_h, stride_w;
    int32_t filter_h, filter_w;
    int32_t pad_top, pad_left;
    float act_min, act_max;
    int32_t act_min_q, act_max_q;
    int32_t half_up; /* int8 average: 1 rounds halves up (TFLite's uint8 kernel, for lowered uint8
                      * tensors), 0 away from zero (its int8 kernel) */
};

/* Element-wise binary ADD / MUL with 4-D broadcasting (a dimension of size 1 broadcasts).
 * int8 ADD follows TFLite: left_shift 20, each input rescaled by (in_mult, in_shift), the sum
 * by (out_mult, out_shift). int8 MUL: (a-a_zp)*(b-b_zp) requantised by (out_mult, out_shift). */
struct ecl_binary_params {
    float act_min, act_max;
    int32_t a_zp, b_zp, out_zp;
    int32_t left_shift;
    int32_t a_mult, a_shift, b_mult, b_shift;
    int32_t out_mult, out_shift;
    int32_t act_min_q, act_max_q;
};

typedef void (*ecl_conv_f32_fn)(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                                const float *in, struct ecl_shape4 is, const float *w,
                                struct ecl_shape4 ws, const float *bias, float *out,
                                struct ecl_shape4 os);
typedef void (*ecl_conv_i8_fn)(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                               const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                               struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                               struct ecl_shape4 os);
/* Scratch bytes a conv kernel needs for these shapes (NULL pointer in the table = 0). */
typedef size_t (*ecl_conv_scratch_fn)(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                      struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads);
/* Optional plan-time weight packing of a CONV_2D kernel, int8 or float (NULL pointers in the
 * table: none). prepack_bytes: persistent bytes it wants for these params and shapes (0: no
 * prepacking); prepack: fills dst (64-byte aligned, that long) from the constant w and bias. The
 * caller then sets p->w_packed = dst and keeps w, bias and the params unchanged; the kernel needs
 * no per-call scratch then (it may still get one).
 *
 *     size_t nb = k.conv2d_f32_prepack_bytes ? k.conv2d_f32_prepack_bytes(&p, is, ws, os) : 0;
 *     if (nb) { k.conv2d_f32_prepack(&p, is, w, ws, bias, os, dst); p.w_packed = dst; } */
typedef size_t (*ecl_conv_prepack_bytes_fn)(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                            struct ecl_shape4 ws, struct ecl_shape4 os);
typedef void (*ecl_conv_i8_prepack_fn)(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                       const int8_t *w, struct ecl_shape4 ws, const int32_t *bias,
                                       struct ecl_shape4 os, void *dst);
typedef void (*ecl_conv_f32_prepack_fn)(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                        const float *w, struct ecl_shape4 ws, const float *bias,
                                        struct ecl_shape4 os, void *dst);
typedef void (*ecl_fc_f32_fn)(const struct ecl_kctx *kc, const struct ecl_fc_params *p,
                              const float *in, int32_t batch, int32_t in_dim, const float *w,
                              const float *bias, float *out, int32_t out_dim);
typedef void (*ecl_fc_i8_fn)(const struct ecl_kctx *kc, const struct ecl_fc_params *p,
                             const int8_t *in, int32_t batch, int32_t in_dim, const int8_t *w,
                             const int32_t *bias, int8_t *out, int32_t out_dim);
typedef void (*ecl_pool_f32_fn)(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                                const float *in, struct ecl_shape4 is, float *out,
                                struct ecl_shape4 os);
typedef void (*ecl_pool_i8_fn)(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                               const int8_t *in, struct ecl_shape4 is, int8_t *out,
                               struct ecl_shape4 os);
typedef void (*ecl_binary_f32_fn)(const struct ecl_kctx *kc, const struct ecl_binary_params *p,
                                  const float *a, struct ecl_shape4 as, const float *b,
                                  struct ecl_shape4 bs, float *out, struct ecl_shape4 os);
typedef void (*ecl_binary_i8_fn)(const struct ecl_kctx *kc, const struct ecl_binary_params *p,
                                 const int8_t *a, struct ecl_shape4 as, const int8_t *b,
                                 struct ecl_shape4 bs, int8_t *out, struct ecl_shape4 os);
/* Element-wise unary float ops over n values (in may equal out). */
typedef void (*ecl_unary_f32_fn)(const float *in, float *out, size_t n);
/* MEAN over H and W of an NHWC tensor: out[n,c] (shape n,1,1,c). Float only in the table;
 * int8 mean is in ref only. */
typedef void (*ecl_mean_hw_f32_fn)(const struct ecl_kctx *kc, const float *in, struct ecl_shape4 is,
                                   float *out);
/* SOFTMAX over the last dimension: out = exp(beta*(x - max)) / sum. */
typedef void (*ecl_softmax_f32_fn)(const float *in, float *out, int32_t outer, int32_t depth,
                                   float beta);

/* QUANTIZE float -> int8 over n values: q = clamp(round_half_away(x / scale) + zp, -128, 127)
 * (split between kc's threads in ecl_split_elem_len chunks; kc may be NULL: serial). */
typedef void (*ecl_quantize_f32_i8_fn)(const struct ecl_kctx *kc, const float *in, int8_t *out,
                                       size_t n, float scale, int32_t zp);

struct ecl_kernels {
    const char *name; /* "ref", "avx2", "neon", ... for reports */
    ecl_conv_f32_fn conv2d_f32;
    ecl_conv_scratch_fn conv2d_f32_scratch;
    ecl_conv_prepack_bytes_fn conv2d_f32_prepack_bytes; /* may be NULL */
    ecl_conv_f32_prepack_fn conv2d_f32_prepack;         /* may be NULL */
    ecl_conv_i8_fn conv2d_i8;
    ecl_conv_scratch_fn conv2d_i8_scratch;
    ecl_conv_prepack_bytes_fn conv2d_i8_prepack_bytes; /* may be NULL */
    ecl_conv_i8_prepack_fn conv2d_i8_prepack;          /* may be NULL */
    ecl_conv_f32_fn dwconv_f32;
    ecl_conv_i8_fn dwconv_i8;
    ecl_fc_f32_fn fc_f32;
    ecl_fc_i8_fn fc_i8;
    ecl_pool_f32_fn avgpool_f32;
    ecl_pool_f32_fn maxpool_f32;
    ecl_pool_i8_fn avgpool_i8;
    ecl_pool_i8_fn maxpool_i8;
    ecl_binary_f32_fn add_f32;
    ecl_binary_f32_fn mul_f32;
    ecl_binary_i8_fn add_i8;
    ecl_binary_i8_fn mul_i8;
    ecl_mean_hw_f32_fn mean_hw_f32;
    ecl_softmax_f32_fn softmax_f32;
    ecl_unary_f32_fn hard_swish_f32;
    ecl_unary_f32_fn logistic_f32;
    ecl_quantize_f32_i8_fn quantize_f32_i8;
};

/* The reference table (every entry set). */
struct ecl_kernels ecl_kernels_ref(void);
/* ref, then ecl_kernels_opt_install() (a weak symbol, provided by src/kernels/opt/ when built)
 * overrides the entries it implements for this CPU (it checks CPU features itself). */
struct ecl_kernels ecl_kernels_best(void);
/* Provided by src/kernels/opt/ (optional): replaces entries of k it has optimised versions of
 * and sets k->name. Must leave entries it does not implement untouched.
 * Linking: libedgecl is a static archive, and a weak reference alone would not pull the opt
 * object out of it. So: when the header src/kernels/opt/opt.h exists, dispatch
 * (src/kernels/ref/dispatch.c) includes it and calls ecl_kernels_opt_install() directly; the
 * definition must then be in a file compiled on every architecture (any .c file in
 * src/kernels/opt/; it checks the CPU itself and does nothing where it has no kernels). Without
 * opt.h, ecl_kernels_best() is the reference table. */
void ecl_kernels_opt_install(struct ecl_kernels *k);

/* ---- reference kernels (also callable directly, e.g. by tests) ---- */
void ecl_ref_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const float *in,
                        struct ecl_shape4 is, const float *w, struct ecl_shape4 ws,
                        const float *bias, float *out, struct ecl_shape4 os);
void ecl_ref_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const int8_t *in,
                       struct ecl_shape4 is, const int8_t *w, struct ecl_shape4 ws,
                       const int32_t *bias, int8_t *out, struct ecl_shape4 os);
void ecl_ref_dwconv_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const float *in,
                        struct ecl_shape4 is, const float *w, struct ecl_shape4 ws,
                        const float *bias, float *out, struct ecl_shape4 os);
void ecl_ref_dwconv_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p, const int8_t *in,
                       struct ecl_shape4 is, const int8_t *w, struct ecl_shape4 ws,
                       const int32_t *bias, int8_t *out, struct ecl_shape4 os);
void ecl_ref_fc_f32(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const float *in,
                    int32_t batch, int32_t in_dim, const float *w, const float *bias, float *out,
                    int32_t out_dim);
void ecl_ref_fc_i8(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const int8_t *in,
                   int32_t batch, int32_t in_dim, const int8_t *w, const int32_t *bias, int8_t *out,
                   int32_t out_dim);
void ecl_ref_avgpool_f32(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                         const float *in, struct ecl_shape4 is, float *out, struct ecl_shape4 os);
void ecl_ref_maxpool_f32(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                         const float *in, struct ecl_shape4 is, float *out, struct ecl_shape4 os);
void ecl_ref_avgpool_i8(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                        const int8_t *in, struct ecl_shape4 is, int8_t *out, struct ecl_shape4 os);
void ecl_ref_maxpool_i8(const struct ecl_kctx *kc, const struct ecl_pool_params *p,
                        const int8_t *in, struct ecl_shape4 is, int8_t *out, struct ecl_shape4 os);
void ecl_ref_add_f32(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const float *a,
                     struct ecl_shape4 as, const float *b, struct ecl_shape4 bs, float *out,
                     struct ecl_shape4 os);
void ecl_ref_mul_f32(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const float *a,
                     struct ecl_shape4 as, const float *b, struct ecl_shape4 bs, float *out,
                     struct ecl_shape4 os);
void ecl_ref_add_i8(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const int8_t *a,
                    struct ecl_shape4 as, const int8_t *b, struct ecl_shape4 bs, int8_t *out,
                    struct ecl_shape4 os);
void ecl_ref_mul_i8(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const int8_t *a,
                    struct ecl_shape4 as, const int8_t *b, struct ecl_shape4 bs, int8_t *out,
                    struct ecl_shape4 os);
void ecl_ref_mean_hw_f32(const struct ecl_kctx *kc, const float *in, struct ecl_shape4 is,
                         float *out);
void ecl_ref_softmax_f32(const float *in, float *out, int32_t outer, int32_t depth, float beta);
void ecl_ref_hard_swish_f32(const float *in, float *out, size_t n);
void ecl_ref_logistic_f32(const float *in, float *out, size_t n);

/* Ref-only kernels (not worth optimising for the backbones we run). */
/* MEAN over any subset of the 4 axes (axis_mask bit k = reduce axis k); out has the reduced
 * axes removed (or kept as 1, same memory order). int8: out = out_zp + requant(sum - cnt*in_zp)
 * with (mult, shift) for in_scale/(out_scale*cnt). */
void ecl_ref_mean_f32(const float *in, struct ecl_shape4 is, unsigned axis_mask, float *out);
void ecl_ref_mean_i8(const int8_t *in, struct ecl_shape4 is, unsigned axis_mask, int32_t in_zp,
                     int32_t out_zp, int32_t mult, int32_t shift, int8_t *out);
/* PAD a 4-D tensor of elem_size-byte elements; pads[2*k], pads[2*k+1] = before/after axis k.
 * The padding value is the byte pattern pad_value (elem_size bytes; e.g. the int8 zero
 * point or float 0). */
void ecl_ref_pad(const void *in, struct ecl_shape4 is, const int32_t pads[8], void *out,
                 size_t elem_size, const void *pad_value);
/* CONCATENATION of n inputs along axis (0..3) of 4-D shapes; elements copied as bytes. */
void ecl_ref_concat(const void *const *ins, const struct ecl_shape4 *shapes, int n, int axis,
                    void *out, size_t elem_size);
/* int8 element-wise via a 256-entry table (LOGISTIC, HARD_SWISH, requantising copies):
 * out[i] = lut[in[i] + 128]. */
void ecl_ref_lut_i8(const int8_t *in, int8_t *out, size_t n, const int8_t lut[256]);
/* QUANTIZE float -> int8: q = clamp(round_half_away(x / scale) + zp, -128, 127). */
void ecl_ref_quantize_f32_i8(const float *in, int8_t *out, size_t n, float scale, int32_t zp);
/* The same, split between kc's threads in ECL_SPLIT_ELEMS blocks (kc may be NULL: serial). */
void ecl_ref_quantize_f32_i8_kc(const struct ecl_kctx *kc, const float *in, int8_t *out, size_t n,
                                float scale, int32_t zp);
/* The same split over threads (ecl_split_elem_len chunks) around any serial quantiser with
 * ecl_ref_quantize_f32_i8's signature: the optimised kernels reuse it with their own loop. */
typedef void (*ecl_quantize_run_fn)(const float *in, int8_t *out, size_t n, float scale,
                                    int32_t zp);
void ecl_quantize_f32_i8_split(const struct ecl_kctx *kc, ecl_quantize_run_fn run, const float *in,
                               int8_t *out, size_t n, float scale, int32_t zp);
/* DEQUANTIZE int8 -> float: x = scale * (q - zp). */
void ecl_ref_dequantize_i8_f32(const int8_t *in, float *out, size_t n, float scale, int32_t zp);
/* int8 -> int8 requantisation (QUANTIZE with int8 input): out = out_zp + requant(in-in_zp). */
void ecl_ref_requantize_i8(const int8_t *in, int8_t *out, size_t n, int32_t in_zp, int32_t out_zp,
                           int32_t mult, int32_t shift);
/* Softmax int8 (TFLite: output scale 1/256, zp -128): computed in float then quantised
 * (documented deviation from TFLite's fixed-point exp; differences <= 1 LSB). */
void ecl_ref_softmax_i8(const int8_t *in, int8_t *out, int32_t outer, int32_t depth, float beta,
                        float in_scale, float out_scale, int32_t out_zp);

/* ---- hybrid (dynamic-range) kernels: float input/output, int8 weights ----
 * As TFLite's hybrid kernels: each batch of the float input is quantised to int8 at run time,
 * symmetric (q = round(x * 127 / max|x|), offset 0; TFLite's SymmetricQuantizeFloats) or
 * asymmetric (TFLite's AsymmetricQuantizeFloats: scale (max-min)/255 over [min(0,x), max(0,x)],
 * nudged zero point), then
 *   acc = sum over in-image taps (q - offset) * w          (int32, exact)
 *   out = clamp((float)acc * (in_scale * w_scale[o]) + bias[o], act_min, act_max)
 * w_scale has one entry (per tensor) or one per output channel. Scratch: ecl_hybrid_scratch(). */
struct ecl_hybrid_params {
    const float *w_scale;
    int per_channel; /* w_scale[o], else w_scale[0] */
    int asymmetric;  /* asymmetric input quantisation */
};
size_t ecl_hybrid_scratch(size_t in_count, int32_t batch);
void ecl_ref_quantize_batch(const float *x, size_t n, int asymmetric, int8_t *q, float *scale,
                            int32_t *offset);
void ecl_ref_conv2d_hybrid(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const struct ecl_hybrid_params *h, const float *in, struct ecl_shape4 is,
                           const int8_t *w, struct ecl_shape4 ws, const float *bias, float *out,
                           struct ecl_shape4 os);
void ecl_ref_dwconv_hybrid(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const struct ecl_hybrid_params *h, const float *in, struct ecl_shape4 is,
                           const int8_t *w, struct ecl_shape4 ws, const float *bias, float *out,
                           struct ecl_shape4 os);
void ecl_ref_fc_hybrid(const struct ecl_kctx *kc, const struct ecl_fc_params *p,
                       const struct ecl_hybrid_params *h, const float *in, int32_t batch,
                       int32_t in_dim, const int8_t *w, const float *bias, float *out,
                       int32_t out_dim);

/* ---- fixed-point helpers (TFLite/gemmlowp semantics) ---- */
/* real_multiplier = mult * 2^(shift-31), mult in [2^30, 2^31) (or 0 for 0). */
void ecl_quantize_multiplier(double real_multiplier, int32_t *mult, int32_t *shift);
static inline int32_t ecl_srdhm(int32_t a, int32_t b) {
    /* SaturatingRoundingDoublingHighMul: round(a*b / 2^31), half away from zero. */
    if (a == b && a == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
    return (int32_t)((ab + nudge) / (1ll << 31));
}
static inline int32_t ecl_rdbpot(int32_t x, int exponent) {
    /* RoundingDivideByPOT: x / 2^exponent rounded half away from zero. */
    if (exponent <= 0) return x;
    int32_t mask = (int32_t)((1ll << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}
static inline int32_t ecl_requant(int32_t x, int32_t mult, int32_t shift) {
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int64_t xl = (int64_t)x * ((int64_t)1 << left);
    if (xl > INT32_MAX) xl = INT32_MAX;
    if (xl < INT32_MIN) xl = INT32_MIN;
    return ecl_rdbpot(ecl_srdhm((int32_t)xl, mult), right);
}
/* ruy's MultiplyByQuantizedMultiplier: (x * mult + 2^(k-1)) >> k, k = 31 - shift (one
 * rounding, halves towards +infinity), saturated to int32. ruy requires mult >= 0 and shift in
 * [-31, 7]; outside that (hostile scales) the same formula is evaluated without overflow:
 * k >= 63 gives 0 (|x * mult| < 2^62), k <= 0 a left shift, saturated. */
static inline int32_t ecl_requant_single(int32_t x, int32_t mult, int32_t shift) {
    int64_t k = 31 - (int64_t)shift, p = (int64_t)x * (int64_t)mult, r;
    if (k >= 63) return 0;
    if (k >= 1) {
        r = (p >> k) + ((p >> (k - 1)) & 1); /* = (p + 2^(k-1)) >> k without overflow */
    } else {
        if (p == 0) return 0;
        if (k < -31 || (p > 0 ? p > (INT32_MAX >> -k) : p < (INT32_MIN >> -k)))
            return p > 0 ? INT32_MAX : INT32_MIN;
        r = p * ((int64_t)1 << -k);
    }
    return r > INT32_MAX ? INT32_MAX : (r < INT32_MIN ? INT32_MIN : (int32_t)r);
}
/* requant(x, mult, shift) with the given enum ecl_rounding. */
static inline int32_t ecl_requant_r(int32_t x, int32_t mult, int32_t shift, int32_t rounding) {
    return rounding == ECL_ROUND_SINGLE ? ecl_requant_single(x, mult, shift)
                                        : ecl_requant(x, mult, shift);
}
/* clamp(zp + requant(x, mult, shift), lo, hi), the last step of every int8 kernel. The sum is
 * formed in int64: with a huge multiplier (hostile or degenerate scales) requant() saturates
 * near INT32_MAX and adding the zero point in int32 would overflow (undefined behaviour). */
static inline int32_t ecl_requant_out_r(int32_t x, int32_t mult, int32_t shift, int32_t zp,
                                        int32_t lo, int32_t hi, int32_t rounding) {
    int64_t v = (int64_t)ecl_requant_r(x, mult, shift, rounding) + zp;
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}
static inline int32_t ecl_requant_out(int32_t x, int32_t mult, int32_t shift, int32_t zp,
                                      int32_t lo, int32_t hi) {
    return ecl_requant_out_r(x, mult, shift, zp, lo, hi, ECL_ROUND_DOUBLE);
}

#ifdef __cplusplus
}
#endif
#endif
