/* test_nomalloc.c - the library allocates nothing after init, and long streams keep RSS flat.
 *
 * Why: on an edge device the learner runs for weeks; an allocation per sample is a leak or a
 * fragmentation source waiting to happen, and an allocation that can fail mid-update is an
 * error path nobody tests. The design promise is "caller supplies memory, nothing later".
 *
 * How allocations are counted:
 *  - plain builds: this binary defines malloc/calloc/realloc/free/aligned_alloc/posix_memalign
 *    and forwards to glibc's __libc_* entry points. Interposition sees every allocation in the
 *    process, including ones libc makes on the library's behalf (qsort, printf, ...).
 *  - sanitizer/fuzz builds (RL_WRAP): the sanitizer runtime owns malloc, so the link uses
 *    -Wl,--wrap=malloc,... instead, which sees every call made from our own object files.
 * Counting is armed only around the measured loops, which make no calls of their own.
 *
 * Streams: 100k ecl_learner_observe calls (1 sample each) and 100k ecl_learner_predict calls for
 * replay with u8 storage, replay f32, naive, ncm and slda; 50 ecl_interp_run calls on the real
 * backbone when the interpreter is in the tree ($EDGECL_MODEL or models/mobilenet_v2.tflite,
 * cut at an early layer to keep runs cheap; skipped if the model file is absent), and on the
 * real uint8, int8 and hybrid models of ../shared/models (skipped where that folder is absent).
 * RSS: /proc/self/statm resident pages before and after each stream (after a warm-up that
 * touches every page the learner owns) must grow by less than RSS_SLACK.
 * Env: RELIAB_STREAM overrides the stream length (default 100000). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "edgecl/learner.h"
#include "edgecl/port.h"
#ifdef ECL_HAVE_INTERP
#include "edgecl/model.h"
#endif

/* ------------------------------------------------------------------ counting allocator */
static volatile int g_armed;
static volatile unsigned long g_allocs, g_frees;

#ifdef RL_WRAP
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__real_aligned_alloc(size_t al, size_t n);
int __real_posix_memalign(void **p, size_t al, size_t n);
#define FWD(name) __real_##name
#define DEF(name) __wrap_##name
#else
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t a, size_t b);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t al, size_t n);
#endif

#ifdef RL_WRAP
void *DEF(malloc)(size_t n) {
    if (g_armed) g_allocs++;
    return FWD(malloc)(n);
}
void *DEF(calloc)(size_t a, size_t b) {
    if (g_armed) g_allocs++;
    return FWD(calloc)(a, b);
}
void *DEF(realloc)(void *p, size_t n) {
    if (g_armed) g_allocs++;
    return FWD(realloc)(p, n);
}
void DEF(free)(void *p) {
    if (g_armed && p) g_frees++;
    FWD(free)(p);
}
void *DEF(aligned_alloc)(size_t al, size_t n) {
    if (g_armed) g_allocs++;
    return FWD(aligned_alloc)(al, n);
}
int DEF(posix_memalign)(void **p, size_t al, size_t n) {
    if (g_armed) g_allocs++;
    return FWD(posix_memalign)(p, al, n);
}
#else
void *malloc(size_t n) {
    if (g_armed) g_allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
    if (g_armed) g_allocs++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
    if (g_armed) g_allocs++;
    return __libc_realloc(p, n);
}
void free(void *p) {
    if (g_armed && p) g_frees++;
    __libc_free(p);
}
void *aligned_alloc(size_t al, size_t n) {
    if (g_armed) g_allocs++;
    return __libc_memalign(al, n);
}
int posix_memalign(void **p, size_t al, size_t n) {
    if (g_armed) g_allocs++;
    void *q = __libc_memalign(al, n);
    if (!q) return 12; /* ENOMEM */
    *p = q;
    return 0;
}
void *memalign(size_t al, size_t n) {
    if (g_armed) g_allocs++;
    return __libc_memalign(al, n);
}
#endif

static void arm(void) {
    g_allocs = g_frees = 0;
    g_armed = 1;
}

static void disarm(void) {
    g_armed = 0;
}

