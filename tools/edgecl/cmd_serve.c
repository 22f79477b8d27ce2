/* cmd_serve.c - `edgecl serve`: the web demo server (see serve_app.h, docs/demo.md).
 * This file is the CLI front end: options, loading the backbone (tools/common/fe.h), and
 * waiting for Ctrl-C. SIGINT/SIGTERM are blocked before any thread starts, so only the
 * main thread receives them (via sigwait) and requests are never interrupted half-way. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cmds.h"
#include "export.h"
#include "fe.h"
#include "serve_app.h"

static void usage(FILE *f, int demo) {
    if (demo)
        fprintf(f, "usage: edgecl demo [options]\n"
                   "Start the web demo with the default model and state file, and print its URL.\n"
                   "State: $EDGECL_STATE, else ~/.local/share/edgecl/demo.ecls.\n"
                   "Options are those of `edgecl serve`:\n");
    else
        fprintf(f,
                "usage: edgecl serve [options]\n"
                "Web demo: teach classes from a webcam or image files, compare replay with naive\n"
                "learning.\n");
    fprintf(f,
            "  --port N         TCP port (default 8080; 0 = any free port)\n"
            "  --bind ADDR      address to listen on (default 127.0.0.1: this machine only)\n"
            "  --state FILE     learner state: loaded at start, saved after each training\n"
            "                   round and delete (serve default: none, nothing is saved);\n"
            "                   a state from `edgecl learn` is served too (its one learner)\n"
            "  --model M        backbone .tflite (default: %s)\n"
            "  --cut T          cut-layer tensor (default %s)\n"
            "  --threads N      backbone threads (default 1)\n"
            "  --web DIR        serve the page from DIR instead of the embedded copy\n"
            "  --max-classes N  most classes (default 16)\n"
            "  --verbose        log every request\n"
            "The API is described in docs/demo.md.\n",
            fe_default_model_path(), FE_CUT_HELP);
}

/* The backbone behind the server: the extractor and the model file it was read from. */
struct backbone {
    struct fe *fe;
    const char *model;
};

static enum ecl_status fx_extract(void *ctx, const uint8_t *rgb, int w, int h, float *latent) {
    return fe_extract_rgb8(((struct backbone *)ctx)->fe, rgb, w, h, latent);
}

/* "Download model": what `edgecl export` writes for this model and cut (the demo always pools
 * the cut tensor). The file is read again, so the server holds no second copy of it. */
static enum ecl_status fx_export(void *ctx, struct ecl_learner *l, uint8_t **out, size_t *out_len,
                                 char *err, size_t errlen) {
    const struct backbone *b = ctx;
    void *file = NULL;
    size_t len = 0;
    enum ecl_status st = fe_read_model_file(b->model, &file, &len, err, errlen);
    if (st) return st;
    struct export_opts eo = export_default_opts();
    eo.cut = fe_cut_tensor(b->fe);
    eo.pool = 1;
    eo.has_norm = fe_input_norm(b->fe, &eo.mean, &eo.std);
    st = export_tflite(file, len, &eo, l, out, out_len, err, errlen);
    free(file);
    return st;
}

static int mkdir_p(const char *dir) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

