/* naive and replay learners: a head trained on each observed batch, the replay learner mixing
 * stored latents into every mini-batch (latent replay, Pellegrini et al. 2020; the paper's
 * method) and admitting the new samples to its memory afterwards.
 *
 * Shuffling without memory: observe() accepts any n, and the library may not allocate, so the
 * per-epoch order is a pseudo-random permutation of 0..n-1 computed on the fly - a 4-round
 * Feistel network on the next even power of two >= n, with cycle walking to stay below n
 * (expected < 4 rounds of walking per index). That is a bijection, so each epoch visits every
 * new sample exactly once.
 */
#include "learn/learner_impl.h"

#include <string.h>

#include "core/rng.h"

struct perm {
    uint64_t n, key[4];
    uint32_t half; /* bits per Feistel half */
    uint64_t mask;
};

static void perm_init(struct perm *pm, uint64_t n, uint64_t *rng) {
    uint32_t bits = 2;
    while (bits < 64 && (1ull << bits) < n)
        bits++;
    bits += bits & 1u;
    pm->n = n;
    pm->half = bits / 2;
    pm->mask = (1ull << pm->half) - 1;
    for (int r = 0; r < 4; r++)
        pm->key[r] = ecl_rng_next(rng);
}

static uint64_t perm_round(uint64_t v, uint64_t key) {
    uint64_t z = v * 0x9E3779B97F4A7C15ull ^ key;
    z = (z ^ (z >> 29)) * 0xBF58476D1CE4E5B9ull;
    return z ^ (z >> 32);
}

static uint64_t perm_at(const struct perm *pm, uint64_t i) {
    uint64_t v = i;
    do {
        uint64_t lft = v >> pm->half, rgt = v & pm->mask;
        for (int r = 0; r < 4; r++) {
            uint64_t t = lft ^ (perm_round(rgt, pm->key[r]) & pm->mask);
            lft = rgt;
            rgt = t;
        }
        v = (lft << pm->half) | rgt;
    } while (v >= pm->n);
    return v;
}

enum ecl_status ecl_learn_head_observe_(struct ecl_learner *l, const float *x, const int32_t *y,
                                        uint32_t n, ecl_learner_epoch_fn fn, void *ctx) {
    const struct ecl_learner_params *p = &l->p;
    const uint32_t d = p->dim, bs = p->batch_size;
    const uint32_t rpb = p->kind == ECL_LEARNER_REPLAY ? p->replay_per_batch : 0;
    enum ecl_status st = ecl_head_set_n_classes(l->head, l->n_classes);
    if (st != ECL_OK) return st;
    /* Paper schedule: the first batch with lr, later ones with lr_after_first. */
    ecl_head_set_lr(l->head,
                    l->n_observe > 0 && p->lr_after_first > 0.0f ? p->lr_after_first : p->head.lr);
    for (uint32_t e = 0; e < p->epochs; e++) {
        struct perm pm;
        perm_init(&pm, n, &l->rng);
        double sum = 0.0;
        uint32_t steps = 0;
        for (uint32_t b0 = 0; b0 < n; b0 += bs) {
            uint32_t nb = n - b0 < bs ? n - b0 : bs;
            for (uint32_t i = 0; i < nb; i++) {
                uint32_t s = (uint32_t)perm_at(&pm, (uint64_t)b0 + i);
                memcpy(l->bx + (size_t)i * d, x + (size_t)s * d, d * sizeof(float));
                l->by[i] = y[s];
            }
            uint32_t got = 0;
            if (rpb > 0 && ecl_replay_size(l->replay) > 0) {
                st = ecl_replay_sample(l->replay, rpb, l->bx + (size_t)nb * d, l->by + nb, &got);
                if (st != ECL_OK) return st;
            }
            float loss;
            st = ecl_head_train_batch(l->head, l->bx, l->by, nb + got, &loss);
            if (st != ECL_OK) return st;
            sum += loss;
            steps++;
        }
        if (fn && fn(ctx, e + 1, p->epochs, (float)(sum / (steps ? steps : 1)))) break;
    }
    if (p->kind == ECL_LEARNER_REPLAY) return ecl_replay_add_batch(l->replay, x, y, n);
    return ECL_OK;
}
