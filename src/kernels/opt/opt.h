/* src/kernels/opt/opt.h - optimised float32 kernels (AVX2+FMA on x86-64, with AVX-512F float
 * CONV_2D / DEPTHWISE_CONV_2D where the CPU and OS support it; NEON on AArch64, with int8
 * CONV_2D / FULLY_CONNECTED using SDOT where the core has it: arm/neon_dot.c) and
 * int8 CONV_2D / DEPTHWISE_CONV_2D / ADD (AVX2, bit-exact with the reference; see
 * x86/avx2_int8.c and docs/performance.md "int8"), with AVX512-VNNI int8 CONV_2D,
 * FULLY_CONNECTED and 3x3 DEPTHWISE_CONV_2D where the CPU has it (x86/avx512_vnni*.c).
 *
 * Same signatures and results as the reference kernels in kernels.h, up to float rounding:
 * FMA (one rounding instead of two) and a different summation order (vector lanes, tiles)
 * change the last bits only. tests/test_kernels_opt*.c asserts, per output,
 *   |opt - ref| <= 1e-5 * S,   S = |bias| + sum_k |a_k * w_k|
 * (observed: <= 3e-7 * S on x86 AVX2 and on AArch64 under qemu); ADD is bit-exact.
 *
 * Convolution (the part that matters: MobileNetV2 spends ~95% of its MACs in 1x1 convs):
 *   out[p,o] = act(bias[o] + sum_{k < K} A[p][k] * W[o][k]),  K = kh*kw*Cin,
 * where A[p] is the NHWC input row of pixel p (1x1) or its receptive field gathered in weight
 * order (im2col, zero outside the image). TFLite's OHWI weights are already contiguous along k,
 * and the kernel table has no plan-time repacking hook, so the main micro-kernel computes dot
 * products along k: an MR x NR tile (x86: 3 pixels x 4 channels, NEON: 4 x 4) of vector
 * accumulators, reduced horizontally once per tile. Two x86 refinements: small K (<= 64, Cout*K
 * <= 8192: expand convs, the 3x3x3 stem) repacks the weights on the stack and uses a 6x16
 * broadcast kernel instead (no reductions); 1x1 convs with K <= 192, Cout % 16 == 0 and >= 128
 * pixels do the same with panels packed (in parallel) into the kernel scratch that
 * conv2d_f32_scratch asks for (<= Cout*(K+1) floats; without it: the unpacked path); weights
 * > 256 KiB are walked in L2-sized chunks of output channels. Threads split tiles of pixels (conv),
 * output rows (depthwise, FC) or chunks (ADD) via kc->parallel_for. Stack use: <= 40 KiB per call.
 *
 *     struct ecl_kernels k = ecl_kernels_ref();
 *     ecl_kernels_opt_install(&k);      // k.name == "avx2" if the CPU has AVX2+FMA
 *     struct ecl_kctx kc = {0};         // serial; or set parallel_for/pf_user/n_threads
 *     k.conv2d_f32(&kc, &p, in, is, w, ws, bias, out, os);
 *
 * When the shape is outside what the fast paths handle
 * (dilation != 1, grouped conv, depth_multiplier != 1, broadcasting ADD, non-1x1 conv with
 * K > 2048), the kernels call the reference implementation: always correct, sometimes slow.
 */
#ifndef EDGECL_KERNELS_OPT_H
#define EDGECL_KERNELS_OPT_H

#include "kernels/kernels.h"

/* Kernel entry points (x86: src/kernels/opt/x86/, arm: src/kernels/opt/arm/). */
void ecl_avx2_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                         const float *in, struct ecl_shape4 is, const float *w,
                         struct ecl_shape4 ws, const float *bias, float *out, struct ecl_shape4 os);
/* Scratch for ecl_avx2_conv2d_f32 (0 for most shapes; packed weight panels for medium-K 1x1
 * convs with >= 128 pixels). Without it the kernel falls back to its unpacked path. */
size_t ecl_avx2_conv2d_f32_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                   struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads);
void ecl_avx2_dwconv_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                         const float *in, struct ecl_shape4 is, const float *w,
                         struct ecl_shape4 ws, const float *bias, float *out, struct ecl_shape4 os);
void ecl_avx2_fc_f32(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const float *in,
                     int32_t batch, int32_t in_dim, const float *w, const float *bias, float *out,
                     int32_t out_dim);
