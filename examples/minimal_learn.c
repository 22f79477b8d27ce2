/* examples/minimal_learn.c - the smallest complete edgecl program: continual learning with a
 * replay memory, no malloc anywhere.
 *
 * What it shows:
 *   1. all memory is static: a byte array for the learner and one for the saved state; their
 *      sizes are fixed at compile time and checked at startup against ecl_learner_mem_size()
 *      and ecl_learner_state_size() (on a microcontroller this is how you size the arenas:
 *      run once on the host, read the printed numbers, set the #defines);
 *   2. class-incremental learning: task 1 brings classes 0 and 1, task 2 brings classes 2 and 3;
 *      the replay memory keeps samples of task 1 and mixes them into task 2's training, so the
 *      head does not forget the old classes;
 *   3. predict, then save the learner to a byte buffer, restore it, and check that the restored
 *      learner gives the same answers.
 *
 * The "latents" are synthetic (one Gaussian blob per class) so the program needs no model and
 * no files; with a real backbone they come from ecl_interp_run() (see extract_and_learn.c).
 *
 * Build: cc -std=c11 -Iinclude examples/minimal_learn.c libedgecl.a -lm
 * Output ends with "final accuracy on all 4 classes: XX.X% (n/N)"; exit status 0 on success.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "edgecl/learner.h"

#define DIM 64       /* latent size (1280 for MobileNetV2's pooled output) */
#define CLASSES 4    /* class budget, fixed at init */
#define PER_CLASS 60 /* training samples per class */
#define TEST_PER_CLASS 50
#define BUFFER 80 /* replay memory capacity (samples) */

/* Arena sizes. Too small -> the program says how much is needed and exits. */
#define LEARNER_BYTES (256u * 1024u)
#define STATE_BYTES (128u * 1024u)

static _Alignas(64) uint8_t learner_mem[LEARNER_BYTES];
static _Alignas(64) uint8_t state_buf[STATE_BYTES];

/* Synthetic data ------------------------------------------------------------------------- */
static float xs[CLASSES * PER_CLASS][DIM];
static int32_t ys[CLASSES * PER_CLASS];
static float xt[CLASSES * TEST_PER_CLASS][DIM];
static int32_t yt[CLASSES * TEST_PER_CLASS];
static float centre[CLASSES][DIM];

static uint32_t rng_state = 12345u;
static float urand(void) { /* xorshift32 -> [0, 1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) / 16777216.0f;
}
static float nrand(void) { /* approx. N(0, 1): sum of 12 uniforms - 6 */
    float s = 0.0f;
    for (int i = 0; i < 12; i++)
        s += urand();
    return s - 6.0f;
}
static void sample(int32_t cls, float *x) {
    for (int d = 0; d < DIM; d++)
        x[d] = centre[cls][d] + 0.8f * nrand();
}
static void make_data(void) {
    for (int c = 0; c < CLASSES; c++)
        for (int d = 0; d < DIM; d++)
            centre[c][d] = nrand() * 0.35f;
    for (int c = 0; c < CLASSES; c++) {
        for (int i = 0; i < PER_CLASS; i++) {
            sample(c, xs[c * PER_CLASS + i]);
            ys[c * PER_CLASS + i] = c;
        }
        for (int i = 0; i < TEST_PER_CLASS; i++) {
            sample(c, xt[c * TEST_PER_CLASS + i]);
            yt[c * TEST_PER_CLASS + i] = c;
        }
    }
}

