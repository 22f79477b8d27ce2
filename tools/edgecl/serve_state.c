/* serve_state.c - the demo server's state file and pending journal.
 *
 * The file is the container of tools/common/statefile.h (docs/demo.md): class table, the
 * learners' own ECLS images and the trained samples (latent + thumbnail), so that deleting a
 * sample can retrain the learners from what remains, also after a restart. A plain ECLS file
 * written by `edgecl learn` is served too: its one learner is used as is, its classes come
 * from the learner's names, and the server marks it "foreign" (trained on data the server
 * does not have), which makes deleting trained samples impossible (serve_samples.c). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "edgecl/crc32.h"
#include "serve_app_int.h"
#include "serve_persist.h"

/* NULL if s is usable as a class name (valid UTF-8 without control characters: C0, DEL, C1),
 * else why not. The JSON reader already refuses malformed UTF-8 in a request; this also guards
 * names that arrive as \u escapes and names read from a state file. */
const char *serve_name_problem(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x20 || p[i] == 0x7f) return "class name has control characters";
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq_len(p + i, n - i);
        if (!k) return "class name is not valid UTF-8";
        if (p[i] == 0xC2 && p[i + 1] < 0xA0) return "class name has control characters";
        i += k;
    }
    return NULL;
}

enum ecl_status serve_make_learner(const struct ecl_learner_params *p, struct ecl_learner **l,
                                   void **mem) {
    size_t need;
    enum ecl_status st = ecl_learner_mem_size(p, &need);
    if (st) return st;
    void *m = malloc(need);
    if (!m) return ECL_EOOM;
    st = ecl_learner_init(p, m, need, l);
    if (st) {
        free(m);
        return st;
    }
    *mem = m;
    return ECL_OK;
}

static enum ecl_status after_state_io(struct serve_app *a, const uint8_t *buf, size_t len);

/* ---------------------------------------------------------------- save */

struct save_ctx {
    struct serve_app *a;
    uint32_t *idx;
};

static void save_sample(void *ctx, uint32_t i, struct statefile_sample *s) {
    struct save_ctx *c = ctx;
    const struct demo_sample *d = &c->a->smp[c->idx[i]];
    s->id = d->id;
    s->cls = d->cls;
    s->round = d->round;
    s->x = d->x;
    s->thumb = d->thumb;
}

