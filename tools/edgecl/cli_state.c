/* tools/edgecl/cli_state.c - learners and their state files for the subcommands: create a
 * learner in malloc'd memory, load a state (a plain ECLS image, or one learner of the web demo's
 * container, statefile.h), build the image to save and save it atomically under the lock's
 * checks (cli_util.h declares them). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "edgecl/port.h"
#include "statefile.h"

/* ----------------------------------------------------------------- learners and state */
int cli_learner_create(const struct ecl_learner_params *p, struct cli_learner *out, char *err,
                       size_t errlen) {
    memset(out, 0, sizeof *out);
    size_t bytes = 0;
    enum ecl_status st = ecl_learner_mem_size(p, &bytes);
    if (st != ECL_OK) {
        cli_seterr(err, errlen, "invalid learner configuration: %s", ecl_status_str(st));
        return 1;
    }
    if (bytes > CLI_MAX_LEARNER_BYTES) {
        cli_seterr(err, errlen, "learner would need %zu MiB (limit %zu MiB)", bytes >> 20,
                   CLI_MAX_LEARNER_BYTES >> 20);
        return 1;
    }
    /* 64-byte alignment keeps SIMD kernels happy whatever the library does inside. */
    size_t alloc = (bytes + 63) & ~(size_t)63;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, alloc ? alloc : 64) != 0) {
        cli_seterr(err, errlen, "out of memory (%zu bytes for the learner)", bytes);
        return 1;
    }
    memset(mem, 0, alloc ? alloc : 64);
    st = ecl_learner_init(p, mem, bytes, &out->l);
    if (st != ECL_OK) {
        free(mem);
        cli_seterr(err, errlen, "cannot initialise learner: %s", ecl_status_str(st));
        return 1;
    }
    out->mem = mem;
    out->mem_bytes = bytes;
    return 0;
}

/* A demo container (statefile.h, the same reader the demo server uses): moves the chosen
 * learner's image to the front of *buf so the plain-state path below reads it. Returns 0, or 1
 * with err set. */
static int pick_from_container(const char *path, const char *learner, void **buf, size_t *len,
                               struct cli_learner *out, enum ecl_status *status, char *err,
                               size_t errlen) {
    static struct statefile_class classes[STATEFILE_MAX_CLASSES];
    struct statefile sf;
    char e[200], kinds[64] = "";
    enum ecl_status st = statefile_parse(*buf, *len, classes, &sf, e, sizeof e);
    if (st == ECL_OK && !sf.n_learners) {
        st = ECL_ECORRUPT;
        snprintf(e, sizeof e, "demo state holds no learner");
    }
    if (st) {
        if (status) *status = st;
        cli_seterr(err, errlen, "%s: %s", path, e);
        return 1;
    }
    for (uint32_t i = 0, o = 0; i < sf.n_learners && o < sizeof kinds; i++) {
        int w = snprintf(kinds + o, sizeof kinds - o, "%s%s", i ? ", " : "",
                         ecl_learner_kind_name((enum ecl_learner_kind)sf.learners[i].kind));
        if (w > 0) o += (uint32_t)w;
    }
    int pick = 0;
    if (learner) {
        enum ecl_learner_kind k;
        if (ecl_learner_kind_parse(learner, &k) != ECL_OK ||
            (pick = statefile_find_learner(&sf, k)) < 0) {
            if (status) *status = ECL_EINVAL; /* ENOTFOUND means no file (learn creates one) */
            cli_seterr(err, errlen, "%s is a demo state holding %s; no learner '%s' in it", path,
                       kinds, learner);
            return 1;
        }
    }
    const struct statefile_learner *sl = &sf.learners[pick];
    out->container = 1;
    out->picked = (enum ecl_learner_kind)sl->kind;
    snprintf(out->container_kinds, sizeof out->container_kinds, "%s", kinds);
    memmove(*buf, sl->img, sl->len);
    *len = sl->len;
    return 0;
}

int cli_state_load(const char *path, struct cli_learner *out, size_t *file_bytes,
                   enum ecl_status *status, char *err, size_t errlen) {
    return cli_state_load_learner(path, NULL, out, file_bytes, status, err, errlen);
}

