/* Kernel dispatch: the reference table, optionally overridden by the optimised kernels.
 * The choice is made once, when the interpreter is initialised (see kernels.h for why the opt
 * hook is found through a header rather than a weak symbol). */
#include "kernels/kernels.h"

#if defined(__has_include) && !defined(ECL_NO_OPT_KERNELS)
#if __has_include("kernels/opt/opt.h")
#include "kernels/opt/opt.h"
#define ECL_HAVE_OPT_KERNELS 1
#endif
#endif

struct ecl_kernels ecl_kernels_ref(void) {
    struct ecl_kernels k = {
        .name = "ref",
        .conv2d_f32 = ecl_ref_conv2d_f32,
        .conv2d_f32_scratch = 0,
        .conv2d_i8 = ecl_ref_conv2d_i8,
        .conv2d_i8_scratch = 0,
        .dwconv_f32 = ecl_ref_dwconv_f32,
        .dwconv_i8 = ecl_ref_dwconv_i8,
        .fc_f32 = ecl_ref_fc_f32,
        .fc_i8 = ecl_ref_fc_i8,
        .avgpool_f32 = ecl_ref_avgpool_f32,
        .maxpool_f32 = ecl_ref_maxpool_f32,
        .avgpool_i8 = ecl_ref_avgpool_i8,
        .maxpool_i8 = ecl_ref_maxpool_i8,
        .add_f32 = ecl_ref_add_f32,
        .mul_f32 = ecl_ref_mul_f32,
        .add_i8 = ecl_ref_add_i8,
        .mul_i8 = ecl_ref_mul_i8,
        .mean_hw_f32 = ecl_ref_mean_hw_f32,
        .softmax_f32 = ecl_ref_softmax_f32,
        .hard_swish_f32 = ecl_ref_hard_swish_f32,
        .logistic_f32 = ecl_ref_logistic_f32,
        .quantize_f32_i8 = ecl_ref_quantize_f32_i8_kc,
    };
    return k;
}

struct ecl_kernels ecl_kernels_best(void) {
    struct ecl_kernels k = ecl_kernels_ref();
#ifdef ECL_HAVE_OPT_KERNELS
    ecl_kernels_opt_install(&k);
#endif
    return k;
}
