/* tools/edgecl/serve_app_int.h - the demo server's application state, shared by serve_app.c
 * (API handlers), serve_state.c (state file and journal) and serve_samples.c (kept samples,
 * thumbnails, deletion). Not a public interface. */
#ifndef EDGECL_SERVE_APP_INT_H
#define EDGECL_SERVE_APP_INT_H

#include <pthread.h>
#include <stdint.h>
#include "edgecl/learner.h"
#include "edgecl/port.h"
#include "serve_app.h"
#include "serve_journal.h"
#include "statefile.h"

#define SERVE_MAX_LEARNERS STATEFILE_MAX_LEARNERS
/* A learner answers "unknown" when its top probability is below this (docs/demo.md): a single
 * number for any class count (with two classes a top below 0.5 is impossible, so 0.5 would
 * never say unknown there); known classes score ~0.9 and more, frames unlike every class
 * 0.3-0.55 in tests/demo/test_serve_samples.c. */
#define SERVE_UNKNOWN_BELOW 0.6f
/* Samples kept in all (trained and pending): each is a latent plus a thumbnail. */
#define SERVE_MAX_SAMPLES 6000u

struct demo_class {
    char name[ECL_CLASS_NAME_MAX];
    uint32_t trained;   /* samples learned in all rounds */
    uint32_t n_pending; /* samples waiting for the next round */
};

/* One captured or uploaded image, as kept by the server: its latent and thumbnail. */
struct demo_sample {
    uint32_t id;    /* unique for the server's state, never reused */
    uint32_t cls;   /* class index */
    uint32_t round; /* training round that learned it (1..rounds), 0 = pending */
    float *x;       /* dim floats */
    uint8_t thumb[SERVE_THUMB_BYTES];
};

struct serve_app {
    pthread_mutex_t mu;
    struct serve_extractor fx;
    uint32_t dim, max_classes, max_pending;
    char *state_path;
    struct demo_class cls[STATEFILE_MAX_CLASSES];
    uint32_t n_classes;
    uint32_t rounds;
    /* the learners, side by side: replay and naive by default, or those of a loaded file */
    int nl;
    enum ecl_learner_kind kinds[SERVE_MAX_LEARNERS];
    struct ecl_learner *l[SERVE_MAX_LEARNERS];
    void *lmem[SERVE_MAX_LEARNERS];
    /* the learners hold training the kept samples do not cover (a CLI state, an old demo
     * state): they cannot be rebuilt, so deleting trained samples is refused */
    int foreign;
    struct demo_sample *smp;
    uint32_t n_smp, cap_smp, next_id;
    float *lat, *scores;
    uint8_t thumb[SERVE_THUMB_BYTES]; /* of the last embedded image */
    uint64_t rng;
    struct ecl_port_lock *lock;
    struct ecl_port_file_id src;
    int base_exists;
    uint32_t base_crc;
    struct serve_journal *journal;
};

/* serve_state.c */
extern const struct serve_journal_cb SERVE_JCB;
enum ecl_status serve_state_save(struct serve_app *a, char *err, size_t errlen);
int serve_state_load(struct serve_app *a, char *err, size_t errlen); /* 1 loaded, 0 none, <0 */
enum ecl_status serve_make_learner(const struct ecl_learner_params *p, struct ecl_learner **l,
                                   void **mem);
const char *serve_name_problem(const char *s);

/* serve_samples.c */
enum ecl_status serve_sample_add(struct serve_app *a, uint32_t cls, uint32_t round, uint32_t id,
                                 const float *x, const uint8_t *thumb);
void serve_thumb_make(const uint8_t *rgb, int w, int h, uint8_t *thumb);
void serve_samples_free(struct serve_app *a);
/* Retrains every learner from scratch on the kept samples, round by round in their order. */
enum ecl_status serve_rebuild(struct serve_app *a, char *err, size_t errlen);
void serve_samples_handle(struct serve_app *a, const char *method, const char *u,
                          struct serve_resp *r);
void serve_class_delete(struct serve_app *a, uint32_t id, struct serve_resp *r);
void serve_resp_json(struct serve_resp *r, int code, struct jbuf *b);
void serve_resp_err(struct serve_resp *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void serve_put_state_open(struct serve_app *a, struct jbuf *b);
/* Observes samples (indices into a->smp) into every learner as one shuffled round. */
enum ecl_status serve_observe_round(struct serve_app *a, const uint32_t *idx, uint32_t n,
                                    int *which);

/* serve_export.c: u is the URL after "/api/" ("export", "export/<learner>[/labels]"). */
void serve_export_handle(struct serve_app *a, const char *method, const char *u,
                         struct serve_resp *r);

#endif