void ecl_avx2_add_f32(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const float *a,
                      struct ecl_shape4 as, const float *b, struct ecl_shape4 bs, float *out,
                      struct ecl_shape4 os);
void ecl_avx2_mean_hw_f32(const struct ecl_kctx *kc, const float *in, struct ecl_shape4 is,
                          float *out);

/* int8 (bit-exact with the reference; x86/avx2_int8.c). conv2d_i8 needs the scratch that
 * ecl_avx2_conv2d_i8_scratch asks for (int16 copy of the weights), else it calls the reference. */
void ecl_avx2_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                        const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                        struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                        struct ecl_shape4 os);
/* Plan-time packing of the weights for ecl_avx2_conv2d_i8 (kernels.h: prepack). */
size_t ecl_avx2_conv2d_i8_prepack_bytes(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                        struct ecl_shape4 ws, struct ecl_shape4 os);
void ecl_avx2_conv2d_i8_prepack(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                const int8_t *w, struct ecl_shape4 ws, const int32_t *bias,
                                struct ecl_shape4 os, void *dst);
size_t ecl_avx2_conv2d_i8_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                  struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads);
void ecl_avx2_dwconv_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                        const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                        struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                        struct ecl_shape4 os);
void ecl_avx2_add_i8(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const int8_t *a,
                     struct ecl_shape4 as, const int8_t *b, struct ecl_shape4 bs, int8_t *out,
                     struct ecl_shape4 os);
/* QUANTIZE float -> int8, bit-exact with ecl_ref_quantize_f32_i8 (x86/avx2_quant.c). */
void ecl_avx2_quantize_f32_i8(const struct ecl_kctx *kc, const float *in, int8_t *out, size_t n,
                              float scale, int32_t zp);

/* int8 ADD with 16 lanes (x86/avx512_add.c; AVX-512F/BW/VL); what it does not take goes to
 * ecl_avx2_add_i8. Bit-exact with the reference. */
void ecl_avx512_add_i8(const struct ecl_kctx *kc, const struct ecl_binary_params *p,
                       const int8_t *a, struct ecl_shape4 as, const int8_t *b, struct ecl_shape4 bs,
                       int8_t *out, struct ecl_shape4 os);

/* AVX-512F float CONV_2D / DEPTHWISE_CONV_2D (x86/avx512_conv.c; installed only when the CPU
 * and OS support AVX-512F; shapes they do not handle go to the AVX2 kernels). */
void ecl_avx512_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const float *in, struct ecl_shape4 is, const float *w,
                           struct ecl_shape4 ws, const float *bias, float *out,
                           struct ecl_shape4 os);
size_t ecl_avx512_conv2d_f32_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                     struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads);
/* Plan-time packing of the weights for ecl_avx512_conv2d_f32 (kernels.h: prepack): 1x1 stride-1
 * convs that are not small-K. */
size_t ecl_avx512_conv2d_f32_prepack_bytes(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                           struct ecl_shape4 ws, struct ecl_shape4 os);
void ecl_avx512_conv2d_f32_prepack(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                   const float *w, struct ecl_shape4 ws, const float *bias,
                                   struct ecl_shape4 os, void *dst);
void ecl_avx512_dwconv_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const float *in, struct ecl_shape4 is, const float *w,
                           struct ecl_shape4 ws, const float *bias, float *out,
                           struct ecl_shape4 os);
/* 1 if the CPU has AVX-512F (+VL) and the OS saves the opmask/ZMM state (XCR0 bits 1,2,5,6,7). */
int ecl_opt_have_avx512(void);
/* 1 if ecl_opt_have_avx512() and CPUID also reports AVX512-VNNI (leaf 7 ECX bit 11). */
int ecl_opt_have_avx512_vnni(void);

/* AVX512-VNNI (vpdpbusd) int8 CONV_2D and FULLY_CONNECTED (x86/avx512_vnni.c, x86/avx512_vnni_fc.c;
 * bit-exact with the reference; installed only when ecl_opt_have_avx512_vnni()). conv2d_i8 needs
 * the scratch that ecl_avx512_vnni_conv2d_i8_scratch asks for (packed weights), else it calls the
 * reference; shapes it does not handle go to ecl_avx2_conv2d_i8 (the scratch function then asks for
 * that kernel's scratch). */
