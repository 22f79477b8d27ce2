/* Replay memory tests: capacity bound, FIFO order, RANDOM replacement count, BALANCED class
 * shares, sampling without replacement, uint8 quantisation error, determinism, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/replay.h"
#include "core_util.h"

struct rr {
    struct ecl_replay *r;
    void *mem;
};

static struct rr make(const struct ecl_replay_params *p) {
    struct rr o;
    size_t need;
    assert_int_equal(ecl_replay_mem_size(p, &need), ECL_OK);
    o.mem = malloc(need);
    assert_int_equal(ecl_replay_init(p, o.mem, need, &o.r), ECL_OK);
    return o;
}

/* Batch whose samples carry a marker id in x[0] (and label id % classes). */
static void marked(float *x, int32_t *y, uint32_t dim, uint32_t n, uint32_t first,
                   uint32_t classes) {
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < dim; j++)
            x[i * dim + j] = (float)(first + i) + 0.01f * (float)j;
        y[i] = (int32_t)((first + i) % classes);
    }
}

static void test_capacity_bound(void **state) {
    (void)state;
    for (int pol = 0; pol < 3; pol++) {
        struct ecl_replay_params p = ecl_replay_default_params(4, 50);
        p.policy = (enum ecl_replay_policy)pol;
        p.max_classes = 5;
        struct rr R = make(&p);
        float x[37 * 4];
        int32_t y[37];
        uint32_t total = 0;
        for (int b = 0; b < 6; b++) {
            marked(x, y, 4, 37, total, 5);
            assert_int_equal(ecl_replay_add_batch(R.r, x, y, 37), ECL_OK);
            total += 37;
            assert_int_equal(ecl_replay_size(R.r), total < 50 ? total : 50);
        }
        assert_int_equal(ecl_replay_storage_bytes(&p), 50 * 4 * sizeof(float));
        free(R.mem);
    }
}

static void test_fifo_order(void **state) {
    (void)state;
    struct ecl_replay_params p = ecl_replay_default_params(3, 100);
    p.policy = ECL_REPLAY_FIFO;
    p.max_classes = 7;
    struct rr R = make(&p);
    float x[50 * 3];
    int32_t y[50];
    for (uint32_t b = 0; b < 5; b++) { /* 250 samples */
        marked(x, y, 3, 50, b * 50, 7);
        ecl_replay_add_batch(R.r, x, y, 50);
    }
    int seen[100] = {0};
    for (uint32_t i = 0; i < 100; i++) {
        float v[3];
        int32_t lab;
        assert_int_equal(ecl_replay_get(R.r, i, v, &lab), ECL_OK);
        int id = (int)v[0];
        assert_true(id >= 150 && id < 250); /* exactly the newest 100 survive */
        assert_int_equal(lab, id % 7);
        seen[id - 150]++;
    }
    for (int i = 0; i < 100; i++)
        assert_int_equal(seen[i], 1);
    free(R.mem);
}

static uint32_t count_at_least(struct ecl_replay *r, uint32_t marker) {
    uint32_t c = 0;
    for (uint32_t i = 0; i < ecl_replay_size(r); i++) {
        float v[2];
        ecl_replay_get(r, i, v, NULL);
        c += v[0] >= (float)marker;
    }
    return c;
}

static void test_random_replacement(void **state) {
    (void)state;
    struct ecl_replay_params p = ecl_replay_default_params(2, 100);
    p.policy = ECL_REPLAY_RANDOM;
    p.replace_fraction = 0.2f;
    p.max_classes = 3;
    struct rr R = make(&p);
    float x[300 * 2];
    int32_t y[300];
    marked(x, y, 2, 60, 0, 3);
    ecl_replay_add_batch(R.r, x, y, 60);
    assert_int_equal(ecl_replay_size(R.r), 60);
    /* Not full: 80 offered, 40 free -> 40 appended, a random subset of the 80. */
    marked(x, y, 2, 80, 1000, 3);
    ecl_replay_add_batch(R.r, x, y, 80);
    assert_int_equal(ecl_replay_size(R.r), 100);
    assert_int_equal(count_at_least(R.r, 1000), 40);
    /* Full: each batch replaces exactly round(0.2 * 100) = 20 slots... */
    marked(x, y, 2, 300, 2000, 3);
    ecl_replay_add_batch(R.r, x, y, 300);
    assert_int_equal(count_at_least(R.r, 2000), 20);
    /* ... with distinct new samples ... */
    int hit[300] = {0};
    for (uint32_t i = 0; i < 100; i++) {
        float v[2];
        ecl_replay_get(R.r, i, v, NULL);
        if (v[0] >= 2000.0f) assert_int_equal(hit[(int)v[0] - 2000]++, 0);
    }
    /* ... and never more than the batch holds. */
    marked(x, y, 2, 7, 5000, 3);
    ecl_replay_add_batch(R.r, x, y, 7);
    assert_int_equal(count_at_least(R.r, 5000), 7);
    assert_int_equal(count_at_least(R.r, 2000), 27);
    free(R.mem);
}

