/* Head tests: finite-difference gradient checks, optimiser step semantics, learning on a
 * separable toy set, class addition, bad-input handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/head.h"
#include "train/head_gemm.h"
#include "train/head_impl.h"
#include "core_util.h"
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

struct hh {
    struct ecl_head *h;
    void *mem;
};

static struct hh make_head(const struct ecl_head_params *p) {
    struct hh r;
    size_t need;
    assert_int_equal(ecl_head_mem_size(p, &need), ECL_OK);
    r.mem = malloc(need);
    assert_non_null(r.mem);
    assert_int_equal(ecl_head_init(p, r.mem, need, &r.h), ECL_OK);
    return r;
}

/* Smallest |pre-activation| over hidden units and samples (reference forward pass written
 * independently of head.c, using the documented input-major weight layout). */
static float kink_distance(struct ecl_head *h, const float *x, uint32_t n) {
    float best = INFINITY;
    float a[64], z[64];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t in = h->in[0];
        memcpy(a, x + (size_t)i * in, in * sizeof(float));
        for (uint32_t l = 0; l + 1 < h->n_layers; l++) {
            uint32_t out = h->out[l];
            for (uint32_t o = 0; o < out; o++) {
                double acc = h->b[l][o];
                for (uint32_t k = 0; k < in; k++)
                    acc += (double)a[k] * h->w[l][(size_t)k * out + o];
                z[o] = (float)acc;
                if (fabsf(z[o]) < best) best = fabsf(z[o]);
            }
            for (uint32_t o = 0; o < out; o++)
                a[o] = z[o] > 0.0f ? z[o] : 0.0f;
            in = out;
        }
    }
    return best;
}

/* Central differences on every active parameter vs the analytic gradient. */
static void gradcheck(uint32_t dim, uint32_t n_hidden, const uint32_t *hidden, uint32_t max_classes,
                      uint32_t n_classes, float l2, int l2_bias) {
    struct ecl_head_params p = ecl_head_default_params(dim, max_classes);
    p.n_hidden = n_hidden;
    for (uint32_t i = 0; i < n_hidden; i++)
        p.hidden[i] = hidden[i];
    p.max_batch = 6;
    p.l2 = l2;
    p.l2_bias = l2_bias;
    p.seed = 7 + dim;
    struct hh H = make_head(&p);
    struct ecl_head *h = H.h;
    assert_int_equal(ecl_head_set_n_classes(h, n_classes), ECL_OK);
    uint64_t s = ecl_rng_seed(dim * 31 + n_hidden, 5);
    const uint32_t n = 5;
    float *x = malloc(sizeof(float) * n * dim);
    int32_t y[5];
    for (uint32_t i = 0; i < n * dim; i++)
        x[i] = tu_gauss(&s);
    for (uint32_t i = 0; i < n; i++)
        y[i] = (int32_t)(i % n_classes);
    /* Non-zero biases so that the bias L2 term matters. */
    for (uint32_t t = 1; t < ecl_head_n_param_tensors(h); t += 2) {
        float *v;
        size_t cnt;
        ecl_head_param(h, t, &v, NULL, &cnt);
        for (size_t j = 0; j < cnt; j++)
            v[j] = 0.1f * tu_gauss(&s);
    }
    /* Finite differences are meaningless across a ReLU kink: redraw the inputs until every
     * hidden pre-activation is at least `margin` away from zero. */
    for (int tries = 0; kink_distance(h, x, n) < 0.02f; tries++) {
        assert_true(tries < 1000);
        for (uint32_t i = 0; i < n * dim; i++)
            x[i] = tu_gauss(&s);
    }
    float loss0;
    assert_int_equal(ecl_head_loss_grad(h, x, y, n, &loss0), ECL_OK);
    assert_true(isfinite(loss0) && loss0 > 0.0f);
    uint32_t checked = 0, bad = 0;
    for (uint32_t t = 0; t < ecl_head_n_param_tensors(h); t++) {
        float *v, *g;
        size_t cnt;
        assert_int_equal(ecl_head_param(h, t, &v, &g, &cnt), ECL_OK);
        float *ga = malloc(sizeof(float) * cnt);
        memcpy(ga, g, sizeof(float) * cnt);
        const int last = t / 2 == n_hidden;
        const uint32_t out = last ? max_classes : hidden[t / 2];
        for (size_t j = 0; j < cnt; j++) {
            uint32_t col = (uint32_t)(t & 1u ? j : j % out);
            if (last && col >= n_classes)
                continue; /* inactive output column: not part of the model */
            const float keep = v[j], eps = 1e-3f;
            float lp, lm;
            v[j] = keep + eps;
            ecl_head_loss_grad(h, x, y, n, &lp);
            v[j] = keep - eps;
            ecl_head_loss_grad(h, x, y, n, &lm);
            v[j] = keep;
            double fd = ((double)lp - (double)lm) / (2.0 * eps);
            double an = ga[j];
            checked++;
            if (fabs(fd - an) > 2e-3 + 3e-2 * fabs(an)) {
                bad++;
                print_message("dim %u nh %u: tensor %u elem %zu: analytic %g numeric %g\n", dim,
                              n_hidden, t, j, an, fd);
            }
        }
        free(ga);
    }
    assert_true(checked > 10);
    assert_int_equal(bad, 0);
    free(x);
    free(H.mem);
}

