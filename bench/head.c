/* bench_head - training speed of the learning library on synthetic latents.
 *
 * For the paper's head (20480 -> 128 -> 50: the flattened 4x4x1280 MobileNetV2 output) and a
 * pooled 1280 -> 50 head:
 *   - head training throughput: samples/s of ecl_head_train_batch on full mini-batches;
 *   - replay step cost: ms per ecl_learner_observe() of a batch of new samples with replay
 *     (epochs 1, batch_size 32, replay_per_batch 32, memory of 1500 latents).
 * For SLDA and NCM on 1280-d latents, 50 classes (after 20 samples per class):
 *   - the first predict after an observe (SLDA: rebuilds its cached linear classifier);
 *   - steady-state predict cost per sample.
 * Usage: bench_head [--quick] [--opt sgd|adam]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/head.h"
#include "edgecl/learner.h"
#include "edgecl/port.h"

static uint64_t lcg = 12345;
static float frand(void) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(lcg >> 40) / 16777216.0f;
}

/* ReLU-like latents: ~half zeros, like a MobileNet feature map. */
static void fill(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float u = frand();
        x[i] = u < 0.5f ? 0.0f : (u - 0.5f) * 6.0f;
    }
}

static double secs(uint64_t t0) {
    return (double)(ecl_port_now_ns() - t0) * 1e-9;
}

static int bench(uint32_t dim, uint32_t hidden, uint32_t classes, enum ecl_optimizer opt,
                 int quick) {
    const uint32_t bs = 32;
    struct ecl_head_params p = ecl_head_default_params(dim, classes);
    p.n_hidden = hidden ? 1 : 0;
    p.hidden[0] = hidden;
    p.max_batch = 64;
    p.optimizer = opt;
    size_t need;
    if (ecl_head_mem_size(&p, &need) != ECL_OK) return 1;
    void *mem = malloc(need);
    float *x = malloc(sizeof(float) * dim * 64);
    int32_t y[64];
    struct ecl_head *h;
    if (!mem || !x || ecl_head_init(&p, mem, need, &h) != ECL_OK) return 1;
    ecl_head_set_n_classes(h, classes);
    fill(x, (size_t)dim * 64);
    for (int i = 0; i < 64; i++)
        y[i] = i % (int)classes;
    float loss;
    ecl_head_train_batch(h, x, y, bs, &loss); /* warm-up */
    int steps = 0;
    uint64_t t0 = ecl_port_now_ns();
    double budget = quick ? 0.3 : 2.0;
    while (secs(t0) < budget || steps < 3) {
        ecl_head_train_batch(h, x, y, bs, &loss);
        steps++;
    }
    double dt = secs(t0);
    char shape[64];
    if (hidden)
        snprintf(shape, sizeof shape, "%u->%u->%u", dim, hidden, classes);
    else
        snprintf(shape, sizeof shape, "%u->%u", dim, classes);
    printf("head %-16s %-4s batch %u: %8.0f samples/s train (%.2f ms/step), head memory %.1f MB\n",
           shape, opt == ECL_OPT_ADAM ? "adam" : "sgd", bs, steps * bs / dt, 1e3 * dt / steps,
           need / 1048576.0);
    /* predict */
    float probs[64];
    int np = 0;
    t0 = ecl_port_now_ns();
    while (secs(t0) < budget / 2 || np < 3) {
        ecl_head_predict(h, x + (size_t)(np % 64) * dim, probs);
        np++;
    }
    printf("head %-16s predict: %.3f ms/sample\n", shape, 1e3 * secs(t0) / np);
    free(mem);

    /* replay learner observe() */
    struct ecl_learner_params lp = ecl_learner_default_params(ECL_LEARNER_REPLAY, dim, classes);
    lp.head = p;
    lp.epochs = 1;
    lp.batch_size = 32;
    lp.replay_per_batch = 32;
    lp.replay.capacity = 1500;
    if (ecl_learner_mem_size(&lp, &need) != ECL_OK) return 1;
    mem = malloc(need);
    struct ecl_learner *l;
    if (!mem || ecl_learner_init(&lp, mem, need, &l) != ECL_OK) return 1;
    /* fill the memory first so each observe really replays */
    int warm = 0;
    while (warm * 32 < 1500) {
        fill(x, (size_t)dim * 32);
        ecl_learner_observe(l, x, y, 32);
        warm++;
    }
    int obs = 0;
    t0 = ecl_port_now_ns();
    while (secs(t0) < budget || obs < 3) {
        ecl_learner_observe(l, x, y, 32);
        obs++;
    }
    printf("replay %-14s observe(32 new + 32 replayed, memory 1500 f32 = %.1f MB): %.2f ms\n",
           shape, ecl_learner_replay_bytes(l) / 1048576.0, 1e3 * secs(t0) / obs);
    free(mem);
    free(x);
    return 0;
}

