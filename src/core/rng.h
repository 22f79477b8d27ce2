/* src/core/rng.h - small deterministic PRNG (splitmix64) used by the learning code.
 *
 * Everything random in edgecl (weight init, replay replacement, shuffling) derives from a
 * user seed through this generator, so that runs are reproducible across platforms: it uses
 * only 64-bit integer arithmetic, never the C library's rand().
 *
 *     uint64_t s = ecl_rng_seed(42, 7);        // seed, stream id
 *     uint32_t k = ecl_rng_below(&s, 10);      // uniform in 0..9
 *     float u = ecl_rng_float(&s);             // uniform in [0, 1)
 */
#ifndef EDGECL_CORE_RNG_H
#define EDGECL_CORE_RNG_H

#include <stdint.h>

static inline uint64_t ecl_rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Independent streams from one seed: mix the stream id in through one splitmix round. */
static inline uint64_t ecl_rng_seed(uint64_t seed, uint64_t stream) {
    uint64_t s = seed ^ (stream * 0xD1B54A32D192ED03ull);
    return ecl_rng_next(&s);
}

/* Uniform integer in [0, n), n >= 1 (Lemire's multiply-shift with rejection: unbiased). */
static inline uint32_t ecl_rng_below(uint64_t *s, uint32_t n) {
    uint64_t m = (uint64_t)(uint32_t)(ecl_rng_next(s) >> 32) * n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (l < t) {
            m = (uint64_t)(uint32_t)(ecl_rng_next(s) >> 32) * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Uniform float in [0, 1) with 24 random bits. */
static inline float ecl_rng_float(uint64_t *s) {
    return (float)(ecl_rng_next(s) >> 40) * (1.0f / 16777216.0f);
}

#endif