static void test_gradcheck(void **state) {
    (void)state;
    const uint32_t h1[] = {6}, h2[] = {5, 4}, h3[] = {9, 7, 5};
    gradcheck(5, 0, NULL, 3, 3, 0.0f, 0);  /* softmax regression */
    gradcheck(5, 0, NULL, 4, 2, 0.05f, 1); /* inactive columns + L2 incl. bias */
    gradcheck(7, 1, h1, 4, 3, 0.0f, 0);    /* paper shape, small */
    gradcheck(7, 1, h1, 4, 4, 0.1f, 0);    /* L2 on weights only */
    gradcheck(6, 2, h2, 5, 3, 0.02f, 1);
    gradcheck(4, 3, h3, 3, 3, 0.0f, 0);
}

/* Plain SGD: w' = w - lr g exactly; momentum: second step uses mu*g1 + g2; Adam: first step
 * moves every parameter with |g| >> eps by ~lr (bias correction). */
static void check_step(enum ecl_optimizer opt, float momentum) {
    struct ecl_head_params p = ecl_head_default_params(6, 3);
    p.hidden[0] = 5;
    p.max_batch = 4;
    p.optimizer = opt;
    p.momentum = momentum;
    p.lr = 0.01f;
    struct hh H = make_head(&p);
    ecl_head_set_n_classes(H.h, 3);
    uint64_t s = ecl_rng_seed(3, 3);
    float x[24];
    int32_t y[4] = {0, 1, 2, 1};
    for (int i = 0; i < 24; i++)
        x[i] = tu_gauss(&s);
    float *w, *g;
    size_t cnt;
    ecl_head_param(H.h, 2, &w, &g, &cnt); /* output layer weights: 5 x 3 */
    float w0[15], g1[15], w1[15], g2[15];
    float loss;
    ecl_head_loss_grad(H.h, x, y, 4, &loss);
    memcpy(w0, w, sizeof w0);
    memcpy(g1, g, sizeof g1);
    assert_int_equal(ecl_head_train_batch(H.h, x, y, 4, &loss), ECL_OK);
    memcpy(w1, w, sizeof w1);
    for (int j = 0; j < 15; j++) {
        if (opt == ECL_OPT_SGD) {
            assert_float_equal(w1[j], w0[j] - p.lr * g1[j], 1e-6f);
        } else if (fabsf(g1[j]) > 1e-4f) {
            assert_float_equal(fabsf(w1[j] - w0[j]), p.lr, 1e-4f);
            assert_true((w1[j] - w0[j]) * g1[j] < 0.0f);
        }
    }
    if (opt == ECL_OPT_SGD && momentum > 0.0f) {
        ecl_head_loss_grad(H.h, x, y, 4, &loss);
        memcpy(g2, g, sizeof g2);
        ecl_head_train_batch(H.h, x, y, 4, &loss);
        for (int j = 0; j < 15; j++)
            assert_float_equal(w[j], w1[j] - p.lr * (momentum * g1[j] + g2[j]), 1e-6f);
    }
    free(H.mem);
}

static void test_step_rules(void **state) {
    (void)state;
    check_step(ECL_OPT_SGD, 0.0f);
    check_step(ECL_OPT_SGD, 0.9f);
    check_step(ECL_OPT_ADAM, 0.0f);
}