/* SLDA / NCM predict: the first call after observe() pays for SLDA's classifier rebuild
 * (Cholesky of the d x d covariance + one solve per class); later calls are dot products. */
static int bench_stat(enum ecl_learner_kind kind, uint32_t dim, uint32_t classes, int quick) {
    struct ecl_learner_params lp = ecl_learner_default_params(kind, dim, classes);
    size_t need;
    if (ecl_learner_mem_size(&lp, &need) != ECL_OK) return 1;
    void *mem = malloc(need);
    const uint32_t per = 20, n = classes * per;
    float *x = malloc(sizeof(float) * dim * n);
    int32_t *y = malloc(sizeof(int32_t) * n);
    float *scores = malloc(sizeof(float) * classes);
    struct ecl_learner *l;
    if (!mem || !x || !y || !scores || ecl_learner_init(&lp, mem, need, &l) != ECL_OK) return 1;
    fill(x, (size_t)dim * n);
    for (uint32_t i = 0; i < n; i++)
        y[i] = (int32_t)(i % classes);
    if (ecl_learner_observe(l, x, y, n) != ECL_OK) return 1;
    int32_t top;
    uint64_t t0 = ecl_port_now_ns();
    ecl_learner_predict(l, x, scores, &top);
    double first = secs(t0);
    int np = 0;
    double budget = quick ? 0.3 : 2.0;
    t0 = ecl_port_now_ns();
    while (secs(t0) < budget / 2 || np < 3) {
        ecl_learner_predict(l, x + (size_t)(np % n) * dim, scores, &top);
        np++;
    }
    printf("%-6s %u-d %u classes predict: first after observe %.2f ms, then %.4f ms/sample\n",
           ecl_learner_kind_name(kind), dim, classes, 1e3 * first, 1e3 * secs(t0) / np);
    free(mem);
    free(x);
    free(y);
    free(scores);
    return 0;
}

int main(int argc, char **argv) {
    int quick = 0;
    enum ecl_optimizer opt = ECL_OPT_ADAM;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--opt") && i + 1 < argc) {
            const char *o = argv[++i];
            if (!strcmp(o, "sgd"))
                opt = ECL_OPT_SGD;
            else if (!strcmp(o, "adam"))
                opt = ECL_OPT_ADAM;
            else {
                fprintf(stderr, "bench_head: --opt must be sgd or adam\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bench_head [--quick] [--opt sgd|adam]\n"
                            "  head training throughput and replay observe cost for the paper's\n"
                            "  20480->128->50 head and a pooled 1280->50 head\n");
            return !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ? 0 : 2;
        }
    }
    fprintf(stderr, "bench_head: running (%s)...\n", quick ? "quick" : "2 s per measurement");
    if (bench(20480, 128, 50, opt, quick) || bench(1280, 0, 50, opt, quick) ||
        bench_stat(ECL_LEARNER_SLDA, 1280, 50, quick) ||
        bench_stat(ECL_LEARNER_NCM, 1280, 50, quick)) {
        fprintf(stderr, "bench_head: setup failed\n");
        return 1;
    }
    return 0;
}
