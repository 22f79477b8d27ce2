/* edgecl classify: run the backbone to its own output and print the top-k classes (index and
 * probability, and the class name with --labels) for each image. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli_images.h"
#include "cli_util.h"
#include "cmds.h"
#include "fe.h"
#include "image.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl classify [--model M.tflite] [--labels L.txt] [--top K] [--json]\n"
               "                       [--threads N] [--ref] [--mean M --std S] <image...>\n"
               "  Prints, per image: path, then the K most likely class indices with their\n"
               "  output values (probabilities when the model ends in SOFTMAX). An image that\n"
               "  cannot be read is reported on stderr, the others are still classified, and\n"
               "  the exit status is 1.\n"
               "  --labels L.txt  class names, one per line, line 1 = output 0 (e.g. ImageNet\n"
               "                  labels with 'background' first for 1001-output models); the\n"
               "                  top K are then printed one per line: probability, name, index\n"
               "  --json          [{\"image\":..,\"top\":[{\"index\":..,\"label\":..,\"p\":..}]}]\n"
               "  --top K         how many classes (default 5)\n"
               "  --mean M --std S  input normalisation value = (pixel - M) / S (default: the\n"
               "                  model's TFLite metadata, else (x - 127.5) / 127.5; uint8/int8\n"
               "                  models take raw pixels unless these are given)\n"
               "  Images: PNG, JPEG, BMP.\n");
}

/* Reads one name per line (CR/LF stripped); *n names in a malloc'd array of malloc'd strings. */
static char **read_labels(const char *path, uint32_t *n, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    *n = 0;
    if (!f) {
        snprintf(err, errlen, "%s: cannot open the labels file", path);
        return NULL;
    }
    char **v = NULL, line[1024];
    uint32_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) break;
            v = nv;
        }
        if (!(v[*n] = strdup(line))) break;
        (*n)++;
    }
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (bad || !*n) {
        snprintf(err, errlen, "%s: %s", path, bad ? "cannot read (or out of memory)" : "no labels");
        for (uint32_t i = 0; i < *n; i++)
            free(v[i]);
        free(v);
        *n = 0;
        return NULL;
    }
    return v;
}

int cmd_classify(int argc, char **argv) {
    const char *model = NULL, *labels_path = NULL, *v;
    uint32_t top = 5, threads = 1, n_labels = 0;
    int ref = 0, n = 0, rc = 0, json = 0, n_out = 0, nk, has_mean = 0, has_std = 0;
    float mean = 0, sd = 1;
    char **labels = NULL;
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
        } else if ((v = cli_opt(argc, argv, &i, "--labels")))
            labels_path = v;
        else if ((nk = cli_norm_opt("classify", argc, argv, &i, &has_mean, &mean, &has_std, &sd))) {
            if (nk < 0) {
                free(imgs);
                return 2;
            }
        } else if (cli_flag(argv, i, "--json"))
            json = 1;
        else if (cli_flag(argv, i, "--ref"))
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
    if (labels_path && !(labels = read_labels(labels_path, &n_labels, err, sizeof err))) {
        fprintf(stderr, "classify: %s\n", err);
        free(imgs);
        return 1;
    }
    struct fe_opts fo = fe_default_opts();
    fo.cut = NULL;
    if (cli_norm_apply(&fo, "classify", has_mean, mean, has_std, sd)) {
        free(imgs);
        return 2;
    }
    fo.pool = 0;
    fo.threads = (int)threads;
    fo.force_ref = ref;
    struct fe *fe;
    float *out = NULL;
    if (fe_open(model ? model : fe_default_model_path(), &fo, &fe, err, sizeof err)) {
        fprintf(stderr, "classify: %s\n", err);
        fe = NULL;
        rc = 1;
        goto done;
    }
    uint32_t d = fe_dim(fe);
    out = malloc((size_t)d * sizeof(float));
    if (!out) {
        fprintf(stderr, "classify: out of memory (%u outputs)\n", d);
        rc = 1;
        goto done;
    }
    if (labels && n_labels != d)
        fprintf(stderr,
                "classify: warning: %s has %u names but the model has %u outputs%s; names may "
                "be shifted\n",
                labels_path, n_labels, d,
                n_labels + 1 == d ? " (a 1001-output model wants 'background' first)" : "");
    if (json) printf("[");
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
        if (json) {
            printf("%s\n{\"image\":", n_out++ ? "," : "");
            cli_json_str(stdout, imgs[i]);
            printf(",\"top\":[");
        } else {
            printf("%s", imgs[i]);
        }
        /* top-k by repeated selection (k is small) */
        for (uint32_t k = 0; k < top; k++) {
            uint32_t best = 0;
            for (uint32_t j = 1; j < d; j++)
                if (out[j] > out[best]) best = j;
            const char *nm = best < n_labels ? labels[best] : NULL;
            if (json) {
                printf("%s{\"index\":%u,\"label\":", k ? "," : "", best);
                if (nm)
                    cli_json_str(stdout, nm);
                else
                    printf("null");
                printf(",\"p\":");
                cli_json_num(stdout, out[best]);
                printf("}");
            } else if (labels) {
                printf("\n  %.4f  %s (%u)", out[best], nm ? nm : "?", best);
            } else {
                printf("  %u:%.4f", best, out[best]);
            }
            out[best] = -INFINITY;
        }
        printf(json ? "]}" : "\n");
    }
    if (json) printf("%s]\n", n_out ? "\n" : "");
done:
    free(out);
    if (fe) fe_close(fe);
    for (uint32_t i = 0; i < n_labels; i++)
        free(labels[i]);
    free(labels);
    free(imgs);
    return rc;
}
