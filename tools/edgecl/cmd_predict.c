/* edgecl predict - classify the samples of a feature file, or images / class folders, with a
 * learner state file.
 *
 * Output is CSV (one line per sample: the image path or record number, the true and predicted
 * class names, probabilities) so that it can be joined with other data, or JSON with --json.
 * The summary (accuracy overall and per class, confusion matrix) follows, as '#' comment lines
 * when it shares stdout with the CSV so that the CSV stays machine-readable. Truth is matched by
 * class name (cli_classmap.h): a feature file's label 0 is whatever class it names, not the
 * state's class 0. Scores are probabilities for every learner (probs.h) unless --raw.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_classmap.h"
#include "cli_confusion.h"
#include "cli_images.h"
#include "probs.h"
#include "cli_util.h"
#include "cmds.h"
#include "edgecl/port.h"
#include "featfile.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgecl predict --state S.ecls --features F.ecf [options]\n"
            "       edgecl predict --state S.ecls [options] <image...> | <DIR of class folders>\n"
            "Predicts the class of every sample of F, or of every image, with the learner in "
            "S.\n\n"
            "  --state PATH      learner state file\n"
            "  --features PATH   feature file (.ecf or .csv; label -1 = unlabelled)\n"
            "  --top K           list the K best classes (default 1)\n"
            "  --raw             the learner's raw scores instead of probabilities (slda:\n"
            "                    discriminants, ncm: negative distances)\n"
            "  --json            JSON instead of CSV\n"
            "  --out PATH        write the per-sample output there instead of stdout\n"
            "  --svg PATH        write the confusion matrix as SVG\n"
            "  --quiet, -q       no per-sample output, only the summary\n");
    cli_images_opts_help(f);
    fprintf(f, "Per-sample CSV columns: sample,label,pred,prob[,pred_k,prob_k..]; sample is the\n"
               "image path or the record number, label the true class name (empty if\n"
               "unlabelled). Probabilities are calibrated for every learner (docs/cli.md).\n"
               "Summary: accuracy over labelled samples (matched by class name), per class, and\n"
               "the confusion matrix. Exit: 0 ok, 1 error or some image skipped, 2 usage.\n");
}

struct popts {
    const char *state, *feats, *outp, *svg, *learner;
    uint32_t top;
    int quiet, json, raw;
};

/* The label column: the file's name for y, else the number; "" if unlabelled. */
static const char *truth_name(const struct featfile *ff, int32_t y, char *buf, size_t len) {
    if (y < 0) return "";
    const char *nm = cli_featfile_name(ff, y);
    if (nm[0]) return nm;
    snprintf(buf, len, "%d", y);
    return buf;
}

static const char *class_name(const struct ecl_learner *l, int32_t c, char *buf, size_t len) {
    const char *nm = ecl_learner_class_name(l, c);
    if (nm && nm[0]) return nm;
    snprintf(buf, len, "%d", c);
    return buf;
}

static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Sorts the first k of order[0..nc) by descending score (partial selection sort). */
static void top_k(const float *s, uint32_t *order, uint32_t nc, uint32_t k) {
    for (uint32_t c = 0; c < nc; c++)
        order[c] = c;
    for (uint32_t a = 0; a < k && a < nc; a++) {
        uint32_t b = a;
        for (uint32_t c = a + 1; c < nc; c++)
            if (s[order[c]] > s[order[b]]) b = c;
        uint32_t t = order[a];
        order[a] = order[b];
        order[b] = t;
    }
}

static int parse(int argc, char **argv, struct popts *o, struct cli_images_opts *io, char **args,
                 int *nargs) {
    const char *v;
    char err[256];
    for (int i = 1; i < argc; i++) {
        int r = cli_images_opt(io, argc, argv, &i);
        if (r < 0) return 2;
        if (r > 0) continue;
        if ((v = cli_opt(argc, argv, &i, "--state")))
            o->state = v;
        else if ((v = cli_opt(argc, argv, &i, "--features")))
            o->feats = v;
        else if ((v = cli_opt(argc, argv, &i, "--out")))
            o->outp = v;
        else if ((v = cli_opt(argc, argv, &i, "--svg")))
            o->svg = v;
        else if ((v = cli_opt(argc, argv, &i, "--learner")))
            o->learner = v;
        else if ((v = cli_opt(argc, argv, &i, "--top"))) {
            if (cli_parse_u32("--top", v, 1, 65536, &o->top, err, sizeof err)) {
                fprintf(stderr, "predict: %s\n", err);
                return 2;
            }
        } else if (cli_flag(argv, i, "--quiet") || cli_flag(argv, i, "-q"))
            o->quiet = io->quiet = 1;
        else if (cli_flag(argv, i, "--json"))
            o->json = 1;
        else if (cli_flag(argv, i, "--raw"))
            o->raw = 1;
        else if (argv[i][0] != '-')
            args[(*nargs)++] = argv[i];
        else {
            cli_bad_opt("predict", argc, argv, i);
            return 2;
        }
    }
    if (!o->state || (!o->feats && !*nargs) || (o->feats && *nargs)) {
        fprintf(stderr, "predict: need --state and either --features or images / a class folder "
                        "(see edgecl predict --help)\n");
        return 2;
    }
    return 0;
}