/* ------------------------------------------------------------------ RSS */
/* Plain builds: 512 KiB (first-use of code and stack pages). Under ASan the runtime's shadow
 * memory and fake stacks are mapped lazily as the stream first touches them, which says
 * nothing about the library; the bound there only catches a real per-call leak. */
#ifdef RL_WRAP
#define RSS_SLACK (16u * 1024u * 1024u)
#else
#define RSS_SLACK (512u * 1024u)
#endif

static size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, res = 0;
    int ok = fscanf(f, "%lu %lu", &size, &res) == 2;
    fclose(f);
    return ok ? res * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

static unsigned long stream_len(void) {
    const char *v = getenv("RELIAB_STREAM");
    return v && atol(v) > 0 ? (unsigned long)atol(v) : 100000ul;
}

/* ------------------------------------------------------------------ learner streams */
#define DIM 32u
#define NCLS 10u
#define NX 512u /* distinct input vectors, cycled */

static float g_x[NX * DIM];
static int32_t g_y[NX];

static void make_data(void) {
    uint32_t s = 12345;
    for (uint32_t i = 0; i < NX; i++) {
        g_y[i] = (int32_t)(i % NCLS);
        for (uint32_t d = 0; d < DIM; d++) {
            s = s * 1664525u + 1013904223u;
            float noise = (float)(s >> 8) / 16777216.0f - 0.5f;
            g_x[i * DIM + d] = (d % NCLS == (uint32_t)g_y[i] ? 2.0f : 0.0f) + noise;
        }
    }
}

struct cfg {
    const char *name;
    enum ecl_learner_kind kind;
    enum ecl_replay_storage storage;
};

static void run_stream(const struct cfg *c) {
    struct ecl_learner_params p = ecl_learner_default_params(c->kind, DIM, NCLS);
    p.epochs = 1;
    p.batch_size = 1;
    p.replay_per_batch = c->kind == ECL_LEARNER_REPLAY ? 4 : 0;
    p.replay.capacity = 256;
    p.replay.storage = c->storage;
    p.head.hidden[0] = 16;
    p.head.n_hidden = 1;
    size_t need = 0;
    assert_int_equal(ecl_learner_mem_size(&p, &need), ECL_OK);
    void *mem = malloc(need);
    assert_non_null(mem);
    memset(mem, 0, need); /* touch every page now, so RSS measures the stream, not first use */
    struct ecl_learner *l = NULL;
    assert_int_equal(ecl_learner_init(&p, mem, need, &l), ECL_OK);
    unsigned long n = stream_len();
    static float scores[NCLS];
    int32_t top = -1;

    /* Warm-up (not counted for RSS, but counted for allocations: init is over). */
    arm();
    for (uint32_t i = 0; i < NX; i++)
        if (ecl_learner_observe(l, g_x + i * DIM, g_y + i, 1) != ECL_OK) break;
    disarm();
    unsigned long warm_allocs = g_allocs;
    size_t rss0 = rss_bytes();

    enum ecl_status st_obs = ECL_OK, st_pred = ECL_OK;
    unsigned long correct = 0;
    arm();
    for (unsigned long i = 0; i < n && st_obs == ECL_OK; i++) {
        uint32_t k = (uint32_t)(i % NX);
        st_obs = ecl_learner_observe(l, g_x + k * DIM, g_y + k, 1);
    }
    unsigned long obs_allocs = g_allocs, obs_frees = g_frees;
    arm();
    for (unsigned long i = 0; i < n && st_pred == ECL_OK; i++) {
        uint32_t k = (uint32_t)(i % NX);
        st_pred = ecl_learner_predict(l, g_x + k * DIM, scores, &top);
        correct += top == g_y[k];
    }
    disarm();
    unsigned long pred_allocs = g_allocs, pred_frees = g_frees;
    size_t rss1 = rss_bytes();

    fprintf(stderr,
            "[%s] %lu observe + %lu predict: allocs %lu/%lu (warm-up %lu), frees %lu/%lu, "
            "train acc %.3f, RSS %zu -> %zu KiB (%+ld KiB)\n",
            c->name, n, n, obs_allocs, pred_allocs, warm_allocs, obs_frees, pred_frees,
            (double)correct / (double)n, rss0 / 1024, rss1 / 1024,
            ((long)rss1 - (long)rss0) / 1024);
    assert_int_equal(st_obs, ECL_OK);
    assert_int_equal(st_pred, ECL_OK);
    assert_int_equal(warm_allocs, 0);
    assert_int_equal(obs_allocs, 0);
    assert_int_equal(obs_frees, 0);
    assert_int_equal(pred_allocs, 0);
    assert_int_equal(pred_frees, 0);
    assert_int_equal(ecl_learner_n_seen(l), (uint64_t)NX + n);
    /* The stream really learned something (so the loops were not no-ops): these classes are
     * separable, every learner gets far above chance (0.1). */
    assert_true((double)correct / (double)n > 0.5);
    assert_true(rss1 <= rss0 + RSS_SLACK);
    free(mem);
}

