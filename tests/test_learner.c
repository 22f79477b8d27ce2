/* Learner tests: each kind learns separable Gaussian clusters; class-incremental 5-task split
 * where naive forgets and replay does not; SLDA uses the shared covariance; lr schedule; names;
 * reset; bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/learner.h"
#include "learn/learner_impl.h"
#include "learn/slda_la.h"
#include "core_util.h"

#ifndef EPOCHS
#define EPOCHS 4
#endif
#ifndef RPB
#define RPB 32
#endif

struct ll {
    struct ecl_learner *l;
    void *mem;
};

static struct ll make(const struct ecl_learner_params *p) {
    struct ll o;
    size_t need;
    assert_int_equal(ecl_learner_mem_size(p, &need), ECL_OK);
    o.mem = malloc(need);
    assert_non_null(o.mem);
    assert_int_equal(ecl_learner_init(p, o.mem, need, &o.l), ECL_OK);
    return o;
}

static double accuracy(struct ecl_learner *l, struct tu_clusters *c, int32_t lo, int32_t hi,
                       uint32_t n) {
    float *x = malloc(sizeof(float) * c->dim * n);
    int32_t *y = malloc(sizeof(int32_t) * n);
    tu_draw(c, lo, hi, n, x, y);
    uint32_t ok = 0;
    for (uint32_t i = 0; i < n; i++) {
        int32_t top;
        assert_int_equal(ecl_learner_predict(l, x + (size_t)i * c->dim, NULL, &top), ECL_OK);
        ok += top == y[i];
    }
    free(x);
    free(y);
    return (double)ok / n;
}

/* Class-incremental: 5 tasks of 2 classes, each observed in 4 calls of 100 samples. */
static double run_split(struct ecl_learner *l, struct tu_clusters *c) {
    const uint32_t d = c->dim;
    float *x = malloc(sizeof(float) * d * 100);
    int32_t y[100];
    for (int t = 0; t < 5; t++) {
        for (int b = 0; b < 4; b++) {
            tu_draw(c, 2 * t, 2 * t + 2, 100, x, y);
            assert_int_equal(ecl_learner_observe(l, x, y, 100), ECL_OK);
        }
    }
    free(x);
    return accuracy(l, c, 0, 10, 1000);
}

static struct ecl_learner_params params(enum ecl_learner_kind k, uint32_t dim) {
    struct ecl_learner_params p = ecl_learner_default_params(k, dim, 12);
    p.head.hidden[0] = 32;
    p.epochs = EPOCHS;
    p.batch_size = 16;
    p.replay_per_batch = k == ECL_LEARNER_REPLAY ? RPB : 0;
    p.replay.capacity = 400;
    p.replay.policy = ECL_REPLAY_BALANCED;
    return p;
}

static void test_split_forgetting(void **state) {
    (void)state;
    struct tu_clusters c;
    tu_clusters_init(&c, 24, 10, 1.0f, 2024);
    double acc[4];
    for (int k = 0; k < 4; k++) {
        struct ecl_learner_params p = params((enum ecl_learner_kind)k, 24);
        struct ll L = make(&p);
        acc[k] = run_split(L.l, &c);
        assert_int_equal(ecl_learner_n_classes(L.l), 10);
        assert_int_equal(ecl_learner_n_seen(L.l), 2000);
        print_message("%-6s final accuracy over 10 classes: %.3f\n",
                      ecl_learner_kind_name((enum ecl_learner_kind)k), acc[k]);
        free(L.mem);
    }
    assert_true(acc[ECL_LEARNER_NAIVE] < 0.5);  /* catastrophic forgetting */
    assert_true(acc[ECL_LEARNER_REPLAY] > 0.8); /* replay prevents it */
    assert_true(acc[ECL_LEARNER_SLDA] > 0.9);
    assert_true(acc[ECL_LEARNER_NCM] > 0.9);
    tu_clusters_free(&c);
}

