/* edgecl eval - class-incremental evaluation of learners on feature files.
 *
 * Scenario "split": the distinct labels of the training file, in increasing order, are cut into
 * experiences of --classes-per-exp classes (Split-MNIST style). The learner sees the training
 * samples of experience 0, then of experience 1, ... (file order within an experience), and
 * never again the earlier ones except through its own memory. After each experience e we
 * measure on the test file:
 *   acc_seen[e] = accuracy on the test samples of all classes seen so far,
 *   R[e][j]     = accuracy on the test samples of experience j (j <= e).
 * Final metrics (T experiences):
 *   final average accuracy  A = 1/T sum_j R[T-1][j]
 *   forgetting              F = 1/(T-1) sum_{j<T-1} ( max_{l<T-1} R[l][j] - R[T-1][j] )
 *                               (Chaudhry et al. 2018)
 *   backward transfer     BWT = 1/(T-1) sum_{j<T-1} ( R[T-1][j] - R[j][j] )
 *                               (Lopez-Paz & Ranzato 2017; negative = forgetting)
 *   time per sample: wall time of observe() per training sample, of predict() per test sample.
 * Why per-experience accuracies and not only acc_seen: a learner that predicts only the newest
 * classes still scores 1/T of acc_seen; R shows where the loss comes from.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_classmap.h"
#include "cli_confusion.h"
#include "cli_util.h"
#include "cmds.h"
#include "edgecl/port.h"
#include "featfile.h"

struct result {
    enum ecl_learner_kind kind;
    char desc[256];
    double *R;        /* T x T, row e = after experience e; NAN for j > e */
    double *acc_seen; /* T */
    double avg_acc, acc_all, forgetting, bwt;
    double train_s, predict_s;
    uint64_t n_train, n_pred;
    size_t mem_bytes, replay_bytes;
    uint32_t *conf; /* nc x nc after the last experience: [true][predicted] */
    uint32_t nc;
    int ok;
};

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl eval --scenario split --learner L --features TRAIN --test TEST "
               "[options]\n"
               "Class-incremental evaluation: the training labels, in increasing order, form\n"
               "experiences of --classes-per-exp classes, learned one after the other. After each\n"
               "experience: accuracy on the test samples of all classes seen so far, and per\n"
               "experience. At the end: final average accuracy, forgetting, backward transfer\n"
               "(BWT), time per sample, and the confusion matrix after the last experience.\n"
               "Test labels are matched to training labels by class name when both files have\n"
               "names (extract of separate folders numbers classes independently).\n\n"
               "  --scenario split        (the only scenario for feature files)\n"
               "  --learner L|all         naive, replay, slda, ncm, or all of them (comparison)\n"
               "  --features PATH         training feature file (.ecf or .csv)\n"
               "  --test PATH             test feature file (same dimension)\n"
               "  --classes-per-exp N     classes per experience (default 2)\n"
               "  --chunk N               observe each experience in increments of N samples\n"
               "                          (default: the whole experience in one call)\n"
               "  --json PATH             write all results as JSON\n"
               "  --svg PATH              confusion matrix after the last experience as SVG\n"
               "                          (with --learner all: PATH-<learner>.svg)\n"
               "  --quiet, -q             only the final summary\n\n");
    cli_learner_opts_help(f, CLI_HELP_KIND);
    fprintf(f, "  (--max-classes defaults to the highest training label + 1)\n");
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The split scenario, precomputed once and shared by all learners. */
struct split {
    uint32_t T;           /* experiences */
    uint32_t cpe;         /* classes per experience */
    uint32_t n_cls;       /* distinct training labels */
    int32_t *cls;         /* sorted distinct labels */
    uint32_t *tr_n, **tr; /* per experience: training record indices */
    uint32_t *te_n, **te; /* per experience: test record indices */
    uint32_t te_ignored;  /* test records whose class is not in training */
};

static void split_free(struct split *s) {
    for (uint32_t e = 0; s->tr && e < s->T; e++)
        free(s->tr[e]);
    for (uint32_t e = 0; s->te && e < s->T; e++)
        free(s->te[e]);
    free(s->tr);
    free(s->te);
    free(s->tr_n);
    free(s->te_n);
    free(s->cls);
    memset(s, 0, sizeof *s);
}