static void train_toy(enum ecl_optimizer opt, float lr, float momentum, float l2) {
    struct tu_clusters c;
    tu_clusters_init(&c, 10, 4, 2.0f, 11);
    struct ecl_head_params p = ecl_head_default_params(10, 4);
    p.hidden[0] = 16;
    p.max_batch = 16;
    p.optimizer = opt;
    p.lr = lr;
    p.momentum = momentum;
    p.l2 = l2;
    struct hh H = make_head(&p);
    ecl_head_set_n_classes(H.h, 4);
    float x[16 * 10];
    int32_t y[16];
    float first = 0.0f, loss = 0.0f, late = 0.0f;
    for (int it = 0; it < 300; it++) {
        tu_draw(&c, 0, 4, 16, x, y);
        assert_int_equal(ecl_head_train_batch(H.h, x, y, 16, &loss), ECL_OK);
        if (it == 0) first = loss;
        if (it >= 280) late += loss / 20.0f;
    }
    assert_true(late < 0.3f * first);
    int ok = 0;
    float probs[4];
    for (int r = 0; r < 25; r++) {
        tu_draw(&c, 0, 4, 16, x, y);
        for (int i = 0; i < 16; i++) {
            ecl_head_predict(H.h, x + i * 10, probs);
            float sum = probs[0] + probs[1] + probs[2] + probs[3];
            assert_float_equal(sum, 1.0f, 1e-5f);
            int best = 0;
            for (int k = 1; k < 4; k++)
                if (probs[k] > probs[best]) best = k;
            ok += best == y[i];
        }
    }
    assert_true(ok >= 0.95 * 400);
    free(H.mem);
    tu_clusters_free(&c);
}

static void test_learns_toy(void **state) {
    (void)state;
    train_toy(ECL_OPT_SGD, 0.05f, 0.0f, 0.0f);
    train_toy(ECL_OPT_SGD, 0.01f, 0.9f, 1e-4f);
    train_toy(ECL_OPT_ADAM, 3e-3f, 0.0f, 1e-4f);
}

static void test_add_classes(void **state) {
    (void)state;
    struct ecl_head_params p = ecl_head_default_params(8, 5);
    p.hidden[0] = 6;
    p.max_batch = 8;
    p.seed = 4;
    struct hh A = make_head(&p), B = make_head(&p);
    ecl_head_set_n_classes(A.h, 2);
    ecl_head_set_n_classes(B.h, 5);
    uint64_t s = ecl_rng_seed(8, 8);
    float x[64];
    int32_t y[8] = {0, 1, 0, 1, 1, 0, 1, 0};
    for (int i = 0; i < 64; i++)
        x[i] = tu_gauss(&s);
    float loss;
    for (int i = 0; i < 10; i++)
        ecl_head_train_batch(A.h, x, y, 8, &loss);
    float *wa, *ba, *wb;
    size_t cnt;
    ecl_head_param(A.h, 2, &wa, NULL, &cnt);
    ecl_head_param(A.h, 3, &ba, NULL, NULL);
    ecl_head_param(B.h, 2, &wb, NULL, NULL);
    assert_int_equal(cnt, 6 * 5);
    float before[30], bias_before[2] = {ba[0], ba[1]};
    memcpy(before, wa, sizeof before);
    assert_int_equal(ecl_head_set_n_classes(A.h, 4), ECL_OK);
    assert_int_equal(ecl_head_n_classes(A.h), 4);
    const float lim = sqrtf(6.0f / 6.0f);
    for (int k = 0; k < 6; k++) {
        for (int o = 0; o < 2; o++) /* old rows untouched */
            assert_true(wa[k * 5 + o] == before[k * 5 + o]);
        for (int o = 2; o < 4; o++) { /* new rows: fresh He-uniform init, as if there from start */
            assert_true(wa[k * 5 + o] == wb[k * 5 + o]);
            assert_true(fabsf(wa[k * 5 + o]) <= lim && wa[k * 5 + o] != 0.0f);
        }
    }
    assert_true(ba[0] == bias_before[0] && ba[1] == bias_before[1]);
    assert_true(ba[2] == 0.0f && ba[3] == 0.0f);
    float probs[4];
    assert_int_equal(ecl_head_predict(A.h, x, probs), ECL_OK);
    assert_float_equal(probs[0] + probs[1] + probs[2] + probs[3], 1.0f, 1e-5f);
    /* training with a new label now works; shrinking is refused; beyond max is out of range */
    y[0] = 3;
    assert_int_equal(ecl_head_train_batch(A.h, x, y, 8, &loss), ECL_OK);
    assert_int_equal(ecl_head_set_n_classes(A.h, 3), ECL_EINVAL);
    assert_int_equal(ecl_head_set_n_classes(A.h, 6), ECL_ERANGE);
    free(A.mem);
    free(B.mem);
}

