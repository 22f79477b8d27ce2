/* edgecl/replay.h - bounded replay memory of latent vectors (latent replay).
 *
 * Holds at most `capacity` (latent, label) pairs, stored as float32 or uint8 with a per-vector
 * scale and offset (x ~= offset + scale * q, q in 0..255: 4x less memory).
 *
 * Policies for admitting a new batch of samples:
 *   ECL_REPLAY_RANDOM    - the paper's method: while not full, append; once full, replace
 *                          round(replace_fraction * capacity) random slots (at most the batch
 *                          size) with random samples of the new batch.
 *   ECL_REPLAY_FIFO      - ring buffer: the oldest samples are overwritten.
 *   ECL_REPLAY_BALANCED  - class-balanced reservoir: each class gets an equal share of the
 *                          capacity; within a class, reservoir sampling over that class's stream;
 *                          when a new class appears, the largest classes give up slots.
 *
 *     struct ecl_replay_params p = ecl_replay_default_params(1280, 1500);
 *     p.storage = ECL_REPLAY_U8;
 *     size_t need; ecl_replay_mem_size(&p, &need);
 *     struct ecl_replay *r; ecl_replay_init(&p, malloc(need), need, &r);
 *     ecl_replay_add_batch(r, x, y, n);
 *     ecl_replay_sample(r, k, xs, ys, &got);   // k random stored samples, dequantised
 */
#ifndef EDGECL_REPLAY_H
#define EDGECL_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ecl_replay_policy { ECL_REPLAY_RANDOM = 0, ECL_REPLAY_FIFO = 1, ECL_REPLAY_BALANCED = 2 };
enum ecl_replay_storage { ECL_REPLAY_F32 = 0, ECL_REPLAY_U8 = 1 };

struct ecl_replay_params {
    uint32_t dim;
    uint32_t capacity;    /* samples */
    uint32_t max_classes; /* for the balanced policy's per-class counters */
    enum ecl_replay_policy policy;
    enum ecl_replay_storage storage;
    float replace_fraction; /* RANDOM: fraction of capacity replaced per batch once full */
    uint32_t seed;
};

struct ecl_replay;

struct ecl_replay_params ecl_replay_default_params(uint32_t dim, uint32_t capacity);
enum ecl_status ecl_replay_mem_size(const struct ecl_replay_params *p, size_t *bytes);
enum ecl_status ecl_replay_init(const struct ecl_replay_params *p, void *mem, size_t bytes,
                                struct ecl_replay **out);
enum ecl_status ecl_replay_add_batch(struct ecl_replay *r, const float *x, const int32_t *y,
                                     uint32_t n);
/* Draw k samples uniformly without replacement (k > size: all of them, shuffled). */
enum ecl_status ecl_replay_sample(struct ecl_replay *r, uint32_t k, float *x, int32_t *y,
                                  uint32_t *got);
uint32_t ecl_replay_size(const struct ecl_replay *r);
/* Copy out stored sample i (0..size-1), dequantised. */
enum ecl_status ecl_replay_get(const struct ecl_replay *r, uint32_t i, float *x, int32_t *y);
/* Bytes used by stored latents at full capacity (for memory reports). */
size_t ecl_replay_storage_bytes(const struct ecl_replay_params *p);

#ifdef __cplusplus
}
#endif
#endif
