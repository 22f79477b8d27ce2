/* edgecl predict - classify the samples of a feature file with a learner state file.
 *
 * Output is CSV (one line per sample) so that it can be joined with other data; the summary
 * (accuracy overall and per class) is printed after it, as '#' comment lines when it shares
 * stdout with the CSV so that the CSV stays machine-readable. Labelled samples (label >= 0)
 * count towards accuracy; label -1 marks an unlabelled sample.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "cmds.h"
#include "edgecl/port.h"
#include "featfile.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl predict --state S.ecls --features F.ecf [options]\n"
               "Predicts the class of every sample of F with the learner in S.\n\n"
               "  --state PATH      learner state file\n"
               "  --features PATH   feature file (.ecf or .csv; label -1 = unlabelled)\n"
               "  --top K           also list the K best classes with scores (default 1)\n"
               "  --out PATH        write the per-sample CSV there instead of stdout\n"
               "  --quiet, -q       no per-sample output, only the summary\n"
               "Per-sample CSV columns: index,label,pred,pred_name,score[,class_k,score_k..]\n"
               "Summary: accuracy over labelled samples, per-class accuracy.\n");
}

int cmd_predict(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *state = NULL, *feats = NULL, *outp = NULL, *v;
    uint32_t top = 1;
    int quiet = 0;
    char err[512];
    for (int i = 1; i < argc; i++) {
        if ((v = cli_opt(argc, argv, &i, "--state")))
            state = v;
        else if ((v = cli_opt(argc, argv, &i, "--features")))
            feats = v;
        else if ((v = cli_opt(argc, argv, &i, "--out")))
            outp = v;
        else if ((v = cli_opt(argc, argv, &i, "--top"))) {
            if (cli_parse_u32("--top", v, 1, 65536, &top, err, sizeof err)) {
                fprintf(stderr, "predict: %s\n", err);
                return 2;
            }
        } else if (cli_flag(argv, i, "--quiet") || cli_flag(argv, i, "-q"))
            quiet = 1;
        else {
            cli_bad_opt("predict", argc, argv, i);
            return 2;
        }
    }
    if (!state || !feats) {
        fprintf(stderr,
                "predict: --state and --features are required (see edgecl predict --help)\n");
        return 2;
    }
    struct cli_learner L;
    if (cli_state_load(state, &L, NULL, NULL, err, sizeof err)) {
        fprintf(stderr, "predict: %s\n", err);
        return 1;
    }
    struct featfile ff;
    if (featfile_read(feats, &ff, err, sizeof err)) {
        fprintf(stderr, "predict: %s\n", err);
        cli_learner_free(&L);
        return 1;
    }
    int rc = 1;
    FILE *out = NULL;
    float *scores = NULL;
    uint32_t *hit = NULL, *tot = NULL, *order = NULL;
    const struct ecl_learner_params *p = ecl_learner_params(L.l);
    uint32_t C = p->max_classes;
    if (p->dim != ff.dim) {
        fprintf(stderr,
                "predict: %s has dimension %u but the learner in %s expects %u (features from "
                "another backbone or cut layer?)\n",
                feats, ff.dim, state, p->dim);
        goto out;
    }
    if (ecl_learner_n_classes(L.l) == 0) {
        fprintf(stderr, "predict: %s has not learned any class yet (run edgecl learn)\n", state);
        goto out;
    }
    if (top > C) top = C;
    scores = malloc(C * sizeof *scores);
    hit = calloc(C, sizeof *hit);
    tot = calloc(C, sizeof *tot);
    order = malloc(C * sizeof *order);
    if (!scores || !hit || !tot || !order) {
        fprintf(stderr, "predict: out of memory\n");
        goto out;
    }
    if (!quiet) {
        if (outp) {
            out = fopen(outp, "w");
            if (!out) {
                perror(outp);
                goto out;
            }
        } else {
            out = stdout;
        }
        fprintf(out, "index,label,pred,pred_name,score");
        for (uint32_t k = 1; k < top; k++)
            fprintf(out, ",class_%u,score_%u", k + 1, k + 1);
        fputc('\n', out);
    }
    uint32_t n_lab = 0, n_hit = 0, n_other = 0;
    uint64_t t0 = ecl_port_now_ns();
    uint32_t nc = ecl_learner_n_classes(L.l);
    if (nc > C) nc = C;
    for (uint32_t i = 0; i < ff.n; i++) {
        int32_t pred = -1;
        enum ecl_status st = ecl_learner_predict(L.l, ff.x + (size_t)i * ff.dim, scores, &pred);
        if (st) {
            fprintf(stderr, "predict: sample %u: %s\n", i, ecl_status_str(st));
            goto out;
        }
        int32_t y = ff.y[i];
        if (y >= 0) {
            n_lab++;
            n_hit += pred == y;
            if ((uint32_t)y < C) {
                tot[y]++;
                hit[y] += pred == y;
            } else {
                n_other++;
            }
        }
        if (out) {
            float s = (pred >= 0 && (uint32_t)pred < C) ? scores[pred] : NAN;
            const char *nm = pred >= 0 ? ecl_learner_class_name(L.l, pred) : "";
            fprintf(out, "%u,%d,%d,%s,%.6g", i, y, pred, nm ? nm : "", s);
            if (top > 1) {
                /* partial selection sort of the first nc classes by score */
                for (uint32_t c = 0; c < nc; c++)
                    order[c] = c;
                for (uint32_t k = 0; k < top && k < nc; k++) {
                    uint32_t b = k;
                    for (uint32_t c = k + 1; c < nc; c++)
                        if (scores[order[c]] > scores[order[b]]) b = c;
                    uint32_t t = order[k];
                    order[k] = order[b];
                    order[b] = t;
                    if (k > 0) fprintf(out, ",%u,%.6g", order[k], scores[order[k]]);
                }
                for (uint32_t k = nc; k < top; k++)
                    fprintf(out, ",,");
            }
            fputc('\n', out);
        }
        if ((i & 1023) == 0) cli_progress("predict: samples", i, ff.n);
    }
    cli_progress_done("predict: samples", ff.n);
    double secs = (double)(ecl_port_now_ns() - t0) * 1e-9;
    if (out && out != stdout && fclose(out) != 0) {
        out = NULL;
        fprintf(stderr, "predict: error writing %s: %s\n", outp, strerror(errno));
        goto out;
    }
    FILE *sf = stdout; /* the summary always goes to stdout */
    const char *pre = out == stdout ? "# " : "";
    out = NULL;
    if (n_lab) {
        fprintf(sf, "%saccuracy: %.4f (%u/%u labelled samples)\n", pre, (double)n_hit / n_lab,
                n_hit, n_lab);
        for (uint32_t c = 0; c < C; c++) {
            if (!tot[c]) continue;
            const char *nm = ecl_learner_class_name(L.l, (int32_t)c);
            fprintf(sf, "%sclass %u%s%s%s: %.4f (%u/%u)\n", pre, c, nm && nm[0] ? " (" : "",
                    nm ? nm : "", nm && nm[0] ? ")" : "", (double)hit[c] / tot[c], hit[c], tot[c]);
        }
        if (n_other)
            fprintf(sf, "%s%u samples have labels beyond the learner's %u classes\n", pre, n_other,
                    C);
    } else {
        fprintf(sf, "%sno labelled samples: accuracy not computed\n", pre);
    }
    fprintf(sf, "%s%u samples in %.3f s (%.1f us/sample)\n", pre, ff.n, secs,
            ff.n ? secs * 1e6 / ff.n : 0.0);
    rc = 0;
out:
    if (out && out != stdout) fclose(out);
    free(scores);
    free(hit);
    free(tot);
    free(order);
    featfile_free(&ff);
    cli_learner_free(&L);
    return rc;
}
