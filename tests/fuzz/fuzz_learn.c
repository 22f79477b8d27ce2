/* tests/fuzz/fuzz_learn.c - the learn path with extreme values: ecl_learner_observe, then
 * ecl_learner_state_write, then ecl_learner_state_read into a fresh learner (issue 13,
 * finding 2: one huge finite value made learn save a state its own reader refused).
 *
 * Input: a 5-byte header, then observe batches.
 *   byte 0  kind (naive, replay, slda, ncm)      byte 1  dim 1..16
 *   byte 2  max_classes 2..9                     byte 3  bit 0 sgd/adam, bit 1 u8 replay
 *                                                         storage, bit 2 hidden layer of 8,
 *                                                         bits 4-5 epochs 1..4
 *   byte 4  learning rate: 1e-4 .. 1e2 (7 steps), and momentum (bit 3: 0.9)
 *   batches: 1 byte n (1..8 samples), then per sample 1 label byte and dim 2-byte values.
 * A value's 16 bits give sign, a decade from 1e-45 to 1e6 and a mantissa, so nearly every
 * magnitude the learners accept is reachable, down to subnormals; codes >= 0xFFF0 are
 * specials: +-Inf, NaN, +-1e6 exactly, the next float above 1e6, 3e38, -0, FLT_MIN/2.
 *
 * Properties (beyond no crash/leak/UB):
 *  - a refused observe (bad label, NaN/Inf, beyond +-ECL_LEARNER_MAX_ABS) changes nothing;
 *  - after each accepted observe: if ecl_learner_check_finite says finite, the state writes,
 *    passes ecl_learner_state_check, reads back into a fresh learner and writes back
 *    byte-identical - a written state always reads back; if not finite, state_write refuses
 *    (ECL_ERANGE), so no unreadable image is ever produced. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/learner.h"
#include "fuzz_util.h"

#define MEM_CAP (16u << 20)

static float value_of(uint16_t u) {
    static const float special[16] = {INFINITY, -INFINITY, NAN,         1e6f, -1e6f, 1.0000001e6f,
                                      3e38f,    -0.0f,     FLT_MIN / 2, 0.0f, 1e6f,  -1e6f,
                                      5e5f,     -7.5e5f,   1.0f,        -1.0f};
    if (u >= 0xFFF0) return special[u - 0xFFF0];
    float sign = (u & 0x8000) ? -1.0f : 1.0f;
    int decade = (int)((u >> 8) & 0x7F) % 52 - 45; /* 1e-45 .. 1e6 */
    float mant = 1.0f + (float)(u & 0xFF) / 256.0f;
    float v = sign * mant * powf(10.0f, (float)decade);
    return fabsf(v) > ECL_LEARNER_MAX_ABS ? sign * ECL_LEARNER_MAX_ABS : v;
}

static uint8_t *state_image(const struct ecl_learner *l, size_t *len, enum ecl_status *st) {
    size_t sz = 0;
    FUZZ_CHECK(ecl_learner_state_size(l, &sz) == ECL_OK);
    uint8_t *b = malloc(sz ? sz : 1);
    FUZZ_CHECK(b);
    *st = ecl_learner_state_write(l, b, sz, len);
    return b;
}

