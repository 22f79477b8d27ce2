/* Installs the optimised kernels over the reference table (see opt.h).
 *
 * The x86 kernels are compiled with -mavx2 -mfma (top CMakeLists.txt), but this file is not,
 * so the CPU check below runs on any x86-64 and the AVX2 code is only reached when the CPU
 * (and the OS, via __builtin_cpu_supports' XSAVE check) supports it. Setting the environment
 * is the caller's business (the library does no getenv); tools choose ecl_kernels_ref() to
 * force the reference kernels. */
#include "kernels/opt/opt.h"

void ecl_kernels_opt_install(struct ecl_kernels *k) {
    if (!k) return;
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        k->name = "avx2";
        k->conv2d_f32 = ecl_avx2_conv2d_f32;
        k->conv2d_f32_scratch = ecl_avx2_conv2d_f32_scratch;
        k->dwconv_f32 = ecl_avx2_dwconv_f32;
        k->fc_f32 = ecl_avx2_fc_f32;
        k->add_f32 = ecl_avx2_add_f32;
        k->mean_hw_f32 = ecl_avx2_mean_hw_f32;
        k->conv2d_i8 = ecl_avx2_conv2d_i8;
        k->conv2d_i8_scratch = ecl_avx2_conv2d_i8_scratch;
        k->dwconv_i8 = ecl_avx2_dwconv_i8;
        k->add_i8 = ecl_avx2_add_i8;
    }
#elif defined(__aarch64__)
    /* Advanced SIMD is mandatory on AArch64. */
    k->name = "neon";
    k->conv2d_f32 = ecl_neon_conv2d_f32;
    k->conv2d_f32_scratch = 0;
    k->dwconv_f32 = ecl_neon_dwconv_f32;
    k->fc_f32 = ecl_neon_fc_f32;
    k->add_f32 = ecl_neon_add_f32;
#endif
}
