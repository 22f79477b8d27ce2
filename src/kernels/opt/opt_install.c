/* Installs the optimised kernels over the reference table (see opt.h).
 *
 * The x86 kernels are compiled with -mavx2 -mfma (x86/avx512_*.c: -mavx512f -mavx512vl ...;
 * top CMakeLists.txt), but this file is not, so the CPU check below runs on any x86-64 and the
 * AVX2 code is only reached when the CPU (and the OS, via __builtin_cpu_supports' XSAVE check)
 * supports it; the AVX-512 float conv/depthwise kernels only when ecl_opt_have_avx512() also
 * finds AVX-512F/DQ/BW/VL in CPUID and the opmask/ZMM state enabled in XCR0. Setting the
 * environment is the caller's business (the library does no getenv); tools choose ecl_kernels_ref()
 * to force the reference kernels. */
#include "kernels/opt/opt.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20) /* <asm/hwcap.h>: Advanced SIMD dot product (SDOT/UDOT) */
#endif
#endif

int ecl_opt_have_avx512(void) {
#if defined(__x86_64__) || defined(_M_X64)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0; /* OSXSAVE: the OS enabled XGETBV */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    /* XCR0: SSE (1), AVX (2), opmask (5), ZMM0-15 upper halves (6), ZMM16-31 (7) */
    if ((lo & 0xe6u) != 0xe6u) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    /* EBX: AVX512F (16), AVX512DQ (17), AVX512BW (30), AVX512VL (31) */
    const unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    return (b & need) == need;
#else
    return 0;
#endif
}

int ecl_opt_have_avx512_vnni(void) {
#if defined(__x86_64__) || defined(_M_X64)
    unsigned a, b, c, d;
    if (!ecl_opt_have_avx512()) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (c >> 11) & 1u; /* ECX: AVX512_VNNI (11) */
#else
    return 0;
#endif
}

int ecl_opt_have_avx_vnni(void) {
#if defined(__x86_64__) || defined(_M_X64)
    unsigned a, b, c, d;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2")) return 0; /* also checks the OS saves the YMM state */
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (a >> 4) & 1u; /* EAX: AVX-VNNI (4) */
#else
    return 0;
#endif
}

int ecl_opt_have_dotprod(void) {
#if defined(__aarch64__) && defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
    return 0; /* other AArch64 systems: the plain NEON int8 kernels */
#endif
}

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
        k->conv2d_i8_prepack_bytes = ecl_avx2_conv2d_i8_prepack_bytes;
        k->conv2d_i8_prepack = ecl_avx2_conv2d_i8_prepack;
        k->dwconv_i8 = ecl_avx2_dwconv_i8;
        k->add_i8 = ecl_avx2_add_i8;
        k->quantize_f32_i8 = ecl_avx2_quantize_f32_i8;
        if (ecl_opt_have_avx_vnni()) {
            /* int8 CONV_2D with 256-bit vpdpbusd (replaced below when AVX512-VNNI is there) */
            k->name = "avxvnni";
            k->conv2d_i8 = ecl_avxvnni_conv2d_i8;
            k->conv2d_i8_scratch = ecl_avxvnni_conv2d_i8_scratch;
            k->conv2d_i8_prepack_bytes = 0; /* packs per call (its own layout) */
            k->conv2d_i8_prepack = 0;
        }
        if (ecl_opt_have_avx512()) {
            /* float CONV_2D / DEPTHWISE_CONV_2D and int8 ADD with 16-wide vectors; the rest stays
             * AVX2 */
            k->name = "avx512";
            k->conv2d_f32 = ecl_avx512_conv2d_f32;
            k->conv2d_f32_scratch = ecl_avx512_conv2d_f32_scratch;
            k->conv2d_f32_prepack_bytes = ecl_avx512_conv2d_f32_prepack_bytes;
            k->conv2d_f32_prepack = ecl_avx512_conv2d_f32_prepack;
            k->dwconv_f32 = ecl_avx512_dwconv_f32;
            k->add_i8 = ecl_avx512_add_i8;
            if (ecl_opt_have_avx512_vnni()) {
                /* int8 CONV_2D / FULLY_CONNECTED (vpdpbusd), 3x3 depthwise (vpdpwssd) */
                k->name = "avx512vnni";
                k->conv2d_i8 = ecl_avx512_vnni_conv2d_i8;
                k->conv2d_i8_scratch = ecl_avx512_vnni_conv2d_i8_scratch;
                k->conv2d_i8_prepack_bytes = ecl_avx512_vnni_conv2d_i8_prepack_bytes;
                k->conv2d_i8_prepack = ecl_avx512_vnni_conv2d_i8_prepack;
                k->fc_i8 = ecl_avx512_vnni_fc_i8;
                k->dwconv_i8 = ecl_avx512_vnni_dwconv_i8;
            }
        }
    }
#elif defined(__aarch64__)
    /* Advanced SIMD is mandatory on AArch64. */
    k->name = "neon";
    k->conv2d_f32 = ecl_neon_conv2d_f32;
    k->conv2d_f32_scratch = 0;
    k->dwconv_f32 = ecl_neon_dwconv_f32;
    k->fc_f32 = ecl_neon_fc_f32;
    k->add_f32 = ecl_neon_add_f32;
    /* int8 CONV_2D / FULLY_CONNECTED: SDOT when the core has the dot-product extension (Armv8.2+
     * cores of phones and boards: Cortex-A55/A75/A76 and later), else widening multiplies. */
    k->conv2d_i8 = ecl_neon_conv2d_i8;
    k->conv2d_i8_scratch = ecl_neon_conv2d_i8_scratch;
    k->fc_i8 = ecl_neon_fc_i8;
    k->dwconv_i8 = ecl_neon_dwconv_i8; /* both tables: SDOT does not fit depthwise */
    if (ecl_opt_have_dotprod()) {
        k->name = "neondot";
        k->conv2d_i8 = ecl_neondot_conv2d_i8;
        k->conv2d_i8_scratch = ecl_neondot_conv2d_i8_scratch;
        k->fc_i8 = ecl_neondot_fc_i8;
    }
#endif
}