int cmd_predict(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    struct popts o = {NULL, NULL, NULL, NULL, NULL, 1, 0, 0, 0};
    struct cli_images_opts io = cli_images_default_opts("predict");
    char err[512], b1[16], b2[16];
    char **args = calloc((size_t)argc, sizeof *args);
    int nargs = 0;
    if (!args) {
        fprintf(stderr, "predict: out of memory\n");
        return 1;
    }
    int rc = parse(argc, argv, &o, &io, args, &nargs);
    if (rc) {
        free(args);
        return rc;
    }
    struct cli_learner L;
    if (cli_state_load_learner(o.state, o.learner, &L, NULL, NULL, err, sizeof err)) {
        fprintf(stderr, "predict: %s\n", err);
        free(args);
        return 1;
    }
    if (L.container && !o.learner)
        fprintf(stderr, "predict: %s is a web demo state with %s; using %s (--learner to choose)\n",
                o.state, L.container_kinds, ecl_learner_kind_name(L.picked));
    struct featfile ff;
    char **paths = NULL;
    uint32_t skipped = 0;
    if (nargs) {
        rc = cli_images_extract(&io, args, nargs, &ff, &paths, &skipped);
        o.feats = args[0];
    } else if (featfile_read(o.feats, &ff, err, sizeof err)) {
        fprintf(stderr, "predict: %s\n", err);
        rc = 1;
    }
    free(args);
    if (rc) {
        cli_learner_free(&L);
        return 1;
    }
    rc = 1;
    FILE *out = NULL;
    float *scores = NULL;
    uint32_t *conf = NULL, *order = NULL;
    int32_t *map = NULL;
    uint32_t n_map = 0;
    const struct ecl_learner_params *p = ecl_learner_params(L.l);
    uint32_t C = p->max_classes;
    if (p->dim != ff.dim) {
        fprintf(stderr,
                "predict: %s has dimension %u but the learner in %s expects %u (features from "
                "another backbone or cut layer?)\n",
                o.feats, ff.dim, o.state, p->dim);
        goto out;
    }
    uint32_t nc = ecl_learner_n_classes(L.l);
    if (nc == 0) {
        fprintf(stderr, "predict: %s has not learned any class yet (run edgecl learn)\n", o.state);
        goto out;
    }
    if (nc > C) nc = C;
    if (o.top > nc) o.top = nc;
    if (cli_classmap_eval(L.l, &ff, &map, &n_map, err, sizeof err)) {
        fprintf(stderr, "predict: %s\n", err);
        goto out;
    }
    scores = malloc(C * sizeof *scores);
    order = malloc(C * sizeof *order);
    conf = calloc((size_t)nc * nc, sizeof *conf);
    if (!scores || !order || !conf) {
        fprintf(stderr, "predict: out of memory\n");
        goto out;
    }
    if (!o.quiet) {
        out = o.outp ? fopen(o.outp, "w") : stdout;
        if (!out) {
            fprintf(stderr, "predict: cannot write %s: %s\n", o.outp, strerror(errno));
            goto out;
        }
        if (o.json) {
            fprintf(out, "{\"state\":");
            cli_json_str(out, o.state);
            fprintf(out, ",\"scores\":\"%s\",\"samples\":[", o.raw ? "raw" : "probability");
        } else {
            fprintf(out, "sample,label,pred,%s", o.raw ? "score" : "prob");
            for (uint32_t k = 1; k < o.top; k++)
                fprintf(out, ",pred_%u,%s_%u", k + 1, o.raw ? "score" : "prob", k + 1);
            fputc('\n', out);
        }
    }
    uint32_t n_lab = 0, n_hit = 0, n_unknown = 0;
    uint64_t t0 = ecl_port_now_ns();
    for (uint32_t i = 0; i < ff.n; i++) {
        int32_t pred = -1;
        enum ecl_status st = ecl_learner_predict(L.l, ff.x + (size_t)i * ff.dim, scores, &pred);
        if (st || pred < 0) {
            fprintf(stderr, "predict: sample %u: %s\n", i, ecl_status_str(st));
            goto out;
        }
        if (!o.raw) scores_to_probs(p, scores, scores, nc);
        int32_t y = ff.y[i], t = y >= 0 && (uint32_t)y < n_map ? map[y] : -1;
        if (y >= 0) {
            n_lab++;
            n_hit += t == pred;
            if (t >= 0 && (uint32_t)t < nc)
                conf[(size_t)t * nc + (uint32_t)pred]++;
            else
                n_unknown++;
        }
        if (out) {
            char idx[16];
            snprintf(idx, sizeof idx, "%u", i);
            const char *sample = paths ? paths[i] : idx;
            top_k(scores, order, nc, o.top);
            if (o.json) {
                fprintf(out, "%s\n{\"sample\":", i ? "," : "");
                cli_json_str(out, sample);
                fprintf(out, ",\"label\":");
                if (y >= 0)
                    cli_json_str(out, truth_name(&ff, y, b1, sizeof b1));
                else
                    fprintf(out, "null");
                fprintf(out, ",\"top\":[");
                for (uint32_t k = 0; k < o.top; k++) {
                    fprintf(out, "%s{\"class\":", k ? "," : "");
                    cli_json_str(out, class_name(L.l, (int32_t)order[k], b2, sizeof b2));
                    fprintf(out, ",\"%s\":", o.raw ? "score" : "p");
                    cli_json_num(out, scores[order[k]]);
                    fputc('}', out);
                }
                fprintf(out, "]}");
            } else {
                csv_field(out, sample);
                fputc(',', out);
                csv_field(out, truth_name(&ff, y, b1, sizeof b1));
                for (uint32_t k = 0; k < o.top; k++) {
                    fputc(',', out);
                    csv_field(out, class_name(L.l, (int32_t)order[k], b2, sizeof b2));
                    fprintf(out, ",%.6g", scores[order[k]]);
                }
                fputc('\n', out);
            }
        }
        if ((i & 1023) == 0) cli_progress("predict: samples", i, ff.n);
    }
    cli_progress_done("predict: samples", ff.n);
    double secs = (double)(ecl_port_now_ns() - t0) * 1e-9;
    if (out && o.json) fprintf(out, "\n]}\n");
    if (out && out != stdout && fclose(out) != 0) {
        out = NULL;
        fprintf(stderr, "predict: error writing %s: %s\n", o.outp, strerror(errno));
        goto out;
    }
    FILE *sf = o.json && out == stdout ? stderr : stdout; /* keep JSON on stdout parseable */
    const char *pre = out == stdout && !o.json ? "# " : "";
    out = NULL;
    const char **names = malloc(nc * sizeof *names);
    if (!names) {
        fprintf(stderr, "predict: out of memory\n");
        goto out;
    }
    for (uint32_t c = 0; c < nc; c++)
        names[c] = ecl_learner_class_name(L.l, (int32_t)c);
    if (n_lab) {
        fprintf(sf, "%saccuracy: %.4f (%u/%u labelled samples)\n", pre, (double)n_hit / n_lab,
                n_hit, n_lab);
        for (uint32_t c = 0; c < nc; c++) {
            uint32_t tot = 0;
            for (uint32_t q = 0; q < nc; q++)
                tot += conf[(size_t)c * nc + q];
            if (!tot) continue;
            fprintf(sf, "%sclass %s: %.4f (%u/%u)\n", pre,
                    class_name(L.l, (int32_t)c, b1, sizeof b1),
                    (double)conf[(size_t)c * nc + c] / tot, conf[(size_t)c * nc + c], tot);
        }
        if (n_unknown)
            fprintf(sf, "%s%u samples are of classes %s has not learned (counted as wrong)\n", pre,
                    n_unknown, o.state);
        if (nc <= 30) cli_confusion_print(sf, pre, conf, nc, names);
    } else {
        fprintf(sf, "%sno labelled samples: accuracy not computed\n", pre);
    }
    fprintf(sf, "%s%u samples in %.3f s (%.1f us/sample)\n", pre, ff.n, secs,
            ff.n ? secs * 1e6 / ff.n : 0.0);
    if (o.svg && cli_confusion_svg(o.svg, o.state, conf, nc, names, err, sizeof err)) {
        fprintf(stderr, "predict: %s\n", err);
        free(names);
        goto out;
    }
    free(names);
    rc = 0;
    if (skipped) {
        fprintf(stderr, "predict: %u file%s skipped (named above)\n", skipped,
                skipped == 1 ? "" : "s");
        rc = 1;
    }
out:
    if (out && out != stdout) fclose(out);
    free(scores);
    free(conf);
    free(order);
    free(map);
    cli_images_free_paths(paths, ff.n);
    featfile_free(&ff);
    cli_learner_free(&L);
    return rc;
}
