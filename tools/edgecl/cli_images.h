/* tools/edgecl/cli_images.h - images or class folders in, labelled latents out: the backbone
 * step shared by `extract`, `learn` and `predict` (which take images directly).
 *
 * Arguments are image files (label: o->loose_label, unnamed) or one folder with one subfolder
 * per class (class = subfolder name; labels 0.. in sorted order, named in the feature file).
 * In a class folder every file named like an image (.png .jpg .jpeg .bmp .gif .webp .tif .tiff
 * .ppm .pgm .pnm .heic .heif .avif, any case) or without an extension is decoded (the decoder
 * recognises the format by its bytes); other files (notes.txt) are named on stderr ("note:
 * ignoring <path> (not an image)") and are no error. An image that cannot be decoded (such a
 * file, or any file named on the command line) is named ("<cmd>: skipping <path>: <reason>")
 * and counted in *skipped; callers finish their work with the rest and exit non-zero when
 * *skipped > 0. A class folder left without a readable image is no class (warning; labels stay
 * contiguous).
 *
 *     struct cli_images_opts o = cli_images_default_opts("learn");
 *     struct featfile ff; char **paths; uint32_t skipped;
 *     if (cli_images_extract(&o, args, nargs, &ff, &paths, &skipped)) return 1;
 *     ... ff.x / ff.y / ff.names, paths[i] = image of record i ...
 *     cli_images_free_paths(paths, ff.n); featfile_free(&ff);
 */
#ifndef EDGECL_CLI_IMAGES_H
#define EDGECL_CLI_IMAGES_H

#include <stdint.h>
#include <stdio.h>
#include "featfile.h"
#include "fe.h"

struct cli_images_opts {
    const char *cmd;   /* prefix of messages */
    const char *model; /* NULL: fe_default_model_path() */
    const char *cut;   /* FE_CUT_DEFAULT, "output", or a tensor name */
    uint32_t threads;  /* 0: ecl_port_cpu_count() */
    int pool, ref, quiet;
    int32_t loose_label;   /* label of loose image files (-1 = unlabelled) */
    int has_mean, has_std; /* --mean / --std given (fe_opts.has_norm) */
    float mean, std;
};

struct cli_images_opts cli_images_default_opts(const char *cmd);
/* Help lines for --model/--cut/--threads/--ref (shared by the commands that take images). */
void cli_images_opts_help(FILE *f);
/* Tries to consume one backbone option at argv[*i]: 1 consumed, 0 not one, -1 bad value
 * (message printed). */
int cli_images_opt(struct cli_images_opts *o, int argc, char **argv, int *i);
/* --mean M / --std S (value = (pixel - M) / S): 1 consumed, 0 not one, -1 bad value. Shared
 * with classify, which parses its own options. */
int cli_norm_opt(const char *cmd, int argc, char **argv, int *i, int *has_mean, float *mean,
                 int *has_std, float *std);
/* fo's has_norm/mean/std from the flags; -1 (message printed) if only one of them was given. */
int cli_norm_apply(struct fe_opts *fo, const char *cmd, int has_mean, float mean, int has_std,
                   float std);
/* Returns 0 and fills ff (featfile_init'ed; free with featfile_free) and paths (malloc'd, one
 * per record), or 1 after printing why. */
int cli_images_extract(const struct cli_images_opts *o, char **args, int nargs, struct featfile *ff,
                       char ***paths, uint32_t *skipped);
void cli_images_free_paths(char **paths, uint32_t n);
/* "a/b" from dir "a/" or "a" and name "b": no doubled slash. */
void cli_path_join(char *out, size_t len, const char *dir, const char *name);

#endif
