/* tools/tflite_ref/ref_rand.h - the deterministic pseudo-random inputs of the TFLite reference
 * cases (cases.txt lines "in NAME float32 SHAPE rand SEED LO HI FILE"): make_inputs.c writes
 * them for the TFLite tool, tests/tflref/test_tflite_reference.c regenerates them. A 32-bit LCG
 * (Numerical Recipes constants); value = lo + (hi - lo) * (top 24 bits) / 2^24, exact in float.
 *
 *     ref_rand_f32(buf, n, 7, -1.0f, 1.0f);
 */
#ifndef EDGECL_TFLITE_REF_RAND_H
#define EDGECL_TFLITE_REF_RAND_H

#include <stddef.h>
#include <stdint.h>

static inline void ref_rand_f32(float *out, size_t n, uint32_t seed, float lo, float hi) {
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        out[i] = lo + (hi - lo) * ((float)(x >> 8) / 16777216.0f);
    }
}

#endif
