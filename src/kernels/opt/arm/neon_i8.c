/* int8 CONV_2D and FULLY_CONNECTED for AArch64 cores without the dot-product extension (the
 * kernels of neon_i8_body.h): each 16-byte dot-product step is two widening multiplies (SMULL,
 * SMULL2: int8 x int8 fits in int16) accumulated pairwise into the int32 lanes (SADALP). Only the
 * sum of the four lanes is used, so this equals SDOT's result; neon_dot.c is the SDOT version. */
#if defined(__aarch64__)
#include <arm_neon.h>

static inline int32x4_t ni8_dot_neon(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
}

#define NI8_DOT(acc, a, b) ni8_dot_neon((acc), (a), (b))
#define NI8_FN(name) ecl_neon_##name
#include "kernels/opt/arm/neon_i8_body.h"
#endif
