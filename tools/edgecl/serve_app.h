/* tools/edgecl/serve_app.h - the web demo server behind `edgecl serve` / `edgecl demo`.
 *
 * Pipeline per request: JPEG body -> RGB8 (tools/common/image.h) -> extractor (the frozen
 * backbone, via tools/common/fe.h in the shipped server) -> latent -> learners.
 *
 * Two learners are kept side by side and always see the same data: "replay" (head + replay
 * memory, the paper's method) and "naive" (head trained only on the newest data, forgets), so
 * the page can show catastrophic forgetting next to latent replay.
 *
 * Samples are not learned one by one: POST /api/classes/{id}/samples stores the latent in a
 * bounded per-class pending buffer; POST /api/train observes all pending latents (shuffled) into
 * the learners as one continual-learning batch, clears the buffer and saves the state file
 * atomically. The HTTP API is documented in docs/demo.md.
 *
 *     struct serve_extractor fx = {ctx, dim, my_extract, "my backbone", my_export};
 *                        // cmd_serve.c: fe_extract_rgb8; export_tflite (NULL: no download)
 *     struct serve_opts o = serve_default_opts();
 *     o.port = 0;                                            // 0: pick a free port
 *     o.state_path = "demo.ecls";
 *     struct serve *s;
 *     if (serve_start(&o, &fx, &s, err, sizeof err)) { fprintf(stderr, "%s\n", err); ... }
 *     printf("http://%s:%d/\n", o.bind, serve_port(s));
 *     ...                                                    // requests run on MHD's thread
 *     serve_stop(s);
 */
#ifndef EDGECL_SERVE_APP_H
#define EDGECL_SERVE_APP_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

/* The backbone as the server sees it: RGB8 image of any size -> dim floats. */
struct ecl_learner;
struct serve_extractor {
    void *ctx;
    uint32_t dim;
    enum ecl_status (*extract)(void *ctx, const uint8_t *rgb, int w, int h, float *latent);
    const char *desc; /* shown in /api/state, e.g. "mobilenet_v2.tflite @ block_13_expand_relu" */
    /* Optional, for GET /api/export/{learner} (the page's "Download model"): the learner l as
     * one standard .tflite file, this backbone up to its cut then l's classifier
     * (tools/common/export.h); *out malloc'd. On failure a one-line message in err. NULL (a
     * stand-in backbone with no model file): the endpoint answers 501. */
    enum ecl_status (*export_model)(void *ctx, struct ecl_learner *l, uint8_t **out,
                                    size_t *out_len, char *err, size_t errlen);
};

struct serve_opts {
    const char *bind;       /* IPv4/IPv6 address to listen on, default "127.0.0.1" */
    int port;               /* default 8080; 0 = any free port (see serve_port) */
    const char *state_path; /* learner state file (NULL: nothing is saved) */
    const char *web_dir;    /* serve the page from this directory instead of the embedded copy */
    uint32_t max_classes;   /* default 16 */
    uint32_t max_pending;   /* pending samples per class, default 300 */
    size_t max_body;        /* request body limit in bytes, default 2 MB */
    unsigned max_conns;     /* simultaneous connections, default 256 */
    unsigned per_ip_conns;  /* connections from one IP address waiting for their request at
                               once (a newcomer evicts the longest-waiting), default 16; at most
                               max(max_conns / 2, this) connections per address in all */
    unsigned timeout_s;     /* a whole request (headers + body) must arrive within this many
                               seconds of connecting or of the previous response; also the
                               idle keep-alive timeout. Default 10 */
    int verbose;            /* log each request to stderr */
    /* Test seam (tests/fuzz/fuzz_http_raw.c), 0 in `edgecl serve`: 1 = no listening socket and
     * no server thread; the caller hands in connections with MHD_add_connection(serve_daemon(s),
     * ...) and drives them with MHD_run(). bind still decides which Host names are accepted. */
    int no_listen;
};

struct serve;

struct serve_opts serve_default_opts(void);
/* Loads state_path if it exists (a bad file is an error, so it is never overwritten by
 * accident), then starts listening. On failure writes a one-line message to err. */
enum ecl_status serve_start(const struct serve_opts *o, const struct serve_extractor *fx,
                            struct serve **out, char *err, size_t errlen);
int serve_port(const struct serve *s); /* 0 with no_listen */
/* The libmicrohttpd daemon (for no_listen; the caller includes <microhttpd.h>). */
struct MHD_Daemon;
struct MHD_Daemon *serve_daemon(const struct serve *s);
void serve_stop(struct serve *s);

/* The CLI front end shared by `edgecl serve` and `edgecl demo` (demo=1: default state file
 * ~/.local/share/edgecl/demo.ecls or $EDGECL_STATE). Returns the process exit code. */
int serve_cli(int argc, char **argv, int demo);

/* ---- internals shared by the serve_*.c files ---- */

/* A finished response: status code, content type, malloc'd body; for a 405, allow lists the
 * methods the URL takes (the HTTP layer sends it as the Allow header); a non-empty filename
 * makes the body a download (Content-Disposition: attachment; filename="..."; the name is
 * the server's own, [A-Za-z0-9._-] only). */
struct serve_resp {
    int code;
    const char *ctype;
    char *body;
    size_t len;
    const char *allow;
    char filename[64];
};

struct serve_app;
enum ecl_status serve_app_create(const struct serve_opts *o, const struct serve_extractor *fx,
                                 struct serve_app **out, char *err, size_t errlen);
void serve_app_destroy(struct serve_app *a);
/* Handles one /api/ request (url starts with "/api/"). Always fills r (JSON). */
void serve_app_handle(struct serve_app *a, const char *method, const char *url, const char *ctype,
                      const char *body, size_t len, struct serve_resp *r);

/* Static files of the page: the copy embedded at build time, or web_dir. */
int serve_web_get(const char *web_dir, const char *url, struct serve_resp *r);

/* serve_json.c: small JSON writer and a validating reader for request bodies. */
struct jbuf {
    char *p;
    size_t len, cap;
    int oom;
};
void jb_init(struct jbuf *b);
void jb_puts(struct jbuf *b, const char *s);
void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jb_str(struct jbuf *b, const char *s); /* quoted, escaped */
/* Parses body as JSON; it must be an object. If key is a top-level member with a string value
 * its (unescaped, UTF-8) text goes to out and 1 is returned; 0 if absent or not a string;
 * -1 on a syntax error (message in err). */
int json_object_get_string(const char *body, size_t len, const char *key, char *out, size_t outlen,
                           char *err, size_t errlen);
/* Length (2..4) of the well-formed UTF-8 sequence at p (p[0] >= 0x80, avail bytes readable),
 * 0 if it is malformed (overlong, surrogate, > U+10FFFF, truncated). */
size_t utf8_seq_len(const unsigned char *p, size_t avail);

#endif
