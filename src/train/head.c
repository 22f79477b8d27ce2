/* Dense MLP head: forward, softmax cross-entropy backward, SGD/momentum and Adam steps.
 *
 * Why this shape of code:
 * - All buffers (weights, gradients, optimiser moments, activations for max_batch samples)
 *   are carved out of the caller's block at init, so training never allocates.
 * - Weights are input-major (see head_impl.h), so the two hot loops - forward z += a * W[k,:]
 *   and weight gradient G[k,:] += a * d - are unit-stride axpys over outputs. They are tiled
 *   over a block of input rows so that a W/G tile (KB x out floats) stays in L1/L2 while we
 *   sweep the mini-batch, instead of streaming all of W once per sample.
 * - Hidden activations after ReLU are often zero; the loops skip zero inputs, which makes the
 *   second layer (and sparse latents) cheaper for free.
 * - The output layer reserves max_classes columns; only the first n_classes are computed,
 *   regularised and updated, so inactive columns keep their fresh initialisation until the
 *   class is added - and old columns are never touched by adding one.
 */
#include "train/head_impl.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"

#define ALIGN 64u
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

struct ecl_head_params ecl_head_default_params(uint32_t dim, uint32_t max_classes) {
    struct ecl_head_params p;
    memset(&p, 0, sizeof p);
    p.dim = dim;
    p.max_classes = max_classes;
    p.n_hidden = 1;
    p.hidden[0] = 128;
    p.max_batch = 64;
    p.optimizer = ECL_OPT_ADAM;
    p.lr = 1e-3f;
    p.momentum = 0.0f;
    p.beta1 = 0.9f;
    p.beta2 = 0.999f;
    p.eps = 1e-7f;
    p.l2 = 0.0f;
    p.l2_bias = 0;
    p.seed = 1;
    return p;
}

static size_t align_up(size_t x) {
    return (x + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
}

/* Checked a*b into *r; 0 on overflow. */
static int mul_ok(size_t a, size_t b, size_t *r) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *r = a * b;
    return 1;
}

#define DIM_LIMIT (1u << 24)

static enum ecl_status check_params(const struct ecl_head_params *p) {
    if (!p) return ECL_EINVAL;
    if (p->dim == 0 || p->max_classes == 0 || p->max_batch == 0) return ECL_EINVAL;
    if (p->n_hidden > ECL_HEAD_MAX_HIDDEN) return ECL_ERANGE;
    if (p->dim > DIM_LIMIT || p->max_classes > DIM_LIMIT || p->max_batch > DIM_LIMIT)
        return ECL_ERANGE;
    for (uint32_t i = 0; i < p->n_hidden; i++) {
        if (p->hidden[i] == 0) return ECL_EINVAL;
        if (p->hidden[i] > DIM_LIMIT) return ECL_ERANGE;
    }
    if (p->optimizer != ECL_OPT_SGD && p->optimizer != ECL_OPT_ADAM) return ECL_EINVAL;
    if (!(p->lr >= 0.0f) || !isfinite(p->lr) || !(p->l2 >= 0.0f) || !isfinite(p->l2))
        return ECL_EINVAL;
    if (!(p->momentum >= 0.0f && p->momentum < 1.0f)) return ECL_EINVAL;
    if (p->optimizer == ECL_OPT_ADAM && !(p->beta1 >= 0.0f && p->beta1 < 1.0f && p->beta2 >= 0.0f &&
                                          p->beta2 < 1.0f && p->eps > 0.0f && isfinite(p->eps)))
        return ECL_EINVAL;
    return ECL_OK;
}

