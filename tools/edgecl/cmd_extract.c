/* edgecl extract: images (or a folder with one subfolder per class) -> feature file.
 * Runs the backbone up to the cut layer for every image; class names come from the folder
 * names (sorted), loose image files get --label (default -1 = unlabelled).
 * A class subfolder without images is skipped with a warning rather than becoming a class with
 * no samples: such a class would still count in the file's class list (and shift every later
 * label), and a learner would then predict a class it has never seen. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "cli_util.h"
#include "cmds.h"
#include "edgecl/port.h"
#include "featfile.h"
#include "fe.h"
#include "image.h"

struct item {
    char *path;
    int32_t label;
};

static int is_image(const char *name) {
    const char *d = strrchr(name, '.');
    return d && (!strcasecmp(d, ".png") || !strcasecmp(d, ".jpg") || !strcasecmp(d, ".jpeg"));
}

static int is_dir(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

static int cmpstr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **v, int n) {
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Sorted names in dir (files or subdirectories); caller frees (free_names). On failure returns
 * NULL with *n = -1 (cannot open the directory) or -2 (out of memory). */
static char **list_dir(const char *dir, int want_dirs, int *n) {
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) {
        *n = -1;
        return NULL;
    }
    char **v = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        int w = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (w < 0 || (size_t)w >= sizeof p) continue; /* path too long: not openable anyway */
        if (want_dirs ? !is_dir(p) : !is_image(e->d_name)) continue;
        char *name = strdup(e->d_name);
        if (name && *n == cap) {
            char **nv = realloc(v, sizeof *v * (size_t)(cap ? 2 * cap : 64));
            if (nv) {
                v = nv;
                cap = cap ? 2 * cap : 64;
            }
        }
        if (!name || *n == cap) {
            free(name);
            free_names(v, *n);
            closedir(d);
            *n = -2;
            return NULL;
        }
        v[(*n)++] = name;
    }
    closedir(d);
    if (*n) qsort(v, (size_t)*n, sizeof *v, cmpstr);
    return v;
}

/* Appends one work item (path copied); 0 on success, -1 out of memory. */
static int add_item(struct item **items, int *n, int *cap, const char *path, int32_t label) {
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 256;
        struct item *ni = realloc(*items, sizeof **items * (size_t)nc);
        if (!ni) return -1;
        *items = ni;
        *cap = nc;
    }
    char *p = strdup(path);
    if (!p) return -1;
    (*items)[*n].path = p;
    (*items)[(*n)++].label = label;
    return 0;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgecl extract [--model M.tflite] [--cut T] --out F.ecf [options]\n"
            "                      <image...> | <DIR with one subfolder per class>\n"
            "  Runs the backbone to tensor T (default %s;\n"
            "  'output' = model output) and writes one latent vector per image (.csv output if F "
            "ends in .csv).\n"
            "  --threads N   kernel threads (default 1)    --no-pool  keep the 4-D tensor\n"
            "  --ref         reference kernels only        --label N  label for loose images\n"
            "  --quiet       no progress bar\n"
            "  Class folders: each subfolder of DIR is a class (sorted by name, labels 0..);\n"
            "  a subfolder without images is skipped with a warning and gets no label.\n",
            FE_CUT_HELP);
}

