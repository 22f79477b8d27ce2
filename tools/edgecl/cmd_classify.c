/* edgecl classify: run the backbone to its own output and print the top-k classes (index and
 * probability) for each image. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli_util.h"
#include "cmds.h"
#include "fe.h"
#include "image.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl classify [--model M.tflite] [--top K] [--threads N] [--ref]"
               " <image...>\n"
               "  Prints, per image: path, then the K most likely class indices with their\n"
               "  output values (probabilities when the model ends in SOFTMAX). An image that\n"
               "  cannot be read is reported on stderr, the others are still classified, and\n"
               "  the exit status is 1.\n");
}

int cmd_classify(int argc, char **argv) {
    const char *model = NULL, *v;
    uint32_t top = 5, threads = 1;
    int ref = 0, n = 0, rc = 0;
    char err[512];
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    char **imgs = calloc((size_t)argc, sizeof *imgs);
    if (!imgs) {
        fprintf(stderr, "classify: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if ((v = cli_opt(argc, argv, &i, "--model")))
            model = v;
        else if ((v = cli_opt(argc, argv, &i, "--top"))) {
            if (cli_parse_u32("--top", v, 1, 1000000, &top, err, sizeof err)) {
                fprintf(stderr, "classify: %s\n", err);
                free(imgs);
                return 2;
            }
        } else if ((v = cli_opt(argc, argv, &i, "--threads"))) {
            if (cli_parse_u32("--threads", v, 1, 64, &threads, err, sizeof err)) {
                fprintf(stderr, "classify: %s\n", err);
                free(imgs);
                return 2;
            }
        } else if (cli_flag(argv, i, "--ref"))
            ref = 1;
        else if (argv[i][0] != '-')
            imgs[n++] = argv[i];
        else if (cli_bad_opt("classify", argc, argv, i)) {
            free(imgs);
            return 2;
        }
    }
    if (!n) {
        fprintf(stderr, "classify: no images given (see --help)\n");
        free(imgs);
        return 2;
    }
    struct fe_opts fo = fe_default_opts();
    fo.cut = NULL;
    fo.pool = 0;
    fo.threads = (int)threads;
    fo.force_ref = ref;
    struct fe *fe;
    if (fe_open(model ? model : fe_default_model_path(), &fo, &fe, err, sizeof err)) {
        fprintf(stderr, "classify: %s\n", err);
        free(imgs);
        return 1;
    }
    uint32_t d = fe_dim(fe);
    float *out = malloc((size_t)d * sizeof(float));
    if (!out) {
        fprintf(stderr, "classify: out of memory (%u outputs)\n", d);
        fe_close(fe);
        free(imgs);
        return 1;
    }
    if (top > d) top = d;
    for (int i = 0; i < n; i++) {
        uint8_t *rgb;
        int w, h;
        struct stat sb;
        if (stat(imgs[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "classify: %s: is a directory, not an image\n", imgs[i]);
            rc = 1;
            continue;
        }
        if (img_load_file(imgs[i], &rgb, &w, &h, err, sizeof err)) {
            /* img_load_file's message already starts with the path */
            fprintf(stderr, "classify: %s\n", err);
            rc = 1;
            continue;
        }
        enum ecl_status st = fe_extract_rgb8(fe, rgb, w, h, out);
        free(rgb);
        if (st) {
            fprintf(stderr, "classify: %s: %s\n", imgs[i], ecl_status_str(st));
            rc = 1;
            continue;
        }
        printf("%s", imgs[i]);
        /* top-k by repeated selection (k is small) */
        for (uint32_t k = 0; k < top; k++) {
            uint32_t best = 0;
            for (uint32_t j = 1; j < d; j++)
                if (out[j] > out[best]) best = j;
            printf("  %u:%.4f", best, out[best]);
            out[best] = -INFINITY;
        }
        printf("\n");
    }
    free(out);
    fe_close(fe);
    free(imgs);
    return rc;
}
