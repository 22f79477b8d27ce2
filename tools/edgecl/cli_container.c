/* `learn` into the demo's container (cli_container.h). */
#include "cli_container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/port.h"
#include "statefile.h"

struct cli_container {
    void *buf; /* the container as read; sf points into it */
    size_t len;
    struct statefile sf;
    struct statefile_class cls[STATEFILE_MAX_CLASSES];
    int pick; /* the learner being taught */
};

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), 1)

static int align_names(const struct cli_container *c, struct cli_learner *L, const char *path,
                       char *err, size_t errlen) {
    const struct ecl_learner_params *p = ecl_learner_params(L->l);
    const char *kind = ecl_learner_kind_name(p->kind);
    if (c->sf.dim != p->dim)
        return ERR("%s: the demo state is %u-d but its %s learner %u-d", path, c->sf.dim, kind,
                   p->dim);
    if (c->sf.n_classes > p->max_classes)
        return ERR("%s: the demo state has %u classes but its %s learner holds at most %u", path,
                   c->sf.n_classes, kind, p->max_classes);
    for (uint32_t k = 0; k < c->sf.n_classes; k++) {
        const char *want = c->cls[k].name, *has = ecl_learner_class_name(L->l, (int32_t)k);
        if (has[0] && strcmp(has, want) != 0)
            return ERR("%s: class %u is '%s' in the demo state but '%s' in its %s learner; "
                       "refusing to write it",
                       path, k, want, has, kind);
        if (want[0]) ecl_learner_set_class_name(L->l, (int32_t)k, want);
    }
    for (uint32_t k = c->sf.n_classes; k < ecl_learner_n_classes(L->l); k++)
        if (ecl_learner_class_name(L->l, (int32_t)k)[0])
            return ERR("%s: its %s learner knows class '%s' that the demo state's class table "
                       "does not; refusing to write it",
                       path, kind, ecl_learner_class_name(L->l, (int32_t)k));
    return 0;
}

int cli_container_open(const char *path, struct cli_learner *L, struct cli_container **out,
                       char *err, size_t errlen) {
    *out = NULL;
    struct cli_container *c = calloc(1, sizeof *c);
    if (!c) return ERR("out of memory");
    char e[200];
    if (ecl_port_read_file(path, &c->buf, &c->len) != ECL_OK) {
        snprintf(err, errlen, "cannot read %s: %s", path, ecl_port_error());
        free(c);
        return 1;
    }
    if (statefile_parse(c->buf, c->len, c->cls, &c->sf, e, sizeof e) != ECL_OK ||
        (c->pick = statefile_find_learner(&c->sf, L->picked)) < 0 ||
        align_names(c, L, path, e, sizeof e)) {
        if (c->pick < 0) snprintf(e, sizeof e, "%s changed while it was read", path);
        snprintf(err, errlen, "%s", e);
        cli_container_free(c);
        return 1;
    }
    *out = c;
    return 0;
}

struct samples_ctx {
    const struct statefile *sf;
    float *x;
    uint8_t *thumb;
};

static void sample_at(void *ctx, uint32_t i, struct statefile_sample *s) {
    struct samples_ctx *k = ctx;
    statefile_sample_get(k->sf, i, &s->id, &s->cls, &s->round, k->x, k->thumb);
    s->x = k->x; /* statefile_write copies each sample before asking for the next */
    s->thumb = k->sf->thumb_side ? k->thumb : NULL;
}

int cli_container_save(const struct cli_container *c, const struct cli_learner *L,
                       const uint32_t *learned, uint32_t n_learned, const char *path, char *err,
                       size_t errlen) {
    static struct statefile_class cls[STATEFILE_MAX_CLASSES];
    struct statefile sf = c->sf;
    uint32_t n = ecl_learner_n_classes(L->l);
    if (n < sf.n_classes) n = sf.n_classes;
    if (n > sf.max_classes)
        return ERR("%s holds at most %u classes (the demo's limit); this would make %u; %s is "
                   "unchanged",
                   path, sf.max_classes, n, path);
    for (uint32_t k = 0; k < n; k++) {
        memset(&cls[k], 0, sizeof cls[k]);
        snprintf(cls[k].name, sizeof cls[k].name, "%s",
                 k < sf.n_classes ? c->cls[k].name : ecl_learner_class_name(L->l, (int32_t)k));
        cls[k].trained =
            (k < sf.n_classes ? c->cls[k].trained : 0) + (k < n_learned ? learned[k] : 0);
    }
    sf.n_classes = n;
    sf.classes = cls;
    sf.flags |= STATEFILE_FOREIGN;
    void *img = NULL, *out = NULL;
    size_t img_len = 0, out_len = 0;
    if (cli_state_image(L, path, &img, &img_len, err, errlen)) return 1;
    sf.learners[c->pick].img = img;
    sf.learners[c->pick].len = img_len;
    struct samples_ctx k = {&c->sf, malloc(sizeof(float) * (c->sf.dim ? c->sf.dim : 1)),
                            malloc((size_t)c->sf.thumb_side * c->sf.thumb_side * 3 + 1)};
    sf.sample = sample_at;
    sf.sample_ctx = &k;
    size_t need = statefile_size(&sf);
    out = malloc(need);
    int rc = 1;
    char e[200];
    static struct statefile_class back[STATEFILE_MAX_CLASSES];
    struct statefile chk;
    if (!out || !k.x || !k.thumb) {
        snprintf(err, errlen, "out of memory (%zu bytes of demo state)", need);
    } else if (statefile_write(&sf, out, need, &out_len) != ECL_OK ||
               statefile_parse(out, out_len, back, &chk, e, sizeof e) != ECL_OK) {
        snprintf(err, errlen, "the demo state written does not read back; %s is unchanged", path);
    } else {
        enum ecl_status st = ecl_port_save_atomic_if(path, out, out_len, &L->src, NULL);
        if (st == ECL_ESTATE)
            snprintf(err, errlen,
                     "%s (another writer that did not take the lock?); this run's learning is "
                     "not saved: run it again",
                     ecl_port_error());
        else if (st != ECL_OK)
            snprintf(err, errlen, "cannot save state: %s", ecl_port_error());
        rc = st != ECL_OK;
    }
    free(out);
    free(img);
    free(k.x);
    free(k.thumb);
    return rc;
}

void cli_container_free(struct cli_container *c) {
    if (!c) return;
    free(c->buf);
    free(c);
}
