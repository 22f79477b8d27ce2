/* serve_samples.c - the samples the demo server keeps (latent + thumbnail of every captured
 * or uploaded image), their thumbnails for the page, and deleting a sample or a class.
 *
 * What "delete" means (docs/demo.md): the head learners (replay, naive) cannot unlearn a
 * sample, and subtracting one from NCM/SLDA statistics would leave replay and naive out of step
 * with them. So a delete that touches trained data retrains every learner from scratch on the
 * remaining kept samples, round by round in their original order: the result is what the
 * learners would be had the deleted images never been captured (up to the shuffling within a
 * round). Pending samples are simply dropped. Learners loaded with training the server has no
 * samples of (a CLI state, see serve_state.c) cannot be rebuilt: deleting trained data is then
 * refused (409) instead of silently losing that training. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "learn_defaults.h"
#include "serve_app_int.h"
#include "serve_persist.h"

static uint32_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 16);
}

enum ecl_status serve_sample_add(struct serve_app *a, uint32_t cls, uint32_t round, uint32_t id,
                                 const float *x, const uint8_t *thumb) {
    if (a->n_smp >= SERVE_MAX_SAMPLES) return ECL_ERANGE;
    if (a->n_smp == a->cap_smp) {
        uint32_t cap = a->cap_smp ? a->cap_smp * 2 : 64;
        struct demo_sample *n = realloc(a->smp, sizeof *n * cap);
        if (!n) return ECL_EOOM;
        a->smp = n;
        a->cap_smp = cap;
    }
    struct demo_sample *d = &a->smp[a->n_smp];
    if (!(d->x = malloc(sizeof(float) * a->dim))) return ECL_EOOM;
    memcpy(d->x, x, sizeof(float) * a->dim);
    if (thumb)
        memcpy(d->thumb, thumb, SERVE_THUMB_BYTES);
    else
        memset(d->thumb, 128, SERVE_THUMB_BYTES);
    d->id = id;
    d->cls = cls;
    d->round = round;
    a->n_smp++;
    if (!round) a->cls[cls].n_pending++;
    return ECL_OK;
}

void serve_samples_free(struct serve_app *a) {
    for (uint32_t i = 0; i < a->n_smp; i++)
        free(a->smp[i].x);
    free(a->smp);
    a->smp = NULL;
    a->n_smp = a->cap_smp = 0;
}

/* Centre square of the image, box-averaged to SERVE_THUMB_SIDE^2. */
void serve_thumb_make(const uint8_t *rgb, int w, int h, uint8_t *thumb) {
    int s = w < h ? w : h, x0 = (w - s) / 2, y0 = (h - s) / 2, T = SERVE_THUMB_SIDE;
    for (int ty = 0; ty < T; ty++)
        for (int tx = 0; tx < T; tx++) {
            int ya = y0 + ty * s / T, yb = y0 + (ty + 1) * s / T;
            int xa = x0 + tx * s / T, xb = x0 + (tx + 1) * s / T;
            if (yb <= ya) yb = ya + 1;
            if (xb <= xa) xb = xa + 1;
            unsigned long acc[3] = {0}, n = 0;
            for (int y = ya; y < yb; y++)
                for (int x = xa; x < xb; x++, n++)
                    for (int c = 0; c < 3; c++)
                        acc[c] += rgb[((size_t)y * w + x) * 3 + c];
            for (int c = 0; c < 3; c++)
                thumb[(ty * T + tx) * 3 + c] = (uint8_t)(acc[c] / n);
        }
}

/* ---------------------------------------------------------------- learning */

enum ecl_status serve_observe_round(struct serve_app *a, const uint32_t *idx, uint32_t n,
                                    int *which) {
    float *x = malloc(sizeof(float) * a->dim * n);
    int32_t *y = malloc(sizeof(int32_t) * n);
    uint32_t *perm = malloc(sizeof(uint32_t) * n);
    enum ecl_status st = (x && y && perm) ? ECL_OK : ECL_EOOM;
    *which = -1;
    /* Shuffled so one round's classes are interleaved in the mini-batches. */
    for (uint32_t i = 0; i < n && !st; i++)
        perm[i] = i;
    for (uint32_t i = n - 1; i > 0 && !st; i--) {
        uint32_t j = rng_next(&a->rng) % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t k = 0; k < n && !st; k++) {
        const struct demo_sample *d = &a->smp[idx[k]];
        memcpy(x + (size_t)perm[k] * a->dim, d->x, sizeof(float) * a->dim);
        y[perm[k]] = (int32_t)d->cls;
    }
    for (int i = 0; i < a->nl && !st; i++) {
        struct learn_settle settle; /* the tools' early stop (learn_defaults.h), as `learn` */
        learn_settle_init(&settle, n, ecl_learner_params(a->l[i])->batch_size);
        st = ecl_learner_observe_epochs(a->l[i], x, y, n, learn_settle_epoch, &settle);
        if (st == ECL_OK && ecl_learner_check_finite(a->l[i]) != ECL_OK) st = ECL_ERANGE;
        if (st) {
            *which = i;
            break;
        }
        for (uint32_t c = 0; c < a->n_classes && c < ecl_learner_n_classes(a->l[i]); c++)
            ecl_learner_set_class_name(a->l[i], (int32_t)c, a->cls[c].name);
    }
    free(x), free(y), free(perm);
    return st;
}