/* Anisotropic noise: large shared variance along a direction the means differ little in.
 * NCM (Euclidean) suffers; SLDA (Mahalanobis via the streaming covariance) does not. */
static void test_slda_uses_covariance(void **state) {
    (void)state;
    const uint32_t d = 8, n = 2000;
    float *x = malloc(sizeof(float) * d * n);
    int32_t *y = malloc(sizeof(int32_t) * n);
    uint64_t s = ecl_rng_seed(5, 5);
    for (uint32_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 3);
        float big = 6.0f * tu_gauss(&s);
        for (uint32_t j = 0; j < d; j++)
            x[i * d + j] = 0.3f * tu_gauss(&s);
        x[i * d + 0] += (float)y[i] * 2.0f + big;        /* class signal buried in noise ... */
        x[i * d + 1] += (float)y[i] * 2.0f + big;        /* ... that is perfectly correlated */
        x[i * d + 2] += (float)(y[i] == 2) * 1.0f - big; /* across three dimensions */
    }
    double acc[2];
    enum ecl_learner_kind kinds[2] = {ECL_LEARNER_SLDA, ECL_LEARNER_NCM};
    for (int k = 0; k < 2; k++) {
        struct ecl_learner_params p = ecl_learner_default_params(kinds[k], d, 3);
        struct ll L = make(&p);
        ecl_learner_observe(L.l, x, y, n / 2);
        uint32_t ok = 0;
        for (uint32_t i = n / 2; i < n; i++) {
            int32_t top;
            float sc[3];
            ecl_learner_predict(L.l, x + i * d, sc, &top);
            ok += top == y[i];
        }
        acc[k] = (double)ok / (n / 2);
        free(L.mem);
    }
    print_message("anisotropic: slda %.3f ncm %.3f\n", acc[0], acc[1]);
    assert_true(acc[0] > 0.95);
    assert_true(acc[0] > acc[1] + 0.2);
    free(x);
    free(y);
}

static void test_scores_and_names(void **state) {
    (void)state;
    for (int k = 0; k < 4; k++) {
        struct ecl_learner_params p = ecl_learner_default_params((enum ecl_learner_kind)k, 4, 6);
        struct ll L = make(&p);
        float x[8] = {1, 0, 0, 0, 0, 0, 1, 0}, sc[6];
        int32_t y[2] = {1, 3}, top = 7;
        assert_int_equal(ecl_learner_predict(L.l, x, sc, &top), ECL_OK);
        assert_int_equal(top, -1); /* nothing learned */
        assert_int_equal(ecl_learner_observe(L.l, x, y, 2), ECL_OK);
        assert_int_equal(ecl_learner_n_classes(L.l), 4);
        assert_int_equal(ecl_learner_predict(L.l, x, sc, &top), ECL_OK);
        if (k == ECL_LEARNER_NAIVE || k == ECL_LEARNER_REPLAY) {
            assert_true(top >= 0 && top < 4); /* classes 0..3 all exist in the head now */
            float sum = 0.0f;
            for (int c = 0; c < 4; c++)
                sum += sc[c];
            assert_float_equal(sum, 1.0f, 1e-5f);
            assert_true(sc[4] == 0.0f && sc[5] == 0.0f);
        } else {
            assert_true(isinf(sc[0]) && sc[0] < 0 && isinf(sc[5]));
            assert_true(isfinite(sc[1]) && isfinite(sc[3]));
            assert_int_equal(top, 1);
        }
        assert_int_equal(ecl_learner_set_class_name(L.l, 3, "mug"), ECL_OK);
        assert_string_equal(ecl_learner_class_name(L.l, 3), "mug");
        assert_string_equal(ecl_learner_class_name(L.l, 2), "");
        assert_string_equal(ecl_learner_class_name(L.l, 99), "");
        assert_int_equal(ecl_learner_set_class_name(L.l, 6, "x"), ECL_EINVAL);
        assert_int_equal(
            ecl_learner_set_class_name(L.l, 0, "a name that is far too long for the slot"),
            ECL_ERANGE);
        /* bad input leaves the learner as it was */
        int32_t bad[2] = {0, 6};
        assert_int_equal(ecl_learner_observe(L.l, x, bad, 2), ECL_EINVAL);
        x[5] = NAN;
        assert_int_equal(ecl_learner_observe(L.l, x, y, 2), ECL_EINVAL);
        assert_int_equal(ecl_learner_predict(L.l, x + 4, sc, &top), ECL_EINVAL);
        assert_int_equal(ecl_learner_n_seen(L.l), 2);
        assert_int_equal(ecl_learner_n_classes(L.l), 4);
        assert_int_equal(ecl_learner_replay_bytes(L.l),
                         k == ECL_LEARNER_REPLAY ? ecl_replay_storage_bytes(&p.replay) : 0);
        assert_int_equal(ecl_learner_reset(L.l), ECL_OK);
        assert_int_equal(ecl_learner_n_seen(L.l), 0);
        assert_int_equal(ecl_learner_n_classes(L.l), 0);
        assert_int_equal(ecl_learner_predict(L.l, x, sc, &top), ECL_OK);
        assert_int_equal(top, -1);
        free(L.mem);
    }
}