int cli_state_load_learner(const char *path, const char *learner, struct cli_learner *out,
                           size_t *file_bytes, enum ecl_status *status, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    void *buf = NULL;
    size_t len = 0;
    struct ecl_port_file_id src;
    enum ecl_status st = ecl_port_read_file_id(path, &buf, &len, &src);
    if (status) *status = st;
    if (st != ECL_OK) {
        if (st == ECL_ENOTFOUND)
            cli_seterr(err, errlen, "%s: no such file", path);
        else
            cli_seterr(err, errlen, "cannot read the state: %s", ecl_port_error());
        return 1;
    }
    if (file_bytes) *file_bytes = len;
    struct cli_learner meta; /* container fields, set on out once it is built */
    memset(&meta, 0, sizeof meta);
    if (statefile_is_container(buf, len) &&
        pick_from_container(path, learner, &buf, &len, &meta, status, err, errlen)) {
        free(buf);
        return 1;
    }
    struct ecl_learner_params p;
    st = ecl_learner_state_params(buf, len, &p);
    if (st == ECL_EVERSION) {
        const uint8_t *v = (const uint8_t *)buf + 4; /* EVERSION means the magic and 8 bytes */
        uint32_t found =
            (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
        if (status) *status = st;
        cli_seterr(err, errlen,
                   "%s: not a valid learner state file: format version %u, this edgecl reads "
                   "version %u (written by a %s edgecl?)",
                   path, found, ECL_STATE_VERSION, found > ECL_STATE_VERSION ? "newer" : "older");
        free(buf);
        return 1;
    }
    if (st != ECL_OK) {
        if (status) *status = st;
        cli_seterr(err, errlen, "%s: not a valid learner state file: %s", path, ecl_status_str(st));
        free(buf);
        return 1;
    }
    if (cli_learner_create(&p, out, err, errlen)) {
        if (status) *status = ECL_ECORRUPT;
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", err ? err : "");
        cli_seterr(err, errlen, "%s: %s", path, tmp);
        free(buf);
        return 1;
    }
    st = ecl_learner_state_read(out->l, buf, len);
    free(buf);
    if (status) *status = st;
    if (st != ECL_OK) {
        cli_seterr(err, errlen, "%s: not a valid learner state file: %s", path, ecl_status_str(st));
        cli_learner_free(out);
        return 1;
    }
    out->src = src;
    out->container = meta.container;
    out->picked = meta.picked;
    memcpy(out->container_kinds, meta.container_kinds, sizeof out->container_kinds);
    return 0;
}

/* Never write what cannot be read back: the learned values must be finite and the image must
 * pass the reader's own validation (ecl_learner_state_check) before it may replace a file. */
static enum ecl_status state_image_ok(const struct cli_learner *L, const char *path, void *buf,
                                      size_t size, size_t *written, char *err, size_t errlen) {
    enum ecl_status st = ecl_learner_check_finite(L->l);
    if (st == ECL_OK) st = ecl_learner_state_write(L->l, buf, size, written);
    if (st == ECL_ERANGE) {
        cli_seterr(err, errlen,
                   "training produced values that are not finite (NaN/Inf: the learning rate is "
                   "too high for the scale of the inputs?); state not saved, %s is unchanged",
                   path);
        return st;
    }
    if (st == ECL_OK) st = ecl_learner_state_check(L->l, buf, *written);
    if (st != ECL_OK)
        cli_seterr(err, errlen,
                   "the state image does not pass the reader's checks (%s); state not saved, %s is "
                   "unchanged",
                   ecl_status_str(st), path);
    return st;
}

int cli_state_image(const struct cli_learner *L, const char *path, void **img, size_t *len,
                    char *err, size_t errlen) {
    size_t size = 0;
    *img = NULL;
    *len = 0;
    enum ecl_status st = ecl_learner_state_size(L->l, &size);
    if (st != ECL_OK) {
        cli_seterr(err, errlen, "cannot size state: %s", ecl_status_str(st));
        return 1;
    }
    void *buf = malloc(size ? size : 1);
    if (!buf) {
        cli_seterr(err, errlen, "out of memory (%zu bytes of state)", size);
        return 1;
    }
    if (state_image_ok(L, path, buf, size, len, err, errlen) != ECL_OK) {
        free(buf);
        return 1;
    }
    *img = buf;
    return 0;
}

int cli_state_save(const struct cli_learner *L, const char *path, char *err, size_t errlen) {
    size_t written = 0;
    void *buf;
    if (L->container) { /* one learner must never replace the demo's container */
        cli_seterr(err, errlen,
                   "%s is the web demo's state (%s); the CLI reads it but does not write it", path,
                   L->container_kinds);
        return 1;
    }
    if (cli_state_image(L, path, &buf, &written, err, errlen)) return 1;
    enum ecl_status st = ecl_port_save_atomic_if(path, buf, written, &L->src, NULL);
    if (st == ECL_ESTATE)
        cli_seterr(err, errlen,
                   "%s (another writer that did not take the lock?); this run's "
                   "learning is not saved: run it again",
                   ecl_port_error());
    else if (st != ECL_OK)
        cli_seterr(err, errlen, "cannot save state: %s", ecl_port_error());
    free(buf);
    return st != ECL_OK;
}

void cli_learner_free(struct cli_learner *L) {
    if (!L) return;
    free(L->mem);
    memset(L, 0, sizeof *L);
}