static void test_balanced_shares(void **state) {
    (void)state;
    struct ecl_replay_params p = ecl_replay_default_params(2, 90);
    p.policy = ECL_REPLAY_BALANCED;
    p.max_classes = 8;
    struct rr R = make(&p);
    float x[600 * 2];
    int32_t y[600];
    /* Heavily imbalanced class-incremental stream: 600 of class 0, 300 of 1, 120 of 2, 5 of 3. */
    const int32_t cls[4] = {0, 1, 2, 3};
    const uint32_t cnt[4] = {600, 300, 120, 5};
    for (int c = 0; c < 4; c++) {
        marked(x, y, 2, cnt[c], 0, 1);
        for (uint32_t i = 0; i < cnt[c]; i++)
            y[i] = cls[c];
        assert_int_equal(ecl_replay_add_batch(R.r, x, y, cnt[c]), ECL_OK);
    }
    uint32_t have[4] = {0};
    for (uint32_t i = 0; i < ecl_replay_size(R.r); i++) {
        int32_t lab;
        ecl_replay_get(R.r, i, NULL, &lab);
        have[lab]++;
    }
    assert_int_equal(ecl_replay_size(R.r), 90);
    assert_int_equal(have[3], 5); /* the rare class keeps everything it brought */
    for (int c = 0; c < 3; c++)   /* the rest share the remaining 85 equally (+-1) */
        assert_true(have[c] >= 28 && have[c] <= 29);
    /* Reservoir within a class: class 0's 28 survivors come from all over its stream. */
    free(R.mem);
}

static void test_sample_without_replacement(void **state) {
    (void)state;
    struct ecl_replay_params p = ecl_replay_default_params(2, 64);
    p.max_classes = 4;
    struct rr R = make(&p);
    float x[40 * 2], out[64 * 2];
    int32_t y[40], oy[64];
    marked(x, y, 2, 40, 0, 4);
    ecl_replay_add_batch(R.r, x, y, 40);
    uint32_t got;
    for (int rep = 0; rep < 20; rep++) {
        int hit[40] = {0};
        assert_int_equal(ecl_replay_sample(R.r, 15, out, oy, &got), ECL_OK);
        assert_int_equal(got, 15);
        for (uint32_t i = 0; i < got; i++) {
            int id = (int)out[i * 2];
            assert_int_equal(hit[id]++, 0);
            assert_int_equal(oy[i], id % 4);
        }
    }
    int hit[40] = {0};
    assert_int_equal(ecl_replay_sample(R.r, 64, out, oy, &got), ECL_OK);
    assert_int_equal(got, 40); /* k > size: all of them, once each */
    for (uint32_t i = 0; i < got; i++)
        hit[(int)out[i * 2]]++;
    for (int i = 0; i < 40; i++)
        assert_int_equal(hit[i], 1);
    /* uniformity: over many draws of 1, every stored sample shows up */
    int freq[40] = {0};
    for (int rep = 0; rep < 4000; rep++) {
        ecl_replay_sample(R.r, 1, out, oy, &got);
        freq[(int)out[0]]++;
    }
    for (int i = 0; i < 40; i++)
        assert_true(freq[i] > 50 && freq[i] < 160); /* mean 100 */
    free(R.mem);
}