static void test_lr_schedule(void **state) {
    (void)state;
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, 4, 3);
    p.head.optimizer = ECL_OPT_SGD;
    p.head.lr = 1e-3f;
    p.lr_after_first = 5e-5f;
    struct ll L = make(&p);
    float x[8] = {1, 0, 0, 0, 0, 1, 0, 0};
    int32_t y[2] = {0, 1};
    ecl_learner_observe(L.l, x, y, 2);
    assert_float_equal(L.l->head->lr, 1e-3f, 0.0f);
    ecl_learner_observe(L.l, x, y, 2);
    assert_float_equal(L.l->head->lr, 5e-5f, 0.0f);
    assert_int_equal(ecl_replay_size(L.l->replay), 4);
    free(L.mem);
}

/* SLDA scores against a direct reference: Lambda = ((1-s) Sigma + s I)^-1 by Gauss-Jordan in
 * double from the learner's own statistics, score_k = mu_k^T Lambda x - 0.5 mu_k^T Lambda mu_k.
 * Odd sizes (dim 13, 5 of 7 classes seen) exercise the blocked factorisation's and the grouped
 * solves' tails. Then: the cached classifier is recomputed after observe() (dirty flag), and a
 * learner restored from a state image predicts exactly the same scores. */
static void slda_reference(struct ecl_learner *l, const float *x, double *ref) {
    const uint32_t d = l->p.dim, c = l->p.max_classes;
    const double s = l->p.slda_shrinkage;
    double *a = malloc(sizeof(double) * d * 2 * d);
    for (uint32_t i = 0; i < d; i++)
        for (uint32_t j = 0; j < d; j++) {
            const float cv = i >= j ? l->cov[i * d + j] : l->cov[j * d + i];
            a[i * 2 * d + j] = (1.0 - s) * cv + (i == j ? s : 0.0);
            a[i * 2 * d + d + j] = i == j ? 1.0 : 0.0;
        }
    for (uint32_t col = 0; col < d; col++) {
        uint32_t piv = col;
        for (uint32_t r = col + 1; r < d; r++)
            if (fabs(a[r * 2 * d + col]) > fabs(a[piv * 2 * d + col])) piv = r;
        for (uint32_t j = 0; j < 2 * d; j++) {
            double t = a[col * 2 * d + j];
            a[col * 2 * d + j] = a[piv * 2 * d + j];
            a[piv * 2 * d + j] = t;
        }
        const double inv = 1.0 / a[col * 2 * d + col];
        for (uint32_t j = 0; j < 2 * d; j++)
            a[col * 2 * d + j] *= inv;
        for (uint32_t r = 0; r < d; r++) {
            if (r == col) continue;
            const double f = a[r * 2 * d + col];
            for (uint32_t j = 0; j < 2 * d; j++)
                a[r * 2 * d + j] -= f * a[col * 2 * d + j];
        }
    }
    for (uint32_t k = 0; k < c; k++) {
        if (l->cnt[k] == 0) {
            ref[k] = -INFINITY;
            continue;
        }
        const float *mu = l->mean + (size_t)k * d;
        double sx = 0.0, sm = 0.0;
        for (uint32_t i = 0; i < d; i++) {
            double w = 0.0;
            for (uint32_t j = 0; j < d; j++)
                w += a[i * 2 * d + d + j] * mu[j];
            sx += w * x[i];
            sm += w * mu[i];
        }
        ref[k] = sx - 0.5 * sm;
    }
    free(a);
}