static void stream_replay_u8(void **s) {
    (void)s;
    static const struct cfg c = {"replay-u8", ECL_LEARNER_REPLAY, ECL_REPLAY_U8};
    run_stream(&c);
}
static void stream_replay_f32(void **s) {
    (void)s;
    static const struct cfg c = {"replay-f32", ECL_LEARNER_REPLAY, ECL_REPLAY_F32};
    run_stream(&c);
}
static void stream_naive(void **s) {
    (void)s;
    static const struct cfg c = {"naive", ECL_LEARNER_NAIVE, ECL_REPLAY_F32};
    run_stream(&c);
}
static void stream_ncm(void **s) {
    (void)s;
    static const struct cfg c = {"ncm", ECL_LEARNER_NCM, ECL_REPLAY_F32};
    run_stream(&c);
}
static void stream_slda(void **s) {
    (void)s;
    static const struct cfg c = {"slda", ECL_LEARNER_SLDA, ECL_REPLAY_F32};
    run_stream(&c);
}

#ifdef ECL_HAVE_INTERP
/* ------------------------------------------------------------------ interpreter */
/* A parallel_for that runs the chunks one after the other (two halves): exercises the
 * interpreter's work splitting without threads of its own allocating. */
static void serial_halves(void *user, int n, ecl_task_fn fn, void *ctx) {
    (void)user;
    fn(ctx, 0, n / 2);
    fn(ctx, n / 2, n);
}

struct interp_case {
    const char *name, *file, *cut; /* cut NULL: the model's output */
    int force_ref, split, runs;
};

/* Returns 0 if the model file is absent (the case is skipped). */
static int interp_case_run(const struct interp_case *c) {
    char path[4096];
    const char *env = getenv("EDGECL_MODEL");
    if (env && *env && !strcmp(c->file, "mobilenet_v2.tflite"))
        snprintf(path, sizeof path, "%s", env);
    else if (!strncmp(c->file, "shared:", 7)) /* a real model of ../shared/models */
        snprintf(path, sizeof path, "%s/../shared/models/%s", ECL_SOURCE_DIR, c->file + 7);
    else
        snprintf(path, sizeof path, "%s/models/%s", ECL_SOURCE_DIR, c->file);
    void *buf = NULL;
    size_t len = 0;
    if (ecl_port_read_file(path, &buf, &len) != ECL_OK) {
        fprintf(stderr, "[%s] %s not present: skipped\n", c->name, path);
        return 0;
    }
    struct ecl_model m;
    char err[160];
    assert_int_equal(ecl_model_parse(buf, len, &m, err, sizeof err), ECL_OK);
    int32_t cut = -1;
    if (c->cut) assert_int_equal(ecl_model_find_tensor(&m, c->cut, &cut), ECL_OK);
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.force_ref = c->force_ref;
    if (c->split) {
        o.parallel_for = serial_halves;
        o.n_threads = 2;
    }
    size_t need = 0;
    assert_int_equal(ecl_interp_mem_size(&m, cut, &o, &need, err, sizeof err), ECL_OK);
    void *arena = malloc(need);
    assert_non_null(arena);
    memset(arena, 0, need);
    struct ecl_interp *it = NULL;
    assert_int_equal(ecl_interp_init(&m, cut, &o, arena, need, &it, err, sizeof err), ECL_OK);
    size_t nin = ecl_interp_input_count(it), nout = ecl_interp_output_count(it);
    float *in = malloc(nin * sizeof *in), *out = malloc(nout * sizeof *out),
          *first = malloc(nout * sizeof *out);
    assert_true(in && out && first);
    for (size_t i = 0; i < nin; i++)
        in[i] = (float)(i % 251) / 251.0f;
    assert_int_equal(ecl_interp_run(it, in, first), ECL_OK);
    memset(out, 0, nout * sizeof *out); /* touch the output pages before measuring */
    size_t rss0 = rss_bytes();
    int same = 1;
    enum ecl_status st = ECL_OK;
    arm();
    for (int r = 0; r < c->runs && st == ECL_OK; r++) {
        st = ecl_interp_run(it, in, out);
        same &= memcmp(out, first, nout * sizeof *out) == 0;
    }
    disarm();
    size_t rss1 = rss_bytes();
    fprintf(stderr, "[%s] %d runs (arena %zu KiB): allocs %lu, frees %lu, RSS %+ld KiB\n", c->name,
            c->runs, need / 1024, g_allocs, g_frees, ((long)rss1 - (long)rss0) / 1024);
    assert_int_equal(st, ECL_OK);
    assert_int_equal(g_allocs, 0);
    assert_int_equal(g_frees, 0);
    assert_true(same); /* deterministic: no state leaks from run to run */
    assert_true(rss1 <= rss0 + RSS_SLACK);
    free(in);
    free(out);
    free(first);
    free(arena);
    free(buf);
    return 1;
}