/* Walks the layout once; with h == NULL only sizes it. Returns total bytes or 0 on overflow. */
static size_t layout(const struct ecl_head_params *p, struct ecl_head *h, unsigned char *base) {
    struct ecl_head tmp;
    struct ecl_head *hh = h ? h : &tmp;
    size_t off = align_up(sizeof(struct ecl_head));
    uint32_t n_layers = p->n_hidden + 1;
    uint32_t in[ECL_HEAD_MAX_LAYERS], out[ECL_HEAD_MAX_LAYERS], wmax = 0;
    int has_m = ecl_head_has_m(p), has_v = ecl_head_has_v(p);
    for (uint32_t l = 0; l < n_layers; l++) {
        in[l] = l == 0 ? p->dim : p->hidden[l - 1];
        out[l] = l == n_layers - 1 ? p->max_classes : p->hidden[l];
        if (out[l] > wmax) wmax = out[l];
    }
#define CARVE(dst, count)                                                                          \
    do {                                                                                           \
        size_t bytes_;                                                                             \
        if (!mul_ok((count), sizeof(float), &bytes_) || off > SIZE_MAX - align_up(bytes_) - ALIGN) \
            return 0;                                                                              \
        if (base) (dst) = (float *)(void *)(base + off);                                           \
        off += align_up(bytes_);                                                                   \
    } while (0)
    for (uint32_t l = 0; l < n_layers; l++) {
        size_t nw, na;
        if (!mul_ok(in[l], out[l], &nw) || !mul_ok(p->max_batch, out[l], &na)) return 0;
        CARVE(hh->w[l], nw);
        CARVE(hh->b[l], out[l]);
        CARVE(hh->gw[l], nw);
        CARVE(hh->gb[l], out[l]);
        if (has_m) {
            CARVE(hh->mw[l], nw);
            CARVE(hh->mb[l], out[l]);
        }
        if (has_v) {
            CARVE(hh->vw[l], nw);
            CARVE(hh->vb[l], out[l]);
        }
        CARVE(hh->act[l], na);
    }
    {
        size_t nd;
        if (!mul_ok(p->max_batch, wmax, &nd)) return 0;
        CARVE(hh->delta[0], nd);
        CARVE(hh->delta[1], nd);
    }
#undef CARVE
    if (h) {
        h->n_layers = n_layers;
        h->width_max = wmax;
        for (uint32_t l = 0; l < n_layers; l++) {
            h->in[l] = in[l];
            h->out[l] = out[l];
        }
    }
    return off + ALIGN; /* slack so an unaligned caller block can be aligned up */
}

enum ecl_status ecl_head_mem_size(const struct ecl_head_params *p, size_t *bytes) {
    enum ecl_status st = check_params(p);
    if (st != ECL_OK) return st;
    if (!bytes) return ECL_EINVAL;
    size_t need = layout(p, NULL, NULL);
    if (need == 0) return ECL_ERANGE;
    *bytes = need;
    return ECL_OK;
}

/* He-uniform init of output column o of layer l, from a stream that depends only on
 * (seed, l, o): a class added late gets the same weights it would have had at the start. */
static void init_column(struct ecl_head *h, uint32_t l, uint32_t o) {
    uint64_t s = ecl_rng_seed(h->p.seed, ((uint64_t)l << 32) | o);
    uint32_t in = h->in[l], out = h->out[l];
    float lim = sqrtf(6.0f / (float)in);
    float *w = h->w[l];
    for (uint32_t k = 0; k < in; k++)
        w[(size_t)k * out + o] = (2.0f * ecl_rng_float(&s) - 1.0f) * lim;
    h->b[l][o] = 0.0f;
    h->gb[l][o] = 0.0f;
    for (uint32_t k = 0; k < in; k++)
        h->gw[l][(size_t)k * out + o] = 0.0f;
    if (h->mw[l]) {
        h->mb[l][o] = 0.0f;
        for (uint32_t k = 0; k < in; k++)
            h->mw[l][(size_t)k * out + o] = 0.0f;
    }
    if (h->vw[l]) {
        h->vb[l][o] = 0.0f;
        for (uint32_t k = 0; k < in; k++)
            h->vw[l][(size_t)k * out + o] = 0.0f;
    }
}

enum ecl_status ecl_head_init(const struct ecl_head_params *p, void *mem, size_t bytes,
                              struct ecl_head **out) {
    enum ecl_status st = check_params(p);
    if (st != ECL_OK) return st;
    if (!mem || !out) return ECL_EINVAL;
    size_t need = layout(p, NULL, NULL);
    if (need == 0) return ECL_ERANGE;
    if (bytes < need) return ECL_ENOMEM;
    uintptr_t a = ((uintptr_t)mem + (ALIGN - 1)) & ~(uintptr_t)(ALIGN - 1);
    unsigned char *base = (unsigned char *)a;
    memset(base, 0, need - ALIGN);
    struct ecl_head *h = (struct ecl_head *)(void *)base;
    h->p = *p;
    layout(p, h, base);
    h->lr = p->lr;
    h->step = 0;
    h->n_classes = 0;
    /* Hidden layers are initialised now; output columns when their class is added. */
    for (uint32_t l = 0; l + 1 < h->n_layers; l++)
        for (uint32_t o = 0; o < h->out[l]; o++)
            init_column(h, l, o);
    *out = h;
    return ECL_OK;
}

