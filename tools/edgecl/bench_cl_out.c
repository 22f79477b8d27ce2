/* tools/edgecl/bench_cl_out.c - bench-cl's report: the table on stdout, the results as JSON
 * (written to a temporary file, then renamed) and the accuracy-vs-batch plot as SVG. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_cl.h"
#include "svgplot.h"

void bcl_table_print(const struct bcl_opts *o, const struct bcl_pool *P,
                     const struct cl_scenario *sc, size_t arena, const struct bcl_config *cfg,
                     const struct bcl_result *res, int n_cfg, uint32_t T) {
    printf("%s: %u batches, %u train / %u test samples, %u-d features (%s), %u run%s\n",
           o->scenario, T, sc->n_train, sc->n_test, P->dim, o->cut, o->runs,
           o->runs > 1 ? "s" : "");
    printf("%-28s %8s %8s %8s %8s %9s %11s %11s\n", "learner", "final%", "avg%", "forget", "bwt",
           "us/sample", "learner KiB", "replay KiB");
    for (int c = 0; c < n_cfg; c++) {
        const struct bcl_result *R = &res[c];
        char fin[32];
        if (o->runs > 1)
            snprintf(fin, sizeof fin, "%.1f+-%.1f", 100 * bcl_mean(R->final_acc, o->runs),
                     100 * bcl_std(R->final_acc, o->runs));
        else
            snprintf(fin, sizeof fin, "%.1f", 100 * R->final_acc[0]);
        printf("%-28s %8s %8.1f %8.1f %8.1f %9.1f %11.1f %11.1f\n", cfg[c].name, fin,
               100 * bcl_mean(R->avg_acc, o->runs), 100 * bcl_mean(R->forgetting, o->runs),
               100 * bcl_mean(R->bwt, o->runs), bcl_mean(R->us_per_sample, o->runs),
               (R->learner_bytes + R->joint_bytes) / 1024.0, R->replay_bytes / 1024.0);
    }
    printf("backbone arena %.1f KiB; peak RSS %.1f MiB\n", arena / 1024.0,
           ecl_port_peak_rss_bytes() / 1048576.0);
}

/* ------------------------------------------------------------------ JSON */
/* The scenario, the backbone and the pool: everything before "results". */
static void json_header(FILE *f, const struct bcl_opts *o, const struct bcl_pool *P,
                        const struct cl_scenario *sc0, size_t arena, uint32_t T) {
    fprintf(f, "{\n  \"tool\": \"edgecl bench-cl\",\n  \"scenario\": ");
    cli_json_str(f, o->scenario);
    fprintf(f, ",\n  \"model\": ");
    cli_json_str(f, o->model);
    fprintf(f, ",\n  \"cut\": ");
    cli_json_str(f, o->cut);
    fprintf(f, ",\n  \"dim\": %u,\n  \"n_classes\": %u,\n  \"n_batches\": %u,\n", P->dim,
            sc0->n_classes, T);
    fprintf(f, "  \"n_train\": %u,\n  \"n_test\": %u,\n  \"runs\": %u,\n  \"seed\": %u,\n",
            sc0->n_train, sc0->n_test, o->runs, o->seed);
    if (o->fam != BCL_FAM_CORE50)
        fprintf(f, "  \"train_limit_per_class\": %u,\n  \"test_limit_per_class\": %u,\n",
                o->train_limit, o->test_limit);
    else
        fprintf(f, "  \"core50_train_stride\": %u,\n  \"core50_test_stride\": %u,\n",
                o->c50_train_stride, o->c50_test_stride);
    fprintf(f, "  \"features_from_cache\": %s,\n  \"extract_seconds\": ",
            P->from_cache ? "true" : "false");
    cli_json_num(f, P->extract_s);
    fprintf(f, ",\n  \"extract_ms_per_image\": ");
    cli_json_num(f, P->from_cache ? NAN : 1e3 * P->extract_s / P->n);
    fprintf(f, ",\n  \"arena_bytes\": %zu,\n  \"peak_rss_bytes\": %zu,\n", arena,
            ecl_port_peak_rss_bytes());
    fprintf(f, "  \"accuracy_unit\": \"fraction of the full test set\",\n  \"results\": [\n");
}

/* [s_1, .., s_T]: s_b the statistic over the runs (at most 256) of the accuracy after batch b */
static void json_acc_stat(FILE *f, const struct bcl_result *R, uint32_t runs, uint32_t T,
                          double (*stat)(const double *v, uint32_t n)) {
    uint32_t nr = runs < 256 ? runs : 256;
    fprintf(f, "[");
    for (uint32_t b = 0; b < T; b++) {
        double v[256];
        for (uint32_t r = 0; r < nr; r++)
            v[r] = R->acc[(size_t)r * T + b];
        fprintf(f, "%s", b ? ", " : "");
        cli_json_num(f, stat(v, nr));
    }
    fprintf(f, "]");
}

