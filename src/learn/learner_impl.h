/* src/learn/learner_impl.h - learner internals, shared by the learner kinds (src/learn/) and
 * the state serialiser (src/state/). Not a public header. */
#ifndef EDGECL_LEARN_LEARNER_IMPL_H
#define EDGECL_LEARN_LEARNER_IMPL_H

#include "edgecl/learner.h"
#include "train/head_impl.h"
#include "replay/replay_impl.h"

struct ecl_learner {
    struct ecl_learner_params p; /* normalised (see ecl_learner_normalise_) */
    uint32_t n_classes;          /* 1 + highest label seen */
    uint64_t n_seen;             /* samples observed */
    uint64_t n_observe;          /* observe() calls that learned something */
    uint64_t rng;                /* shuffling stream */
    char (*names)[ECL_CLASS_NAME_MAX];
    /* naive, replay */
    struct ecl_head *head;
    void *head_mem;
    size_t head_bytes;
    float *bx;   /* mini-batch: head.max_batch x dim */
    int32_t *by; /* head.max_batch */
    /* replay */
    struct ecl_replay *replay;
    void *replay_mem;
    size_t replay_bytes;
    /* slda, ncm */
    uint64_t *cnt; /* max_classes */
    float *mean;   /* max_classes x dim */
    /* slda */
    uint64_t n_total; /* covariance updates */
    float *cov;       /* dim x dim, lower triangle valid */
    double *chol;     /* dim x dim, Cholesky factor of the shrunk covariance (cache) */
    float *sw;        /* max_classes x dim: precision * mean (cache) */
    float *sb;        /* max_classes: -0.5 mean . sw (cache) */
    double *tmp;      /* 4 x dim */
    int cache_valid;
};

/* Copy of p with the derived fields filled in (head/replay dims and classes, head batch). */
struct ecl_learner_params ecl_learner_normalise_(const struct ecl_learner_params *p);
/* Zero all learned state (head re-initialised, memory emptied, statistics cleared). */
enum ecl_status ecl_learner_clear_(struct ecl_learner *l);

/* fn (may be NULL): called after each epoch with its mean loss; nonzero ends training. */
enum ecl_status ecl_learn_head_observe_(struct ecl_learner *l, const float *x, const int32_t *y,
                                        uint32_t n, ecl_learner_epoch_fn fn, void *ctx);
void ecl_learn_slda_observe_(struct ecl_learner *l, const float *x, const int32_t *y, uint32_t n);
/* Score every class (unseen: -INFINITY) into scores (may be NULL); returns the best class. */
int32_t ecl_learn_slda_predict_(struct ecl_learner *l, const float *x, float *scores);
/* Recompute the cached discriminant (sw, sb) from the statistics; sets cache_valid. */
void ecl_learn_slda_rebuild_(struct ecl_learner *l);
void ecl_learn_ncm_observe_(struct ecl_learner *l, const float *x, const int32_t *y, uint32_t n);
int32_t ecl_learn_ncm_predict_(struct ecl_learner *l, const float *x, float *scores);

#define ECL_SLDA_MAX_DIM 4096u

#endif
