/* Dense MLP head: forward, softmax cross-entropy backward, SGD/momentum and Adam steps.
 *
 * Why this shape of code:
 * - All buffers (weights, gradients, optimiser moments, activations for max_batch samples)
 *   are carved out of the caller's block at init, so training never allocates.
 * - The two large products per layer (forward X.W, weight gradient X^T.D) and the optimiser
 *   update go through a table (head_gemm.h) chosen once at init: the plain-C reference
 *   (head_ref.c) or an optimised one for this CPU (head_avx512.c). ecl_head_train_batch fuses
 *   the first layer's weight gradient with its optimiser step, so that gradient (the size of
 *   the largest weight matrix) never goes to memory; ecl_head_loss_grad stores it.
 * - The output layer reserves max_classes columns; only the first n_classes are computed,
 *   regularised and updated, so inactive columns keep their fresh initialisation until the
 *   class is added - and old columns are never touched by adding one.
 */
#include "train/head_impl.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "train/head_gemm.h"

#define ALIGN 64u

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
    h->gemm = ecl_head_gemm_best();
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
        h->gemm->fwd(z, out, a_in, in, w, out, n, na, in);
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
 * L2 penalty 0.5 * l2 * sum(w^2) over the regularised, active parameters. With u0, the first
 * layer's weights take the step u0 as their gradient is computed (gw[0] is not filled). */
static double backward(struct ecl_head *h, const float *x, const int32_t *y, uint32_t n,
                       struct ecl_head_upd *u0) {
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
        if (l == 0 && u0) {
            /* fused gradient + step; the reference table needs gw as scratch */
            u0->l2 = h->p.l2;
            h->gemm->wgrad(h->gemm == &ecl_head_gemm_ref ? gw : NULL, out, a_in, in, d, out, n, na,
                           in, u0);
            if (h->p.l2 > 0.0f && h->p.l2_bias) {
                const float *b = h->b[l];
                double s = 0.0;
                for (uint32_t o = 0; o < na; o++) {
                    gb[o] += h->p.l2 * b[o];
                    s += (double)b[o] * b[o];
                }
                pen += 0.5 * (double)h->p.l2 * (u0->pen + s);
            } else {
                pen += 0.5 * (double)h->p.l2 * u0->pen;
            }
            continue;
        }
        h->gemm->wgrad(gw, out, a_in, in, d, out, n, na, in, NULL);
        if (l > 0) {
            /* delta for the layer below: (W d) * relu'(a_in). */
            float *dn = h->delta[(last - l + 1) & 1u];
            h->gemm->dgrad(dn, in, a_in, in, d, out, w, out, n, na, in);
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
    double pen = backward(h, x, y, n, NULL);
    if (loss) *loss = (float)(ce / n + pen);
    return ECL_OK;
}

/* The constants of the next optimiser step (advances the step counter). */
static struct ecl_head_upd next_step(struct ecl_head *h) {
    const struct ecl_head_params *p = &h->p;
    struct ecl_head_upd u;
    memset(&u, 0, sizeof u);
    u.kind = p->optimizer == ECL_OPT_ADAM ? ECL_UPD_ADAM
             : p->momentum != 0.0f        ? ECL_UPD_MOMENTUM
                                          : ECL_UPD_SGD;
    u.lr_t = h->lr;
    u.eps_t = p->eps;
    u.b1 = p->beta1;
    u.b2 = p->beta2;
    u.c1 = 1.0f - p->beta1;
    u.c2 = 1.0f - p->beta2;
    u.mu = p->momentum;
    h->step++;
    if (p->optimizer == ECL_OPT_ADAM) {
        /* Bias correction folded into the step size: lr * mhat / (sqrt(vhat) + eps) ==
         * lr_t * m / (sqrt(v) + eps_t) with the factors below. */
        double t = (double)h->step;
        double c1 = 1.0 - pow((double)p->beta1, t), c2 = 1.0 - pow((double)p->beta2, t);
        u.lr_t = (float)((double)h->lr * sqrt(c2) / c1);
        u.eps_t = (float)((double)p->eps * sqrt(c2));
    }
    return u;
}

/* The step on every active parameter from gw/gb, except layer 0's weights when skip_w0. */
static void step(struct ecl_head *h, const struct ecl_head_upd *u, int skip_w0) {
    for (uint32_t l = 0; l < h->n_layers; l++) {
        const uint32_t in = h->in[l], out = h->out[l], na = n_active(h, l);
        if (l == 0 && skip_w0) {
        } else if (na == out) {
            size_t cnt = (size_t)in * out;
            /* Chunked so count fits uint32 even for huge layers. */
            for (size_t j0 = 0; j0 < cnt; j0 += 1u << 30) {
                uint32_t c = (uint32_t)(cnt - j0 < (1u << 30) ? cnt - j0 : (1u << 30));
                ecl_head_update_(u, h->w[l] + j0, h->gw[l] + j0, h->mw[l] ? h->mw[l] + j0 : NULL,
                                 h->vw[l] ? h->vw[l] + j0 : NULL, c);
            }
        } else {
            for (uint32_t k = 0; k < in; k++) {
                size_t o0 = (size_t)k * out;
                ecl_head_update_(u, h->w[l] + o0, h->gw[l] + o0, h->mw[l] ? h->mw[l] + o0 : NULL,
                                 h->vw[l] ? h->vw[l] + o0 : NULL, na);
            }
        }
        ecl_head_update_(u, h->b[l], h->gb[l], h->mb[l], h->vb[l], na);
    }
}

enum ecl_status ecl_head_train_batch(struct ecl_head *h, const float *x, const int32_t *y,
                                     uint32_t n, float *loss) {
    enum ecl_status st = check_batch(h, x, y, n);
    if (st != ECL_OK) return st;
    double ce = forward(h, x, y, n);
    struct ecl_head_upd u = next_step(h);
    struct ecl_head_upd u0 = u;
    u0.w = h->w[0];
    u0.m = h->mw[0];
    u0.v = h->vw[0];
    u0.ld = h->out[0];
    double pen = backward(h, x, y, n, &u0);
    if (loss) *loss = (float)(ce / n + pen);
    step(h, &u, 1);
    return ECL_OK;
}

enum ecl_status ecl_head_predict(struct ecl_head *h, const float *x, float *probs) {
    if (!h || !x || !probs) return ECL_EINVAL;
    if (h->n_classes == 0) return ECL_ESTATE;
    forward(h, x, NULL, 1);
    memcpy(probs, h->act[h->n_layers - 1], h->n_classes * sizeof(float));
    return ECL_OK;
}

const char *ecl_head_use_reference_(struct ecl_head *h) {
    const char *was = h->gemm->name;
    h->gemm = &ecl_head_gemm_ref;
    return was;
}

const float *ecl_head_forward1_(struct ecl_head *h, const float *x) {
    forward(h, x, NULL, 1);
    return h->act[h->n_layers - 1];
}