enum ecl_status ecl_head_set_n_classes(struct ecl_head *h, uint32_t n_classes) {
    if (!h) return ECL_EINVAL;
    if (n_classes > h->p.max_classes) return ECL_ERANGE;
    if (n_classes < h->n_classes) return ECL_EINVAL;
    uint32_t last = h->n_layers - 1;
    for (uint32_t o = h->n_classes; o < n_classes; o++)
        init_column(h, last, o);
    h->n_classes = n_classes;
    return ECL_OK;
}

uint32_t ecl_head_n_classes(const struct ecl_head *h) {
    return h ? h->n_classes : 0;
}

void ecl_head_set_lr(struct ecl_head *h, float lr) {
    if (h && lr >= 0.0f && isfinite(lr)) h->lr = lr;
}

uint32_t ecl_head_n_param_tensors(const struct ecl_head *h) {
    return h ? 2 * h->n_layers : 0;
}

enum ecl_status ecl_head_param(struct ecl_head *h, uint32_t i, float **value, float **grad,
                               size_t *count) {
    if (!h || i >= 2 * h->n_layers) return ECL_EINVAL;
    uint32_t l = i / 2;
    int is_bias = (int)(i & 1u);
    if (value) *value = is_bias ? h->b[l] : h->w[l];
    if (grad) *grad = is_bias ? h->gb[l] : h->gw[l];
    if (count) *count = is_bias ? h->out[l] : (size_t)h->in[l] * h->out[l];
    return ECL_OK;
}

/* Active outputs of layer l. */
static uint32_t n_active(const struct ecl_head *h, uint32_t l) {
    return l + 1 == h->n_layers ? h->n_classes : h->out[l];
}

/* Forward pass for n samples; leaves post-ReLU activations and final softmax probabilities in
 * act[], and returns the summed cross-entropy when y != NULL. */
static double forward(struct ecl_head *h, const float *x, const int32_t *y, uint32_t n) {
    double loss = 0.0;
    const float *a_in = x;
    for (uint32_t l = 0; l < h->n_layers; l++) {
        const uint32_t in = h->in[l], out = h->out[l], na = n_active(h, l);
        const float *w = h->w[l], *b = h->b[l];
        float *z = h->act[l];
        for (uint32_t i = 0; i < n; i++)
            memcpy(z + (size_t)i * out, b, na * sizeof(float));
        for (uint32_t k0 = 0; k0 < in; k0 += KB) {
            uint32_t k1 = k0 + KB < in ? k0 + KB : in;
            for (uint32_t i = 0; i < n; i++) {
                const float *xi = a_in + (size_t)i * in;
                float *zi = z + (size_t)i * out;
                uint32_t k = k0;
                for (; k + 4 <= k1; k += 4) {
                    const float a0 = xi[k], a1 = xi[k + 1], a2 = xi[k + 2], a3 = xi[k + 3];
                    if (a0 == 0.0f && a1 == 0.0f && a2 == 0.0f && a3 == 0.0f)
                        continue; /* ReLU inputs are often zero */
                    const float *wk = w + (size_t)k * out;
                    axpy4(zi, wk, wk + out, wk + 2 * (size_t)out, wk + 3 * (size_t)out, a0, a1, a2,
                          a3, na);
                }
                for (; k < k1; k++)
                    if (xi[k] != 0.0f) axpy1(zi, w + (size_t)k * out, xi[k], na);
            }
        }
        if (l + 1 < h->n_layers) {
            size_t cnt = (size_t)n * out;
            for (size_t j = 0; j < cnt; j++)
                z[j] = z[j] > 0.0f ? z[j] : 0.0f;
        } else {
            for (uint32_t i = 0; i < n; i++) {
                float *zi = z + (size_t)i * out;
                float mx = zi[0];
                for (uint32_t o = 1; o < na; o++)
                    mx = zi[o] > mx ? zi[o] : mx;
                double sum = 0.0;
                for (uint32_t o = 0; o < na; o++)
                    sum += exp((double)(zi[o] - mx));
                if (y) loss += log(sum) - (double)(zi[y[i]] - mx);
                double inv = 1.0 / sum;
                for (uint32_t o = 0; o < na; o++)
                    zi[o] = (float)(exp((double)(zi[o] - mx)) * inv);
            }
        }
        a_in = z;
    }
    return loss;
}

/* Backward pass after forward(): fills gw/gb (active part) including the L2 term, returns the
 * L2 penalty 0.5 * l2 * sum(w^2) over the regularised, active parameters. */