/* The property: an image that was written always reads back exactly. */
static void check_roundtrip(struct ecl_learner *l) {
    enum ecl_status fin = ecl_learner_check_finite(l), st;
    size_t len = 0;
    uint8_t *img = state_image(l, &len, &st);
    if (fin != ECL_OK) {
        FUZZ_CHECK(fin == ECL_ERANGE);
        FUZZ_CHECK(st == ECL_ERANGE && len == 0); /* never an unreadable image */
        free(img);
        return;
    }
    FUZZ_CHECK(st == ECL_OK);
    FUZZ_CHECK(ecl_learner_state_check(l, img, len) == ECL_OK);
    struct ecl_learner_params p;
    FUZZ_CHECK(ecl_learner_state_params(img, len, &p) == ECL_OK);
    size_t need = 0;
    FUZZ_CHECK(ecl_learner_mem_size(&p, &need) == ECL_OK);
    void *mem = malloc(need);
    FUZZ_CHECK(mem);
    struct ecl_learner *r = NULL;
    FUZZ_CHECK(ecl_learner_init(&p, mem, need, &r) == ECL_OK);
    FUZZ_CHECK(ecl_learner_state_read(r, img, len) == ECL_OK);
    size_t len2 = 0;
    uint8_t *img2 = state_image(r, &len2, &st);
    FUZZ_CHECK(st == ECL_OK && len2 == len && !memcmp(img, img2, len));
    free(img2);
    free(mem);
    free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    static const float lrs[7] = {1e-4f, 1e-3f, 1e-2f, 0.1f, 1.0f, 10.0f, 100.0f};
    enum ecl_learner_kind kind = (enum ecl_learner_kind)(data[0] % 4);
    uint32_t dim = 1u + data[1] % 16u, maxc = 2u + data[2] % 8u;
    struct ecl_learner_params p = ecl_learner_default_params(kind, dim, maxc);
    p.head.optimizer = (data[3] & 1) ? ECL_OPT_ADAM : ECL_OPT_SGD;
    p.head.n_hidden = (data[3] & 4) ? 1 : 0;
    p.head.hidden[0] = (data[3] & 4) ? 8 : 0;
    p.epochs = 1u + ((data[3] >> 4) & 3u);
    p.batch_size = 4;
    p.replay_per_batch = kind == ECL_LEARNER_REPLAY ? 4 : 0;
    p.replay.capacity = 16;
    p.replay.storage = (data[3] & 2) ? ECL_REPLAY_U8 : ECL_REPLAY_F32;
    p.head.lr = lrs[(data[4] & 7) % 7];
    p.head.momentum = (data[4] & 8) ? 0.9f : 0.0f;
    size_t need = 0;
    if (ecl_learner_mem_size(&p, &need) != ECL_OK || need > MEM_CAP) return 0;
    void *mem = malloc(need);
    FUZZ_CHECK(mem);
    struct ecl_learner *l = NULL;
    FUZZ_CHECK(ecl_learner_init(&p, mem, need, &l) == ECL_OK);
    float *x = malloc(sizeof(float) * 8 * dim);
    int32_t y[8];
    FUZZ_CHECK(x);
    size_t off = 5;
    while (off < size) {
        uint32_t n = 1u + data[off++] % 8u;
        if (size - off < (size_t)n * (1 + 2 * (size_t)dim)) break;
        for (uint32_t i = 0; i < n; i++) {
            y[i] = (int32_t)(data[off++] % (maxc + 1)); /* maxc: out of range */
            for (uint32_t d = 0; d < dim; d++, off += 2)
                x[(size_t)i * dim + d] = value_of((uint16_t)(data[off] | data[off + 1] << 8));
        }
        /* learner before, to check that a refused observe changes nothing (only when its
         * state is writable: a diverged learner has no image) */
        enum ecl_status bst;
        size_t blen = 0;
        uint8_t *before = state_image(l, &blen, &bst);
        enum ecl_status st = ecl_learner_observe(l, x, y, n);
        if (st != ECL_OK) {
            FUZZ_CHECK(st == ECL_EINVAL || st == ECL_ERANGE);
            if (bst == ECL_OK) {
                enum ecl_status ast;
                size_t alen = 0;
                uint8_t *after = state_image(l, &alen, &ast);
                FUZZ_CHECK(ast == ECL_OK && alen == blen && !memcmp(before, after, blen));
                free(after);
            }
        } else {
            check_roundtrip(l);
        }
        free(before);
        if (ecl_learner_check_finite(l) != ECL_OK) break; /* diverged: nothing more to learn */
    }
    free(x);
    free(mem);
    return 0;
}
