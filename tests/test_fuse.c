/* tests/test_fuse.c - inverted-residual blocks run fused (src/tflite/fuse.c) give the bytes of
 * the unfused run.
 *
 * Each model runs once with opts.no_fuse = 1 on 1 thread (the reference), then fused on 1, 2 and
 * 3 threads (different row ranges per thread, so different band boundaries): every output must
 * be bit-identical (float: the 7x7x1280 map after the last block), and the activations of the fused
 * run must not be larger. Models: the float MobileNetV2 (models/, made by the converter; fused
 * where the kernel table packs float 1x1 weights at plan time, i.e. AVX-512: its blocks from
 * 112x112 down to 7x7) and Google's int8 DeepLab v3 (../shared/models/, 513x513 input: its first
 * blocks are fused on every table). A model whose file is absent is skipped with its path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/model.h"
#include "edgecl/port.h"
#include "model_input.h"

struct run {
    float *out;
    size_t n;
    struct ecl_interp_stats st;
};

static struct run run_model(const struct ecl_model *m, int32_t cut, int threads, int no_fuse,
                            const float *in) {
    struct run r;
    struct ecl_pool *pool = NULL;
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.no_fuse = no_fuse;
    if (threads > 1) {
        assert_int_equal(ecl_pool_create(threads, &pool), ECL_OK);
        ecl_pool_set_adaptive(pool, 0); /* real threads even on a busy machine */
        o.parallel_for = ecl_pool_parallel_for;
        o.pf_user = pool;
        o.n_threads = ecl_pool_threads(pool);
    }
    char err[200];
    size_t need = 0;
    assert_int_equal(ecl_interp_mem_size(m, cut, &o, &need, err, sizeof err), ECL_OK);
    void *arena = malloc(need);
    assert_non_null(arena);
    struct ecl_interp *it = NULL;
    assert_int_equal(ecl_interp_init(m, cut, &o, arena, need, &it, err, sizeof err), ECL_OK);
    r.n = ecl_interp_output_count(it);
    r.out = malloc(r.n * sizeof *r.out);
    assert_non_null(r.out);
    for (int rep = 0; rep < 2; rep++) /* twice: the second run reuses the scratch */
        assert_int_equal(ecl_interp_run(it, in, r.out), ECL_OK);
    ecl_interp_get_stats(it, &r.st);
    free(arena);
    ecl_pool_destroy(pool);
    return r;
}

/* Returns the number of blocks fused. cut_name: the tensor compared (NULL: the outputs). */
static int32_t check_model(const char *path, const char *cut_name) {
    void *buf = NULL;
    size_t len = 0;
    if (ecl_port_read_file(path, &buf, &len) != ECL_OK) {
        print_message("SKIP: %s is absent\n", path);
        skip();
    }
    struct ecl_model m;
    char err[200];
    assert_int_equal(ecl_model_parse(buf, len, &m, err, sizeof err), ECL_OK);
    int32_t cut = -1;
    if (cut_name) assert_int_equal(ecl_model_find_tensor(&m, cut_name, &cut), ECL_OK);
    size_t n_in = 0;
    float *in = model_input(&m, cut, 77u, &n_in);
    assert_non_null(in);
    struct run ref = run_model(&m, cut, 1, 1, in);
    assert_int_equal(ref.st.n_fused, 0);
    for (int t = 1; t <= 3; t++) {
        struct run f = run_model(&m, cut, t, 0, in);
        assert_int_equal(f.n, ref.n);
        for (size_t i = 0; i < ref.n; i++)
            if (memcmp(&ref.out[i], &f.out[i], sizeof(float)))
                fail_msg("%s: output %zu: unfused %.9g, fused on %d threads %.9g", path, i,
                         ref.out[i], t, f.out[i]);
        if (t == 1) assert_true(f.st.activation_bytes <= ref.st.activation_bytes);
        print_message("%s: %d threads, %d blocks fused, activations %zu -> %zu bytes, "
                      "%zu outputs identical\n",
                      path, t, f.st.n_fused, ref.st.activation_bytes, f.st.activation_bytes, ref.n);
        free(f.out);
        if (t == 3) {
            free(ref.out), free(in), free(buf);
            return f.st.n_fused;
        }
    }
    return 0;
}

static void test_float_model_fused(void **state) {
    (void)state;
    /* out_relu: the 7x7x1280 map after the last block (the 5 logits would hide little) */
    int32_t fused = check_model(ECL_SOURCE_DIR "/models/mobilenet_v2.tflite", "out_relu");
    print_message("float MobileNetV2: %d blocks fused\n", fused);
}

static void test_int8_deeplab_fused(void **state) {
    (void)state;
    int32_t fused = check_model(
        ECL_SOURCE_DIR "/../shared/models/deeplabv3_mnv2_dm05_pascal_quant.tflite", NULL);
    assert_true(fused > 0); /* its 257x257 blocks exceed the int8 threshold on every table */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_model_fused),
        cmocka_unit_test(test_int8_deeplab_fused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
