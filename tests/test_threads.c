/* tests/test_threads.c - the thread pool (ecl_pool, edgecl/port.h) and results that do not
 * depend on the number of threads.
 *
 * Pool: every item of [0, n) is processed exactly once, for many n and thread counts, with
 * spinning workers (on a busy machine the pool may run them on the caller alone) and with
 * workers that always sleep (ecl_pool_set_spin(pool, 0): always real threads); with the load
 * rule off (ecl_pool_set_adaptive(pool, 0)) the workers take part even on a busy machine.
 * Models: the float and int8 backbones (models/, made by the converter) and Google's uint8
 * MobileNetV2 (../shared/models/) run with the optimised kernels on 1, 2 and 3 threads give
 * identical bytes (the kernels split output rows / channels / pixel tiles, never a sum); so
 * does a small uint8 MobileNetV1 with the reference kernels. Each model is skipped, with its
 * path, when absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgecl/model.h"
#include "edgecl/port.h"
#include "model_run.h"

/* ------------------------------------------------------------------ pool */
struct cover {
    atomic_int hits[5000];
    atomic_int calls;
};

static void mark(void *ctx, int b, int e) {
    struct cover *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    for (int i = b; i < e; i++)
        atomic_fetch_add(&c->hits[i], 1);
}

static void check_pool(int threads, unsigned long long spin_ns) {
    struct ecl_pool *p = NULL;
    assert_int_equal(ecl_pool_create(threads, &p), ECL_OK);
    assert_non_null(p);
    assert_int_equal(ecl_pool_threads(p), threads);
    ecl_pool_set_spin(p, spin_ns);
    static struct cover c;
    const int ns[] = {1, 2, 3, 7, 8, 13, 64, 1000, 4999};
    for (int rep = 0; rep < 200; rep++) {
        int n = ns[rep % (int)(sizeof ns / sizeof ns[0])];
        memset(&c, 0, sizeof c);
        ecl_pool_parallel_for(p, n, mark, &c);
        for (int i = 0; i < n; i++)
            if (atomic_load(&c.hits[i]) != 1)
                fail_msg("%d threads, n=%d: item %d done %d times", threads, n, i,
                         atomic_load(&c.hits[i]));
        assert_int_equal(atomic_load(&c.hits[n]), 0);
        /* chunks: at most 4 per thread, never empty */
        int most = n < 4 * threads ? n : 4 * threads;
        assert_true(atomic_load(&c.calls) >= 1 && atomic_load(&c.calls) <= most);
    }
    ecl_pool_parallel_for(p, 0, mark, &c); /* nothing to do: returns */
    ecl_pool_destroy(p);
}

/* ecl_pool_set_adaptive(pool, 0): jobs always go to the workers too. Each chunk works ~20 us,
 * so over 200 jobs a worker is scheduled even when other processes load the machine. */
static pthread_t caller;
static atomic_int by_worker;
static void mark_slow(void *ctx, int b, int e) {
    mark(ctx, b, e);
    uint64_t t0 = ecl_port_now_ns();
    while (ecl_port_now_ns() - t0 < 20000) {
    }
    if (!pthread_equal(pthread_self(), caller)) atomic_store(&by_worker, 1);
}

static void test_pool_fixed(void **state) {
    (void)state;
    struct ecl_pool *p = NULL;
    assert_int_equal(ecl_pool_create(2, &p), ECL_OK);
    ecl_pool_set_adaptive(p, 0);
    caller = pthread_self();
    atomic_store(&by_worker, 0);
    static struct cover c;
    for (int rep = 0; rep < 200 && !atomic_load(&by_worker); rep++) {
        memset(&c, 0, sizeof c);
        ecl_pool_parallel_for(p, 64, mark_slow, &c);
        for (int i = 0; i < 64; i++)
            assert_int_equal(atomic_load(&c.hits[i]), 1);
    }
    assert_true(atomic_load(&by_worker));
    ecl_pool_set_adaptive(p, 1); /* back to the load rule: still covers the range */
    memset(&c, 0, sizeof c);
    ecl_pool_parallel_for(p, 64, mark, &c);
    for (int i = 0; i < 64; i++)
        assert_int_equal(atomic_load(&c.hits[i]), 1);
    ecl_pool_destroy(p);
    ecl_pool_set_adaptive(NULL, 0); /* NULL: no-op */
}

