/* ecl_learner_layer_*: the learned classifier as dense layers (what `edgecl export` writes into a
 * .tflite). For every learner kind, running the layers by hand on fresh samples must reproduce
 * predict(): the head's probabilities, SLDA's scores, NCM's ranking (logit_k = |x|^2 - d_k^2),
 * the same top-1; a class never observed gets ECL_LEARNER_ABSENT_LOGIT; nothing learned yet is
 * ECL_ESTATE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/learner.h"
#include "core_util.h"

#define DIM 24
#define MAXC 8
#define NTEST 200

/* logits of x through the exported layers; returns the number of outputs */
static uint32_t run_layers(struct ecl_learner *l, const float *x, float *logits) {
    uint32_t n;
    float a[64], z[64];
    assert_int_equal(ecl_learner_layer_count(l, &n), ECL_OK);
    memcpy(a, x, DIM * sizeof(float));
    uint32_t width = DIM;
    for (uint32_t i = 0; i < n; i++) {
        struct ecl_learner_layer L;
        assert_int_equal(ecl_learner_layer_shape(l, i, &L), ECL_OK);
        assert_int_equal(L.in, width);
        assert_true(L.out <= 64);
        float *w = malloc((size_t)L.in * L.out * sizeof(float)), b[64];
        assert_non_null(w);
        assert_int_equal(ecl_learner_layer_get(l, i, w, b), ECL_OK);
        for (uint32_t o = 0; o < L.out; o++) {
            double s = b[o];
            for (uint32_t k = 0; k < L.in; k++)
                s += (double)w[(size_t)o * L.in + k] * a[k];
            z[o] = (float)s;
            if (L.relu && z[o] < 0) z[o] = 0;
        }
        free(w);
        assert_int_equal(L.relu, i + 1 < n);
        memcpy(a, z, L.out * sizeof(float));
        width = L.out;
    }
    memcpy(logits, a, width * sizeof(float));
    return width;
}

static void check_kind(enum ecl_learner_kind kind) {
    struct ecl_learner_params p = ecl_learner_default_params(kind, DIM, MAXC);
    p.head.n_hidden = 1;
    p.head.hidden[0] = 16;
    size_t need;
    assert_int_equal(ecl_learner_mem_size(&p, &need), ECL_OK);
    void *mem = malloc(need);
    struct ecl_learner *l;
    assert_int_equal(ecl_learner_init(&p, mem, need, &l), ECL_OK);
    uint32_t n;
    float logits[64], scores[MAXC], x[DIM];
    int32_t y;
    assert_int_equal(ecl_learner_layer_count(l, &n), ECL_ESTATE);

    /* classes 0, 1, 3, 4 (2 never observed: a gap for slda/ncm, an untrained row for heads) */
    struct tu_clusters c;
    tu_clusters_init(&c, DIM, 5, 1.0f, 11);
    const uint32_t per = 40;
    float *tx = malloc(sizeof(float) * DIM * per * 4);
    int32_t *ty = malloc(sizeof(int32_t) * per * 4);
    tu_draw(&c, 0, 2, per * 2, tx, ty);
    tu_draw(&c, 3, 5, per * 2, tx + (size_t)DIM * per * 2, ty + per * 2);
    assert_int_equal(ecl_learner_observe(l, tx, ty, per * 4), ECL_OK);

    int agree = 0;
    for (uint32_t t = 0; t < NTEST; t++) {
        tu_draw(&c, (int32_t)(t % 5), (int32_t)(t % 5) + 1, 1, x, &y);
        int32_t top;
        assert_int_equal(ecl_learner_predict(l, x, scores, &top), ECL_OK);
        uint32_t m = run_layers(l, x, logits);
        assert_int_equal(m, ecl_learner_n_classes(l)); /* 5: the budget's rest is not exported */
        int32_t best = 0;
        for (uint32_t k = 1; k < m; k++)
            if (logits[k] > logits[best]) best = (int32_t)k;
        agree += best == top;
        double x2 = 0;
        for (uint32_t j = 0; j < DIM; j++)
            x2 += (double)x[j] * x[j];
        /* softmax of the logits, for the heads */
        double z = 0, pr[64];
        for (uint32_t k = 0; k < m; k++)
            z += (pr[k] = exp((double)logits[k] - logits[best]));
        for (uint32_t k = 0; k < m; k++) {
            if (kind == ECL_LEARNER_NAIVE || kind == ECL_LEARNER_REPLAY) {
                assert_float_equal(pr[k] / z, scores[k], 1e-5);
            } else if (k == 2) {
                assert_true(isinf(scores[k]) && scores[k] < 0);
                assert_true(logits[k] == ECL_LEARNER_ABSENT_LOGIT);
            } else if (kind == ECL_LEARNER_SLDA) {
                assert_float_equal(logits[k], scores[k], 1e-3 * (1 + fabsf(scores[k])));
            } else { /* ncm: score = -d, logit = |x|^2 - d^2 */
                double want = x2 - (double)scores[k] * scores[k];
                assert_float_equal(logits[k], want, 1e-4 * (1 + x2));
            }
        }
    }
    assert_int_equal(agree, NTEST);
    /* bad calls */
    struct ecl_learner_layer L;
    assert_int_equal(ecl_learner_layer_shape(l, 99, &L), ECL_EINVAL);
    assert_int_equal(ecl_learner_layer_get(l, 0, NULL, NULL), ECL_EINVAL);
    assert_int_equal(ecl_learner_layer_count(NULL, &n), ECL_EINVAL);
    tu_clusters_free(&c);
    free(tx);
    free(ty);
    free(mem);
}

static void test_naive(void **s) {
    (void)s;
    check_kind(ECL_LEARNER_NAIVE);
}
static void test_replay(void **s) {
    (void)s;
    check_kind(ECL_LEARNER_REPLAY);
}
static void test_slda(void **s) {
    (void)s;
    check_kind(ECL_LEARNER_SLDA);
}
static void test_ncm(void **s) {
    (void)s;
    check_kind(ECL_LEARNER_NCM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_naive),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_slda),
        cmocka_unit_test(test_ncm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