/* The allocation rule is the same for every op, but each kernel family is its own code: the
 * optimised and the reference float kernels, the int8 kernels (whole network, every op of it),
 * and the work-split path used with threads. */
static void interp_runs(void **s) {
    (void)s;
    static const struct interp_case cases[] = {
        {"interp", "mobilenet_v2.tflite", "block_1_expand_relu", 0, 0, 50},
        {"interp-full", "mobilenet_v2.tflite", NULL, 0, 0, 3},
        {"interp-ref", "mobilenet_v2.tflite", "block_1_expand_relu", 1, 0, 3},
        {"interp-split", "mobilenet_v2.tflite", "block_3_expand_relu", 0, 1, 5},
        {"interp-int8", "mobilenet_v2_int8.tflite", NULL, 0, 0, 3},
        {"interp-int8-ref", "mobilenet_v2_int8.tflite", "block_1_expand_relu", 1, 0, 2},
        /* real models from Google's converter: legacy uint8 (lowered to int8), TF2 full-integer
         * (uint8 in/out through QUANTIZE), dynamic-range hybrid (int8 weights, float
         * activations); skipped where ../shared/models is absent */
        {"real-uint8", "shared:mobilenet_v2_1.0_224_quant.tflite", NULL, 0, 0, 3},
        {"real-uint8-ref", "shared:mobilenet_v1_0.25_128_quant.tflite", NULL, 1, 0, 2},
        {"real-int8-ptq", "shared:tf2_mobilenet_v2_1.0_224_ptq.tflite", NULL, 0, 1, 3},
        {"real-hybrid", "shared:tl_mobilenet_v2_hybrid_bottleneck.tflite", NULL, 0, 0, 2},
        {"real-hybrid-ref", "shared:tl_mobilenet_v2_hybrid_bottleneck.tflite",
         "mobilenetv2_1.00_224/block_2_add/add", 1, 0, 2},
    };
    int ran = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        ran += interp_case_run(&cases[k]);
    if (!ran) skip();
}
#endif

/* The counter itself works (otherwise every zero above would be meaningless). */
static void counter_sees_allocations(void **s) {
    (void)s;
    arm();
    void *volatile p = malloc(100);
    free(p);
    disarm();
    assert_int_equal(g_allocs, 1);
    assert_int_equal(g_frees, 1);
}

int main(void) {
    make_data();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counter_sees_allocations),
        cmocka_unit_test(stream_replay_u8),
        cmocka_unit_test(stream_replay_f32),
        cmocka_unit_test(stream_naive),
        cmocka_unit_test(stream_ncm),
        cmocka_unit_test(stream_slda),
#ifdef ECL_HAVE_INTERP
        cmocka_unit_test(interp_runs),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