static void test_pool_covers_range(void **state) {
    (void)state;
    for (int t = 1; t <= 4; t++) {
        check_pool(t, 200000); /* spin between jobs */
        check_pool(t, 0);      /* always sleep: loaded machine */
    }
    ecl_pool_destroy(NULL);
    assert_true(ecl_port_cpu_count() >= 1);
    struct ecl_pool *p = NULL;
    assert_int_equal(ecl_pool_create(0, &p), ECL_OK); /* 0: one thread per core */
    assert_int_equal(ecl_pool_threads(p), ecl_port_cpu_count() < 64 ? ecl_port_cpu_count() : 64);
    ecl_pool_destroy(p);
    assert_int_equal(ecl_pool_create(2, NULL), ECL_EINVAL);
}

/* ------------------------------------------------------------------ models */
/* Output (cut tensor when the model has it) of one run on `threads` threads, malloc'd. */
static float *run_model(const struct ecl_model *m, int32_t cut, int threads, int force_ref,
                        const float *in, size_t *n_out) {
    struct ecl_pool *pool = NULL;
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.force_ref = force_ref;
    if (threads > 1) {
        assert_int_equal(ecl_pool_create(threads, &pool), ECL_OK);
        /* 3 threads: workers that always sleep, which also keeps the pool from running jobs on
         * the caller alone when the machine is busy (CI): real threads every time */
        if (threads == 3) ecl_pool_set_spin(pool, 0);
    }
    float *out = model_run(m, cut, o, pool, in, n_out, NULL);
    ecl_pool_destroy(pool);
    return out;
}

static void check_model(const char *path, int force_ref) {
    void *buf = NULL;
    size_t len = 0;
    if (ecl_port_read_file(path, &buf, &len) != ECL_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s is absent", path);
        print_message("SKIP: %s\n", msg);
        skip();
    }
    struct ecl_model m;
    char err[200];
    assert_int_equal(ecl_model_parse(buf, len, &m, err, sizeof err), ECL_OK);
    int32_t cut = -1;
    if (ecl_model_find_tensor(&m, "block_13_expand_relu", &cut) != ECL_OK) cut = -1;
    size_t n_in = 0;
    float *in = model_input(&m, cut, 2024u, &n_in);
    assert_non_null(in);
    size_t n1, n2, n3;
    float *o1 = run_model(&m, cut, 1, force_ref, in, &n1);
    float *o2 = run_model(&m, cut, 2, force_ref, in, &n2);
    float *o3 = run_model(&m, cut, 3, force_ref, in, &n3);
    assert_int_equal(n1, n2);
    assert_int_equal(n1, n3);
    double sum = 0;
    for (size_t i = 0; i < n1; i++)
        sum += o1[i] < 0 ? -o1[i] : o1[i];
    assert_true(sum > 0); /* a real output, not all zeros */
    for (size_t i = 0; i < n1; i++)
        if (memcmp(&o1[i], &o2[i], sizeof(float)) || memcmp(&o1[i], &o3[i], sizeof(float)))
            fail_msg("%s: output %zu differs: 1 thread %.9g, 2 threads %.9g, 3 threads %.9g", path,
                     i, o1[i], o2[i], o3[i]);
    free(o1), free(o2), free(o3), free(in), free(buf);
}

static void test_float_model_threads(void **state) {
    (void)state;
    check_model(ECL_SOURCE_DIR "/models/mobilenet_v2.tflite", 0);
}

static void test_int8_model_threads(void **state) {
    (void)state;
    check_model(ECL_SOURCE_DIR "/models/mobilenet_v2_int8.tflite", 0);
}

static void test_uint8_model_threads(void **state) {
    (void)state;
    check_model(ECL_SOURCE_DIR "/../shared/models/mobilenet_v2_1.0_224_quant.tflite", 0);
}

/* The reference kernels split too (rows, channel slices on small maps): a small uint8 model. */
static void test_ref_kernels_threads(void **state) {
    (void)state;
    check_model(ECL_SOURCE_DIR "/../shared/models/mobilenet_v1_0.25_128_quant.tflite", 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_covers_range),   cmocka_unit_test(test_pool_fixed),
        cmocka_unit_test(test_float_model_threads), cmocka_unit_test(test_int8_model_threads),
        cmocka_unit_test(test_uint8_model_threads), cmocka_unit_test(test_ref_kernels_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