/* One configuration's entry of "results" (without the separating comma). */
static void json_result(FILE *f, const struct bcl_opts *o, const struct bcl_config *cfg,
                        const struct bcl_result *R, size_t arena, uint32_t T) {
    const struct ecl_learner_params *p = &cfg->p;
    fprintf(f, "    {\n      \"name\": ");
    cli_json_str(f, cfg->name);
    fprintf(f, ",\n      \"learner\": ");
    cli_json_str(f, cfg->joint ? "joint" : ecl_learner_kind_name(p->kind));
    char desc[256];
    cli_learner_describe(p, desc, sizeof desc);
    fprintf(f, ",\n      \"config\": ");
    cli_json_str(f, desc);
    if (cfg->joint) {
        int incr = bcl_joint_incremental(o, T);
        fprintf(f, ",\n      \"joint_mode\": \"%s\"", incr ? "incremental" : "retrain");
        if (incr) fprintf(f, ", \"joint_samples\": %u", o->joint_samples);
    }
    if (p->kind == ECL_LEARNER_REPLAY && !cfg->joint) {
        fprintf(f, ",\n      \"buffer\": %u, \"policy\": \"%s\", \"storage\": \"%s\"",
                p->replay.capacity, cli_policy_name(p->replay.policy),
                cli_storage_name(p->replay.storage));
    }
    fprintf(f, ",\n      \"acc\": ");
    json_acc_stat(f, R, o->runs, T, bcl_mean);
    fprintf(f, ",\n      \"acc_std\": ");
    json_acc_stat(f, R, o->runs, T, bcl_std);
#define SCALAR(key, arr)                                                                           \
    fprintf(f, ",\n      \"" key "\": "), cli_json_num(f, bcl_mean(R->arr, o->runs)),              \
        fprintf(f, ", \"" key "_std\": "), cli_json_num(f, bcl_std(R->arr, o->runs))
    SCALAR("final_acc", final_acc);
    SCALAR("avg_acc", avg_acc);
    SCALAR("forgetting", forgetting);
    SCALAR("bwt", bwt);
    SCALAR("train_us_per_sample", us_per_sample);
#undef SCALAR
    fprintf(f,
            ",\n      \"learner_bytes\": %zu, \"replay_bytes\": %zu, "
            "\"joint_latent_bytes\": %zu, \"peak_bytes\": %zu",
            R->learner_bytes, R->replay_bytes, R->joint_bytes,
            R->learner_bytes + R->joint_bytes + arena);
    fprintf(f, ",\n      \"runs\": [");
    for (uint32_t r = 0; r < o->runs; r++) {
        fprintf(f, "%s\n        {\"seed\": %u, \"final_acc\": ", r ? "," : "", o->seed + r);
        cli_json_num(f, R->final_acc[r]);
        fprintf(f, ", \"forgetting\": ");
        cli_json_num(f, R->forgetting[r]);
        fprintf(f, ", \"bwt\": ");
        cli_json_num(f, R->bwt[r]);
        fprintf(f, ", \"acc\": [");
        for (uint32_t b = 0; b < T; b++) {
            fprintf(f, "%s", b ? ", " : "");
            cli_json_num(f, R->acc[(size_t)r * T + b]);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n      ]\n    }");
}

int bcl_json_write(const struct bcl_opts *o, const struct bcl_pool *P,
                   const struct cl_scenario *sc0, size_t arena, const struct bcl_config *cfg,
                   const struct bcl_result *res, int n_cfg, uint32_t T) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->json, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "bench-cl: cannot write %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    json_header(f, o, P, sc0, arena, T);
    for (int c = 0; c < n_cfg; c++) {
        json_result(f, o, &cfg[c], &res[c], arena, T);
        fprintf(f, "%s\n", c + 1 < n_cfg ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, o->json) != 0) {
        int e = errno;
        remove(tmp);
        fprintf(stderr, "bench-cl: cannot write %s: %s\n", o->json, strerror(e));
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ SVG */
int bcl_svg_write(const struct bcl_opts *o, const struct bcl_config *cfg,
                  const struct bcl_result *res, int n_cfg, uint32_t T) {
    float *ys = malloc((size_t)n_cfg * T * sizeof(float));
    struct svgplot_series *s = calloc((size_t)n_cfg, sizeof *s);
    if (!ys || !s) {
        free(ys), free(s);
        return 1;
    }
    for (int c = 0; c < n_cfg; c++) {
        for (uint32_t b = 0; b < T; b++) {
            double m = 0;
            for (uint32_t r = 0; r < o->runs; r++)
                m += res[c].acc[(size_t)r * T + b];
            ys[(size_t)c * T + b] = (float)(100.0 * m / o->runs);
        }
        s[c].name = cfg[c].name;
        s[c].ys = ys + (size_t)c * T;
        s[c].n = T;
    }
    char title[256];
    if (o->title)
        snprintf(title, sizeof title, "%s", o->title);
    else
        snprintf(title, sizeof title, "%s: accuracy on the full test set%s", o->scenario,
                 o->runs > 1 ? " (mean over runs)" : "");
    struct svgplot p = svgplot_default(title, "training batch", "accuracy (%)");
    p.y_min = 0;
    p.y_max = 100;
    char err[256];
    int rc = svgplot_write(o->svg, &p, s, (size_t)n_cfg, err, sizeof err) != ECL_OK;
    if (rc) fprintf(stderr, "bench-cl: %s\n", err);
    free(ys), free(s);
    return rc;
}