static int split_build(struct split *s, const struct featfile *tr, const struct featfile *te,
                       uint32_t cpe, int32_t max_label) {
    memset(s, 0, sizeof *s);
    int32_t *tmp = malloc((tr->n ? tr->n : 1) * sizeof *tmp);
    int32_t *exp_of = malloc(((size_t)max_label + 1) * sizeof *exp_of);
    if (!tmp || !exp_of) goto nomem;
    memcpy(tmp, tr->y, tr->n * sizeof *tmp);
    qsort(tmp, tr->n, sizeof *tmp, cmp_i32);
    uint32_t k = 0;
    for (uint32_t i = 0; i < tr->n; i++)
        if (i == 0 || tmp[i] != tmp[i - 1]) tmp[k++] = tmp[i];
    s->n_cls = k;
    s->cls = tmp;
    tmp = NULL;
    s->T = (k + cpe - 1) / cpe;
    s->cpe = cpe;
    for (int32_t c = 0; c <= max_label; c++)
        exp_of[c] = -1;
    for (uint32_t i = 0; i < k; i++)
        exp_of[s->cls[i]] = (int32_t)(i / cpe);
    s->tr_n = calloc(s->T, sizeof *s->tr_n);
    s->te_n = calloc(s->T, sizeof *s->te_n);
    s->tr = calloc(s->T, sizeof *s->tr);
    s->te = calloc(s->T, sizeof *s->te);
    if (!s->tr_n || !s->te_n || !s->tr || !s->te) goto nomem;
    for (uint32_t i = 0; i < tr->n; i++)
        s->tr_n[exp_of[tr->y[i]]]++;
    for (uint32_t i = 0; i < te->n; i++) {
        int32_t y = te->y[i];
        if (y >= 0 && y <= max_label && exp_of[y] >= 0)
            s->te_n[exp_of[y]]++;
        else
            s->te_ignored++;
    }
    for (uint32_t e = 0; e < s->T; e++) {
        s->tr[e] = malloc((s->tr_n[e] ? s->tr_n[e] : 1) * sizeof **s->tr);
        s->te[e] = malloc((s->te_n[e] ? s->te_n[e] : 1) * sizeof **s->te);
        if (!s->tr[e] || !s->te[e]) goto nomem;
        s->tr_n[e] = s->te_n[e] = 0;
    }
    for (uint32_t i = 0; i < tr->n; i++) {
        int32_t e = exp_of[tr->y[i]];
        s->tr[e][s->tr_n[e]++] = i;
    }
    for (uint32_t i = 0; i < te->n; i++) {
        int32_t y = te->y[i];
        if (y >= 0 && y <= max_label && exp_of[y] >= 0) {
            int32_t e = exp_of[y];
            s->te[e][s->te_n[e]++] = i;
        }
    }
    free(exp_of);
    return 0;
nomem:
    free(tmp);
    free(exp_of);
    split_free(s);
    return 1;
}

