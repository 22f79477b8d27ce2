/* edgecl/learner.h - continual learners on latent vectors, behind one interface.
 *
 *   naive  : transfer learning; the head is trained only on the newest data (forgets).
 *   replay : the paper's method; each observe() trains the head on the new samples mixed with
 *            samples drawn from the replay memory, then admits the new samples to the memory.
 *   slda   : streaming linear discriminant analysis (Hayes & Kanan 2020): running class means
 *            and a shared covariance; predict with precision = (1-s)*Sigma + s*I inverted.
 *   ncm    : nearest class mean (running means, Euclidean distance; scores = -distance).
 *
 * All memory is supplied by the caller (ecl_learner_mem_size), nothing is allocated later.
 *
 *     struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, 1280, 50);
 *     p.replay.capacity = 1500;
 *     size_t need; ecl_learner_mem_size(&p, &need);
 *     void *mem = malloc(need);
 *     struct ecl_learner *l; ecl_learner_init(&p, mem, need, &l);
 *     ecl_learner_observe(l, latents, labels, n);      // labels in 0..max_classes-1
 *     float scores[50]; int32_t top; ecl_learner_predict(l, latent, scores, &top);
 *
 * The paper's settings (Demosthenous & Vassiliades 2021) as one preset:
 *     struct ecl_learner_params p = ecl_learner_paper_params(1280, 50);
 *
 * State (save/restore): ecl_learner_state_size / _write give a self-describing byte image
 * (magic "ECLS", version, little-endian, explicit lengths, CRC32 over everything); read it back
 * with ecl_learner_state_params (to size and init a learner) then ecl_learner_state_read.
 * A truncated, corrupted or wrong-version image is refused and leaves the learner untouched.
 * Files are written atomically by the port layer (edgecl/port.h: ecl_port_save_atomic).
 */
#ifndef EDGECL_LEARNER_H
#define EDGECL_LEARNER_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"
#include "edgecl/head.h"
#include "edgecl/replay.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ecl_learner_kind {
    ECL_LEARNER_NAIVE = 0,
    ECL_LEARNER_REPLAY = 1,
    ECL_LEARNER_SLDA = 2,
    ECL_LEARNER_NCM = 3
};

#define ECL_CLASS_NAME_MAX 32 /* bytes including the terminating NUL */

struct ecl_learner_params {
    enum ecl_learner_kind kind;
    uint32_t dim;
    uint32_t max_classes;
    struct ecl_head_params head;     /* naive, replay */
    uint32_t epochs;                 /* naive, replay: passes over each observed batch */
    uint32_t batch_size;             /* naive, replay: new samples per mini-batch */
    uint32_t replay_per_batch;       /* replay: replayed samples mixed into each mini-batch.
                                        Measured (docs/results.md): batch_size x (old classes /
                                        new classes per batch) closes most of the gap to joint
                                        training, e.g. 128 for 32 new samples of 2 classes
                                        against 8 old ones (74.3% -> 79.4% vs joint 81.0%) */
    float lr_after_first;            /* naive, replay: lr for observe() calls after the first
                                        (paper: 1e-3 first batch, 5e-5 later); <=0: keep lr */
    struct ecl_replay_params replay; /* replay */
    float slda_shrinkage;            /* slda: covariance shrinkage, default 1e-4 */
    uint32_t seed;
};

struct ecl_learner;

const char *ecl_learner_kind_name(enum ecl_learner_kind k); /* "naive", ... */
enum ecl_status ecl_learner_kind_parse(const char *name, enum ecl_learner_kind *k);
struct ecl_learner_params ecl_learner_default_params(enum ecl_learner_kind kind, uint32_t dim,
                                                     uint32_t max_classes);
/* The paper's replay learner ("Continual Learning on the Edge with TensorFlow Lite",
 * Demosthenous & Vassiliades 2021, arXiv 2105.01946): head Dense(128, ReLU) -> Dense(n)
 * softmax, plain SGD (no momentum, no L2), lr 0.001 for the first observe() and 0.00005
 * afterwards, random-replacement replay. The lr schedule and head shape are the paper's; the
 * buffer size (1500 latents), replacement fraction (20 % of the buffer per observed batch,
 * at most the batch), replay_per_batch (32), batch_size (32) and epochs (4) could not be
 * checked against the paper's text here and are this library's choices (the library defaults,
 * which were set to follow the paper's description of a fixed buffer with random replacement).
 * Use it as a starting point: callers can still change any field. */
struct ecl_learner_params ecl_learner_paper_params(uint32_t dim, uint32_t max_classes);
enum ecl_status ecl_learner_mem_size(const struct ecl_learner_params *p, size_t *bytes);
enum ecl_status ecl_learner_init(const struct ecl_learner_params *p, void *mem, size_t bytes,
                                 struct ecl_learner **out);
const struct ecl_learner_params *ecl_learner_params(const struct ecl_learner *l);

/* Largest magnitude of an input value that observe() accepts (beyond it: ECL_ERANGE, before
 * anything changes). Far above any backbone's latents (MobileNetV2's are ReLU6-bounded), low
 * enough that squares and sums of squares over any dimension stay inside float range. It does
 * not guarantee convergence: a learning rate too high for the input scale can still diverge,
 * which ecl_learner_check_finite() detects. */
#define ECL_LEARNER_MAX_ABS 1e6f

/* Learn from n labelled latents (row-major n x dim). Unknown labels become new classes.
 * Refused (nothing changes): labels outside 0..max_classes-1 or non-finite values (ECL_EINVAL),
 * values beyond +-ECL_LEARNER_MAX_ABS (ECL_ERANGE). */
enum ecl_status ecl_learner_observe(struct ecl_learner *l, const float *x, const int32_t *y,
                                    uint32_t n);