/* Accuracy on the test samples of classes [0, n_cls). */
static int accuracy(struct ecl_learner *l, int n_cls, int *correct) {
    int n = n_cls * TEST_PER_CLASS;
    *correct = 0;
    for (int i = 0; i < n; i++) {
        int32_t top;
        if (ecl_learner_predict(l, xt[i], NULL, &top) != ECL_OK) return -1;
        if (top == yt[i]) (*correct)++;
    }
    return n;
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        enum ecl_status st_ = (call);                                                              \
        if (st_ != ECL_OK) {                                                                       \
            fprintf(stderr, "%s failed: %s\n", #call, ecl_status_str(st_));                        \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(void) {
    make_data();

    /* 1. Configure and size. */
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, DIM, CLASSES);
    p.replay.capacity = BUFFER;
    p.replay.policy = ECL_REPLAY_BALANCED;
    p.head.hidden[0] = 32;
    p.epochs = 10;
    p.head.lr = 5e-3f;
    size_t need;
    CHECK(ecl_learner_mem_size(&p, &need));
    printf("learner arena: %zu bytes needed, %u available\n", need, LEARNER_BYTES);
    if (need > sizeof learner_mem) {
        fprintf(stderr, "LEARNER_BYTES too small: set it to at least %zu\n", need);
        return 1;
    }

    /* 2. Init in the static arena. */
    struct ecl_learner *l;
    CHECK(ecl_learner_init(&p, learner_mem, sizeof learner_mem, &l));
    CHECK(ecl_learner_set_class_name(l, 0, "circle"));
    CHECK(ecl_learner_set_class_name(l, 1, "square"));
    CHECK(ecl_learner_set_class_name(l, 2, "star"));
    CHECK(ecl_learner_set_class_name(l, 3, "heart"));

    /* 3. Task 1: classes 0 and 1 (rows 0 .. 2*PER_CLASS-1 of xs). */
    int ok, n;
    CHECK(ecl_learner_observe(l, xs[0], ys, 2 * PER_CLASS));
    n = accuracy(l, 2, &ok);
    printf("after task 1: accuracy on classes 0-1: %.1f%% (%d/%d)\n", 100.0 * ok / n, ok, n);

    /* 4. Task 2: classes 2 and 3 only; the replay memory supplies classes 0 and 1. */
    CHECK(ecl_learner_observe(l, xs[2 * PER_CLASS], ys + 2 * PER_CLASS, 2 * PER_CLASS));
    n = accuracy(l, CLASSES, &ok);
    if (n < 0) return 1;
    printf("replay memory: %zu bytes of stored latents, %u classes, %llu samples seen\n",
           ecl_learner_replay_bytes(l), ecl_learner_n_classes(l),
           (unsigned long long)ecl_learner_n_seen(l));
    printf("final accuracy on all %d classes: %.1f%% (%d/%d)\n", CLASSES, 100.0 * ok / n, ok, n);

    /* 5. One prediction with scores. */
    float scores[CLASSES];
    int32_t top;
    CHECK(ecl_learner_predict(l, xt[0], scores, &top));
    printf("first test sample: predicted '%s' (p=%.3f), true '%s'\n",
           ecl_learner_class_name(l, top), scores[top], ecl_learner_class_name(l, yt[0]));

    /* 6. Save to a buffer (write it to flash / a file with ecl_port_save_atomic on a PC). */
    size_t state_len, written;
    CHECK(ecl_learner_state_size(l, &state_len));
    if (state_len > sizeof state_buf) {
        fprintf(stderr, "STATE_BYTES too small: set it to at least %zu\n", state_len);
        return 1;
    }
    CHECK(ecl_learner_state_write(l, state_buf, sizeof state_buf, &written));
    printf("state: %zu bytes\n", written);

    /* 7. Restore: forget everything, read the state back, compare predictions. */
    CHECK(ecl_learner_reset(l));
    struct ecl_learner_params q;
    CHECK(ecl_learner_state_params(state_buf, written, &q)); /* how to size a fresh arena */
    CHECK(ecl_learner_state_read(l, state_buf, written));
    int ok2;
    accuracy(l, CLASSES, &ok2);
    if (ok2 != ok || q.dim != DIM || q.max_classes != CLASSES) {
        fprintf(stderr, "restored learner differs: %d vs %d correct\n", ok2, ok);
        return 1;
    }
    printf("restored from state: same %d/%d correct\n", ok2, n);
    return 0;
}