static int run_one(enum ecl_learner_kind kind, const struct cli_learner_opts *lo,
                   const struct featfile *tr, const struct featfile *te, const struct split *s,
                   uint32_t chunk, int quiet, struct result *r) {
    char err[512];
    struct ecl_learner_params p;
    struct cli_learner L;
    uint32_t T = s->T;
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->R = malloc((size_t)T * T * sizeof *r->R);
    r->acc_seen = malloc(T * sizeof *r->acc_seen);
    r->nc = lo->max_classes;
    r->conf = calloc((size_t)r->nc * r->nc, sizeof *r->conf);
    float *xb = NULL, *scores = NULL;
    int32_t *yb = NULL;
    if (!r->R || !r->acc_seen || !r->conf) goto nomem;
    for (size_t k = 0; k < (size_t)T * T; k++)
        r->R[k] = NAN;
    if (cli_learner_params_kind(lo, kind, tr->dim, &p, err, sizeof err) ||
        cli_learner_create(&p, &L, err, sizeof err)) {
        fprintf(stderr, "eval: %s: %s\n", ecl_learner_kind_name(kind), err);
        return 1;
    }
    cli_learner_describe(&p, r->desc, sizeof r->desc);
    if (!quiet) printf("== %s\n", r->desc);

    uint32_t maxexp = 0;
    for (uint32_t e = 0; e < T; e++)
        if (s->tr_n[e] > maxexp) maxexp = s->tr_n[e];
    if (chunk == 0 || chunk > maxexp) chunk = maxexp ? maxexp : 1;
    xb = malloc((size_t)chunk * tr->dim * sizeof *xb);
    yb = malloc(chunk * sizeof *yb);
    scores = malloc(p.max_classes * sizeof *scores);
    if (!xb || !yb || !scores) {
        cli_learner_free(&L);
        goto nomem;
    }
    for (uint32_t e = 0; e < T; e++) {
        /* Train on experience e, gathering its records into contiguous chunks. */
        for (uint32_t i = 0; i < s->tr_n[e]; i += chunk) {
            uint32_t k = s->tr_n[e] - i < chunk ? s->tr_n[e] - i : chunk;
            for (uint32_t j = 0; j < k; j++) {
                uint32_t idx = s->tr[e][i + j];
                memcpy(xb + (size_t)j * tr->dim, tr->x + (size_t)idx * tr->dim,
                       tr->dim * sizeof *xb);
                yb[j] = tr->y[idx];
            }
            uint64_t t0 = ecl_port_now_ns();
            enum ecl_status st = ecl_learner_observe(L.l, xb, yb, k);
            r->train_s += (double)(ecl_port_now_ns() - t0) * 1e-9;
            if (st) {
                fprintf(stderr, "eval: %s: observe failed in experience %u: %s\n",
                        ecl_learner_kind_name(kind), e, ecl_status_str(st));
                cli_learner_free(&L);
                goto fail;
            }
            r->n_train += k;
        }
        /* Test on every experience seen so far. */
        uint64_t hits_all = 0, n_all = 0;
        for (uint32_t j = 0; j <= e; j++) {
            uint64_t hits = 0;
            uint64_t t0 = ecl_port_now_ns();
            for (uint32_t i = 0; i < s->te_n[j]; i++) {
                uint32_t idx = s->te[j][i];
                int32_t top = -1;
                enum ecl_status st =
                    ecl_learner_predict(L.l, te->x + (size_t)idx * te->dim, scores, &top);
                if (st) {
                    fprintf(stderr, "eval: %s: predict failed: %s\n", ecl_learner_kind_name(kind),
                            ecl_status_str(st));
                    cli_learner_free(&L);
                    goto fail;
                }
                hits += top == te->y[idx];
                if (e == T - 1 && top >= 0 && (uint32_t)top < r->nc && (uint32_t)te->y[idx] < r->nc)
                    r->conf[(size_t)te->y[idx] * r->nc + (uint32_t)top]++;
            }
            r->predict_s += (double)(ecl_port_now_ns() - t0) * 1e-9;
            r->n_pred += s->te_n[j];
            r->R[(size_t)e * T + j] = s->te_n[j] ? (double)hits / s->te_n[j] : NAN;
            hits_all += hits;
            n_all += s->te_n[j];
        }
        r->acc_seen[e] = n_all ? (double)hits_all / n_all : NAN;
        if (!quiet) {
            printf("exp %u/%u classes [", e + 1, T);
            uint32_t cpe = s->cpe;
            for (uint32_t c = e * cpe; c < (e + 1) * cpe && c < s->n_cls; c++)
                printf("%s%d", c == e * cpe ? "" : ",", s->cls[c]);
            printf("] %u samples: acc_seen %.4f  per-exp", s->tr_n[e], r->acc_seen[e]);
            for (uint32_t j = 0; j <= e; j++)
                printf(" %.3f", r->R[(size_t)e * T + j]);
            printf("\n");
            fflush(stdout);
        } else {
            cli_progress(ecl_learner_kind_name(kind), e + 1, T);
        }
    }
    if (quiet) cli_progress_done(ecl_learner_kind_name(kind), T);
    /* Final metrics. */
    double sum = 0;
    uint32_t cnt = 0;
    for (uint32_t j = 0; j < T; j++) {
        double v = r->R[(size_t)(T - 1) * T + j];
        if (isfinite(v)) {
            sum += v;
            cnt++;
        }
    }
    r->avg_acc = cnt ? sum / cnt : NAN;
    r->acc_all = r->acc_seen[T - 1];
    cli_forgetting_bwt(r->R, T, &r->forgetting, &r->bwt);
    r->mem_bytes = L.mem_bytes;
    r->replay_bytes = ecl_learner_replay_bytes(L.l);
    r->ok = 1;
    cli_learner_free(&L);
    free(xb);
    free(yb);
    free(scores);
    return 0;
nomem:
    fprintf(stderr, "eval: out of memory\n");
fail:
    free(xb);
    free(yb);
    free(scores);
    return 1;
}