static void test_bad_input(void **state) {
    (void)state;
    struct ecl_head_params p = ecl_head_default_params(4, 3);
    p.max_batch = 2;
    size_t need;
    assert_int_equal(ecl_head_mem_size(&p, &need), ECL_OK);
    void *mem = malloc(need);
    struct ecl_head *h;
    assert_int_equal(ecl_head_init(&p, mem, need - 100, &h), ECL_ENOMEM);
    struct ecl_head_params q = p;
    q.dim = 0;
    assert_int_equal(ecl_head_mem_size(&q, &need), ECL_EINVAL);
    q = p;
    q.n_hidden = 9;
    assert_int_equal(ecl_head_mem_size(&q, &need), ECL_ERANGE);
    q = p;
    q.dim = 4000000000u;
    assert_int_not_equal(ecl_head_mem_size(&q, &need), ECL_OK);
    q = p;
    q.lr = NAN;
    assert_int_equal(ecl_head_mem_size(&q, &need), ECL_EINVAL);
    ecl_head_mem_size(&p, &need);
    assert_int_equal(ecl_head_init(&p, mem, need, &h), ECL_OK);
    float x[12] = {0}, probs[3];
    int32_t y[3] = {0, 1, 2};
    float loss;
    assert_int_equal(ecl_head_predict(h, x, probs), ECL_ESTATE);
    assert_int_equal(ecl_head_train_batch(h, x, y, 1, &loss), ECL_ESTATE);
    ecl_head_set_n_classes(h, 2);
    assert_int_equal(ecl_head_train_batch(h, x, y, 3, &loss), ECL_ERANGE);
    y[1] = 2;
    assert_int_equal(ecl_head_train_batch(h, x, y, 2, &loss), ECL_EINVAL);
    y[1] = -1;
    assert_int_equal(ecl_head_train_batch(h, x, y, 2, &loss), ECL_EINVAL);
    assert_int_equal(ecl_head_param(h, 4, NULL, NULL, NULL), ECL_EINVAL);
    free(mem);
}

/* Optimiser updates (vectorised in head.c) against a scalar reference of the same formulas,
 * element by element, over several steps: all layers, weights and biases, sizes that are not
 * multiples of the vector width, and an output layer with inactive columns that must not move. */