enum ecl_status serve_state_save(struct serve_app *a, char *err, size_t errlen) {
    if (serve_learners_finite(a->l, a->nl) != ECL_OK) {
        snprintf(err, errlen, "learned values are not finite (NaN/Inf); %s not replaced",
                 a->state_path);
        return ECL_ERANGE;
    }
    struct statefile_class cls[STATEFILE_MAX_CLASSES];
    struct statefile sf = {0};
    sf.dim = a->dim;
    sf.max_classes = a->max_classes;
    sf.n_classes = a->n_classes;
    sf.rounds = a->rounds;
    sf.flags = a->foreign ? STATEFILE_FOREIGN : 0;
    sf.classes = cls;
    for (uint32_t c = 0; c < a->n_classes; c++) {
        memcpy(cls[c].name, a->cls[c].name, ECL_CLASS_NAME_MAX);
        cls[c].trained = a->cls[c].trained;
    }
    struct save_ctx sc = {a, malloc(sizeof(uint32_t) * (a->n_smp + 1))};
    void *img[SERVE_MAX_LEARNERS] = {0};
    uint8_t *buf = NULL;
    enum ecl_status st = sc.idx ? ECL_OK : ECL_EOOM;
    for (uint32_t i = 0; i < a->n_smp && !st; i++)
        if (a->smp[i].round) sc.idx[sf.n_samples++] = i;
    sf.thumb_side = SERVE_THUMB_SIDE;
    sf.sample = save_sample;
    sf.sample_ctx = &sc;
    sf.n_learners = (uint32_t)a->nl;
    for (int i = 0; i < a->nl && !st; i++) {
        size_t ls = 0, wr = 0;
        st = ecl_learner_state_size(a->l[i], &ls);
        if (!st && !(img[i] = malloc(ls))) st = ECL_EOOM;
        if (!st) st = ecl_learner_state_write(a->l[i], img[i], ls, &wr);
        /* never write what cannot be read back: the reader's own validation first */
        if (!st && wr == ls) st = ecl_learner_state_check(a->l[i], img[i], ls);
        if (!st && wr != ls) st = ECL_ESTATE;
        sf.learners[i].kind = (uint32_t)a->kinds[i];
        sf.learners[i].img = img[i];
        sf.learners[i].len = ls;
        if (st) snprintf(err, errlen, "learner state write: %s", ecl_status_str(st));
    }
    size_t total = statefile_size(&sf), wr = 0;
    if (!st && !(buf = malloc(total))) st = ECL_EOOM;
    if (!st) st = statefile_write(&sf, buf, total, &wr);
    if (st == ECL_EOOM) snprintf(err, errlen, "out of memory");
    if (!st) {
        st = ecl_port_save_atomic_if(a->state_path, buf, total, &a->src, &a->src);
        if (st != ECL_OK)
            snprintf(err, errlen, "%s", ecl_port_error());
        else if (after_state_io(a, buf, total) != ECL_OK)
            fprintf(stderr,
                    "edgecl serve: state saved, but the pending samples' journal could not "
                    "be rewritten: %s\n",
                    ecl_port_error());
    }
    for (int i = 0; i < a->nl; i++)
        free(img[i]);
    free(sc.idx);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------- load */

/* What a file holds, parsed into fresh learners before anything in a is touched. */
struct loaded {
    struct statefile_class cls[STATEFILE_MAX_CLASSES];
    uint32_t n_classes, max_classes, rounds;
    int nl, foreign;
    enum ecl_learner_kind kinds[SERVE_MAX_LEARNERS];
    struct ecl_learner *l[SERVE_MAX_LEARNERS];
    void *lmem[SERVE_MAX_LEARNERS];
};

static enum ecl_status load_learner(struct serve_app *a, struct loaded *ld, uint32_t kind,
                                    const void *img, size_t len, char *err, size_t errlen) {
    struct ecl_learner_params p;
    int i = ld->nl;
    enum ecl_status st = ecl_learner_state_params(img, len, &p);
    if (!st && p.dim != a->dim) {
        snprintf(err, errlen,
                 "state was made with %u-d latents but the backbone gives %u "
                 "(different model or --cut?)",
                 p.dim, a->dim);
        return ECL_ERANGE;
    }
    if (!st && (p.kind != (enum ecl_learner_kind)kind || p.max_classes < 2 ||
                p.max_classes > STATEFILE_MAX_CLASSES))
        st = ECL_ECORRUPT;
    if (!st) st = serve_make_learner(&p, &ld->l[i], &ld->lmem[i]);
    if (!st) st = ecl_learner_state_read(ld->l[i], img, len);
    if (st) {
        snprintf(err, errlen, "%s learner: %s", ecl_learner_kind_name((enum ecl_learner_kind)kind),
                 ecl_status_str(st));
        return st;
    }
    ld->kinds[i] = p.kind;
    ld->nl++;
    if (ld->max_classes == 0) ld->max_classes = p.max_classes;
    if (p.max_classes != ld->max_classes) {
        snprintf(err, errlen, "learners disagree on the number of classes");
        return ECL_ECORRUPT;
    }
    return ECL_OK;
}

static void free_samples(struct demo_sample *s, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        free(s[i].x);
    free(s);
}

/* A container: learners, class table, kept samples. */
static enum ecl_status load_container(struct serve_app *a, struct loaded *ld, const uint8_t *buf,
                                      size_t len, struct demo_sample **smp, uint32_t *nsmp,
                                      uint32_t *next_id, char *err, size_t errlen) {
    struct statefile sf;
    enum ecl_status st = statefile_parse(buf, len, ld->cls, &sf, err, errlen);
    if (st) return st;
    if (sf.dim != a->dim) {
        snprintf(err, errlen,
                 "state was made with %u-d latents but the backbone gives %u "
                 "(different model or --cut?)",
                 sf.dim, a->dim);
        return ECL_ERANGE;
    }
    for (uint32_t c = 0; c < sf.n_classes; c++) {
        const char *why = serve_name_problem(ld->cls[c].name);
        if (why) {
            snprintf(err, errlen, "class %u: %s", c, why);
            return ECL_ECORRUPT;
        }
    }
    for (uint32_t i = 0; i < sf.n_learners; i++) {
        st = load_learner(a, ld, sf.learners[i].kind, sf.learners[i].img, sf.learners[i].len, err,
                          errlen);
        if (st) return st;
    }
    if (ld->max_classes != sf.max_classes) {
        snprintf(err, errlen, "state has %u/%u classes, its learners %u", sf.n_classes,
                 sf.max_classes, ld->max_classes);
        return ECL_ERANGE;
    }
    ld->n_classes = sf.n_classes;
    ld->rounds = sf.rounds;
    ld->foreign = (sf.flags & STATEFILE_FOREIGN) != 0;
    if (sf.thumb_side && sf.thumb_side != SERVE_THUMB_SIDE) sf.n_samples = 0, ld->foreign = 1;
    uint32_t per[STATEFILE_MAX_CLASSES] = {0};
    *smp = calloc(sf.n_samples + 1, sizeof **smp);
    if (!*smp) return ECL_EOOM;
    for (uint32_t i = 0; i < sf.n_samples; i++) {
        struct demo_sample *d = &(*smp)[i];
        if (!(d->x = malloc(sizeof(float) * a->dim))) {
            free_samples(*smp, i);
            return ECL_EOOM;
        }
        statefile_sample_get(&sf, i, &d->id, &d->cls, &d->round, d->x,
                             sf.thumb_side ? d->thumb : NULL);
        per[d->cls]++;
        if (d->id >= *next_id) *next_id = d->id + 1;
    }
    *nsmp = sf.n_samples;
    /* an old (version 1) file, or one whose learners learned more than it keeps */
    for (uint32_t c = 0; c < sf.n_classes; c++)
        if (per[c] != ld->cls[c].trained) ld->foreign = 1;
    return ECL_OK;
}

/* A plain learner state from `edgecl learn`: one learner, classes named by it. */
static enum ecl_status load_plain(struct serve_app *a, struct loaded *ld, const uint8_t *buf,
                                  size_t len, char *err, size_t errlen) {
    struct ecl_learner_params p;
    if (ecl_learner_state_params(buf, len, &p) != ECL_OK) {
        snprintf(err, errlen,
                 "neither an edgecl demo state nor an edgecl learner state (bad magic)");
        return ECL_EFORMAT;
    }
    enum ecl_status st = load_learner(a, ld, (uint32_t)p.kind, buf, len, err, errlen);
    if (st) return st;
    ld->n_classes = ecl_learner_n_classes(ld->l[0]);
    for (uint32_t c = 0; c < ld->n_classes; c++) {
        const char *n = ecl_learner_class_name(ld->l[0], (int32_t)c);
        if (!n || !n[0] || serve_name_problem(n))
            snprintf(ld->cls[c].name, ECL_CLASS_NAME_MAX, "class %u", c);
        else
            snprintf(ld->cls[c].name, ECL_CLASS_NAME_MAX, "%s", n);
        ld->cls[c].trained = 0;
    }
    ld->rounds = 0;
    ld->foreign = ecl_learner_n_seen(ld->l[0]) > 0;
    return ECL_OK;
}

/* Parses a state image; touches nothing in a unless everything checks out. */
static enum ecl_status state_load_buf(struct serve_app *a, const uint8_t *buf, size_t len,
                                      char *err, size_t errlen) {
    struct loaded *ld = calloc(1, sizeof *ld);
    if (!ld) return ECL_EOOM;
    struct demo_sample *smp = NULL;
    uint32_t nsmp = 0, next_id = 0;
    enum ecl_status st = statefile_is_container(buf, len)
                             ? load_container(a, ld, buf, len, &smp, &nsmp, &next_id, err, errlen)
                             : load_plain(a, ld, buf, len, err, errlen);
    if (st) {
        for (int i = 0; i < ld->nl; i++)
            free(ld->lmem[i]);
        free(ld);
        return st;
    }
    /* commit */
    for (int i = 0; i < a->nl; i++)
        free(a->lmem[i]);
    a->nl = ld->nl;
    for (int i = 0; i < ld->nl; i++) {
        a->kinds[i] = ld->kinds[i];
        a->l[i] = ld->l[i];
        a->lmem[i] = ld->lmem[i];
    }
    serve_samples_free(a);
    a->smp = smp;
    a->n_smp = a->cap_smp = nsmp;
    a->next_id = next_id;
    memset(a->cls, 0, sizeof a->cls);
    for (uint32_t c = 0; c < ld->n_classes; c++) {
        memcpy(a->cls[c].name, ld->cls[c].name, ECL_CLASS_NAME_MAX);
        a->cls[c].trained = ld->cls[c].trained;
    }
    a->n_classes = ld->n_classes;
    a->max_classes = ld->max_classes;
    a->rounds = ld->rounds;
    a->foreign = ld->foreign;
    free(ld);
    return ECL_OK;
}

int serve_state_load(struct serve_app *a, char *err, size_t errlen) {
    struct stat sb;
    if (!a->state_path || stat(a->state_path, &sb) != 0) return 0;
    void *buf;
    size_t len;
    struct ecl_port_file_id id;
    enum ecl_status st = ecl_port_read_file_id(a->state_path, &buf, &len, &id);
    if (st) {
        snprintf(err, errlen, "cannot read the state: %s", ecl_port_error());
        return -1;
    }
    char e2[400];
    st = state_load_buf(a, buf, len, e2, sizeof e2);
    /* This version of the file has now been seen: a later save may replace it, even if it
     * was refused here (the user was told, e.g. by /api/restore's 422, and chose to save). */
    a->src = id;
    if (st == ECL_OK) after_state_io(a, buf, len);
    free(buf);
    if (st) {
        snprintf(err, errlen, "%s: %s", a->state_path, e2);
        return -1;
    }
    return 1;
}

/* ---------------------------------------------------------------- pending journal
 * (serve_journal.h): replay into the class table and pending samples, list for a rewrite. */

static int j_add_class(void *ctx, const char *name) {
    struct serve_app *a = ctx;
    if (a->n_classes >= a->max_classes || !name[0] || serve_name_problem(name)) return 1;
    for (uint32_t c = 0; c < a->n_classes; c++)
        if (!strcmp(a->cls[c].name, name)) return 1;
    struct demo_class *c = &a->cls[a->n_classes];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->trained = c->n_pending = 0;
    a->n_classes++;
    return 0;
}

static int j_add_sample(void *ctx, uint32_t id, const float *x, const uint8_t *thumb) {
    struct serve_app *a = ctx;
    if (id >= a->n_classes) return 1;
    if (a->cls[id].n_pending >= a->max_pending) return 0; /* over the limit: dropped */
    return serve_sample_add(a, id, 0, a->next_id++, x, thumb) != ECL_OK;
}

static int j_pending(void *ctx, uint32_t i, uint32_t *cls, const float **x, const uint8_t **thumb) {
    struct serve_app *a = ctx;
    for (uint32_t k = 0; k < a->n_smp; k++)
        if (a->smp[k].round == 0 && i-- == 0) {
            *cls = a->smp[k].cls;
            *x = a->smp[k].x;
            *thumb = a->smp[k].thumb;
            return 0;
        }
    return 1;
}

const struct serve_journal_cb SERVE_JCB = {j_add_class, j_add_sample, j_pending};

/* The state file now holds buf (just saved or loaded): the journal keeps what is pending. */
static enum ecl_status after_state_io(struct serve_app *a, const uint8_t *buf, size_t len) {
    a->base_exists = 1;
    a->base_crc = ecl_crc32(0, buf, len);
    return serve_journal_rewrite(a->journal, 1, a->base_crc, &SERVE_JCB, a);
}