static void check_slda_scores(struct ecl_learner *l, const float *x, uint32_t n) {
    const uint32_t d = l->p.dim, c = l->p.max_classes;
    float sc[7];
    double ref[7];
    for (uint32_t i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * d;
        assert_int_equal(ecl_learner_predict(l, xi, sc, NULL), ECL_OK);
        slda_reference(l, xi, ref);
        for (uint32_t k = 0; k < c; k++) {
            if (isinf(ref[k])) {
                assert_true(isinf(sc[k]) && sc[k] < 0);
            } else {
                assert_float_equal(sc[k], ref[k], 1e-3 * (1.0 + fabs(ref[k])));
            }
        }
    }
}

static void test_slda_cache(void **state) {
    (void)state;
    const uint32_t d = 13, n = 300;
    struct tu_clusters c;
    tu_clusters_init(&c, d, 7, 2.0f, 21);
    float *x = malloc(sizeof(float) * d * n);
    int32_t *y = malloc(sizeof(int32_t) * n);
    tu_draw(&c, 0, 7, n, x, y);
    for (uint32_t i = 0; i < n; i++) /* leave classes 1 and 4 unseen */
        if (y[i] == 1 || y[i] == 4) y[i] = 6;
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_SLDA, d, 7);
    p.slda_shrinkage = 0.05f;
    struct ll L = make(&p);
    assert_int_equal(ecl_learner_observe(L.l, x, y, n / 2), ECL_OK);
    check_slda_scores(L.l, x + (size_t)(n / 2) * d, 10);
    assert_true(L.l->cache_valid);
    /* observe() marks the cache dirty; predictions follow the new statistics */
    assert_int_equal(ecl_learner_observe(L.l, x + (size_t)(n / 2) * d, y + n / 2, n / 2), ECL_OK);
    assert_false(L.l->cache_valid);
    check_slda_scores(L.l, x, 10);
    /* state image -> fresh learner: same scores bit for bit (cache is derived, not stored) */
    size_t len, w;
    assert_int_equal(ecl_learner_state_size(L.l, &len), ECL_OK);
    void *img = malloc(len);
    assert_int_equal(ecl_learner_state_write(L.l, img, len, &w), ECL_OK);
    struct ll B = make(&p);
    assert_int_equal(ecl_learner_predict(B.l, x, NULL, NULL), ECL_OK); /* stale empty cache */
    assert_int_equal(ecl_learner_state_read(B.l, img, w), ECL_OK);
    for (uint32_t i = 0; i < 20; i++) {
        float sa[7], sb[7];
        int32_t ta, tb;
        ecl_learner_predict(L.l, x + (size_t)i * d, sa, &ta);
        ecl_learner_predict(B.l, x + (size_t)i * d, sb, &tb);
        assert_int_equal(ta, tb);
        assert_memory_equal(sa, sb, sizeof sa);
    }
    /* reset clears the cache too */
    assert_int_equal(ecl_learner_reset(B.l), ECL_OK);
    int32_t top;
    assert_int_equal(ecl_learner_predict(B.l, x, NULL, &top), ECL_OK);
    assert_int_equal(top, -1);
    free(img);
    free(B.mem);
    free(L.mem);
    free(x);
    free(y);
    tu_clusters_free(&c);
}