static void check_update_exact(enum ecl_optimizer opt, float momentum) {
    struct ecl_head_params p = ecl_head_default_params(21, 6);
    p.hidden[0] = 11;
    p.max_batch = 5;
    p.optimizer = opt;
    p.momentum = momentum;
    p.lr = 0.03f;
    struct hh H = make_head(&p);
    struct ecl_head *h = H.h;
    ecl_head_set_n_classes(h, 4);
    uint64_t s = ecl_rng_seed(9, 9);
    float x[5 * 21];
    int32_t y[5] = {0, 1, 2, 3, 1};
    for (int i = 0; i < 5 * 21; i++)
        x[i] = tu_gauss(&s);
    enum { MAXP = 21 * 11 + 11 * 6 + 11 + 6 };
    for (int it = 0; it < 3; it++) {
        float w0[MAXP], g0[MAXP], m0[MAXP], v0[MAXP];
        float loss;
        assert_int_equal(ecl_head_loss_grad(h, x, y, 5, &loss), ECL_OK);
        size_t at = 0;
        for (uint32_t l = 0; l < h->n_layers; l++) {
            const size_t nw = (size_t)h->in[l] * h->out[l], nb = h->out[l];
            memcpy(w0 + at, h->w[l], nw * sizeof(float));
            memcpy(g0 + at, h->gw[l], nw * sizeof(float));
            if (h->mw[l]) memcpy(m0 + at, h->mw[l], nw * sizeof(float));
            if (h->vw[l]) memcpy(v0 + at, h->vw[l], nw * sizeof(float));
            at += nw;
            memcpy(w0 + at, h->b[l], nb * sizeof(float));
            memcpy(g0 + at, h->gb[l], nb * sizeof(float));
            if (h->mb[l]) memcpy(m0 + at, h->mb[l], nb * sizeof(float));
            if (h->vb[l]) memcpy(v0 + at, h->vb[l], nb * sizeof(float));
            at += nb;
        }
        assert_int_equal(at, MAXP);
        assert_int_equal(ecl_head_train_batch(h, x, y, 5, &loss), ECL_OK);
        float lr_t = p.lr, eps_t = p.eps;
        if (opt == ECL_OPT_ADAM) {
            double t = (double)(it + 1);
            double c1 = 1.0 - pow((double)p.beta1, t), c2 = 1.0 - pow((double)p.beta2, t);
            lr_t = (float)((double)p.lr * sqrt(c2) / c1);
            eps_t = (float)((double)p.eps * sqrt(c2));
        }
        at = 0;
        int moved = 0;
        for (uint32_t l = 0; l < h->n_layers; l++) {
            const uint32_t out = h->out[l], na = l + 1 == h->n_layers ? 4 : out;
            for (int part = 0; part < 2; part++) {
                const uint32_t rows = part == 0 ? h->in[l] : 1;
                const float *w = part == 0 ? h->w[l] : h->b[l];
                for (uint32_t r = 0; r < rows; r++) {
                    for (uint32_t o = 0; o < out; o++, at++) {
                        const float got = w[(size_t)r * out + o];
                        float ref = w0[at], gj = g0[at];
                        if (o < na) {
                            if (opt == ECL_OPT_ADAM) {
                                float mj = p.beta1 * m0[at] + (1.0f - p.beta1) * gj;
                                float vj = p.beta2 * v0[at] + (1.0f - p.beta2) * gj * gj;
                                ref = w0[at] - lr_t * mj / (sqrtf(vj) + eps_t);
                            } else if (momentum > 0.0f) {
                                ref = w0[at] - lr_t * (momentum * m0[at] + gj);
                            } else {
                                ref = w0[at] - lr_t * gj;
                            }
                        }
                        assert_float_equal(got, ref, 1e-7f * (1.0f + fabsf(ref)));
                        moved += got != w0[at];
                    }
                }
            }
        }
        assert_true(moved > MAXP / 2);
    }
    free(H.mem);
}

static void test_update_exact(void **state) {
    (void)state;
    check_update_exact(ECL_OPT_SGD, 0.0f);
    check_update_exact(ECL_OPT_SGD, 0.9f);
    check_update_exact(ECL_OPT_ADAM, 0.0f);
}

/* Largest |a - b| over a tensor, relative to the tensor's largest |a|. */
static double tensor_diff(const float *a, const float *b, size_t n) {
    double mx = 0.0, d = 0.0;
    for (size_t j = 0; j < n; j++) {
        if (fabs((double)a[j]) > mx) mx = fabs((double)a[j]);
        if (fabs((double)a[j] - b[j]) > d) d = fabs((double)a[j] - b[j]);
    }
    return mx > 0.0 ? d / mx : d;
}

/* The optimised products (head_gemm.h, chosen at init for this CPU) against the plain-C
 * reference: two heads from the same seed, one switched to the reference, fed the same
 * batches. Gradients agree within float rounding of the sums (different order, FMA), and so do
 * the weights after several SGD, momentum and Adam steps (with L2 on weights and biases for the
 * first layer's fused update). Odd sizes exercise the tile tails and inactive output columns. */