static double backward(struct ecl_head *h, const float *x, const int32_t *y, uint32_t n) {
    const uint32_t last = h->n_layers - 1;
    const float inv_n = 1.0f / (float)n;
    double pen = 0.0;
    /* dL/dz for softmax + cross-entropy: (p - onehot) / n. */
    float *d = h->delta[0];
    {
        const uint32_t out = h->out[last], na = h->n_classes;
        for (uint32_t i = 0; i < n; i++) {
            const float *p = h->act[last] + (size_t)i * out;
            float *di = d + (size_t)i * out;
            for (uint32_t o = 0; o < na; o++)
                di[o] = p[o] * inv_n;
            di[y[i]] -= inv_n;
        }
    }
    for (uint32_t l = last + 1; l-- > 0;) {
        const uint32_t in = h->in[l], out = h->out[l], na = n_active(h, l);
        const float *a_in = l == 0 ? x : h->act[l - 1];
        float *gw = h->gw[l], *gb = h->gb[l];
        const float *w = h->w[l];
        for (uint32_t o = 0; o < na; o++)
            gb[o] = 0.0f;
        for (uint32_t i = 0; i < n; i++) {
            const float *di = d + (size_t)i * out;
            for (uint32_t o = 0; o < na; o++)
                gb[o] += di[o];
        }
        for (uint32_t k0 = 0; k0 < in; k0 += KB) {
            uint32_t k1 = k0 + KB < in ? k0 + KB : in;
            for (uint32_t k = k0; k < k1; k++)
                memset(gw + (size_t)k * out, 0, na * sizeof(float));
            uint32_t i = 0;
            for (; i + 4 <= n; i += 4) { /* four samples per pass over the G tile */
                const float *x0 = a_in + (size_t)i * in, *x1 = x0 + in, *x2 = x1 + in,
                            *x3 = x2 + in;
                const float *d0 = d + (size_t)i * out, *d1 = d0 + out, *d2 = d1 + out,
                            *d3 = d2 + out;
                for (uint32_t k = k0; k < k1; k++) {
                    const float a0 = x0[k], a1 = x1[k], a2 = x2[k], a3 = x3[k];
                    if (a0 == 0.0f && a1 == 0.0f && a2 == 0.0f && a3 == 0.0f) continue;
                    axpy4(gw + (size_t)k * out, d0, d1, d2, d3, a0, a1, a2, a3, na);
                }
            }
            for (; i < n; i++) {
                const float *xi = a_in + (size_t)i * in;
                const float *di = d + (size_t)i * out;
                for (uint32_t k = k0; k < k1; k++)
                    if (xi[k] != 0.0f) axpy1(gw + (size_t)k * out, di, xi[k], na);
            }
        }
        if (l > 0) {
            /* delta for the layer below: (W d) * relu'(a_in). */
            float *dn = h->delta[(last - l + 1) & 1u];
            for (uint32_t i = 0; i < n; i++) {
                const float *xi = a_in + (size_t)i * in;
                const float *di = d + (size_t)i * out;
                float *dni = dn + (size_t)i * in;
                for (uint32_t k = 0; k < in; k++) {
                    if (xi[k] <= 0.0f) {
                        dni[k] = 0.0f;
                        continue;
                    }
                    const float *wk = w + (size_t)k * out;
                    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
                    uint32_t o = 0;
                    for (; o + 4 <= na; o += 4) {
                        s0 += wk[o] * di[o];
                        s1 += wk[o + 1] * di[o + 1];
                        s2 += wk[o + 2] * di[o + 2];
                        s3 += wk[o + 3] * di[o + 3];
                    }
                    for (; o < na; o++)
                        s0 += wk[o] * di[o];
                    dni[k] = (s0 + s1) + (s2 + s3);
                }
            }
            d = dn;
        }
        if (h->p.l2 > 0.0f) {
            const float l2 = h->p.l2;
            double s = 0.0;
            for (uint32_t k = 0; k < in; k++) {
                const float *wk = w + (size_t)k * out;
                float *gk = gw + (size_t)k * out;
                float sk = 0.0f;
                for (uint32_t o = 0; o < na; o++) {
                    gk[o] += l2 * wk[o];
                    sk += wk[o] * wk[o];
                }
                s += sk;
            }
            if (h->p.l2_bias) {
                const float *b = h->b[l];
                for (uint32_t o = 0; o < na; o++) {
                    gb[o] += l2 * b[o];
                    s += (double)b[o] * b[o];
                }
            }
            pen += 0.5 * (double)l2 * s;
        }
    }
    return pen;
}

