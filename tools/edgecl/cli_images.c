/* Images and class folders through the backbone (cli_images.h). Why every file of a class
 * folder is tried rather than filtered by extension: a filter drops files silently (a .bmp or a
 * misnamed .JPG would vanish from the count); trying them names each one that fails. */
#define _DEFAULT_SOURCE
#include "cli_images.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "cli_images_run.h"
#include "cli_util.h"
#include "edgecl/port.h"
#include "fe.h"
#include "image.h"

struct item {
    char *path;
    int32_t label;
    int in_folder; /* from a class folder (else given by name) */
};

struct cli_images_opts cli_images_default_opts(const char *cmd) {
    struct cli_images_opts o = {cmd, NULL, FE_CUT_DEFAULT, 0, 1, 0, 0, -1, 0, 0, 0.0f, 1.0f};
    return o;
}

void cli_images_opts_help(FILE *f) {
    fprintf(f,
            "  --model M     backbone .tflite (default %s)\n"
            "  --cut T       cut tensor (default %s;\n"
            "                'output' = model output)\n"
            "  --threads N   threads (default: one per core): whole images in parallel, one\n"
            "                backbone each (a lone image: threads inside it); same results\n"
            "  --no-pool     keep the 4-D tensor\n"
            "  --ref         reference kernels only\n"
            "  --mean M --std S  input normalisation value = (pixel - M) / S (default: the\n"
            "                model's TFLite metadata, else as `edgecl inspect` says; uint8/int8\n"
            "                models take raw pixels unless these are given)\n"
            "  Images: PNG, JPEG, BMP (and whatever else the image loader decodes), recognised by\n"
            "  their bytes; larger than %d pixels on a side is refused. A file that cannot be\n"
            "  read is named and skipped; the command then exits 1 after doing the rest.\n",
            fe_default_model_path(), FE_CUT_HELP, IMG_MAX_SIDE);
}

int cli_images_opt(struct cli_images_opts *o, int argc, char **argv, int *i) {
    const char *v;
    char err[256];
    if ((v = cli_opt(argc, argv, i, "--model")))
        o->model = v;
    else if ((v = cli_opt(argc, argv, i, "--cut")))
        o->cut = v;
    else if ((v = cli_opt(argc, argv, i, "--threads"))) {
        if (cli_parse_u32("--threads", v, 1, 64, &o->threads, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", o->cmd, err);
            return -1;
        }
    } else if (cli_flag(argv, *i, "--no-pool"))
        o->pool = 0;
    else if (cli_flag(argv, *i, "--ref"))
        o->ref = 1;
    else
        return cli_norm_opt(o->cmd, argc, argv, i, &o->has_mean, &o->mean, &o->has_std, &o->std);
    return 1;
}

int cli_norm_opt(const char *cmd, int argc, char **argv, int *i, int *has_mean, float *mean,
                 int *has_std, float *std) {
    const char *v;
    char err[256];
    int is_mean = 0;
    if ((v = cli_opt(argc, argv, i, "--mean")))
        is_mean = 1;
    else if (!(v = cli_opt(argc, argv, i, "--std")))
        return 0;
    if (cli_parse_f32(is_mean ? "--mean" : "--std", v, is_mean ? -1e6f : 1e-6f, 1e6f,
                      is_mean ? mean : std, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return -1;
    }
    *(is_mean ? has_mean : has_std) = 1;
    return 1;
}

int cli_norm_apply(struct fe_opts *fo, const char *cmd, int has_mean, float mean, int has_std,
                   float std) {
    if (has_mean != has_std) {
        fprintf(stderr, "%s: --mean and --std go together (value = (pixel - mean) / std)\n", cmd);
        return -1;
    }
    fo->has_norm = has_mean;
    fo->mean = mean;
    fo->std = std;
    return 0;
}

void cli_path_join(char *out, size_t len, const char *dir, const char *name) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    snprintf(out, len, "%.*s/%s", (int)n, dir, name);
}

/* A name that says "image" (then a decode failure is an error, not a stray file). */
static int has_image_ext(const char *path) {
    static const char *const ext[] = {".png", ".jpg",  ".jpeg", ".bmp", ".gif", ".webp",
                                      ".tif", ".tiff", ".ppm",  ".pgm", ".pnm"};
    const char *d = strrchr(path, '.'), *sl = strrchr(path, '/');
    if (!d || (sl && d < sl)) return 0;
    for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++)
        if (!strcasecmp(d, ext[k])) return 1;
    return 0;
}