int serve_cli(int argc, char **argv, int demo) {
    const char *prog = demo ? "edgecl demo" : "edgecl serve";
    struct serve_opts o = serve_default_opts();
    const char *model = NULL, *cut = FE_CUT_DEFAULT;
    int threads = 1;
    char state_buf[4096];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, demo);
            return 0;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            o.verbose = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s: unknown option or missing value: %s (see --help)\n", prog, a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--port")) {
            long p = strtol(v, &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "%s: --port must be 0..65535, got '%s'\n", prog, v);
                return 2;
            }
            o.port = (int)p;
        } else if (!strcmp(a, "--bind")) {
            o.bind = v;
        } else if (!strcmp(a, "--state")) {
            o.state_path = v;
        } else if (!strcmp(a, "--model")) {
            model = v;
        } else if (!strcmp(a, "--cut")) {
            cut = v;
        } else if (!strcmp(a, "--web")) {
            o.web_dir = v;
        } else if (!strcmp(a, "--threads")) {
            long t = strtol(v, &end, 10);
            if (*end || t < 1 || t > 64) {
                fprintf(stderr, "%s: --threads must be 1..64\n", prog);
                return 2;
            }
            threads = (int)t;
        } else if (!strcmp(a, "--max-classes")) {
            long t = strtol(v, &end, 10);
            if (*end || t < 2 || t > 256) {
                fprintf(stderr, "%s: --max-classes must be 2..256\n", prog);
                return 2;
            }
            o.max_classes = (uint32_t)t;
        } else {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", prog, a);
            return 2;
        }
    }
    if (demo && !o.state_path) {
        const char *env = getenv("EDGECL_STATE"), *home = getenv("HOME");
        if (env && *env) {
            o.state_path = env;
        } else if (home && *home) {
            char dir[4000];
            snprintf(dir, sizeof dir, "%s/.local/share/edgecl", home);
            if (mkdir_p(dir)) {
                fprintf(stderr, "%s: cannot create %s: %s\n", prog, dir, strerror(errno));
                return 1;
            }
            snprintf(state_buf, sizeof state_buf, "%s/demo.ecls", dir);
            o.state_path = state_buf;
        } else {
            o.state_path = "demo.ecls";
        }
    }
    if (o.web_dir) {
        char idx[4200];
        struct stat sb;
        snprintf(idx, sizeof idx, "%s/index.html", o.web_dir);
        if (stat(idx, &sb)) {
            fprintf(stderr, "%s: --web %s: no index.html there\n", prog, o.web_dir);
            return 2;
        }
    }
    {
        unsigned char tmp[16];
        if (inet_pton(AF_INET, o.bind, tmp) != 1 && inet_pton(AF_INET6, o.bind, tmp) != 1) {
            fprintf(stderr, "%s: --bind: '%s' is not an IPv4 or IPv6 address\n", prog, o.bind);
            return 2;
        }
    }
    if (!model) model = fe_default_model_path();

    /* Block before anything starts threads (the backbone may have workers, MHD has its
     * poller): all of them inherit the mask, so the signal reaches sigwait below. A Ctrl-C
     * while loading stays pending and stops the server as soon as it is up. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    fprintf(stderr, "%s: loading %s (cut %s)...\n", prog, model, cut);
    struct fe_opts fo = fe_default_opts();
    fo.cut = cut;
    fo.threads = threads;
    struct fe *fe;
    char err[512];
    if (fe_open(model, &fo, &fe, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", prog, err);
        if (!strstr(err, model)) fprintf(stderr, "%s: (model: %s; see --model)\n", prog, model);
        return 1;
    }
    char desc[600];
    const char *base = strrchr(model, '/');
    snprintf(desc, sizeof desc, "%s @ %s (%u-d)", base ? base + 1 : model, fe_cut_name(fe),
             fe_dim(fe));
    struct backbone bb = {fe, model};
    struct serve_extractor fx = {&bb, fe_dim(fe), fx_extract, desc, fx_export};

    struct serve *s;
    if (serve_start(&o, &fx, &s, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", prog, err);
        fe_close(fe);
        return 1;
    }
    const char *shown = o.bind;
    if (!strcmp(o.bind, "0.0.0.0") || !strcmp(o.bind, "::")) shown = "localhost";
    int v6 = strchr(shown, ':') != NULL;
    printf("edgecl: demo running at http://%s%s%s:%d/\n", v6 ? "[" : "", shown, v6 ? "]" : "",
           serve_port(s));
    fflush(stdout);
    fprintf(stderr, "%s: state file: %s\n%s: press Ctrl-C to stop\n", prog,
            o.state_path ? o.state_path : "(none: nothing is saved; use --state FILE)", prog);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "%s: stopping\n", prog);
    serve_stop(s);
    fe_close(fe);
    return 0;
}

int cmd_serve(int argc, char **argv) {
    return serve_cli(argc, argv, 0);
}
