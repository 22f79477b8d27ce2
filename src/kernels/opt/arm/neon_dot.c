/* int8 CONV_2D and FULLY_CONNECTED with the Armv8.2 dot-product instructions (SDOT, vdotq_s32:
 * 16 int8 products summed into 4 int32 lanes per instruction). The kernels are those of
 * neon_i8_body.h; this file alone is compiled with -march=armv8.2-a+dotprod (top CMakeLists.txt,
 * tests/aarch64/CMakeLists.txt, tests/opt/neon_qemu.sh), and ecl_kernels_opt_install() installs
 * them only when the kernel reports the extension (getauxval(AT_HWCAP) & HWCAP_ASIMDDP); else the
 * plain NEON ones of neon_i8.c. */
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>

#define NI8_DOT(acc, a, b) vdotq_s32((acc), (a), (b))
#define NI8_FN(name) ecl_neondot_##name
#include "kernels/opt/arm/neon_i8_body.h"
#elif defined(__aarch64__)
#error "neon_dot.c must be compiled with -march=armv8.2-a+dotprod (see CMakeLists.txt)"
#endif
