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
#include <sys/stat.h>
#include "edgecl/crc32.h"
#include "edgecl/learner.h"
#include "edgecl/port.h"
#include "image.h"
#include "serve_app.h"
#include "serve_journal.h"
#include "learn_defaults.h"
#include "serve_persist.h"

#define N_LEARNERS 2
static const enum ecl_learner_kind KINDS[N_LEARNERS] = {ECL_LEARNER_REPLAY, ECL_LEARNER_NAIVE};

struct demo_class {
    char name[ECL_CLASS_NAME_MAX];
    uint32_t trained;   /* samples learned in all rounds */
    uint32_t n_pending; /* latents waiting for the next round */
    float *pending;     /* max_pending x dim */
};

struct serve_app {
    pthread_mutex_t mu;
    struct serve_extractor fx;
    uint32_t dim, max_classes, max_pending;
    char *state_path;
    struct demo_class *cls;
    uint32_t n_classes;
    uint32_t rounds;
    struct ecl_learner *l[N_LEARNERS];
    void *lmem[N_LEARNERS];
    float *lat, *scores;
    uint64_t rng;
    /* state file (issue 13): our writer's lock for the server's lifetime, the identity and
     * CRC of the file as last loaded/saved, and the journal of pending samples */
    struct ecl_port_lock *lock;
    struct ecl_port_file_id src;
    int base_exists;
    uint32_t base_crc;
    struct serve_journal *journal;
};

static enum ecl_status after_state_io(struct serve_app *a, const uint8_t *buf, size_t len);

/* ---------------------------------------------------------------- helpers */

static uint32_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 16);
}

