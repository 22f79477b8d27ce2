/* serve_app.c - the demo's application logic: classes, pending samples, the two side-by-side
 * learners, the state file, and the JSON API handlers (docs/demo.md). HTTP plumbing lives in
 * serve_http.c; this file only sees (method, url, content type, body) and fills a response, so
 * it can be tested without a socket.
 *
 * Why pending buffers: a user holds the capture button for a few seconds per class; learning
 * each frame as it arrives would make the naive learner forget within a class and would run
 * an optimiser step per HTTP request. Collecting latents and observing them as one batch per
 * "Train" click is exactly the paper's setting (one continual-learning batch per session).
 *
 * Why one state file for both learners: the page compares them, so they must be saved and
 * restored together; a single file written with ecl_port_save_atomic can never hold one
 * learner from round k and the other from round k+1. Each learner's own ECLS image is
 * embedded unchanged. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "edgecl/learner.h"
#include "edgecl/port.h"
#include "image.h"
#include "serve_app_int.h"
#include "learn_defaults.h"
#include "probs.h"
#include "serve_persist.h"

/* The learners of a fresh state, side by side. */
#define N_DEFAULT 2
static const enum ecl_learner_kind KINDS[N_DEFAULT] = {ECL_LEARNER_REPLAY, ECL_LEARNER_NAIVE};

/* ---------------------------------------------------------------- helpers */

void serve_resp_json(struct serve_resp *r, int code, struct jbuf *b) {
    r->code = code;
    r->ctype = "application/json";
    if (b->oom || !b->p) {
        free(b->p);
        r->code = 500;
        r->body = strdup("{\"error\":\"out of memory\"}");
    } else {
        r->body = b->p;
    }
    r->len = r->body ? strlen(r->body) : 0;
}

void serve_resp_err(struct serve_resp *r, int code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct jbuf b;
    jb_init(&b);
    jb_puts(&b, "{\"error\":");
    jb_str(&b, msg);
    jb_puts(&b, "}");
    serve_resp_json(r, code, &b);
}

#define resp_json serve_resp_json
#define resp_err serve_resp_err
#define name_problem serve_name_problem

static void resp_405(struct serve_resp *r, const char *allow) {
    resp_err(r, 405, "use %s", allow);
    r->allow = allow;
}

/* Content type without parameters, case-insensitively equal to want. */
static int ctype_is(const char *ctype, const char *want) {
    if (!ctype) return 0;
    size_t n = strlen(want);
    if (strncasecmp(ctype, want, n)) return 0;
    return ctype[n] == 0 || ctype[n] == ';' || ctype[n] == ' ';
}

/* Learner settings for the demo: the tools' shared few-shot defaults (learn_defaults.h, the
 * same as `edgecl learn`): a round is a few dozen webcam frames, so each round trains the
 * head for the cap of LEARN_DEFAULT_MAX_EPOCHS passes (a few ms) and keeps its first
 * learning rate in later rounds. The replay memory is capped at 2000 samples. */
static struct ecl_learner_params demo_params(enum ecl_learner_kind k, uint32_t dim, uint32_t maxc) {
    struct ecl_learner_params p = learn_defaults_params(k, dim, maxc, 0);
    if (k == ECL_LEARNER_REPLAY && p.replay.capacity > 2000) p.replay.capacity = 2000;
    return p;
}

/* ---------------------------------------------------------------- create/destroy */