static int is_dir(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

static int cmpstr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **v, int n) {
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Sorted names in dir (subdirectories, or everything else that is not hidden); caller frees.
 * On failure returns NULL with *n = -1 (cannot open the directory) or -2 (out of memory). */
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
        cli_path_join(p, sizeof p, dir, e->d_name);
        if (want_dirs != is_dir(p)) continue;
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

static int add_item(struct item **items, int *n, int *cap, const char *path, int32_t label,
                    int in_folder) {
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
    (*items)[*n].in_folder = in_folder;
    (*items)[(*n)++].label = label;
    return 0;
}

/* Messages about the class folders, printed once the work list is known: if it is empty, one
 * error line says so instead (with how many files were ignored). */
struct notes {
    char **v;
    int n, cap, ignored;
};

static int note(struct notes *nt, const char *fmt, const char *a, const char *b) {
    char buf[8400];
    snprintf(buf, sizeof buf, fmt, a, b);
    if (nt->n == nt->cap) {
        int nc = nt->cap ? 2 * nt->cap : 16;
        char **nv = realloc(nt->v, (size_t)nc * sizeof *nv);
        if (!nv) return 1;
        nt->v = nv;
        nt->cap = nc;
    }
    return !(nt->v[nt->n++] = strdup(buf));
}

/* Scans one class folder: image files (by name; files without an extension too) become work
 * items with label *ncls, other files are noted as ignored. Returns 0, 1 (OOM) or 2 (usage). */
static int scan_class(const struct cli_images_opts *o, const char *dir, const char *name,
                      struct item **items, int *n, int *cap, int *ncls, struct featfile *ff,
                      struct notes *nt) {
    int nf, rc = 0, added = 0;
    char **files = list_dir(dir, 0, &nf);
    if (nf == -2) return 1;
    if (strlen(name) >= FEATFILE_NAME_MAX) {
        fprintf(stderr, "%s: class folder name '%s' is longer than %d bytes\n", o->cmd, name,
                FEATFILE_NAME_MAX - 1);
        free_names(files, nf);
        return 2;
    }
    for (int k = 0; k < nf && !rc; k++) {
        char p[8192];
        cli_path_join(p, sizeof p, dir, files[k]);
        if (has_image_ext(files[k]) || !strchr(files[k], '.')) {
            rc = add_item(items, n, cap, p, *ncls, 1) ? 1 : 0;
            added++;
        } else {
            nt->ignored++;
            rc = note(nt, "note: ignoring %s%s (not an image)", p, "");
        }
    }
    free_names(files, nf);
    if (rc) return rc;
    if (!added) /* no class number for it: an empty class would shift later labels */
        return note(nt, "warning: class folder %s %s; skipped", dir,
                    nf == -1 ? "cannot be read" : "has no images");
    if (featfile_set_name(ff, *ncls, name)) return 1;
    (*ncls)++;
    return 0;
}

/* The work list: loose files and the files of one class folder. Returns 0, or 1/2 (printed). */
static int collect(const struct cli_images_opts *o, char **args, int nargs, struct item **items,
                   int *n, struct featfile *ff) {
    int cap = 0, rc = 0, ncls = 0;
    const char *class_dir = NULL;
    struct notes nt = {NULL, 0, 0, 0};
    for (int a = 0; a < nargs && !rc; a++) {
        if (!is_dir(args[a])) {
            if (add_item(items, n, &cap, args[a], o->loose_label, 0)) rc = 1;
            continue;
        }
        if (class_dir) {
            fprintf(stderr, "%s: only one class folder can be given\n", o->cmd);
            rc = 2;
            break;
        }
        class_dir = args[a];
        int nsub;
        char **sub = list_dir(args[a], 1, &nsub);
        if (nsub <= 0) {
            fprintf(stderr, "%s: %s %s\n", o->cmd, args[a],
                    nsub == -2   ? "cannot be listed (out of memory)"
                    : nsub == -1 ? "cannot be read"
                                 : "has no class subfolders (photos/<class>/<image>)");
            rc = 1;
            break;
        }
        for (int c = 0; c < nsub && !rc; c++) {
            char dir[4096];
            cli_path_join(dir, sizeof dir, args[a], sub[c]);
            rc = scan_class(o, dir, sub[c], items, n, &cap, &ncls, ff, &nt);
            if (rc == 1) fprintf(stderr, "%s: out of memory\n", o->cmd);
        }
        free_names(sub, nsub);
    }
    if (!rc && !*n) {
        char extra[64] = "";
        if (nt.ignored)
            snprintf(extra, sizeof extra, " (%d other file%s ignored)", nt.ignored,
                     nt.ignored == 1 ? "" : "s");
        fprintf(stderr, "%s: no images found%s%s%s\n", o->cmd,
                class_dir ? " in the class folders of " : "", class_dir ? class_dir : "", extra);
        rc = 1;
    }
    for (int k = 0; k < nt.n; k++) {
        if (!rc) fprintf(stderr, "%s: %s\n", o->cmd, nt.v[k]);
        free(nt.v[k]);
    }
    free(nt.v);
    return rc;
}

/* Class folders whose files all failed: not a class (a name without samples would shift every
 * later label); labels renumbered 0.. over the classes that remain. */
static int drop_empty_classes(const struct cli_images_opts *o, struct featfile *ff) {
    uint32_t nn = ff->n_names, k = 0;
    if (!nn) return 0;
    int32_t *to = calloc(nn, sizeof *to);
    char(*names)[FEATFILE_NAME_MAX] = calloc(nn, sizeof *names);
    if (!to || !names) {
        free(to);
        free(names);
        return 1;
    }
    for (uint32_t i = 0; i < ff->n; i++)
        if (ff->y[i] >= 0 && (uint32_t)ff->y[i] < nn) to[ff->y[i]] = 1;
    for (uint32_t c = 0; c < nn; c++) {
        if (!to[c]) {
            fprintf(stderr,
                    "%s: warning: class folder %s has no images that could be read; "
                    "skipped\n",
                    o->cmd, ff->names[c]);
            to[c] = -1;
            continue;
        }
        memcpy(names[k], ff->names[c], FEATFILE_NAME_MAX);
        to[c] = (int32_t)k++;
    }
    for (uint32_t i = 0; i < ff->n; i++)
        if (ff->y[i] >= 0 && (uint32_t)ff->y[i] < nn) ff->y[i] = to[ff->y[i]];
    memcpy(ff->names, names, (size_t)nn * sizeof *names);
    ff->n_names = k;
    free(to);
    free(names);
    return 0;
}

int cli_images_extract(const struct cli_images_opts *o, char **args, int nargs, struct featfile *ff,
                       char ***paths_out, uint32_t *skipped) {
    struct item *items = NULL;
    int n = 0, rc;
    char err[512];
    char **paths = NULL, **files = NULL;
    struct img_run run = {0};
    *skipped = 0;
    *paths_out = NULL;
    featfile_init(ff, 0);
    rc = collect(o, args, nargs, &items, &n, ff);
    if (rc) goto done;
    struct fe_opts fo = fe_default_opts();
    fo.cut = strcmp(o->cut, "output") ? o->cut : NULL;
    fo.force_ref = o->ref;
    fo.pool = o->pool;
    if (cli_norm_apply(&fo, o->cmd, o->has_mean, o->mean, o->has_std, o->std)) {
        rc = 2;
        goto done;
    }
    paths = calloc((size_t)n + 1, sizeof *paths);
    files = calloc((size_t)n + 1, sizeof *files);
    if (!paths || !files) {
        fprintf(stderr, "%s: out of memory\n", o->cmd);
        rc = 1;
        goto done;
    }
    for (int i = 0; i < n; i++)
        files[i] = items[i].path;
    /* whole images on the threads, one backbone each; results come back in files' order */
    int threads = o->threads ? (int)o->threads : ecl_port_cpu_count();
    if (img_run(o->model ? o->model : fe_default_model_path(), &fo, threads, files, n, o->quiet,
                &run, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", o->cmd, err);
        rc = 1;
        goto done;
    }
    ff->dim = run.dim;
    for (int i = 0; i < n; i++) {
        enum ecl_status ls = run.load[i];
        if (ls == ECL_EFORMAT && !has_image_ext(items[i].path) && items[i].in_folder) {
            /* a stray file in a class folder (notes.txt): said, not an error */
            fprintf(stderr, "%s: note: ignoring %s (not an image)\n", o->cmd, items[i].path);
            continue;
        }
        if (ls) {
            /* img_load_file's message already names the file */
            fprintf(stderr, "%s: skipping %s\n", o->cmd, run.err[i]);
            (*skipped)++;
            continue;
        }
        enum ecl_status st = run.st[i];
        if (st == ECL_OK) /* OOM, range */
            st = featfile_append(ff, run.lat + (size_t)i * run.dim, items[i].label);
        if (st) {
            fprintf(stderr, "%s: %s: %s\n", o->cmd, items[i].path, ecl_status_str(st));
            rc = 1;
            break;
        }
        paths[ff->n - 1] = items[i].path;
        items[i].path = NULL;
    }
    if (!rc && drop_empty_classes(o, ff)) {
        fprintf(stderr, "%s: out of memory\n", o->cmd);
        rc = 1;
    }
    if (!rc && !ff->n) {
        fprintf(stderr, "%s: no image could be read\n", o->cmd);
        rc = 1;
    }
done:
    img_run_free(&run);
    free(files);
    for (int i = 0; i < n; i++)
        free(items[i].path);
    free(items);
    if (rc) {
        cli_images_free_paths(paths, ff->n);
        featfile_free(ff);
        return 1;
    }
    *paths_out = paths;
    return 0;
}

void cli_images_free_paths(char **paths, uint32_t n) {
    for (uint32_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}