/* The paper's preset: replay learner, SGD 1e-3 then 5e-5, Dense(128, ReLU) head, random
 * replacement; it learns a separable class-incremental stream, and replay_count tracks the
 * memory up to its capacity. */
static void test_paper_params(void **state) {
    (void)state;
    const uint32_t d = 16;
    struct ecl_learner_params p = ecl_learner_paper_params(d, 4);
    assert_int_equal(p.kind, ECL_LEARNER_REPLAY);
    assert_int_equal(p.head.optimizer, ECL_OPT_SGD);
    assert_int_equal(p.head.n_hidden, 1);
    assert_int_equal(p.head.hidden[0], 128);
    assert_float_equal(p.head.lr, 1e-3f, 0.0f);
    assert_float_equal(p.lr_after_first, 5e-5f, 0.0f);
    assert_int_equal(p.replay.policy, ECL_REPLAY_RANDOM);
    p.replay.capacity = 200; /* small, so the test also sees the memory full */
    struct ll L = make(&p);
    assert_int_equal(ecl_learner_replay_count(L.l), 0);
    struct tu_clusters c;
    tu_clusters_init(&c, d, 4, 3.0f, 31);
    float *x = malloc(sizeof(float) * d * 600);
    int32_t *y = malloc(sizeof(int32_t) * 600);
    /* first batch (lr 1e-3, many epochs' worth of data) sees all classes; later small batches
     * with the tiny lr must not destroy it */
    tu_draw(&c, 0, 4, 600, x, y);
    for (int rep = 0; rep < 10; rep++) {
        if (rep == 0) {
            assert_int_equal(ecl_learner_observe(L.l, x, y, 600), ECL_OK);
        } else {
            /* the same data again: only possible after the first call with lr_after_first */
            assert_int_equal(ecl_learner_observe(L.l, x + (size_t)rep * 40 * d, y + rep * 40, 40),
                             ECL_OK);
        }
        if (rep == 0) assert_int_equal(ecl_learner_replay_count(L.l), 200);
    }
    assert_float_equal(L.l->head->lr, 5e-5f, 0.0f);
    assert_int_equal(ecl_learner_replay_count(L.l), 200);
    double acc = accuracy(L.l, &c, 0, 4, 400);
    print_message("paper preset: accuracy %.3f\n", acc);
    assert_true(acc > 0.9);
    /* count is 0 for learners without a memory */
    struct ecl_learner_params q = ecl_learner_default_params(ECL_LEARNER_NCM, d, 4);
    struct ll N = make(&q);
    ecl_learner_observe(N.l, x, y, 10);
    assert_int_equal(ecl_learner_replay_count(N.l), 0);
    assert_int_equal(ecl_learner_replay_count(NULL), 0);
    free(N.mem);
    free(x);
    free(y);
    free(L.mem);
    tu_clusters_free(&c);
}

static void test_params(void **state) {
    (void)state;
    enum ecl_learner_kind k;
    assert_int_equal(ecl_learner_kind_parse("slda", &k), ECL_OK);
    assert_int_equal(k, ECL_LEARNER_SLDA);
    assert_int_equal(ecl_learner_kind_parse("bogus", &k), ECL_ENOTFOUND);
    assert_string_equal(ecl_learner_kind_name(ECL_LEARNER_REPLAY), "replay");
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, 16, 5);
    p.batch_size = 100; /* head batch grows to hold new + replayed samples */
    struct ll L = make(&p);
    assert_int_equal(ecl_learner_params(L.l)->head.max_batch, 100 + p.replay_per_batch);
    free(L.mem);
    size_t need;
    p.dim = 0;
    assert_int_equal(ecl_learner_mem_size(&p, &need), ECL_EINVAL);
    p = ecl_learner_default_params(ECL_LEARNER_SLDA, 100000, 5);
    assert_int_equal(ecl_learner_mem_size(&p, &need), ECL_ERANGE);
    p = ecl_learner_default_params(ECL_LEARNER_NCM, 8, 5);
    p.kind = (enum ecl_learner_kind)9;
    assert_int_equal(ecl_learner_mem_size(&p, &need), ECL_EINVAL);
    p.kind = ECL_LEARNER_NCM;
    ecl_learner_mem_size(&p, &need);
    void *mem = malloc(need);
    struct ecl_learner *l;
    assert_int_equal(ecl_learner_init(&p, mem, need - 64, &l), ECL_ENOMEM);
    free(mem);
}