void serve_app_destroy(struct serve_app *a) {
    if (!a) return;
    serve_samples_free(a);
    for (int i = 0; i < a->nl; i++)
        free(a->lmem[i]);
    free(a->lat);
    free(a->scores);
    free(a->state_path);
    serve_journal_close(a->journal);
    ecl_port_lock_release(a->lock);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

enum ecl_status serve_app_create(const struct serve_opts *o, const struct serve_extractor *fx,
                                 struct serve_app **out, char *err, size_t errlen) {
    if (!fx || !fx->extract || fx->dim == 0) {
        snprintf(err, errlen, "no feature extractor");
        return ECL_EINVAL;
    }
    if (o->max_classes < 2 || o->max_classes > 256 || o->max_pending < 1) {
        snprintf(err, errlen, "max_classes must be 2..256");
        return ECL_EINVAL;
    }
    struct serve_app *a = calloc(1, sizeof *a);
    if (!a) return ECL_EOOM;
    pthread_mutex_init(&a->mu, NULL);
    a->fx = *fx;
    a->dim = fx->dim;
    a->max_classes = o->max_classes;
    a->max_pending = o->max_pending;
    a->rng = 0x9E3779B97F4A7C15ull;
    a->lat = malloc(sizeof(float) * a->dim);
    a->scores = malloc(sizeof(float) * STATEFILE_MAX_CLASSES); /* a loaded file may have more */
    a->state_path = o->state_path ? strdup(o->state_path) : NULL;
    if (!a->lat || !a->scores || (o->state_path && !a->state_path)) {
        serve_app_destroy(a);
        snprintf(err, errlen, "out of memory");
        return ECL_EOOM;
    }
    for (int i = 0; i < N_DEFAULT; i++) {
        struct ecl_learner_params p = demo_params(KINDS[i], a->dim, a->max_classes);
        a->kinds[i] = KINDS[i];
        enum ecl_status st = serve_make_learner(&p, &a->l[i], &a->lmem[i]);
        if (!st) a->nl = i + 1;
        if (st) {
            snprintf(err, errlen, "cannot create the %s learner: %s",
                     ecl_learner_kind_name(KINDS[i]), ecl_status_str(st));
            serve_app_destroy(a);
            return st;
        }
    }
    /* One writer per state file (statelock.h), held until serve_app_destroy. */
    if (a->state_path) {
        enum ecl_status st = serve_lock_state(a->state_path, &a->lock, err, errlen);
        if (st) {
            serve_app_destroy(a);
            return st;
        }
    }
    if (serve_state_load(a, err, errlen) < 0) {
        serve_app_destroy(a);
        return ECL_EFORMAT;
    }
    if (a->state_path) {
        uint32_t replayed = 0;
        enum ecl_status st = serve_journal_open(a->state_path, a->dim, a->base_exists, a->base_crc,
                                                &SERVE_JCB, a, &a->journal, &replayed, err, errlen);
        if (st) {
            serve_app_destroy(a);
            return st;
        }
        if (replayed)
            fprintf(stderr, "edgecl serve: %u pending sample(s) restored from %s.pending\n",
                    replayed, a->state_path);
    }
    *out = a;
    return ECL_OK;
}

/* ---------------------------------------------------------------- handlers */

/* The state object without its closing brace, so callers can add members. */
void serve_put_state_open(struct serve_app *a, struct jbuf *b) {
    uint32_t pending = 0;
    jb_puts(b, "{\"classes\":[");
    for (uint32_t c = 0; c < a->n_classes; c++) {
        jb_printf(b, "%s{\"id\":%u,\"name\":", c ? "," : "", c);
        jb_str(b, a->cls[c].name);
        jb_printf(b, ",\"trained\":%u,\"pending\":%u}", a->cls[c].trained, a->cls[c].n_pending);
        pending += a->cls[c].n_pending;
    }
    jb_printf(b, "],\"max_classes\":%u,\"max_pending\":%u,\"pending\":%u,\"rounds\":%u,",
              a->max_classes, a->max_pending, pending, a->rounds);
    jb_puts(b, "\"learner_order\":[");
    for (int i = 0; i < a->nl; i++)
        jb_printf(b, "%s\"%s\"", i ? "," : "", ecl_learner_kind_name(a->kinds[i]));
    jb_puts(b, "],\"learners\":{");
    int any = 0;
    for (int i = 0; i < a->nl; i++) {
        jb_printf(
            b, "%s\"%s\":{\"trained\":%s,\"n_seen\":%llu,\"replay_bytes\":%zu}", i ? "," : "",
            ecl_learner_kind_name(a->kinds[i]), ecl_learner_n_seen(a->l[i]) ? "true" : "false",
            (unsigned long long)ecl_learner_n_seen(a->l[i]), ecl_learner_replay_bytes(a->l[i]));
        any |= ecl_learner_n_seen(a->l[i]) > 0;
    }
    jb_printf(b,
              "},\"trained\":%s,\"foreign\":%s,\"samples\":%u,\"unknown_below\":%.2f,"
              "\"dim\":%u,\"backbone\":",
              any ? "true" : "false", a->foreign ? "true" : "false", a->n_smp,
              (double)SERVE_UNKNOWN_BELOW, a->dim);
    jb_str(b, a->fx.desc ? a->fx.desc : "");
    jb_puts(b, ",\"state_file\":");
    if (a->state_path)
        jb_str(b, a->state_path);
    else
        jb_puts(b, "null");
}

static void put_state(struct serve_app *a, struct jbuf *b) {
    serve_put_state_open(a, b);
    jb_puts(b, "}");
}

/* Frames bigger than a camera's are refused (a 2 MB body can hold an 8192x8192 JPEG, 200 MB of
 * RGB); large JPEGs are decoded at a reduced scale (libjpeg DCT scaling) down to no less than
 * twice the backbone's 224x224 input, so the bilinear resize still sees real detail. */
#define DEMO_MAX_SIDE IMG_MAX_SIDE /* the tools' one limit (image.h) */
#define DEMO_WANT_SIDE 448

/* Decodes and embeds an image body into a->lat. 0 ok, else r filled. */
static int embed_body(struct serve_app *a, const char *ctype, const char *body, size_t len,
                      struct serve_resp *r, double *ms) {
    if (!ctype_is(ctype, "image/jpeg") && !ctype_is(ctype, "image/png")) {
        resp_err(r, 415, "expected Content-Type image/jpeg (got %s)", ctype ? ctype : "none");
        return -1;
    }
    if (len == 0) {
        resp_err(r, 400, "empty body: send the image as the request body");
        return -1;
    }
    /* libjpeg decodes a truncated file by padding it with grey; image.c refuses any decode with
     * libjpeg warnings, but a missing end-of-image marker (which every complete encoder,
     * canvas.toBlob included, writes) gives the clearer message for a half-uploaded frame. */
    const unsigned char *u = (const unsigned char *)body;
    if (len >= 3 && u[0] == 0xFF && u[1] == 0xD8 &&
        (len < 4 || u[len - 2] != 0xFF || u[len - 1] != 0xD9)) {
        resp_err(r, 400, "bad image: truncated JPEG (no end-of-image marker)");
        return -1;
    }
    uint8_t *rgb;
    int w, h;
    char e[256];
    enum ecl_status ist =
        img_decode_mem_fit(body, len, DEMO_MAX_SIDE, DEMO_WANT_SIDE, &rgb, &w, &h, e, sizeof e);
    if (ist == ECL_ERANGE) {
        resp_err(r, 413, "%s", e);
        return -1;
    }
    if (ist) {
        resp_err(r, 400, "bad image: %s", e);
        return -1;
    }
    serve_thumb_make(rgb, w, h, a->thumb);
    uint64_t t0 = ecl_port_now_ns();
    enum ecl_status st = a->fx.extract(a->fx.ctx, rgb, w, h, a->lat);
    free(rgb);
    if (ms) *ms = (double)(ecl_port_now_ns() - t0) / 1e6;
    if (st) {
        resp_err(r, 500, "backbone failed: %s", ecl_status_str(st));
        return -1;
    }
    for (uint32_t i = 0; i < a->dim; i++)
        if (!isfinite(a->lat[i])) {
            resp_err(r, 500, "backbone produced a non-finite latent");
            return -1;
        }
    return 0;
}

static int need_json(const char *ctype, size_t len, struct serve_resp *r) {
    if (len && !ctype_is(ctype, "application/json")) {
        resp_err(r, 415, "expected Content-Type application/json (got %s)", ctype ? ctype : "none");
        return -1;
    }
    return 0;
}

static void h_add_class(struct serve_app *a, const char *ctype, const char *body, size_t len,
                        struct serve_resp *r) {
    char name[ECL_CLASS_NAME_MAX], e[200];
    if (need_json(ctype, len ? len : 1, r)) return;
    int got = json_object_get_string(body, len, "name", name, sizeof name, e, sizeof e);
    if (got < 0) return resp_err(r, 400, "%s", e);
    /* trim */
    char *s = name;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    if (got == 0 || n == 0)
        return resp_err(r, 400, "expected {\"name\": \"...\"} with a non-empty class name");
    const char *why = name_problem(s);
    if (why) return resp_err(r, 400, "%s", why);
    for (uint32_t c = 0; c < a->n_classes; c++)
        if (!strcmp(a->cls[c].name, s)) return resp_err(r, 409, "class '%s' already exists", s);
    if (a->n_classes >= a->max_classes)
        return resp_err(r, 409, "at most %u classes", a->max_classes);
    struct demo_class *c = &a->cls[a->n_classes];
    enum ecl_status jst = serve_journal_add_class(a->journal, s);
    if (jst) return resp_err(r, 500, "cannot record the class: %s", ecl_status_str(jst));
    memmove(c->name, s, n + 1);
    c->trained = c->n_pending = 0;
    uint32_t id = a->n_classes++;
    struct jbuf b;
    jb_init(&b);
    jb_printf(&b, "{\"id\":%u,\"name\":", id);
    jb_str(&b, c->name);
    jb_puts(&b, "}");
    resp_json(r, 200, &b);
}

static void h_add_sample(struct serve_app *a, uint32_t id, const char *ctype, const char *body,
                         size_t len, struct serve_resp *r) {
    struct demo_class *c = &a->cls[id];
    if (c->n_pending >= a->max_pending)
        return resp_err(r, 409,
                        "class '%s' already has %u pending samples (the limit): train first",
                        c->name, a->max_pending);
    if (a->n_smp >= SERVE_MAX_SAMPLES)
        return resp_err(r, 409, "the server keeps at most %u samples: delete some first",
                        SERVE_MAX_SAMPLES);
    double ms;
    if (embed_body(a, ctype, body, len, r, &ms)) return;
    /* on disk before it is acknowledged (serve_journal.h) */
    enum ecl_status jst = serve_journal_add_sample(a->journal, id, a->lat, a->thumb);
    if (jst) return resp_err(r, 500, "cannot record the sample: %s", ecl_status_str(jst));
    uint32_t sid = a->next_id++;
    if (serve_sample_add(a, id, 0, sid, a->lat, a->thumb)) return resp_err(r, 500, "out of memory");
    struct jbuf b;
    jb_init(&b);
    jb_printf(&b, "{\"id\":%u,\"sample\":%u,\"pending\":%u,\"trained\":%u,\"ms\":%.1f}", id, sid,
              c->n_pending, c->trained, ms);
    resp_json(r, 200, &b);
}

static void h_train(struct serve_app *a, const char *ctype, const char *body, size_t len,
                    struct serve_resp *r) {
    /* Both learners always learn the same rounds: the page shows them side by side on the same
     * captured data, so training only one would make the comparison meaningless (and the other
     * learner would silently lose that round's samples, as the pending buffers are cleared). */
    char which[16], e[200];
    if (need_json(ctype, len, r)) return;
    if (len) {
        int got = json_object_get_string(body, len, "learner", which, sizeof which, e, sizeof e);
        if (got < 0) return resp_err(r, 400, "%s", e);
        if (got == 1 && strcmp(which, "both"))
            return resp_err(r, 400,
                            "\"learner\" may only be \"both\" (or left out): the demo always "
                            "trains the replay and naive learners on the same rounds");
    }

    uint32_t n = 0;
    uint32_t *idx = malloc(sizeof(uint32_t) * (a->n_smp + 1));
    if (!idx) return resp_err(r, 500, "out of memory");
    for (uint32_t k = 0; k < a->n_smp; k++)
        if (a->smp[k].round == 0) idx[n++] = k;
    if (n == 0) {
        free(idx);
        return resp_err(r, 409, "nothing to train: capture samples for a class first");
    }
    /* A round that diverges (NaN/Inf) is undone from this copy, samples stay pending. */
    struct serve_snapshot snap;
    if (serve_snapshot_take(a->l, a->nl, &snap)) {
        free(idx);
        return resp_err(r, 500, "out of memory (copy of the learners before training)");
    }
    uint64_t t0 = ecl_port_now_ns();
    int failed;
    enum ecl_status st = serve_observe_round(a, idx, n, &failed);
    if (st) {
        free(idx);
        serve_snapshot_restore(a->l, a->nl, &snap);
        serve_snapshot_free(&snap);
        return resp_err(r, st == ECL_ERANGE ? 422 : 500,
                        "%s learner: %s; the round was undone, the samples are still pending",
                        failed >= 0 ? ecl_learner_kind_name(a->kinds[failed]) : "the",
                        st == ECL_ERANGE ? "training diverged (values not finite)"
                                         : ecl_status_str(st));
    }
    double ms = (double)(ecl_port_now_ns() - t0) / 1e6;
    serve_snapshot_free(&snap);
    for (uint32_t k = 0; k < n; k++)
        a->smp[idx[k]].round = a->rounds + 1;
    free(idx);
    for (uint32_t c = 0; c < a->n_classes; c++) {
        a->cls[c].trained += a->cls[c].n_pending;
        a->cls[c].n_pending = 0;
    }
    a->rounds++;
    int saved = 0;
    e[0] = 0;
    if (a->state_path) saved = serve_state_save(a, e, sizeof e) == ECL_OK;
    struct jbuf b;
    jb_init(&b);
    jb_printf(&b, "{\"trained\":%u,\"learner\":\"both\",\"rounds\":%u,\"ms\":%.1f,\"saved\":%s", n,
              a->rounds, ms, saved ? "true" : "false");
    if (e[0]) {
        jb_puts(&b, ",\"save_error\":");
        jb_str(&b, e);
    }
    jb_puts(&b, "}");
    resp_json(r, 200, &b);
}

static void h_predict(struct serve_app *a, const char *ctype, const char *body, size_t len,
                      struct serve_resp *r) {
    double ms;
    if (embed_body(a, ctype, body, len, r, &ms)) return;
    struct jbuf b;
    jb_init(&b);
    jb_printf(&b, "{\"ms\":%.1f", ms);
    for (int i = 0; i < a->nl; i++) {
        jb_printf(&b, ",\"%s\":", ecl_learner_kind_name(a->kinds[i]));
        if (!ecl_learner_n_seen(a->l[i])) {
            jb_puts(&b, "{\"trained\":false,\"top\":-1,\"scores\":[]}");
            continue;
        }
        int32_t top = -1;
        enum ecl_status st = ecl_learner_predict(a->l[i], a->lat, a->scores, &top);
        if (st) {
            free(b.p);
            return resp_err(r, 500, "%s learner: %s", ecl_learner_kind_name(a->kinds[i]),
                            ecl_status_str(st));
        }
        uint32_t nl = ecl_learner_n_classes(a->l[i]);
        /* every learner's scores as calibrated probabilities (probs.h: NCM distances and SLDA
         * discriminants through a documented softmax, the heads' probabilities unchanged) */
        scores_to_probs(ecl_learner_params(a->l[i]), a->scores, a->scores, nl);
        /* "unknown": no class is confident (top probability below SERVE_UNKNOWN_BELOW) */
        float pt = top >= 0 && (uint32_t)top < nl ? a->scores[top] : 0.0f;
        if (!isfinite(pt) || !(pt > 0)) pt = 0; /* also -0 */
        jb_printf(&b, "{\"trained\":true,\"top\":%d,\"p\":%.4f,\"unknown\":%s,\"scores\":[",
                  (int)top, (double)pt, pt < SERVE_UNKNOWN_BELOW ? "true" : "false");
        for (uint32_t c = 0; c < a->n_classes; c++) {
            float p = c < nl ? a->scores[c] : 0.0f;
            if (!isfinite(p) || !(p > 0)) p = 0; /* heads give probabilities; unseen: 0 */
            jb_printf(&b, "%s%.4f", c ? "," : "", p);
        }
        jb_puts(&b, "]}");
    }
    jb_puts(&b, "}");
    resp_json(r, 200, &b);
}

static void h_reset(struct serve_app *a, struct serve_resp *r) {
    for (int i = 0; i < a->nl; i++) {
        enum ecl_status st = ecl_learner_reset(a->l[i]);
        if (st) return resp_err(r, 500, "reset: %s", ecl_status_str(st));
    }
    memset(a->cls, 0, sizeof a->cls);
    serve_samples_free(a);
    a->n_classes = 0;
    a->rounds = 0;
    a->foreign = 0; /* nothing is left that the samples do not cover */
    /* Saved like a training round, so a restart does not bring the old classes back. */
    char e[512] = "";
    int saved = a->state_path && serve_state_save(a, e, sizeof e) == ECL_OK;
    struct jbuf b;
    jb_init(&b);
    serve_put_state_open(a, &b);
    jb_printf(&b, ",\"saved\":%s", saved ? "true" : "false");
    if (e[0]) {
        jb_puts(&b, ",\"save_error\":");
        jb_str(&b, e);
    }
    jb_puts(&b, "}");
    resp_json(r, 200, &b);
}

/* Parses "classes/<id>/samples" (returns 1) or "classes/<id>" (returns 2) into the id text. */
static int parse_samples_url(const char *u, const char **idtxt, size_t *idlen) {
    if (strncmp(u, "classes/", 8)) return 0;
    const char *s = u + 8, *slash = strchr(s, '/');
    *idtxt = s;
    if (!slash) {
        *idlen = strlen(s);
        return 2;
    }
    if (strcmp(slash, "/samples")) return 0;
    *idlen = (size_t)(slash - s);
    return 1;
}

void serve_app_handle(struct serve_app *a, const char *method, const char *url, const char *ctype,
                      const char *body, size_t len, struct serve_resp *r) {
    memset(r, 0, sizeof *r);
    const char *u = url + 5; /* after "/api/" */
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    const char *idtxt;
    size_t idlen;
    int which;
    pthread_mutex_lock(&a->mu);
    if (!strcmp(u, "state")) {
        if (!get)
            resp_405(r, "GET");
        else {
            struct jbuf b;
            jb_init(&b);
            put_state(a, &b);
            resp_json(r, 200, &b);
        }
    } else if (!strcmp(u, "classes")) {
        if (!post)
            resp_405(r, "POST");
        else
            h_add_class(a, ctype, body, len, r);
    } else if (!strncmp(u, "samples", 7) && (u[7] == 0 || u[7] == '/')) {
        serve_samples_handle(a, method, u, r);
    } else if (!strncmp(u, "export", 6) && (u[6] == 0 || u[6] == '/')) {
        serve_export_handle(a, method, u, r);
    } else if ((which = parse_samples_url(u, &idtxt, &idlen)) != 0) {
        char *endp;
        char tmp[16] = {0};
        unsigned long id = 0;
        int ok = idlen > 0 && idlen < sizeof tmp;
        if (ok) {
            memcpy(tmp, idtxt, idlen);
            for (size_t i = 0; i < idlen; i++)
                ok &= tmp[i] >= '0' && tmp[i] <= '9';
            if (ok) id = strtoul(tmp, &endp, 10);
        }
        if (which == 1 ? !post : strcmp(method, "DELETE"))
            resp_405(r, which == 1 ? "POST" : "DELETE");
        else if (!ok || id >= a->n_classes)
            resp_err(r, 404, "unknown class id '%.*s'", (int)(idlen < 20 ? idlen : 20), idtxt);
        else if (which == 1)
            h_add_sample(a, (uint32_t)id, ctype, body, len, r);
        else
            serve_class_delete(a, (uint32_t)id, r);
    } else if (!strcmp(u, "train")) {
        if (!post)
            resp_405(r, "POST");
        else
            h_train(a, ctype, body, len, r);
    } else if (!strcmp(u, "predict")) {
        if (!post)
            resp_405(r, "POST");
        else
            h_predict(a, ctype, body, len, r);
    } else if (!strcmp(u, "save") || !strcmp(u, "restore") || !strcmp(u, "reset")) {
        char e[512];
        if (!post)
            resp_405(r, "POST");
        else if (!strcmp(u, "reset"))
            h_reset(a, r);
        else if (!a->state_path)
            resp_err(r, 409, "the server runs without a state file (--state)");
        else if (u[0] == 's') {
            if (serve_state_save(a, e, sizeof e))
                resp_err(r, 500, "%s", e);
            else {
                struct jbuf b;
                jb_init(&b);
                put_state(a, &b);
                resp_json(r, 200, &b);
            }
        } else {
            int got = serve_state_load(a, e, sizeof e);
            if (got < 0)
                resp_err(r, 422, "%s", e);
            else if (got == 0)
                resp_err(r, 404, "no saved state at %s", a->state_path);
            else {
                struct jbuf b;
                jb_init(&b);
                put_state(a, &b);
                resp_json(r, 200, &b);
            }
        }
    } else {
        resp_err(r, 404, "no such API endpoint: %s %s", method, url);
    }
    pthread_mutex_unlock(&a->mu);
}