static void check_opt_vs_ref(const struct ecl_head_gemm *tab, uint32_t dim, uint32_t hidden,
                             uint32_t classes, uint32_t batch, enum ecl_optimizer opt,
                             float momentum, float l2) {
    struct ecl_head_params p = ecl_head_default_params(dim, classes + 3);
    p.n_hidden = hidden ? 1 : 0; /* 0: one layer, the output one, fused */
    p.hidden[0] = hidden;
    p.max_batch = batch;
    p.optimizer = opt;
    p.momentum = momentum;
    p.l2 = l2;
    p.l2_bias = l2 > 0.0f;
    p.lr = 0.01f;
    p.eps = 1e-3f; /* a smooth Adam step: rounding-level gradient noise stays rounding-level */
    struct hh A = make_head(&p), R = make_head(&p);
    assert_non_null(ecl_head_use_reference_(R.h));
    A.h->gemm = tab;
    ecl_head_set_n_classes(A.h, classes);
    ecl_head_set_n_classes(R.h, classes);
    float *x = malloc(sizeof(float) * dim * batch);
    int32_t *y = malloc(sizeof(int32_t) * batch);
    assert_non_null(x);
    assert_non_null(y);
    uint64_t s = ecl_rng_seed(11, dim);
    const uint32_t nt = ecl_head_n_param_tensors(A.h);
    for (int it = 0; it < 4; it++) {
        for (size_t j = 0; j < (size_t)dim * batch; j++) { /* ReLU-like: half zeros */
            float g = tu_gauss(&s);
            x[j] = g > 0.0f ? g : 0.0f;
        }
        for (uint32_t i = 0; i < batch; i++)
            y[i] = (int32_t)((i * 7u + (uint32_t)it) % classes);
        const uint32_t n = it == 1 ? batch - 1 : batch; /* a partial tile of samples too */
        float la, lr_;
        assert_int_equal(ecl_head_loss_grad(A.h, x, y, n, &la), ECL_OK);
        assert_int_equal(ecl_head_loss_grad(R.h, x, y, n, &lr_), ECL_OK);
        assert_float_equal(la, lr_, 1e-5f * fabsf(lr_));
        for (uint32_t t = 0; t < nt; t++) {
            float *ga, *gr;
            size_t cnt;
            ecl_head_param(A.h, t, NULL, &ga, &cnt);
            ecl_head_param(R.h, t, NULL, &gr, NULL);
            assert_true(tensor_diff(gr, ga, cnt) < 1e-5);
        }
        assert_int_equal(ecl_head_train_batch(A.h, x, y, n, &la), ECL_OK);
        assert_int_equal(ecl_head_train_batch(R.h, x, y, n, &lr_), ECL_OK);
        assert_float_equal(la, lr_, 1e-5f * fabsf(lr_));
        for (uint32_t t = 0; t < nt; t++) {
            float *wa, *wr;
            size_t cnt;
            ecl_head_param(A.h, t, &wa, NULL, &cnt);
            ecl_head_param(R.h, t, &wr, NULL, NULL);
            assert_true(tensor_diff(wr, wa, cnt) < 1e-5);
        }
    }
    free(x);
    free(y);
    free(A.mem);
    free(R.mem);
}

static void test_opt_matches_ref(void **state) {
    (void)state;
    const struct ecl_head_gemm *tables[2] = {ecl_head_gemm_avx512(), ecl_head_gemm_avx2()};
    int ran = 0;
    for (int i = 0; i < 2; i++) {
        const struct ecl_head_gemm *t = tables[i];
        if (!t) continue;
        print_message("head products: %s vs ref\n", t->name);
        check_opt_vs_ref(t, 300, 37, 13, 7, ECL_OPT_SGD, 0.0f, 0.0f);
        check_opt_vs_ref(t, 300, 37, 13, 7, ECL_OPT_SGD, 0.9f, 1e-3f);
        check_opt_vs_ref(t, 300, 37, 13, 7, ECL_OPT_ADAM, 0.0f, 0.0f);
        check_opt_vs_ref(t, 131, 70, 5, 9, ECL_OPT_ADAM, 0.0f, 1e-3f);
        check_opt_vs_ref(t, 75, 0, 6, 5, ECL_OPT_ADAM, 0.0f, 1e-3f);
        check_opt_vs_ref(t, 2048, 128, 50, 32, ECL_OPT_ADAM, 0.0f, 0.0f); /* the paper's shape */
        ran++;
    }
    if (!ran) {
        print_message("SKIP: no optimised head products on this CPU (reference only)\n");
        skip();
    }
}

/* Adam moments in the subnormal range (a weight whose input stayed zero for ~800 steps: m
 * decays by beta1 per step) and dead inputs: the optimised tables may flush subnormals to zero
 * in the fused step (head_gemm.h). Weights and moments still match the reference within
 * rounding plus FLT_MIN, everything stays finite, and the caller's floating-point control
 * state (MXCSR on x86) is the same after the step as before. */