/* observe_epochs: fn sees every epoch in order with the cap, and the first epoch's loss is the
 * loss of the untrained head on the batch (one mini-batch per epoch here, computed on a twin
 * learner by ecl_head_loss_grad); stopping after epoch 2 still admits the samples to the replay
 * memory and counts them; a fn that never stops gives exactly observe()'s learner; slda and
 * ncm have no epochs and never call fn. */
struct epoch_log {
    uint32_t calls, stop_at, epoch[16], epochs[16];
    float loss[16];
};

static int log_epoch(void *ctx, uint32_t epoch, uint32_t epochs, float loss) {
    struct epoch_log *g = ctx;
    if (g->calls < 16) {
        g->epoch[g->calls] = epoch;
        g->epochs[g->calls] = epochs;
        g->loss[g->calls] = loss;
    }
    g->calls++;
    return g->stop_at && epoch >= g->stop_at;
}

static void state_bytes(struct ecl_learner *l, unsigned char **buf, size_t *len) {
    assert_int_equal(ecl_learner_state_size(l, len), ECL_OK);
    *buf = malloc(*len);
    assert_non_null(*buf);
    size_t w;
    assert_int_equal(ecl_learner_state_write(l, *buf, *len, &w), ECL_OK);
    assert_int_equal(w, *len);
}

static void test_observe_epochs(void **state) {
    (void)state;
    struct tu_clusters c;
    tu_clusters_init(&c, 8, 3, 3.0f, 7);
    float x[8 * 24];
    int32_t y[24];
    tu_draw(&c, 0, 3, 24, x, y);
    struct ecl_learner_params p = params(ECL_LEARNER_REPLAY, 8);
    p.epochs = 6;
    p.batch_size = 32; /* one mini-batch per epoch */
    struct ll A = make(&p), B = make(&p), C = make(&p);
    float before;
    assert_int_equal(ecl_head_set_n_classes(B.l->head, 3), ECL_OK);
    assert_int_equal(ecl_head_loss_grad(B.l->head, x, y, 24, &before), ECL_OK);
    struct epoch_log g;
    memset(&g, 0, sizeof g);
    assert_int_equal(ecl_learner_observe_epochs(A.l, x, y, 24, log_epoch, &g), ECL_OK);
    assert_int_equal(g.calls, 6);
    for (uint32_t e = 0; e < 6; e++) {
        assert_int_equal(g.epoch[e], e + 1);
        assert_int_equal(g.epochs[e], 6);
        assert_true(isfinite(g.loss[e]));
    }
    assert_float_equal(g.loss[0], before, 1e-5f * (1.0f + before));
    assert_true(g.loss[5] < g.loss[0]);
    /* the same learner through observe(): identical state */
    assert_int_equal(ecl_learner_observe(C.l, x, y, 24), ECL_OK);
    unsigned char *sa, *sc;
    size_t na, nc;
    state_bytes(A.l, &sa, &na);
    state_bytes(C.l, &sc, &nc);
    assert_int_equal(na, nc);
    assert_memory_equal(sa, sc, na);
    free(sa);
    free(sc);
    /* stopped after epoch 2: samples still admitted and counted */
    struct ll D = make(&p);
    memset(&g, 0, sizeof g);
    g.stop_at = 2;
    assert_int_equal(ecl_learner_observe_epochs(D.l, x, y, 24, log_epoch, &g), ECL_OK);
    assert_int_equal(g.calls, 2);
    assert_int_equal(ecl_learner_replay_count(D.l), 24);
    assert_int_equal(ecl_learner_n_seen(D.l), 24);
    /* no epochs for slda and ncm */
    enum ecl_learner_kind stat[2] = {ECL_LEARNER_SLDA, ECL_LEARNER_NCM};
    for (int k = 0; k < 2; k++) {
        struct ecl_learner_params q = params(stat[k], 8);
        struct ll E = make(&q);
        memset(&g, 0, sizeof g);
        assert_int_equal(ecl_learner_observe_epochs(E.l, x, y, 24, log_epoch, &g), ECL_OK);
        assert_int_equal(g.calls, 0);
        assert_int_equal(ecl_learner_n_seen(E.l), 24);
        free(E.mem);
    }
    free(A.mem);
    free(B.mem);
    free(C.mem);
    free(D.mem);
    tu_clusters_free(&c);
}