void ecl_avx512_vnni_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                               const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                               struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                               struct ecl_shape4 os);
size_t ecl_avx512_vnni_conv2d_i8_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                         struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads);
/* 1 if the CPU has AVX2 and AVX-VNNI (VEX vpdpbusd; CPUID leaf 7.1 EAX bit 4). */
int ecl_opt_have_avx_vnni(void);
/* AVX-VNNI (256-bit) int8 CONV_2D (x86/avx_vnni.c), for CPUs without AVX512-VNNI; same contract
 * as ecl_avx512_vnni_conv2d_i8. */
void ecl_avxvnni_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                           struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                           struct ecl_shape4 os);
size_t ecl_avxvnni_conv2d_i8_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                     struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads);
/* 3x3 int8 depthwise, 32 channels per vector with vpdpwssd (x86/avx512_vnni_dw.c); other shapes
 * go to ecl_avx2_dwconv_i8. */
void ecl_avx512_vnni_dwconv_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                               const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                               struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                               struct ecl_shape4 os);
/* Plan-time packing of the weights for ecl_avx512_vnni_conv2d_i8 (kernels.h: prepack). */
size_t ecl_avx512_vnni_conv2d_i8_prepack_bytes(const struct ecl_conv_params *p,
                                               struct ecl_shape4 is, struct ecl_shape4 ws,
                                               struct ecl_shape4 os);
void ecl_avx512_vnni_conv2d_i8_prepack(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                       const int8_t *w, struct ecl_shape4 ws, const int32_t *bias,
                                       struct ecl_shape4 os, void *dst);
void ecl_avx512_vnni_fc_i8(const struct ecl_kctx *kc, const struct ecl_fc_params *p,
                           const int8_t *in, int32_t batch, int32_t in_dim, const int8_t *w,
                           const int32_t *bias, int8_t *out, int32_t out_dim);

void ecl_neon_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                         const float *in, struct ecl_shape4 is, const float *w,
                         struct ecl_shape4 ws, const float *bias, float *out, struct ecl_shape4 os);
void ecl_neon_dwconv_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                         const float *in, struct ecl_shape4 is, const float *w,
                         struct ecl_shape4 ws, const float *bias, float *out, struct ecl_shape4 os);
void ecl_neon_fc_f32(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const float *in,
                     int32_t batch, int32_t in_dim, const float *w, const float *bias, float *out,
                     int32_t out_dim);
void ecl_neon_add_f32(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const float *a,
                      struct ecl_shape4 as, const float *b, struct ecl_shape4 bs, float *out,
                      struct ecl_shape4 os);

/* AArch64 int8 CONV_2D / FULLY_CONNECTED (arm/neon_i8_body.h; bit-exact with the reference):
 * ecl_neondot_* with SDOT (arm/neon_dot.c, installed when ecl_opt_have_dotprod()), ecl_neon_*
 * with widening multiplies (arm/neon_i8.c, the fallback). conv2d_i8 needs the scratch its
 * *_scratch function asks for (packed weights), else it calls the reference; so do shapes it does
 * not handle (dilation, grouped conv, non-1x1 K > 4608). int8 DEPTHWISE_CONV_2D: ecl_neon_dwconv_i8
 * (arm/neon_dw_i8.c, widening multiply-accumulate, both tables; depth_multiplier != 1 and dilation
 * go to the reference). */
void ecl_neondot_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                           struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                           struct ecl_shape4 os);
size_t ecl_neondot_conv2d_i8_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                     struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads);
void ecl_neondot_fc_i8(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const int8_t *in,
                       int32_t batch, int32_t in_dim, const int8_t *w, const int32_t *bias,
                       int8_t *out, int32_t out_dim);
void ecl_neon_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                        const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                        struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                        struct ecl_shape4 os);
size_t ecl_neon_conv2d_i8_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                  struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads);
void ecl_neon_fc_i8(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const int8_t *in,
                    int32_t batch, int32_t in_dim, const int8_t *w, const int32_t *bias,
                    int8_t *out, int32_t out_dim);
void ecl_neon_dwconv_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                        const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                        struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                        struct ecl_shape4 os);
/* 1 on AArch64 Linux when the kernel reports the dot-product extension (HWCAP_ASIMDDP). */
int ecl_opt_have_dotprod(void);

/* Shapes equal (no broadcasting) - the only case the optimised ADD handles itself. */
static inline int ecl_opt_same_shape(struct ecl_shape4 a, struct ecl_shape4 b) {
    return a.n == b.n && a.h == b.h && a.w == b.w && a.c == b.c;
}

#endif