/* The confusion matrix after the last experience: text (unless quiet; up to 30 classes) and
 * SVG. Returns 0 or 1 (printed). */
static int report_confusion(const struct result *r, const struct featfile *tr, const char *svgp,
                            int all, int quiet) {
    const char **names = malloc(r->nc * sizeof *names);
    char path[4096], err[512];
    int rc = 0;
    if (!names) {
        fprintf(stderr, "eval: out of memory\n");
        return 1;
    }
    for (uint32_t c = 0; c < r->nc; c++)
        names[c] = cli_featfile_name(tr, (int32_t)c);
    if (!quiet && r->nc <= 30) cli_confusion_print(stdout, "", r->conf, r->nc, names);
    if (svgp) {
        const char *dot = strrchr(svgp, '.');
        if (all && dot && !strcmp(dot, ".svg"))
            snprintf(path, sizeof path, "%.*s-%s.svg", (int)(dot - svgp), svgp,
                     ecl_learner_kind_name(r->kind));
        else if (all)
            snprintf(path, sizeof path, "%s-%s", svgp, ecl_learner_kind_name(r->kind));
        else
            snprintf(path, sizeof path, "%s", svgp);
        if (cli_confusion_svg(path, r->desc, r->conf, r->nc, names, err, sizeof err)) {
            fprintf(stderr, "eval: %s\n", err);
            rc = 1;
        }
    }
    free(names);
    return rc;
}

static void print_summary(const struct result *r) {
    printf("final %s: avg_acc %.4f acc_all %.4f forgetting %.4f bwt %.4f "
           "train_us_per_sample %.2f predict_us_per_sample %.2f\n",
           ecl_learner_kind_name(r->kind), r->avg_acc, r->acc_all, r->forgetting, r->bwt,
           r->n_train ? r->train_s * 1e6 / r->n_train : 0.0,
           r->n_pred ? r->predict_s * 1e6 / r->n_pred : 0.0);
}