/* SLDA's factorisation and solves: the AVX2 build of slda_la_impl.h gives bit-identical results
 * to the baseline build (same operations in the same order), and both solve the system:
 * A w = b within rounding for an SPD matrix of odd size (vector tails, partial blocks). */
static void test_slda_la_isa(void **state) {
    (void)state;
    const struct ecl_slda_la *fast = ecl_slda_la_avx2();
    if (!fast) {
        print_message("SKIP: no AVX2 SLDA linear algebra on this CPU/build\n");
        skip();
    }
    enum { D = 37, NR = 3 };
    static double a[D * D], la[D * D], lb[D * D], wa[NR][D], wb[NR][D], g[D * D];
    uint64_t s = ecl_rng_seed(5, 5);
    for (int i = 0; i < D * D; i++)
        g[i] = tu_gauss(&s);
    for (int i = 0; i < D; i++) /* A = G G^T / D + 0.1 I */
        for (int j = 0; j <= i; j++) {
            double acc = 0.0;
            for (int k = 0; k < D; k++)
                acc += g[i * D + k] * g[j * D + k];
            a[i * D + j] = a[j * D + i] = acc / D + (i == j ? 0.1 : 0.0);
        }
    memcpy(la, a, sizeof a);
    memcpy(lb, a, sizeof a);
    assert_int_equal(ecl_slda_la_base.cholesky(la, D), 1);
    assert_int_equal(fast->cholesky(lb, D), 1);
    for (int i = 0; i < D; i++)
        assert_memory_equal(la + i * D, lb + i * D, (size_t)(i + 1) * sizeof(double));
    double *ta[ECL_SLDA_SOLVE_GROUP], *tb[ECL_SLDA_SOLVE_GROUP];
    for (int r = 0; r < NR; r++) {
        for (int i = 0; i < D; i++)
            wa[r][i] = wb[r][i] = tu_gauss(&s);
        ta[r] = wa[r];
        tb[r] = wb[r];
    }
    static double rhs[NR][D];
    memcpy(rhs, wa, sizeof rhs);
    ecl_slda_la_base.solve(la, D, ta, NR);
    fast->solve(lb, D, tb, NR);
    assert_memory_equal(wa, wb, sizeof wa);
    for (int r = 0; r < NR; r++)
        for (int i = 0; i < D; i++) {
            double acc = 0.0;
            for (int k = 0; k < D; k++)
                acc += a[i * D + k] * wa[r][k];
            assert_true(fabs(acc - rhs[r][i]) < 1e-9 * (1.0 + fabs(rhs[r][i])));
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_forgetting), cmocka_unit_test(test_slda_uses_covariance),
        cmocka_unit_test(test_scores_and_names), cmocka_unit_test(test_lr_schedule),
        cmocka_unit_test(test_params),           cmocka_unit_test(test_slda_cache),
        cmocka_unit_test(test_slda_la_isa),      cmocka_unit_test(test_paper_params),
        cmocka_unit_test(test_observe_epochs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
