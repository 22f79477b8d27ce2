/* edgecl export - the learned classifier as one standard .tflite file (tools/common/export.h):
 * the backbone up to the cut layer, the pooling/dequantisation edgecl applies to the cut
 * tensor, the learner's classifier (dense head, or SLDA's / NCM's equivalent linear layer) and
 * SOFTMAX, with the class names in the model's metadata and in a labels file beside it.
 *
 * Why --model and --cut: a state file records the learner (kind, dimension, weights, class
 * names) but not which backbone and cut layer produced its latents (feature files do not record
 * it either). So export takes them like `edgecl extract` does, with the same defaults, and
 * refuses a pair whose latent size differs from the learner's. A same-sized but different cut
 * cannot be detected: pass the ones the features were extracted with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "cmds.h"
#include "edgecl/port.h"
#include "export.h"
#include "fe.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgecl export --state S.ecls [--model M.tflite] [--cut T] --out C.tflite\n"
            "Writes the learner in S as one standard TensorFlow Lite model: the backbone M up to\n"
            "tensor T, the pooling edgecl applies to it, the learned classifier and a softmax.\n"
            "Its input is M's input (prepared as for M); its output, 'probabilities', has one\n"
            "entry per class. Class names go into the model's TFLite metadata (labels.txt, as\n"
            "tflite-support writes it) and, one per line, into a labels file.\n\n"
            "  --state PATH    learner state file (edgecl learn)\n"
            "  --model PATH    the backbone the features were extracted with (default %s)\n"
            "  --cut T         the cut tensor they were extracted at (default %s;\n"
            "                  'output' = the model's output)\n"
            "  --no-pool       the features were extracted with --no-pool\n"
            "  --out PATH      the .tflite file to write\n"
            "  --labels PATH   the labels file (default: PATH of --out with .tflite replaced by\n"
            "                  .labels.txt)\n"
            "The state does not record the model and cut: pass those of `edgecl extract`; a\n"
            "latent size that differs from the learner's is refused.\n",
            fe_default_model_path(), FE_CUT_HELP);
}

static char *default_labels_path(const char *out) {
    size_t n = strlen(out);
    const char *ext = ".tflite";
    if (n > strlen(ext) && !strcmp(out + n - strlen(ext), ext)) n -= strlen(ext);
    char *p = malloc(n + sizeof ".labels.txt");
    if (p) {
        memcpy(p, out, n);
        strcpy(p + n, ".labels.txt");
    }
    return p;
}

int cmd_export(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *state = NULL, *model = NULL, *cut = FE_CUT_DEFAULT, *outp = NULL, *labp = NULL;
    const char *v;
    int pool = 1;
    char err[512];
    for (int i = 1; i < argc; i++) {
        if ((v = cli_opt(argc, argv, &i, "--state")))
            state = v;
        else if ((v = cli_opt(argc, argv, &i, "--model")))
            model = v;
        else if ((v = cli_opt(argc, argv, &i, "--cut")))
            cut = v;
        else if ((v = cli_opt(argc, argv, &i, "--out")))
            outp = v;
        else if ((v = cli_opt(argc, argv, &i, "--labels")))
            labp = v;
        else if (cli_flag(argv, i, "--no-pool"))
            pool = 0;
        else {
            cli_bad_opt("export", argc, argv, i);
            return 2;
        }
    }
    if (!state || !outp) {
        fprintf(stderr, "export: --state and --out are required (see edgecl export --help)\n");
        return 2;
    }
    if (!model) model = fe_default_model_path();
    int rc = 1;
    struct cli_learner L;
    struct fe *fe = NULL;
    void *file = NULL;
    size_t file_len = 0, out_len = 0;
    uint8_t *tfl = NULL;
    char *labels = NULL, *labp_own = NULL;
    if (cli_state_load(state, &L, NULL, NULL, err, sizeof err)) {
        fprintf(stderr, "export: %s\n", err);
        return 1;
    }
    const struct ecl_learner_params *p = ecl_learner_params(L.l);
    if (ecl_learner_n_classes(L.l) == 0) {
        fprintf(stderr, "export: %s has not learned any class yet (run edgecl learn)\n", state);
        goto out;
    }
    /* Resolve the cut as extract does (and check the backbone runs in edgecl). */
    struct fe_opts fo = fe_default_opts();
    fo.cut = strcmp(cut, "output") ? cut : NULL;
    fo.pool = pool;
    if (fe_open(model, &fo, &fe, err, sizeof err)) {
        fprintf(stderr, "export: %s\n", err);
        goto out;
    }
    if (fe_dim(fe) != p->dim) {
        fprintf(stderr,
                "export: the learner in %s expects %u-d latents but %s cut at '%s' gives %u "
                "(pass the --model, --cut and --no-pool the features were extracted with)\n",
                state, p->dim, model, fe_cut_name(fe), fe_dim(fe));
        goto out;
    }
    if (fe_read_model_file(model, &file, &file_len, err, sizeof err)) {
        fprintf(stderr, "export: %s\n", err);
        goto out;
    }
    struct export_opts eo = export_default_opts();
    eo.cut = fe_cut_tensor(fe);
    eo.has_norm = fe_input_norm(fe, &eo.mean, &eo.std);
    eo.pool = pool;
    if (export_tflite(file, file_len, &eo, L.l, &tfl, &out_len, err, sizeof err)) {
        fprintf(stderr, "export: %s: %s\n", model, err);
        goto out;
    }
    labels = export_labels(L.l);
    if (!labp) labp = labp_own = default_labels_path(outp);
    if (!labels || !labp) {
        fprintf(stderr, "export: out of memory\n");
        goto out;
    }
    enum ecl_status st = ecl_port_save_atomic(outp, tfl, out_len);
    if (st) {
        fprintf(stderr, "export: %s\n", ecl_port_error());
        goto out;
    }
    if ((st = ecl_port_save_atomic(labp, labels, strlen(labels)))) {
        fprintf(stderr, "export: %s\n", ecl_port_error());
        goto out;
    }
    printf("wrote %s (%zu bytes): %s classifier, %u classes, on %s cut at '%s'; input: %s\n", outp,
           out_len, ecl_learner_kind_name(p->kind), ecl_learner_n_classes(L.l), model,
           fe_cut_name(fe), fe_preprocess_desc(fe));
    printf("wrote %s (class names, one per line)\n", labp);
    rc = 0;
out:
    fe_close(fe);
    free(file);
    free(tfl);
    free(labels);
    free(labp_own);
    cli_learner_free(&L);
    return rc;
}