static void resp_json(struct serve_resp *r, int code, struct jbuf *b) {
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

static void resp_err(struct serve_resp *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void resp_err(struct serve_resp *r, int code, const char *fmt, ...) {
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
    resp_json(r, code, &b);
}

static void resp_405(struct serve_resp *r, const char *allow) {
    resp_err(r, 405, "use %s", allow);
    r->allow = allow;
}

/* NULL if s is usable as a class name (valid UTF-8 without control characters: C0, DEL, C1),
 * else why not. The JSON reader already refuses malformed UTF-8 in a request; this also guards
 * names that arrive as \u escapes and names read from a state file. */
static const char *name_problem(const char *s) {
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

static enum ecl_status make_learner(const struct ecl_learner_params *p, struct ecl_learner **l,
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

/* ---------------------------------------------------------------- state file
 * Layout (little-endian; docs/demo.md):
 *   "ECLD" u32 version=1 u32 dim u32 max_classes u32 n_classes u32 rounds
 *   n_classes x { char name[32]; u32 trained }
 *   2 x { u32 kind; u64 len; len bytes: the learner's ECLS state image }
 *   u32 CRC32 of everything before it
 */
#define STATE_MAGIC "ECLD"
#define STATE_VERSION 1u

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) {
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static enum ecl_status state_save(struct serve_app *a, char *err, size_t errlen) {
    size_t ls[N_LEARNERS], total = 24 + (size_t)a->n_classes * 36 + 4;
    if (serve_learners_finite(a->l, N_LEARNERS) != ECL_OK) {
        snprintf(err, errlen, "learned values are not finite (NaN/Inf); %s not replaced",
                 a->state_path);
        return ECL_ERANGE;
    }
    for (int i = 0; i < N_LEARNERS; i++) {
        enum ecl_status st = ecl_learner_state_size(a->l[i], &ls[i]);
        if (st) {
            snprintf(err, errlen, "learner state size: %s", ecl_status_str(st));
            return st;
        }
        total += 12 + ls[i];
    }
    uint8_t *buf = malloc(total), *p = buf;
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return ECL_EOOM;
    }
    memcpy(p, STATE_MAGIC, 4);
    put_u32(p + 4, STATE_VERSION);
    put_u32(p + 8, a->dim);
    put_u32(p + 12, a->max_classes);
    put_u32(p + 16, a->n_classes);
    put_u32(p + 20, a->rounds);
    p += 24;
    for (uint32_t c = 0; c < a->n_classes; c++) {
        memset(p, 0, 32);
        memcpy(p, a->cls[c].name, strlen(a->cls[c].name));
        put_u32(p + 32, a->cls[c].trained);
        p += 36;
    }
    for (int i = 0; i < N_LEARNERS; i++) {
        size_t wr;
        put_u32(p, (uint32_t)KINDS[i]);
        put_u64(p + 4, ls[i]);
        enum ecl_status st = ecl_learner_state_write(a->l[i], p + 12, ls[i], &wr);
        /* never write what cannot be read back: the reader's own validation first */
        if (!st && wr == ls[i]) st = ecl_learner_state_check(a->l[i], p + 12, ls[i]);
        if (st || wr != ls[i]) {
            snprintf(err, errlen, "learner state write: %s", ecl_status_str(st));
            free(buf);
            return st ? st : ECL_ESTATE;
        }
        p += 12 + ls[i];
    }
    put_u32(p, ecl_crc32(0, buf, (size_t)(p - buf)));
    enum ecl_status st = ecl_port_save_atomic_if(a->state_path, buf, total, &a->src, &a->src);
    if (st == ECL_OK && after_state_io(a, buf, total) != ECL_OK)
        fprintf(stderr,
                "edgecl serve: state saved, but the pending samples' journal could not "
                "be rewritten: %s\n",
                ecl_port_error());
    if (st != ECL_OK) snprintf(err, errlen, "%s", ecl_port_error());
    free(buf);
    return st;
}

/* Parses a state image into fresh learners and a class table; touches nothing in a unless
 * everything checks out. */
static enum ecl_status state_load_buf(struct serve_app *a, const uint8_t *buf, size_t len,
                                      char *err, size_t errlen) {
    if (len < 28 || memcmp(buf, STATE_MAGIC, 4)) {
        snprintf(err, errlen, "not an edgecl demo state file (bad magic)");
        return ECL_EFORMAT;
    }
    if (get_u32(buf + 4) != STATE_VERSION) {
        snprintf(err, errlen, "unsupported demo state version %u", get_u32(buf + 4));
        return ECL_EVERSION;
    }
    if (ecl_crc32(0, buf, len - 4) != get_u32(buf + len - 4)) {
        snprintf(err, errlen, "demo state is truncated or corrupted (CRC mismatch)");
        return ECL_ECORRUPT;
    }
    uint32_t dim = get_u32(buf + 8), maxc = get_u32(buf + 12), nc = get_u32(buf + 16);
    if (dim != a->dim) {
        snprintf(err, errlen,
                 "state was made with %u-d latents but the backbone gives %u "
                 "(different model or --cut?)",
                 dim, a->dim);
        return ECL_ERANGE;
    }
    if (maxc != a->max_classes || nc > maxc) {
        snprintf(err, errlen, "state has %u/%u classes, this server supports %u", nc, maxc,
                 a->max_classes);
        return ECL_ERANGE;
    }
    size_t off = 24, end = len - 4;
    if ((end - off) / 36 < nc) {
        snprintf(err, errlen, "demo state is truncated");
        return ECL_ETRUNCATED;
    }
    struct demo_class cls[256];
    if (nc > 256) return ECL_ERANGE;
    for (uint32_t c = 0; c < nc; c++, off += 36) {
        memset(&cls[c], 0, sizeof cls[c]);
        memcpy(cls[c].name, buf + off, ECL_CLASS_NAME_MAX - 1);
        cls[c].trained = get_u32(buf + off + 32);
        const char *why = name_problem(cls[c].name);
        if (why) {
            snprintf(err, errlen, "demo state: class %u: %s", c, why);
            return ECL_ECORRUPT;
        }
    }
    struct ecl_learner *nl[N_LEARNERS] = {0};
    void *nm[N_LEARNERS] = {0};
    enum ecl_status st = ECL_OK;
    for (int i = 0; i < N_LEARNERS && !st; i++) {
        if (end - off < 12) {
            snprintf(err, errlen, "demo state is truncated");
            st = ECL_ETRUNCATED;
            break;
        }
        uint32_t kind = get_u32(buf + off);
        uint64_t ll = get_u64(buf + off + 4);
        off += 12;
        if (kind != (uint32_t)KINDS[i] || ll > end - off) {
            snprintf(err, errlen, "demo state: bad learner record %d", i);
            st = ECL_ECORRUPT;
            break;
        }
        struct ecl_learner_params p;
        st = ecl_learner_state_params(buf + off, (size_t)ll, &p);
        if (!st && (p.dim != a->dim || p.max_classes != a->max_classes || p.kind != KINDS[i]))
            st = ECL_ERANGE;
        if (!st) st = make_learner(&p, &nl[i], &nm[i]);
        if (!st) st = ecl_learner_state_read(nl[i], buf + off, (size_t)ll);
        if (st)
            snprintf(err, errlen, "demo state: %s learner: %s", ecl_learner_kind_name(KINDS[i]),
                     ecl_status_str(st));
        off += (size_t)ll;
    }
    if (!st && off != end) {
        snprintf(err, errlen, "demo state: %zu unexpected trailing bytes", end - off);
        st = ECL_ECORRUPT;
    }
    if (st) {
        for (int i = 0; i < N_LEARNERS; i++)
            free(nm[i]);
        return st;
    }
    /* commit */
    for (int i = 0; i < N_LEARNERS; i++) {
        free(a->lmem[i]);
        a->l[i] = nl[i];
        a->lmem[i] = nm[i];
    }
    for (uint32_t c = 0; c < a->max_classes; c++) {
        a->cls[c].n_pending = 0;
        memcpy(a->cls[c].name, c < nc ? cls[c].name : "", c < nc ? ECL_CLASS_NAME_MAX : 1);
        a->cls[c].trained = c < nc ? cls[c].trained : 0;
    }
    a->n_classes = nc;
    a->rounds = get_u32(buf + 20);
    return ECL_OK;
}

/* 1 = loaded, 0 = no file, <0 = error (err set). */
static int state_load(struct serve_app *a, char *err, size_t errlen) {
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
 * (serve_journal.h): replay into the class table and pending buffers, list for a rewrite. */

static int j_add_class(void *ctx, const char *name) {
    struct serve_app *a = ctx;
    if (a->n_classes >= a->max_classes || !name[0] || name_problem(name)) return 1;
    for (uint32_t c = 0; c < a->n_classes; c++)
        if (!strcmp(a->cls[c].name, name)) return 1;
    struct demo_class *c = &a->cls[a->n_classes];
    if (!c->pending) c->pending = malloc(sizeof(float) * a->dim * a->max_pending);
    if (!c->pending) return 1;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->trained = c->n_pending = 0;
    a->n_classes++;
    return 0;
}

static int j_add_sample(void *ctx, uint32_t id, const float *x) {
    struct serve_app *a = ctx;
    if (id >= a->n_classes) return 1;
    struct demo_class *c = &a->cls[id];
    if (c->n_pending >= a->max_pending) return 0; /* over the limit: dropped, not an error */
    if (!c->pending) c->pending = malloc(sizeof(float) * a->dim * a->max_pending);
    if (!c->pending) return 1;
    memcpy(c->pending + (size_t)c->n_pending++ * a->dim, x, sizeof(float) * a->dim);
    return 0;
}

static int j_pending(void *ctx, uint32_t i, uint32_t *id, const float **x) {
    struct serve_app *a = ctx;
    for (uint32_t c = 0; c < a->n_classes; c++) {
        if (i < a->cls[c].n_pending) {
            *id = c;
            *x = a->cls[c].pending + (size_t)i * a->dim;
            return 0;
        }
        i -= a->cls[c].n_pending;
    }
    return 1;
}

static const struct serve_journal_cb JCB = {j_add_class, j_add_sample, j_pending};

/* The state file now holds buf (just saved or loaded): the journal keeps what is pending. */
static enum ecl_status after_state_io(struct serve_app *a, const uint8_t *buf, size_t len) {
    a->base_exists = 1;
    a->base_crc = ecl_crc32(0, buf, len);
    return serve_journal_rewrite(a->journal, 1, a->base_crc, &JCB, a);
}

/* ---------------------------------------------------------------- create/destroy */

void serve_app_destroy(struct serve_app *a) {
    if (!a) return;
    for (uint32_t c = 0; a->cls && c < a->max_classes; c++)
        free(a->cls[c].pending);
    free(a->cls);
    for (int i = 0; i < N_LEARNERS; i++)
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
    a->cls = calloc(a->max_classes, sizeof *a->cls);
    a->lat = malloc(sizeof(float) * a->dim);
    a->scores = malloc(sizeof(float) * a->max_classes);
    a->state_path = o->state_path ? strdup(o->state_path) : NULL;
    if (!a->cls || !a->lat || !a->scores || (o->state_path && !a->state_path)) {
        serve_app_destroy(a);
        snprintf(err, errlen, "out of memory");
        return ECL_EOOM;
    }
    for (int i = 0; i < N_LEARNERS; i++) {
        struct ecl_learner_params p = demo_params(KINDS[i], a->dim, a->max_classes);
        enum ecl_status st = make_learner(&p, &a->l[i], &a->lmem[i]);
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
    if (state_load(a, err, errlen) < 0) {
        serve_app_destroy(a);
        return ECL_EFORMAT;
    }
    if (a->state_path) {
        uint32_t replayed = 0;
        enum ecl_status st = serve_journal_open(a->state_path, a->dim, a->base_exists, a->base_crc,
                                                &JCB, a, &a->journal, &replayed, err, errlen);
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
static void put_state_open(struct serve_app *a, struct jbuf *b) {
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
    jb_puts(b, "\"learners\":{");
    for (int i = 0; i < N_LEARNERS; i++) {
        jb_printf(b, "%s\"%s\":{\"trained\":%s,\"n_seen\":%llu,\"replay_bytes\":%zu}", i ? "," : "",
                  ecl_learner_kind_name(KINDS[i]), ecl_learner_n_seen(a->l[i]) ? "true" : "false",
                  (unsigned long long)ecl_learner_n_seen(a->l[i]),
                  ecl_learner_replay_bytes(a->l[i]));
    }
    jb_printf(b, "},\"trained\":%s,\"dim\":%u,\"backbone\":",
              ecl_learner_n_seen(a->l[0]) ? "true" : "false", a->dim);
    jb_str(b, a->fx.desc ? a->fx.desc : "");
    jb_puts(b, ",\"state_file\":");
    if (a->state_path)
        jb_str(b, a->state_path);
    else
        jb_puts(b, "null");
}

static void put_state(struct serve_app *a, struct jbuf *b) {
    put_state_open(a, b);
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
    if (!c->pending) c->pending = malloc(sizeof(float) * a->dim * a->max_pending);
    if (!c->pending) return resp_err(r, 500, "out of memory");
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
    double ms;
    if (!c->pending) c->pending = malloc(sizeof(float) * a->dim * a->max_pending);
    if (!c->pending) return resp_err(r, 500, "out of memory");
    if (embed_body(a, ctype, body, len, r, &ms)) return;
    /* on disk before it is acknowledged (serve_journal.h) */
    enum ecl_status jst = serve_journal_add_sample(a->journal, id, a->lat);
    if (jst) return resp_err(r, 500, "cannot record the sample: %s", ecl_status_str(jst));
    memcpy(c->pending + (size_t)c->n_pending * a->dim, a->lat, sizeof(float) * a->dim);
    c->n_pending++;
    struct jbuf b;
    jb_init(&b);
    jb_printf(&b, "{\"id\":%u,\"pending\":%u,\"trained\":%u,\"ms\":%.1f}", id, c->n_pending,
              c->trained, ms);
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
    for (uint32_t c = 0; c < a->n_classes; c++)
        n += a->cls[c].n_pending;
    if (n == 0) return resp_err(r, 409, "nothing to train: capture samples for a class first");
    float *x = malloc(sizeof(float) * a->dim * n);
    int32_t *y = malloc(sizeof(int32_t) * n);
    uint32_t *perm = malloc(sizeof(uint32_t) * n);
    if (!x || !y || !perm) {
        free(x), free(y), free(perm);
        return resp_err(r, 500, "out of memory");
    }
    /* Shuffle so one round's classes are interleaved in the mini-batches. */
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = rng_next(&a->rng) % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    uint32_t k = 0;
    for (uint32_t c = 0; c < a->n_classes; c++)
        for (uint32_t s = 0; s < a->cls[c].n_pending; s++, k++) {
            memcpy(x + (size_t)perm[k] * a->dim, a->cls[c].pending + (size_t)s * a->dim,
                   sizeof(float) * a->dim);
            y[perm[k]] = (int32_t)c;
        }
    free(perm);
    /* A round that diverges (NaN/Inf) is undone from this copy, samples stay pending. */
    struct serve_snapshot snap;
    if (serve_snapshot_take(a->l, N_LEARNERS, &snap)) {
        free(x), free(y);
        return resp_err(r, 500, "out of memory (copy of the learners before training)");
    }
    uint64_t t0 = ecl_port_now_ns();
    for (int i = 0; i < N_LEARNERS; i++) {
        enum ecl_status st = ecl_learner_observe(a->l[i], x, y, n);
        if (st == ECL_OK && ecl_learner_check_finite(a->l[i]) != ECL_OK) st = ECL_ERANGE;
        if (st) {
            free(x), free(y);
            serve_snapshot_restore(a->l, N_LEARNERS, &snap);
            serve_snapshot_free(&snap);
            return resp_err(r, st == ECL_ERANGE ? 422 : 500,
                            "%s learner: %s; the round was undone, the samples are still pending",
                            ecl_learner_kind_name(KINDS[i]),
                            st == ECL_ERANGE ? "training diverged (values not finite)"
                                             : ecl_status_str(st));
        }
        for (uint32_t c = 0; c < a->n_classes && c < ecl_learner_n_classes(a->l[i]); c++)
            ecl_learner_set_class_name(a->l[i], (int32_t)c, a->cls[c].name);
    }
    double ms = (double)(ecl_port_now_ns() - t0) / 1e6;
    serve_snapshot_free(&snap);
    free(x), free(y);
    for (uint32_t c = 0; c < a->n_classes; c++) {
        a->cls[c].trained += a->cls[c].n_pending;
        a->cls[c].n_pending = 0;
    }
    a->rounds++;
    int saved = 0;
    e[0] = 0;
    if (a->state_path) saved = state_save(a, e, sizeof e) == ECL_OK;
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
    for (int i = 0; i < N_LEARNERS; i++) {
        jb_printf(&b, ",\"%s\":", ecl_learner_kind_name(KINDS[i]));
        if (!ecl_learner_n_seen(a->l[i])) {
            jb_puts(&b, "{\"trained\":false,\"top\":-1,\"scores\":[]}");
            continue;
        }
        int32_t top = -1;
        enum ecl_status st = ecl_learner_predict(a->l[i], a->lat, a->scores, &top);
        if (st) {
            free(b.p);
            return resp_err(r, 500, "%s learner: %s", ecl_learner_kind_name(KINDS[i]),
                            ecl_status_str(st));
        }
        uint32_t nl = ecl_learner_n_classes(a->l[i]);
        jb_printf(&b, "{\"trained\":true,\"top\":%d,\"scores\":[", (int)top);
        for (uint32_t c = 0; c < a->n_classes; c++) {
            float p = c < nl ? a->scores[c] : 0.0f;
            if (!isfinite(p) || p < 0) p = 0; /* heads give probabilities; unseen: 0 */
            jb_printf(&b, "%s%.4f", c ? "," : "", p);
        }
        jb_puts(&b, "]}");
    }
    jb_puts(&b, "}");
    resp_json(r, 200, &b);
}

static void h_reset(struct serve_app *a, struct serve_resp *r) {
    for (int i = 0; i < N_LEARNERS; i++) {
        enum ecl_status st = ecl_learner_reset(a->l[i]);
        if (st) return resp_err(r, 500, "reset: %s", ecl_status_str(st));
    }
    for (uint32_t c = 0; c < a->max_classes; c++) {
        a->cls[c].name[0] = 0;
        a->cls[c].trained = a->cls[c].n_pending = 0;
    }
    a->n_classes = 0;
    a->rounds = 0;
    /* Saved like a training round, so a restart does not bring the old classes back. */
    char e[512] = "";
    int saved = a->state_path && state_save(a, e, sizeof e) == ECL_OK;
    struct jbuf b;
    jb_init(&b);
    put_state_open(a, &b);
    jb_printf(&b, ",\"saved\":%s", saved ? "true" : "false");
    if (e[0]) {
        jb_puts(&b, ",\"save_error\":");
        jb_str(&b, e);
    }
    jb_puts(&b, "}");
    resp_json(r, 200, &b);
}

/* Parses "classes/<id>/samples"; returns 1 and *id on a match of the shape. */
static int parse_samples_url(const char *u, const char **idtxt, size_t *idlen) {
    if (strncmp(u, "classes/", 8)) return 0;
    const char *s = u + 8, *slash = strchr(s, '/');
    if (!slash || strcmp(slash, "/samples")) return 0;
    *idtxt = s;
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
    } else if (parse_samples_url(u, &idtxt, &idlen)) {
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
        if (!post)
            resp_405(r, "POST");
        else if (!ok || id >= a->n_classes)
            resp_err(r, 404, "unknown class id '%.*s'", (int)(idlen < 20 ? idlen : 20), idtxt);
        else
            h_add_sample(a, (uint32_t)id, ctype, body, len, r);
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
            if (state_save(a, e, sizeof e))
                resp_err(r, 500, "%s", e);
            else {
                struct jbuf b;
                jb_init(&b);
                put_state(a, &b);
                resp_json(r, 200, &b);
            }
        } else {
            int got = state_load(a, e, sizeof e);
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