int cmd_extract(int argc, char **argv) {
    const char *model = NULL, *cut = FE_CUT_DEFAULT, *outp = NULL, *v;
    uint32_t threads = 1;
    int pool = 1, ref = 0, quiet = 0;
    int32_t loose_label = -1;
    char err[512];
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    char **args = calloc((size_t)argc, sizeof *args);
    int nargs = 0;
    if (!args) {
        fprintf(stderr, "extract: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if ((v = cli_opt(argc, argv, &i, "--model")))
            model = v;
        else if ((v = cli_opt(argc, argv, &i, "--cut")))
            cut = v;
        else if ((v = cli_opt(argc, argv, &i, "--out")))
            outp = v;
        else if ((v = cli_opt(argc, argv, &i, "--threads"))) {
            if (cli_parse_u32("--threads", v, 1, 64, &threads, err, sizeof err)) {
                fprintf(stderr, "extract: %s\n", err);
                free(args);
                return 2;
            }
        } else if ((v = cli_opt(argc, argv, &i, "--label"))) {
            uint32_t l;
            if (cli_parse_u32("--label", v, 0, 1u << 30, &l, err, sizeof err)) {
                fprintf(stderr, "extract: %s\n", err);
                free(args);
                return 2;
            }
            loose_label = (int32_t)l;
        } else if (cli_flag(argv, i, "--no-pool"))
            pool = 0;
        else if (cli_flag(argv, i, "--ref"))
            ref = 1;
        else if (cli_flag(argv, i, "--quiet"))
            quiet = 1;
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
    /* collect the work list; every exit below goes through `done` so nothing leaks */
    struct item *items = NULL;
    int n = 0, cap = 0;
    char **classes = NULL, **empty = NULL;
    const char *class_dir = NULL;
    int ncls = 0, nempty = 0, *unreadable = NULL;
    int rc = 0, failed = 0;
    struct fe *fe = NULL;
    float *lat = NULL;
    struct featfile ff;
    int ff_live = 0;
    for (int a = 0; a < nargs && !rc; a++) {
        if (is_dir(args[a])) {
            if (class_dir) {
                fprintf(stderr, "extract: only one class folder can be given\n");
                rc = 2;
                break;
            }
            class_dir = args[a];
            int nsub;
            char **sub = list_dir(args[a], 1, &nsub);
            if (nsub <= 0) {
                fprintf(stderr, "extract: %s %s\n", args[a],
                        nsub == -2   ? "cannot be listed (out of memory)"
                        : nsub == -1 ? "cannot be read"
                                     : "has no class subfolders");
                rc = 1;
                break;
            }
            /* classes: the subfolders with images, labelled in sorted order; empty: the rest */
            classes = calloc((size_t)nsub, sizeof *classes);
            empty = calloc((size_t)nsub, sizeof *empty);
            unreadable = calloc((size_t)nsub, sizeof *unreadable);
            for (int c = 0; c < nsub && classes && empty && unreadable && !rc; c++) {
                char dir[4096];
                snprintf(dir, sizeof dir, "%s/%s", args[a], sub[c]);
                int nf;
                char **files = list_dir(dir, 0, &nf);
                if (nf == -2) rc = 1;
                if (nf <= 0) {
                    unreadable[nempty] = nf == -1;
                    empty[nempty++] = sub[c];
                    sub[c] = NULL;
                    continue;
                }
                for (int k = 0; k < nf && !rc; k++) {
                    char p[8192];
                    snprintf(p, sizeof p, "%s/%s", dir, files[k]);
                    if (add_item(&items, &n, &cap, p, ncls)) rc = 1;
                }
                free_names(files, nf);
                classes[ncls++] = sub[c];
                sub[c] = NULL;
            }
            if (!classes || !empty || !unreadable) rc = 1;
            free_names(sub, nsub); /* the names not moved to classes / empty */
            if (rc) fprintf(stderr, "extract: out of memory\n");
        } else if (add_item(&items, &n, &cap, args[a], loose_label)) {
            fprintf(stderr, "extract: out of memory\n");
            rc = 1;
        }
    }
    /* empty class folders: a warning each, unless nothing at all was found (error below) */
    for (int c = 0; c < nempty && !rc && n; c++)
        fprintf(stderr, "extract: warning: class folder %s/%s %s; skipped\n", class_dir, empty[c],
                unreadable[c] ? "cannot be read" : "has no images (.png, .jpg, .jpeg)");
    free(args);
    if (rc) goto done;
    if (!n) {
        if (class_dir)
            fprintf(stderr,
                    "extract: no images found in the class folders of %s (.png, .jpg, "
                    ".jpeg)\n",
                    class_dir);
        else
            fprintf(stderr, "extract: no images found (.png, .jpg, .jpeg)\n");
        rc = 1;
        goto done;
    }
    struct fe_opts fo = fe_default_opts();
    fo.cut = strcmp(cut, "output") ? cut : NULL;
    fo.threads = (int)threads;
    fo.force_ref = ref;
    fo.pool = pool;
    if (fe_open(model ? model : fe_default_model_path(), &fo, &fe, err, sizeof err)) {
        fprintf(stderr, "extract: %s\n", err);
        fe = NULL;
        rc = 1;
        goto done;
    }
    featfile_init(&ff, fe_dim(fe));
    ff_live = 1;
    for (int c = 0; c < ncls; c++)
        if (featfile_set_name(&ff, c, classes[c]))
            fprintf(stderr, "extract: warning: class name '%s' not stored\n", classes[c]);
    lat = malloc(fe_dim(fe) * sizeof(float));
    if (!lat) {
        fprintf(stderr, "extract: out of memory\n");
        rc = 1;
        goto done;
    }
    uint64_t t0 = ecl_port_now_ns();
    int bar_shown = 0;
    for (int i = 0; i < n; i++) {
        uint8_t *rgb;
        int w, h;
        if (img_load_file(items[i].path, &rgb, &w, &h, err, sizeof err)) {
            /* img_load_file's message already names the file */
            fprintf(stderr, "%sextract: skipping %s\n", bar_shown ? "\n" : "", err);
            bar_shown = 0;
            failed++;
            continue;
        }
        enum ecl_status st = fe_extract_rgb8(fe, rgb, w, h, lat);
        free(rgb);
        if (st == ECL_OK) st = featfile_append(&ff, lat, items[i].label); /* OOM, range */
        if (st) {
            fprintf(stderr, "%sextract: %s: %s\n", bar_shown ? "\n" : "", items[i].path,
                    ecl_status_str(st));
            rc = 1;
            break;
        }
        if (!quiet) {
            double el = (double)(ecl_port_now_ns() - t0) / 1e9;
            int bar = (int)(30.0 * (i + 1) / n);
            fprintf(stderr, "\r[%.*s%*s] %d/%d  %.1f img/s ", bar, "##############################",
                    30 - bar, "", i + 1, n, (i + 1) / el);
            bar_shown = 1;
        }
    }
    if (bar_shown) fprintf(stderr, "\n");
    if (!rc && !ff.n) {
        fprintf(stderr, "extract: no image could be read; %s not written\n", outp);
        rc = 1;
    } else if (!rc) {
        if (featfile_write(outp, &ff, err, sizeof err)) {
            fprintf(stderr, "extract: %s\n", err);
            rc = 1;
        } else {
            fprintf(stderr, "extract: wrote %u vectors of dim %u (%d classes) to %s%s\n", ff.n,
                    ff.dim, ncls, outp, failed ? " (some images skipped)" : "");
        }
    }
done:
    if (ff_live) featfile_free(&ff);
    free(lat);
    if (fe) fe_close(fe);
    for (int i = 0; i < n; i++)
        free(items[i].path);
    free(items);
    free_names(classes, ncls);
    free_names(empty, nempty);
    free(unreadable);
    return rc;
}