static void check_subnormal_state(const struct ecl_head_gemm *tab) {
    const uint32_t dim = 260, hidden = 70, classes = 5, batch = 9;
    struct ecl_head_params p = ecl_head_default_params(dim, classes);
    p.hidden[0] = hidden;
    p.max_batch = batch;
    p.lr = 0.01f;
    p.eps = 1e-3f;
    struct hh A = make_head(&p), R = make_head(&p);
    assert_non_null(ecl_head_use_reference_(R.h));
    A.h->gemm = tab;
    ecl_head_set_n_classes(A.h, classes);
    ecl_head_set_n_classes(R.h, classes);
    const size_t nw = (size_t)dim * hidden;
    for (size_t j = 0; j < nw; j++) { /* both heads: the same subnormal moments */
        A.h->mw[0][j] = R.h->mw[0][j] = (j % 3 ? 1.0f : -1.0f) * FLT_MIN * (float)(j % 7) / 8.0f;
        A.h->vw[0][j] = R.h->vw[0][j] = FLT_MIN * (float)(j % 5) / 8.0f;
    }
    float *x = malloc(sizeof(float) * dim * batch);
    int32_t y[9];
    assert_non_null(x);
    uint64_t s = ecl_rng_seed(5, 5);
    for (uint32_t i = 0; i < batch; i++) {
        for (uint32_t k = 0; k < dim; k++) { /* every fourth input dead */
            float g = tu_gauss(&s);
            x[(size_t)i * dim + k] = k % 4 == 0 || g < 0.0f ? 0.0f : g;
        }
        y[i] = (int32_t)(i % classes);
    }
#if defined(__x86_64__)
    const unsigned csr0 = _mm_getcsr();
    _mm_setcsr(csr0 & ~0x8040u);                /* IEEE subnormals, as C programs start */
    const unsigned csr = _mm_getcsr() & ~0x3fu; /* control bits, not the sticky flags */
#endif
    float la, lr_;
    for (int it = 0; it < 2; it++) {
        assert_int_equal(ecl_head_train_batch(A.h, x, y, batch, &la), ECL_OK);
        assert_int_equal(ecl_head_train_batch(R.h, x, y, batch, &lr_), ECL_OK);
#if defined(__x86_64__)
        assert_int_equal(_mm_getcsr() & ~0x3fu, csr);
#endif
        assert_float_equal(la, lr_, 1e-5f * fabsf(lr_));
    }
#if defined(__x86_64__)
    _mm_setcsr(csr0);
#endif
    for (uint32_t t = 0; t < ecl_head_n_param_tensors(A.h); t++) {
        float *wa, *wr;
        size_t cnt;
        ecl_head_param(A.h, t, &wa, NULL, &cnt);
        ecl_head_param(R.h, t, &wr, NULL, NULL);
        for (size_t j = 0; j < cnt; j++)
            assert_true(isfinite(wa[j]));
        assert_true(tensor_diff(wr, wa, cnt) < 1e-5);
    }
    const float *ms[2] = {A.h->mw[0], A.h->vw[0]}, *mr[2] = {R.h->mw[0], R.h->vw[0]};
    for (int a = 0; a < 2; a++) {
        double mx = 0.0;
        for (size_t j = 0; j < nw; j++) { /* not fmax(): gcc 12 for AArch64 fails on that loop */
            double v = fabs((double)mr[a][j]);
            if (v > mx) mx = v;
        }
        assert_true(mx > 0.0);
        for (size_t j = 0; j < nw; j++)
            assert_true(fabs((double)ms[a][j] - mr[a][j]) <= 1e-5 * mx + FLT_MIN);
    }
    free(x);
    free(A.mem);
    free(R.mem);
}

static void test_opt_subnormal_state(void **state) {
    (void)state;
    const struct ecl_head_gemm *tables[2] = {ecl_head_gemm_avx512(), ecl_head_gemm_avx2()};
    int ran = 0;
    for (int i = 0; i < 2; i++) {
        if (!tables[i]) continue;
        check_subnormal_state(tables[i]);
        ran++;
    }
    if (!ran) {
        print_message("SKIP: no optimised head products on this CPU (reference only)\n");
        skip();
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck),       cmocka_unit_test(test_step_rules),
        cmocka_unit_test(test_learns_toy),      cmocka_unit_test(test_add_classes),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_update_exact),
        cmocka_unit_test(test_opt_matches_ref), cmocka_unit_test(test_opt_subnormal_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
