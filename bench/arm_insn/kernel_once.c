/* One int8 kernel call on AArch64, for counting the instructions it executes under qemu-user
 * (bench/arm_insn/insn_count.sh; no timing: qemu's speed says nothing about an ARM core's).
 *   kernel_once TABLE LAYER CALLS
 * TABLE: ref | neon | neondot; LAYER: pw (1x1 conv 14x14x96 -> 24, MobileNetV2's block-4
 * project), exp (1x1 conv 7x7x160 -> 960, an expand), s2 (3x3 stride-2 conv 17x17x16 -> 32,
 * SAME), dw (3x3 DEPTHWISE_CONV_2D 14x14x144, SAME), fc (FULLY_CONNECTED 1280 -> 1001); CALLS: 0 or
 * 1 kernel calls (the script subtracts the 0-call count: the rest of the program is the same).
 * Prints a checksum of the output, which the script compares across tables (same inputs: the
 * kernels are bit-exact). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/opt/opt.h"

static unsigned rs = 12345u;
static int rnd8(void) {
    rs = rs * 1103515245u + 12345u;
    return (int)((rs >> 16) & 0xff) - 128;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: kernel_once ref|neon|neondot pw|exp|s2|dw|fc 0|1\n");
        return 2;
    }
    const char *tab = argv[1], *layer = argv[2];
    int calls = atoi(argv[3]);
    struct ecl_kernels k = ecl_kernels_ref();
    if (!strcmp(tab, "neon")) {
        k.conv2d_i8 = ecl_neon_conv2d_i8, k.conv2d_i8_scratch = ecl_neon_conv2d_i8_scratch;
        k.fc_i8 = ecl_neon_fc_i8, k.dwconv_i8 = ecl_neon_dwconv_i8;
    } else if (!strcmp(tab, "neondot")) {
        if (!ecl_opt_have_dotprod()) {
            fprintf(stderr, "kernel_once: no dot-product extension\n");
            return 77;
        }
        k.conv2d_i8 = ecl_neondot_conv2d_i8, k.conv2d_i8_scratch = ecl_neondot_conv2d_i8_scratch;
        k.fc_i8 = ecl_neondot_fc_i8, k.dwconv_i8 = ecl_neon_dwconv_i8;
    } else if (strcmp(tab, "ref") != 0) {
        fprintf(stderr, "kernel_once: unknown table '%s'\n", tab);
        return 2;
    }
    struct ecl_shape4 is, ws, os;
    struct ecl_conv_params p = {0};
    p.stride_h = p.stride_w = p.dil_h = p.dil_w = 1;
    int fc = !strcmp(layer, "fc"), dw = !strcmp(layer, "dw");
    if (!strcmp(layer, "pw")) {
        is = (struct ecl_shape4){1, 14, 14, 96}, ws = (struct ecl_shape4){24, 1, 1, 96};
        os = (struct ecl_shape4){1, 14, 14, 24};
    } else if (!strcmp(layer, "exp")) {
        is = (struct ecl_shape4){1, 7, 7, 160}, ws = (struct ecl_shape4){960, 1, 1, 160};
        os = (struct ecl_shape4){1, 7, 7, 960};
    } else if (!strcmp(layer, "s2")) {
        is = (struct ecl_shape4){1, 17, 17, 16}, ws = (struct ecl_shape4){32, 3, 3, 16};
        os = (struct ecl_shape4){1, 9, 9, 32};
        p.stride_h = p.stride_w = 2, p.pad_top = p.pad_left = 1;
    } else if (dw) {
        is = (struct ecl_shape4){1, 14, 14, 144}, ws = (struct ecl_shape4){1, 3, 3, 144};
        os = (struct ecl_shape4){1, 14, 14, 144};
        p.pad_top = p.pad_left = 1, p.depth_multiplier = 1;
    } else if (fc) {
        is = (struct ecl_shape4){1, 1, 1, 1280}, ws = (struct ecl_shape4){1001, 1, 1, 1280};
        os = (struct ecl_shape4){1, 1, 1, 1001};
    } else {
        fprintf(stderr, "kernel_once: unknown layer '%s'\n", layer);
        return 2;
    }
    size_t ni = ecl_shape4_count(is), nw = ecl_shape4_count(ws), no = ecl_shape4_count(os);
    int8_t *in = malloc(ni), *w = malloc(nw), *o = malloc(no);
    int32_t *bias = malloc(sizeof(int32_t) * os.c), *m = malloc(sizeof(int32_t) * os.c);
    int32_t *sh = malloc(sizeof(int32_t) * os.c);
    if (!in || !w || !o || !bias || !m || !sh) return 1;
    memset(o, 0, no);
    for (size_t i = 0; i < ni; i++)
        in[i] = (int8_t)rnd8();
    for (size_t i = 0; i < nw; i++)
        w[i] = (int8_t)rnd8();
    for (int c = 0; c < os.c; c++) {
        bias[c] = rnd8() * 64;
        ecl_quantize_multiplier(0.0004 + 0.0001 * (c % 7), &m[c], &sh[c]);
    }
    p.in_zp = -3, p.out_zp = 5, p.w_zp = 0, p.act_min_q = -128, p.act_max_q = 127;
    p.out_mult = m, p.out_shift = sh;
    struct ecl_fc_params fp = {0};
    fp.in_zp = p.in_zp, fp.out_zp = p.out_zp, fp.act_min_q = -128, fp.act_max_q = 127;
    fp.out_mult = m, fp.out_shift = sh, fp.per_channel = 1;
    size_t need = k.conv2d_i8_scratch && !fc && !dw ? k.conv2d_i8_scratch(&p, is, ws, os, 1) : 0;
    struct ecl_kctx kc = {0};
    kc.scratch = need ? aligned_alloc(64, (need + 63) & ~(size_t)63) : NULL;
    kc.scratch_bytes = need;
    for (int c = 0; c < calls; c++) {
        if (fc)
            k.fc_i8(&kc, &fp, in, 1, is.c, w, bias, o, os.c);
        else if (dw)
            k.dwconv_i8(&kc, &p, in, is, w, ws, bias, o, os);
        else
            k.conv2d_i8(&kc, &p, in, is, w, ws, bias, o, os);
    }
    unsigned sum = 0;
    for (size_t i = 0; i < no; i++) /* in both runs, so that the difference is the kernel's */
        sum = sum * 31u + (uint8_t)o[i];
    printf("%s %s macs %zu checksum %08x\n", tab, layer,
           (size_t)os.n * os.h * os.w * os.c *
               (fc   ? (size_t)is.c
                : dw ? (size_t)ws.h * ws.w
                     : (size_t)ws.h * ws.w * ws.c),
           sum);
    return 0;
}