static void test_u8_quantisation(void **state) {
    (void)state;
    const uint32_t dim = 64, n = 50;
    struct ecl_replay_params p = ecl_replay_default_params(dim, n);
    p.storage = ECL_REPLAY_U8;
    p.max_classes = 2;
    struct rr R = make(&p);
    float *x = malloc(sizeof(float) * dim * n), v[64];
    int32_t y[50];
    uint64_t s = ecl_rng_seed(1, 2);
    for (uint32_t i = 0; i < n; i++) {
        float range = (float)(i + 1) * 0.37f; /* very different ranges per vector */
        for (uint32_t j = 0; j < dim; j++)
            x[i * dim + j] = (j % 3 == 0) ? 0.0f : range * tu_gauss(&s);
        y[i] = (int32_t)(i & 1u);
    }
    for (uint32_t j = 0; j < dim; j++) /* a constant vector is stored exactly */
        x[(n - 1) * dim + j] = 2.5f;
    ecl_replay_add_batch(R.r, x, y, n);
    assert_int_equal(ecl_replay_size(R.r), n);
    for (uint32_t i = 0; i < n; i++) {
        int32_t lab;
        ecl_replay_get(R.r, i, v, &lab);
        /* RANDOM policy while not full appends in order */
        const float *xi = x + i * dim;
        float mn = xi[0], mx = xi[0];
        for (uint32_t j = 0; j < dim; j++) {
            mn = fminf(mn, xi[j]);
            mx = fmaxf(mx, xi[j]);
        }
        float bound = (mx - mn) / 255.0f * 0.5f + 1e-5f * (fabsf(mx) + fabsf(mn));
        for (uint32_t j = 0; j < dim; j++)
            assert_true(fabsf(v[j] - xi[j]) <= bound);
        assert_int_equal(lab, y[i]);
    }
    ecl_replay_get(R.r, n - 1, v, NULL);
    assert_true(v[0] == 2.5f && v[dim - 1] == 2.5f);
    assert_int_equal(ecl_replay_storage_bytes(&p), n * (dim + 8));
    free(x);
    free(R.mem);
}

static void test_deterministic(void **state) {
    (void)state;
    for (int pol = 0; pol < 3; pol++) {
        struct ecl_replay_params p = ecl_replay_default_params(3, 30);
        p.policy = (enum ecl_replay_policy)pol;
        p.max_classes = 4;
        p.seed = 99;
        struct rr A = make(&p), B = make(&p);
        float x[25 * 3], va[3], vb[3];
        int32_t y[25], ya, yb;
        for (uint32_t b = 0; b < 6; b++) {
            marked(x, y, 3, 25, b * 25, 4);
            ecl_replay_add_batch(A.r, x, y, 25);
            ecl_replay_add_batch(B.r, x, y, 25);
        }
        for (uint32_t i = 0; i < 30; i++) {
            ecl_replay_get(A.r, i, va, &ya);
            ecl_replay_get(B.r, i, vb, &yb);
            assert_true(memcmp(va, vb, sizeof va) == 0 && ya == yb);
        }
        free(A.mem);
        free(B.mem);
    }
}

static void test_bad_input(void **state) {
    (void)state;
    struct ecl_replay_params p = ecl_replay_default_params(2, 10);
    p.max_classes = 3;
    size_t need;
    p.capacity = 0;
    assert_int_equal(ecl_replay_mem_size(&p, &need), ECL_EINVAL);
    p.capacity = 10;
    p.replace_fraction = 1.5f;
    assert_int_equal(ecl_replay_mem_size(&p, &need), ECL_EINVAL);
    p.replace_fraction = 0.5f;
    p.policy = (enum ecl_replay_policy)7;
    assert_int_equal(ecl_replay_mem_size(&p, &need), ECL_EINVAL);
    p.policy = ECL_REPLAY_RANDOM;
    assert_int_equal(ecl_replay_mem_size(&p, &need), ECL_OK);
    void *mem = malloc(need);
    struct ecl_replay *r;
    assert_int_equal(ecl_replay_init(&p, mem, need - 65, &r), ECL_ENOMEM);
    assert_int_equal(ecl_replay_init(&p, mem, need, &r), ECL_OK);
    float x[4] = {1, 2, 3, 4};
    int32_t y[2] = {0, 3};
    assert_int_equal(ecl_replay_add_batch(r, x, y, 2), ECL_EINVAL); /* label >= max_classes */
    y[1] = 1;
    x[3] = NAN;
    assert_int_equal(ecl_replay_add_batch(r, x, y, 2), ECL_EINVAL);
    assert_int_equal(ecl_replay_size(r), 0); /* nothing admitted from a rejected batch */
    assert_int_equal(ecl_replay_get(r, 0, x, y), ECL_EINVAL);
    uint32_t got = 5;
    assert_int_equal(ecl_replay_sample(r, 3, x, y, &got), ECL_OK);
    assert_int_equal(got, 0);
    free(mem);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_bound),
        cmocka_unit_test(test_fifo_order),
        cmocka_unit_test(test_random_replacement),
        cmocka_unit_test(test_balanced_shares),
        cmocka_unit_test(test_sample_without_replacement),
        cmocka_unit_test(test_u8_quantisation),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
