/* edgecl extract: images (or a folder with one subfolder per class) -> feature file.
 * Runs the backbone up to the cut layer for every image (cli_images.h); class names come from
 * the folder names and are stored in the file, so `learn` matches classes by name: a later
 * `extract` of a folder with only a new class adds that class instead of relabelling class 0.
 * A file that cannot be read is named and skipped; the feature file is still written with the
 * rest and the exit code is 1, so scripts notice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_images.h"
#include "cli_util.h"
#include "cmds.h"
#include "featfile.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl extract --out F.ecf [options] <image...> | <DIR with one subfolder "
               "per class>\n"
               "  Runs the backbone and writes one latent vector per image (.csv output if F ends "
               "in .csv).\n"
               "  --out F       feature file to write\n"
               "  --label N     label (number, unnamed) for loose images (default -1 = "
               "unlabelled)\n"
               "  --quiet, -q   no progress bar\n");
    cli_images_opts_help(f);
    fprintf(f,
            "  Class folders: each subfolder of DIR is a class, named after the folder (the\n"
            "  name is what learn and predict match).\n"
            "  A subfolder without images is skipped with a warning (it is no class);\n"
            "  files that are not images are named and ignored.\n"
            "  Exit: 0 ok, 1 error or some image skipped (the rest is still written), 2 usage.\n");
}

int cmd_extract(int argc, char **argv) {
    const char *outp = NULL, *v;
    char err[512];
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    struct cli_images_opts o = cli_images_default_opts("extract");
    char **args = calloc((size_t)argc, sizeof *args);
    int nargs = 0, r;
    if (!args) {
        fprintf(stderr, "extract: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if ((r = cli_images_opt(&o, argc, argv, &i)) != 0) {
            if (r < 0) {
                free(args);
                return 2;
            }
        } else if ((v = cli_opt(argc, argv, &i, "--out")))
            outp = v;
        else if ((v = cli_opt(argc, argv, &i, "--label"))) {
            uint32_t l;
            if (cli_parse_u32("--label", v, 0, 1u << 30, &l, err, sizeof err)) {
                fprintf(stderr, "extract: %s\n", err);
                free(args);
                return 2;
            }
            o.loose_label = (int32_t)l;
        } else if (cli_flag(argv, i, "--quiet") || cli_flag(argv, i, "-q"))
            o.quiet = 1;
        else if (argv[i][0] != '-')
            args[nargs++] = argv[i];
        else if (cli_bad_opt("extract", argc, argv, i)) {
            free(args);
            return 2;
        }
    }
    if (!outp || !nargs) {
        fprintf(stderr, "extract: need --out and at least one image or folder (see --help)\n");
        free(args);
        return 2;
    }
    struct featfile ff;
    char **paths;
    uint32_t skipped;
    r = cli_images_extract(&o, args, nargs, &ff, &paths, &skipped);
    free(args);
    if (r) return 1;
    int rc = 0;
    if (featfile_write(outp, &ff, err, sizeof err)) {
        fprintf(stderr, "extract: %s\n", err);
        rc = 1;
    } else {
        fprintf(stderr, "extract: wrote %u vectors of dim %u (%u classes) to %s\n", ff.n, ff.dim,
                ff.n_names, outp);
        if (skipped) {
            fprintf(stderr, "extract: %u file%s skipped (named above)\n", skipped,
                    skipped == 1 ? "" : "s");
            rc = 1;
        }
    }
    cli_images_free_paths(paths, ff.n);
    featfile_free(&ff);
    return rc;
}