enum ecl_status serve_rebuild(struct serve_app *a, char *err, size_t errlen) {
    uint32_t *idx = malloc(sizeof(uint32_t) * (a->n_smp + 1));
    uint32_t *map = calloc(a->rounds + 1, sizeof(uint32_t));
    struct serve_snapshot snap;
    if (!idx || !map || serve_snapshot_take(a->l, a->nl, &snap)) {
        free(idx), free(map);
        snprintf(err, errlen, "out of memory");
        return ECL_EOOM;
    }
    enum ecl_status st = ECL_OK;
    for (int i = 0; i < a->nl && !st; i++)
        st = ecl_learner_reset(a->l[i]);
    uint32_t nr = 0;
    int which = -1;
    for (uint32_t r = 1; r <= a->rounds && !st; r++) {
        uint32_t n = 0;
        for (uint32_t k = 0; k < a->n_smp; k++)
            if (a->smp[k].round == r) idx[n++] = k;
        if (!n) continue; /* a round all of whose samples were deleted */
        map[r] = ++nr;
        st = serve_observe_round(a, idx, n, &which);
    }
    if (st) {
        serve_snapshot_restore(a->l, a->nl, &snap);
        snprintf(err, errlen, "retraining%s%s failed: %s", which >= 0 ? " the " : "",
                 which >= 0 ? ecl_learner_kind_name(a->kinds[which]) : "",
                 st == ECL_ERANGE ? "values not finite" : ecl_status_str(st));
    } else {
        for (uint32_t k = 0; k < a->n_smp; k++)
            a->smp[k].round = a->smp[k].round ? map[a->smp[k].round] : 0;
        a->rounds = nr;
    }
    serve_snapshot_free(&snap);
    free(idx), free(map);
    return st;
}

/* ---------------------------------------------------------------- delete */

/* Deletes one sample (by_class 0, key = sample id) or a class and its samples (key = class
 * index; later classes move down by one). */
static void do_delete(struct serve_app *a, int by_class, uint32_t key, struct serve_resp *r) {
    uint32_t found = 0, trained_hit = 0, seen_max = 0;
    for (int i = 0; i < a->nl; i++)
        if (ecl_learner_n_classes(a->l[i]) > seen_max) seen_max = ecl_learner_n_classes(a->l[i]);
    for (uint32_t k = 0; k < a->n_smp; k++)
        if (by_class ? a->smp[k].cls == key : a->smp[k].id == key) {
            found++;
            trained_hit += a->smp[k].round != 0;
        }
    if (!by_class && !found) return serve_resp_err(r, 404, "no sample with id %u", key);
    /* a class the learners know shifts the labels of every later class: retrain */
    int rebuild = trained_hit > 0 || (by_class && key < seen_max);
    if (rebuild && a->foreign)
        return serve_resp_err(r, 409,
                              "the learners were trained on data this server does not keep (a "
                              "state from `edgecl learn` or an older demo): they cannot unlearn "
                              "it; delete only pending samples, or Reset");
    struct demo_sample *ns = malloc(sizeof *ns * (a->n_smp + 1));
    struct demo_class *oc = malloc(sizeof a->cls);
    if (!ns || !oc) {
        free(ns), free(oc);
        return serve_resp_err(r, 500, "out of memory");
    }
    memcpy(oc, a->cls, sizeof a->cls);
    uint32_t on = a->n_smp, onc = a->n_classes, nn = 0;
    struct demo_sample *os = a->smp;
    for (uint32_t k = 0; k < on; k++) {
        struct demo_sample d = os[k];
        if (by_class ? d.cls == key : d.id == key) {
            if (!by_class && d.round) a->cls[d.cls].trained--;
            if (!by_class && !d.round) a->cls[d.cls].n_pending--;
            continue;
        }
        if (by_class && d.cls > key) d.cls--;
        ns[nn++] = d;
    }
    if (by_class) {
        memmove(&a->cls[key], &a->cls[key + 1], sizeof a->cls[0] * (a->n_classes - key - 1));
        memset(&a->cls[a->n_classes - 1], 0, sizeof a->cls[0]);
        a->n_classes--;
    }
    a->smp = ns;
    a->n_smp = nn;
    a->cap_smp = on + 1;
    char e[512] = "";
    if (rebuild && serve_rebuild(a, e, sizeof e) != ECL_OK) {
        a->smp = os, a->n_smp = on, a->cap_smp = on; /* undo: nothing changed */
        memcpy(a->cls, oc, sizeof a->cls);
        a->n_classes = onc;
        free(ns), free(oc);
        return serve_resp_err(r, 500, "%s; nothing was deleted", e);
    }
    for (uint32_t k = 0; k < on; k++)
        if (by_class ? os[k].cls == key : os[k].id == key) free(os[k].x);
    free(os), free(oc);
    if (!a->n_classes) a->rounds = 0;
    int saved = a->state_path && serve_state_save(a, e, sizeof e) == ECL_OK;
    struct jbuf b;
    jb_init(&b);
    serve_put_state_open(a, &b);
    jb_printf(&b, ",\"deleted\":%u,\"retrained\":%s,\"saved\":%s", found,
              rebuild ? "true" : "false", saved ? "true" : "false");
    if (e[0]) {
        jb_puts(&b, ",\"save_error\":");
        jb_str(&b, e);
    }
    jb_puts(&b, "}");
    serve_resp_json(r, 200, &b);
}