static int write_json(const char *path, const char *trp, const char *tep, const struct featfile *tr,
                      const struct split *s, uint32_t cpe, const struct result *res, int nres) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    uint32_t T = s->T;
    fprintf(f, "{\n  \"scenario\": \"split\",\n  \"train\": ");
    cli_json_str(f, trp);
    fprintf(f, ",\n  \"test\": ");
    cli_json_str(f, tep);
    fprintf(f,
            ",\n  \"dim\": %u,\n  \"n_train\": %u,\n  \"classes_per_exp\": %u,\n"
            "  \"n_experiences\": %u,\n  \"experiences\": [",
            tr->dim, tr->n, cpe, T);
    for (uint32_t e = 0; e < T; e++) {
        fprintf(f, "%s[", e ? ", " : "");
        for (uint32_t c = e * cpe; c < (e + 1) * cpe && c < s->n_cls; c++)
            fprintf(f, "%s%d", c == e * cpe ? "" : ", ", s->cls[c]);
        fprintf(f, "]");
    }
    fprintf(f, "],\n  \"test_per_experience\": [");
    for (uint32_t e = 0; e < T; e++)
        fprintf(f, "%s%u", e ? ", " : "", s->te_n[e]);
    fprintf(f, "],\n  \"peak_rss_bytes\": %zu,\n  \"results\": [", ecl_port_peak_rss_bytes());
    for (int i = 0; i < nres; i++) {
        const struct result *r = &res[i];
        fprintf(f, "%s\n    {\"learner\": \"%s\", \"config\": ", i ? "," : "",
                ecl_learner_kind_name(r->kind));
        cli_json_str(f, r->desc);
        fprintf(f, ",\n     \"acc_seen\": [");
        for (uint32_t e = 0; e < T; e++) {
            if (e) fprintf(f, ", ");
            cli_json_num(f, r->acc_seen[e]);
        }
        fprintf(f, "],\n     \"acc_matrix\": [");
        for (uint32_t e = 0; e < T; e++) {
            fprintf(f, "%s[", e ? ", " : "");
            for (uint32_t j = 0; j < T; j++) {
                if (j) fprintf(f, ", ");
                cli_json_num(f, r->R[(size_t)e * T + j]);
            }
            fprintf(f, "]");
        }
        fprintf(f, "],\n     \"final_avg_acc\": ");
        cli_json_num(f, r->avg_acc);
        fprintf(f, ", \"final_acc_all\": ");
        cli_json_num(f, r->acc_all);
        fprintf(f, ", \"forgetting\": ");
        cli_json_num(f, r->forgetting);
        fprintf(f, ", \"bwt\": ");
        cli_json_num(f, r->bwt);
        fprintf(f, ",\n     \"train_seconds\": ");
        cli_json_num(f, r->train_s);
        fprintf(f, ", \"train_us_per_sample\": ");
        cli_json_num(f, r->n_train ? r->train_s * 1e6 / r->n_train : 0.0);
        fprintf(f, ", \"predict_us_per_sample\": ");
        cli_json_num(f, r->n_pred ? r->predict_s * 1e6 / r->n_pred : 0.0);
        fprintf(f, ",\n     \"learner_bytes\": %zu, \"replay_bytes\": %zu}", r->mem_bytes,
                r->replay_bytes);
    }
    fprintf(f, "\n  ]\n}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "eval: error writing %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

int cmd_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *scenario = "split", *trp = NULL, *tep = NULL, *jsonp = NULL, *svgp = NULL, *v;
    uint32_t cpe = 2, chunk = 0;
    int all = 0, quiet = 0;
    char err[512];
    struct cli_learner_opts lo = cli_learner_opts_default();
    for (int i = 1; i < argc; i++) {
        int j = i;
        if ((v = cli_opt(argc, argv, &j, "--learner")) && !strcmp(v, "all")) {
            all = 1;
            i = j;
            continue;
        }
        int r = cli_learner_opt(&lo, argc, argv, &i, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "eval: %s\n", err);
            return 2;
        }
        if (r > 0) {
            if (CLI_SET(&lo, KIND)) all = 0;
            continue;
        }
        if ((v = cli_opt(argc, argv, &i, "--scenario")))
            scenario = v;
        else if ((v = cli_opt(argc, argv, &i, "--features")))
            trp = v;
        else if ((v = cli_opt(argc, argv, &i, "--test")))
            tep = v;
        else if ((v = cli_opt(argc, argv, &i, "--json")))
            jsonp = v;
        else if ((v = cli_opt(argc, argv, &i, "--svg")))
            svgp = v;
        else if ((v = cli_opt(argc, argv, &i, "--classes-per-exp"))) {
            if (cli_parse_u32("--classes-per-exp", v, 1, 65536, &cpe, err, sizeof err)) {
                fprintf(stderr, "eval: %s\n", err);
                return 2;
            }
        } else if ((v = cli_opt(argc, argv, &i, "--chunk"))) {
            if (cli_parse_u32("--chunk", v, 1, 1u << 24, &chunk, err, sizeof err)) {
                fprintf(stderr, "eval: %s\n", err);
                return 2;
            }
        } else if (cli_flag(argv, i, "--quiet") || cli_flag(argv, i, "-q"))
            quiet = 1;
        else {
            cli_bad_opt("eval", argc, argv, i);
            return 2;
        }
    }
    if (strcmp(scenario, "split") != 0) {
        fprintf(stderr, "eval: unknown scenario '%s' (feature files support: split)\n", scenario);
        return 2;
    }
    if (!trp || !tep) {
        fprintf(stderr, "eval: --features and --test are required (see edgecl eval --help)\n");
        return 2;
    }
    struct featfile tr, te;
    if (featfile_read(trp, &tr, err, sizeof err)) {
        fprintf(stderr, "eval: %s\n", err);
        return 1;
    }
    if (featfile_read(tep, &te, err, sizeof err)) {
        fprintf(stderr, "eval: %s\n", err);
        featfile_free(&tr);
        return 1;
    }
    int rc = 1;
    struct split s;
    memset(&s, 0, sizeof s);
    struct result res[4];
    int nres = 0;
    memset(res, 0, sizeof res);
    if (tr.dim != te.dim) {
        fprintf(stderr, "eval: %s has dimension %u but %s has %u\n", trp, tr.dim, tep, te.dim);
        goto out;
    }
    if (tr.n == 0) {
        fprintf(stderr, "eval: %s has no records\n", trp);
        goto out;
    }
    if (cli_featfile_relabel(&tr, &te)) {
        fprintf(stderr, "eval: out of memory\n");
        goto out;
    }
    int32_t max_label = 0;
    for (uint32_t i = 0; i < tr.n; i++) {
        if (tr.y[i] < 0) {
            fprintf(stderr, "eval: %s: record %u is unlabelled; training data needs labels\n", trp,
                    i);
            goto out;
        }
        if (tr.y[i] > max_label) max_label = tr.y[i];
    }
    if (!CLI_SET(&lo, MAX_CLASSES)) {
        if ((uint32_t)max_label + 1 > (1u << 16)) {
            fprintf(stderr, "eval: labels up to %d: too many classes\n", max_label);
            goto out;
        }
        lo.max_classes = (uint32_t)max_label + 1;
    } else if ((uint32_t)max_label >= lo.max_classes) {
        fprintf(stderr, "eval: training labels go up to %d but --max-classes is %u\n", max_label,
                lo.max_classes);
        goto out;
    }
    if (split_build(&s, &tr, &te, cpe, max_label)) {
        fprintf(stderr, "eval: out of memory\n");
        goto out;
    }
    if (!quiet) {
        printf("split: %u classes in %u experiences of %u; %u training, %u test samples", s.n_cls,
               s.T, cpe, tr.n, te.n - s.te_ignored);
        if (s.te_ignored) printf(" (%u test samples of unseen classes ignored)", s.te_ignored);
        printf("\n");
    }
    enum ecl_learner_kind kinds[4] = {ECL_LEARNER_NAIVE, ECL_LEARNER_REPLAY, ECL_LEARNER_SLDA,
                                      ECL_LEARNER_NCM};
    int nk = all ? 4 : 1;
    if (!all) kinds[0] = lo.kind;
    for (int k = 0; k < nk; k++) {
        if (run_one(kinds[k], &lo, &tr, &te, &s, chunk, quiet, &res[nres])) {
            free(res[nres].R);
            free(res[nres].acc_seen);
            free(res[nres].conf);
            goto out;
        }
        print_summary(&res[nres]);
        if (report_confusion(&res[nres], &tr, svgp, all, quiet)) {
            nres++;
            goto out;
        }
        nres++;
    }
    if (all) {
        printf("\n%-8s %8s %8s %11s %8s %10s %10s %12s\n", "learner", "avg_acc", "acc_all",
               "forgetting", "bwt", "train_us", "pred_us", "memory_KiB");
        for (int k = 0; k < nres; k++) {
            const struct result *r = &res[k];
            printf("%-8s %8.4f %8.4f %11.4f %8.4f %10.2f %10.2f %12.1f\n",
                   ecl_learner_kind_name(r->kind), r->avg_acc, r->acc_all, r->forgetting, r->bwt,
                   r->n_train ? r->train_s * 1e6 / r->n_train : 0.0,
                   r->n_pred ? r->predict_s * 1e6 / r->n_pred : 0.0, r->mem_bytes / 1024.0);
        }
    }
    if (jsonp && write_json(jsonp, trp, tep, &tr, &s, cpe, res, nres)) goto out;
    rc = 0;
out:
    for (int k = 0; k < nres; k++) {
        free(res[k].R);
        free(res[k].acc_seen);
        free(res[k].conf);
    }
    split_free(&s);
    featfile_free(&tr);
    featfile_free(&te);
    return rc;
}
