/* stub_server.c - `edgecl serve` with the stand-in backbone of stub_fx.h, for developing the
 * page and the browser test without a model: stub_server [--port N] [--state F] [--web DIR].
 * Not shipped; the real server is tools/edgecl/cmd_serve.c. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve_app.h"
#include "stub_fx.h"

int main(int argc, char **argv) {
    struct serve_opts o = serve_default_opts();
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            o.port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--state"))
            o.state_path = argv[i + 1];
        else if (!strcmp(argv[i], "--web"))
            o.web_dir = argv[i + 1];
    }
    struct serve_extractor fx = {NULL, DIM, stub_extract, "stub colour grid (test only)", NULL};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct serve *s;
    char err[512];
    if (serve_start(&o, &fx, &s, err, sizeof err)) {
        fprintf(stderr, "stub_server: %s\n", err);
        return 1;
    }
    printf("edgecl: demo running at http://127.0.0.1:%d/\n", serve_port(s));
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    serve_stop(s);
    return 0;
}