void serve_class_delete(struct serve_app *a, uint32_t id, struct serve_resp *r) {
    do_delete(a, 1, id, r);
}

/* ---------------------------------------------------------------- list and thumbnails */

/* A SERVE_THUMB_SIDE^2 24-bit BMP (bottom-up BGR rows): every browser shows it, no encoder. */
static void resp_thumb(const struct demo_sample *d, struct serve_resp *r) {
    const int T = SERVE_THUMB_SIDE, row = T * 3; /* 96: already a multiple of 4 */
    size_t len = 54 + (size_t)row * T;
    uint8_t *p = calloc(1, len);
    if (!p) return serve_resp_err(r, 500, "out of memory");
    uint32_t hv[] = {(uint32_t)len, 0, 54, 40, (uint32_t)T, (uint32_t)T};
    p[0] = 'B', p[1] = 'M';
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 4; k++)
            p[2 + 4 * i + k] = (uint8_t)(hv[i] >> (8 * k));
    p[26] = 1, p[28] = 24; /* planes, bits per pixel; no compression */
    for (int y = 0; y < T; y++)
        for (int x = 0; x < T; x++)
            for (int c = 0; c < 3; c++)
                p[54 + (size_t)(T - 1 - y) * row + x * 3 + c] = d->thumb[(y * T + x) * 3 + 2 - c];
    r->code = 200;
    r->ctype = "image/bmp";
    r->body = (char *)p;
    r->len = len;
}

static void list_samples(struct serve_app *a, struct serve_resp *r) {
    struct jbuf b;
    jb_init(&b);
    jb_printf(&b, "{\"thumb_side\":%d,\"foreign\":%s,\"samples\":[", SERVE_THUMB_SIDE,
              a->foreign ? "true" : "false");
    for (uint32_t k = 0; k < a->n_smp; k++)
        jb_printf(&b, "%s{\"id\":%u,\"class\":%u,\"round\":%u}", k ? "," : "", a->smp[k].id,
                  a->smp[k].cls, a->smp[k].round);
    jb_puts(&b, "]}");
    serve_resp_json(r, 200, &b);
}

/* u: the URL after "/api/": "samples", "samples/<id>" or "samples/<id>/thumb". */
void serve_samples_handle(struct serve_app *a, const char *method, const char *u,
                          struct serve_resp *r) {
    int get = !strcmp(method, "GET"), del = !strcmp(method, "DELETE");
    if (!strcmp(u, "samples")) {
        if (!get) {
            serve_resp_err(r, 405, "use GET");
            r->allow = "GET";
            return;
        }
        return list_samples(a, r);
    }
    const char *s = u + 8; /* after "samples/" */
    size_t n = 0;
    uint32_t id = 0;
    while (s[n] >= '0' && s[n] <= '9' && n < 9)
        id = id * 10 + (uint32_t)(s[n++] - '0');
    int thumb = !strcmp(s + n, "/thumb");
    if (!n || (s[n] && !thumb)) return serve_resp_err(r, 404, "no such API endpoint: %s", u);
    if (thumb ? !get : !del) {
        serve_resp_err(r, 405, "use %s", thumb ? "GET" : "DELETE");
        r->allow = thumb ? "GET" : "DELETE";
        return;
    }
    if (!thumb) return do_delete(a, 0, id, r);
    for (uint32_t k = 0; k < a->n_smp; k++)
        if (a->smp[k].id == id) return resp_thumb(&a->smp[k], r);
    serve_resp_err(r, 404, "no sample with id %u", id);
}
