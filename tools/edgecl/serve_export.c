/* serve_export.c - the page's "Download model" (docs/demo.md): GET /api/export/{learner}
 * answers the learner as one standard .tflite file (the backbone up to the cut, the pooling,
 * the classifier and a softmax; tools/common/export.h, as `edgecl export` writes it) as an
 * attachment, and GET /api/export/{learner}/labels its class names, one per line.
 *
 * Why the backbone builds the file (serve_extractor.export_model): only the backbone knows the
 * model file, the cut tensor, the pooling and the input normalisation, and the server's tests
 * and fuzz harnesses run a stand-in backbone that has no model file; with it the endpoint
 * answers 501 instead of guessing. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "edgecl/learner.h"
#include "serve_app_int.h"

/* The learner called name (its kind name, as in learner_order), or -1. */
static int find_learner(const struct serve_app *a, const char *name, size_t n) {
    for (int i = 0; i < a->nl; i++) {
        const char *k = ecl_learner_kind_name(a->kinds[i]);
        if (strlen(k) == n && !memcmp(k, name, n)) return i;
    }
    return -1;
}

static void learner_list(const struct serve_app *a, char *out, size_t len) {
    size_t p = 0;
    out[0] = 0;
    for (int i = 0; i < a->nl && p < len; i++)
        p += (size_t)snprintf(out + p, len - p, "%s%s", i ? ", " : "",
                              ecl_learner_kind_name(a->kinds[i]));
}

/* One line per class: its name, or "class_<k>" when unnamed (as export_labels writes it). */
static void resp_labels(const struct ecl_learner *l, struct serve_resp *r) {
    const uint32_t n = ecl_learner_n_classes(l);
    char *s = malloc((size_t)n * (ECL_CLASS_NAME_MAX + 16) + 1), *p = s;
    if (!s) return serve_resp_err(r, 500, "out of memory");
    *p = 0;
    for (uint32_t k = 0; k < n; k++) {
        const char *nm = ecl_learner_class_name(l, (int32_t)k);
        char buf[ECL_CLASS_NAME_MAX];
        size_t j = 0;
        for (; nm && nm[j] && j + 1 < sizeof buf; j++)
            buf[j] = nm[j] == '\n' || nm[j] == '\r' ? ' ' : nm[j];
        buf[j] = 0;
        p += j ? sprintf(p, "%s\n", buf) : sprintf(p, "class_%u\n", k);
    }
    r->code = 200;
    r->ctype = "text/plain; charset=utf-8";
    r->body = s;
    r->len = (size_t)(p - s);
}

/* u: the URL after "/api/": "export", "export/<learner>" or "export/<learner>/labels". */
void serve_export_handle(struct serve_app *a, const char *method, const char *u,
                         struct serve_resp *r) {
    char have[128];
    learner_list(a, have, sizeof have);
    const char *name = u[6] == '/' ? u + 7 : u + 6, *slash = strchr(name, '/');
    size_t n = slash ? (size_t)(slash - name) : strlen(name);
    int labels = slash && !strcmp(slash, "/labels");
    if (!n || (slash && !labels))
        return serve_resp_err(r, 404, "use GET /api/export/{learner}[/labels] (learners: %s)",
                              have);
    if (strcmp(method, "GET")) {
        serve_resp_err(r, 405, "use GET");
        r->allow = "GET";
        return;
    }
    int i = find_learner(a, name, n);
    if (i < 0)
        return serve_resp_err(r, 404, "unknown learner '%.*s' (this server has: %s)",
                              (int)(n < 32 ? n : 32), name, have);
    const char *kind = ecl_learner_kind_name(a->kinds[i]);
    if (!ecl_learner_n_seen(a->l[i]) || !ecl_learner_n_classes(a->l[i]))
        return serve_resp_err(r, 409, "the %s learner has not been trained yet: nothing to export",
                              kind);
    if (labels) {
        resp_labels(a->l[i], r);
        if (r->code == 200) snprintf(r->filename, sizeof r->filename, "edgecl-%s.labels.txt", kind);
        return;
    }
    if (!a->fx.export_model)
        return serve_resp_err(r, 501,
                              "this server's backbone (%s) cannot be exported: it is not read "
                              "from a .tflite file",
                              a->fx.desc ? a->fx.desc : "a stand-in");
    uint8_t *buf = NULL;
    size_t len = 0;
    char e[400] = "";
    enum ecl_status st = a->fx.export_model(a->fx.ctx, a->l[i], &buf, &len, e, sizeof e);
    if (st) {
        free(buf);
        return serve_resp_err(r, st == ECL_EOOM ? 500 : 422, "cannot export the %s learner: %s",
                              kind, e[0] ? e : ecl_status_str(st));
    }
    r->code = 200;
    r->ctype = "application/octet-stream";
    r->body = (char *)buf;
    r->len = len;
    snprintf(r->filename, sizeof r->filename, "edgecl-%s.tflite", kind);
}