/* observe() with a report after each training epoch, for callers that show progress or stop
 * training early (naive, replay; slda and ncm have no epochs and never call fn). fn gets the
 * epoch just finished (1..epochs, epochs = params.epochs, the cap) and the mean mini-batch loss
 * of that epoch (each taken before its step, over new and replayed samples); returning nonzero
 * ends training there. Either way the call then completes as
 * observe() does (replay admits the new samples, the counts grow). fn NULL: observe().
 *
 *     static int settle(void *ctx, uint32_t e, uint32_t n, float loss) { ... return stop; }
 *     ecl_learner_observe_epochs(l, latents, labels, n, settle, &my_state);
 */
typedef int (*ecl_learner_epoch_fn)(void *ctx, uint32_t epoch, uint32_t epochs, float loss);
enum ecl_status ecl_learner_observe_epochs(struct ecl_learner *l, const float *x, const int32_t *y,
                                           uint32_t n, ecl_learner_epoch_fn fn, void *ctx);
/* scores: max_classes entries (classes never seen get -INFINITY for ncm/slda, 0 prob for heads);
 * top: best class, or -1 if nothing learned yet. Either output may be NULL. */
enum ecl_status ecl_learner_predict(struct ecl_learner *l, const float *x, float *scores,
                                    int32_t *top);
uint32_t ecl_learner_n_classes(const struct ecl_learner *l); /* 1 + highest label seen */
uint64_t ecl_learner_n_seen(const struct ecl_learner *l);    /* samples observed in total */
/* Class names (optional, for tools and the demo). */
enum ecl_status ecl_learner_set_class_name(struct ecl_learner *l, int32_t cls, const char *name);
const char *ecl_learner_class_name(const struct ecl_learner *l, int32_t cls); /* "" if unset */
/* Bytes of the replay memory's stored latents (0 for learners without one). */
size_t ecl_learner_replay_bytes(const struct ecl_learner *l);
/* Samples currently held in the replay memory (0 for learners without one). */
uint32_t ecl_learner_replay_count(const struct ecl_learner *l);
/* Forget everything learned; params stay. */
enum ecl_status ecl_learner_reset(struct ecl_learner *l);

/* The learned classifier as a stack of dense layers, for exporting it to other runtimes (edgecl
 * export writes them into a standard .tflite):
 *     a_0 = x;  a_{i+1} = act_i(W_i a_i + b_i);  logits = a_n;  probabilities = softmax(logits)
 * with W_i row-major out x in (TFLite FULLY_CONNECTED's weight layout) and act_i ReLU or none.
 *   naive, replay: the head's layers (ReLU on the hidden ones); softmax(logits) = predict's scores.
 *   slda: one layer, W_k = Lambda mu_k, b_k = -0.5 mu_k . W_k: logits = predict's scores.
 *   ncm:  one layer, W_k = 2 mu_k, b_k = -|mu_k|^2, i.e. logits = |x|^2 - |x - mu_k|^2: the same
 *         argmax as predict's -|x - mu_k|, and softmax(logits) = softmax(-|x - mu_k|^2).
 * Only classes 0..n_classes-1 are exported (out of the last layer = ecl_learner_n_classes); a
 * class that was never observed (slda, ncm) gets W_k = 0 and b_k = ECL_LEARNER_ABSENT_LOGIT.
 * ECL_ESTATE if nothing was learned yet.
 *
 *     uint32_t n; ecl_learner_layer_count(l, &n);
 *     for (uint32_t i = 0; i < n; i++) {
 *         struct ecl_learner_layer L; ecl_learner_layer_shape(l, i, &L);
 *         float *w = malloc(L.in * L.out * 4), *b = malloc(L.out * 4);
 *         ecl_learner_layer_get(l, i, w, b);   // slda: may refresh its cached discriminant
 *     }
 */
#define ECL_LEARNER_ABSENT_LOGIT (-1e30f)
struct ecl_learner_layer {
    uint32_t in, out;
    int relu; /* 1: ReLU after the layer */
};
enum ecl_status ecl_learner_layer_count(const struct ecl_learner *l, uint32_t *n);
enum ecl_status ecl_learner_layer_shape(const struct ecl_learner *l, uint32_t i,
                                        struct ecl_learner_layer *layer);
enum ecl_status ecl_learner_layer_get(struct ecl_learner *l, uint32_t i, float *w, float *b);

/* The state image's format version (u32 LE at byte 4, after the magic "ECLS"); an image of
 * another version is refused with ECL_EVERSION. */
#define ECL_STATE_VERSION 1u

enum ecl_status ecl_learner_state_size(const struct ecl_learner *l, size_t *bytes);
/* ECL_ERANGE (and *written = 0) if a learned value is NaN/Inf (training diverged): such an
 * image would be refused by every reader, so none is written. */
enum ecl_status ecl_learner_state_write(const struct ecl_learner *l, void *buf, size_t cap,
                                        size_t *written);
/* ECL_OK if every learned value (weights, optimiser moments, replay memory, statistics) is
 * finite, else ECL_ERANGE. The same walk as state_write. */
enum ecl_status ecl_learner_check_finite(const struct ecl_learner *l);
/* The reader's whole validation of an image without applying it: what state_read would say.
 * A writer calls it on its own image before replacing a file with it. l must have the image's
 * parameters (e.g. the learner that wrote it); only l's scratch memory is used. */
enum ecl_status ecl_learner_state_check(struct ecl_learner *l, const void *buf, size_t len);
enum ecl_status ecl_learner_state_params(const void *buf, size_t len, struct ecl_learner_params *p);
enum ecl_status ecl_learner_state_read(struct ecl_learner *l, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