static enum ecl_status check_batch(const struct ecl_head *h, const float *x, const int32_t *y,
                                   uint32_t n) {
    if (!h || !x || !y || n == 0) return ECL_EINVAL;
    if (n > h->p.max_batch) return ECL_ERANGE;
    if (h->n_classes == 0) return ECL_ESTATE;
    for (uint32_t i = 0; i < n; i++)
        if (y[i] < 0 || (uint32_t)y[i] >= h->n_classes) return ECL_EINVAL;
    return ECL_OK;
}

enum ecl_status ecl_head_loss_grad(struct ecl_head *h, const float *x, const int32_t *y, uint32_t n,
                                   float *loss) {
    enum ecl_status st = check_batch(h, x, y, n);
    if (st != ECL_OK) return st;
    double ce = forward(h, x, y, n);
    double pen = backward(h, x, y, n);
    if (loss) *loss = (float)(ce / n + pen);
    return ECL_OK;
}

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

/* One optimiser update of `count` contiguous parameters. The vector paths do exactly the
 * scalar operations in the same order (no reassociation, no contraction), so results are
 * bit-identical to the plain-C loops that also handle the tails. */
static void update(const struct ecl_head *h, float *restrict w, const float *restrict g,
                   float *restrict m, float *restrict v, uint32_t count, float lr_t, float eps_t) {
    const struct ecl_head_params *p = &h->p;
    uint32_t j = 0;
    if (p->optimizer == ECL_OPT_ADAM) {
        const float b1 = p->beta1, b2 = p->beta2, c1 = 1.0f - b1, c2 = 1.0f - b2;
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
    } else if (m) {
        const float mu = p->momentum;
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

static void step(struct ecl_head *h) {
    float lr_t = h->lr, eps_t = h->p.eps;
    h->step++;
    if (h->p.optimizer == ECL_OPT_ADAM) {
        /* Bias correction folded into the step size: lr * mhat / (sqrt(vhat) + eps) ==
         * lr_t * m / (sqrt(v) + eps_t) with the factors below. */
        double t = (double)h->step;
        double c1 = 1.0 - pow((double)h->p.beta1, t), c2 = 1.0 - pow((double)h->p.beta2, t);
        lr_t = (float)((double)h->lr * sqrt(c2) / c1);
        eps_t = (float)((double)h->p.eps * sqrt(c2));
    }
    for (uint32_t l = 0; l < h->n_layers; l++) {
        const uint32_t in = h->in[l], out = h->out[l], na = n_active(h, l);
        if (na == out) {
            size_t cnt = (size_t)in * out;
            /* Chunked so count fits uint32 even for huge layers. */
            for (size_t j0 = 0; j0 < cnt; j0 += 1u << 30) {
                uint32_t c = (uint32_t)(cnt - j0 < (1u << 30) ? cnt - j0 : (1u << 30));
                update(h, h->w[l] + j0, h->gw[l] + j0, h->mw[l] ? h->mw[l] + j0 : NULL,
                       h->vw[l] ? h->vw[l] + j0 : NULL, c, lr_t, eps_t);
            }
        } else {
            for (uint32_t k = 0; k < in; k++) {
                size_t o0 = (size_t)k * out;
                update(h, h->w[l] + o0, h->gw[l] + o0, h->mw[l] ? h->mw[l] + o0 : NULL,
                       h->vw[l] ? h->vw[l] + o0 : NULL, na, lr_t, eps_t);
            }
        }
        update(h, h->b[l], h->gb[l], h->mb[l], h->vb[l], na, lr_t, eps_t);
    }
}

enum ecl_status ecl_head_train_batch(struct ecl_head *h, const float *x, const int32_t *y,
                                     uint32_t n, float *loss) {
    enum ecl_status st = ecl_head_loss_grad(h, x, y, n, loss);
    if (st != ECL_OK) return st;
    step(h);
    return ECL_OK;
}

enum ecl_status ecl_head_predict(struct ecl_head *h, const float *x, float *probs) {
    if (!h || !x || !probs) return ECL_EINVAL;
    if (h->n_classes == 0) return ECL_ESTATE;
    forward(h, x, NULL, 1);
    memcpy(probs, h->act[h->n_layers - 1], h->n_classes * sizeof(float));
    return ECL_OK;
}

const float *ecl_head_forward1_(struct ecl_head *h, const float *x) {
    forward(h, x, NULL, 1);
    return h->act[h->n_layers - 1];
}
