/* make_container - writes a demo container (version 2, tools/common/statefile.h) with
 * statefile_write, the writer the demo server uses, for the CLI tests.
 * usage: make_container OUT MAX_CLASSES NAMES THUMB_SIDE N_SAMPLES KIND=STATE.ecls...
 *   NAMES: the class table, comma-separated ("cat,dog"); every class gets the samples
 *   i % n_classes of N_SAMPLES kept samples (id i+1, round 1, latent and thumbnail made from i),
 *   and its trained count is that number. The learners are the ECLS files given, in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/port.h"
#include "statefile.h"

struct gen {
    uint32_t dim, side, n_classes;
    float *x;
    uint8_t *thumb;
};

static void sample(void *ctx, uint32_t i, struct statefile_sample *s) {
    struct gen *g = ctx;
    s->id = i + 1;
    s->cls = i % g->n_classes;
    s->round = 1;
    for (uint32_t j = 0; j < g->dim; j++)
        g->x[j] = (float)i + (float)j / 64.0f;
    for (uint32_t j = 0; j < g->side * g->side * 3; j++)
        g->thumb[j] = (uint8_t)(i * 7 + j);
    s->x = g->x;
    s->thumb = g->thumb;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: make_container OUT MAX_CLASSES NAMES THUMB_SIDE N_SAMPLES "
                        "KIND=STATE.ecls...\n");
        return 2;
    }
    static struct statefile_class cls[STATEFILE_MAX_CLASSES];
    struct statefile sf;
    memset(&sf, 0, sizeof sf);
    sf.max_classes = (uint32_t)atoi(argv[2]);
    sf.rounds = 1;
    sf.classes = cls;
    for (char *t = strtok(argv[3], ","); t && sf.n_classes < STATEFILE_MAX_CLASSES;
         t = strtok(NULL, ","))
        snprintf(cls[sf.n_classes++].name, ECL_CLASS_NAME_MAX, "%s", t);
    struct gen g = {0, (uint32_t)atoi(argv[4]), sf.n_classes, NULL, NULL};
    sf.thumb_side = g.side;
    sf.n_samples = (uint32_t)atoi(argv[5]);
    for (uint32_t i = 0; i < sf.n_samples; i++)
        cls[i % sf.n_classes].trained++;
    void *bufs[STATEFILE_MAX_LEARNERS] = {0};
    for (int a = 6; a < argc && sf.n_learners < STATEFILE_MAX_LEARNERS; a++) {
        char *eq = strchr(argv[a], '=');
        enum ecl_learner_kind k;
        struct ecl_learner_params p;
        struct statefile_learner *L = &sf.learners[sf.n_learners];
        if (!eq) return 2;
        *eq = 0;
        if (ecl_learner_kind_parse(argv[a], &k) ||
            ecl_port_read_file(eq + 1, &bufs[sf.n_learners], &L->len) ||
            ecl_learner_state_params(bufs[sf.n_learners], L->len, &p)) {
            fprintf(stderr, "make_container: bad learner %s=%s\n", argv[a], eq + 1);
            return 1; /* exits: the buffers go with the process */
        }
        L->kind = (uint32_t)k;
        L->img = bufs[sf.n_learners++];
        sf.dim = g.dim = p.dim;
    }
    g.x = malloc(sizeof(float) * g.dim);
    g.thumb = malloc((size_t)g.side * g.side * 3 + 1);
    sf.sample = sample;
    sf.sample_ctx = &g;
    size_t need = statefile_size(&sf), w;
    void *out = malloc(need);
    int rc = 0;
    if (!out || !g.x || !g.thumb || statefile_write(&sf, out, need, &w) ||
        ecl_port_save_atomic(argv[1], out, w)) {
        fprintf(stderr, "make_container: cannot write %s\n", argv[1]);
        rc = 1;
    }
    for (uint32_t i = 0; i < sf.n_learners; i++)
        free(bufs[i]);
    free(out);
    free(g.x);
    free(g.thumb);
    return rc;
}
