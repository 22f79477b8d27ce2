/* tests/fuzz/fuzz_http_raw.c - the demo server as a client sees it: the input is a raw
 * HTTP/1.x byte stream (one connection, possibly several pipelined requests) fed through
 * libmicrohttpd into the real request callback in tools/edgecl/serve_http.c, so the parts
 * fuzz_http.c cannot reach are exercised too: the Host check (host_ok), the Origin check
 * (origin_ok), body accumulation, the Content-Length limit and chunked uploads that grow past
 * it (413 mid-body), method handling and the Allow header on 405, plus MHD's own parsing
 * (keep-alive, pipelining, HEAD, malformed requests) in front of them.
 *
 * Per input: a fresh server (serve_start with opts.no_listen: no socket, no thread; fake 8-d
 * backbone, a per-process state file, bound to 127.0.0.1, body limit 2048 bytes so that the
 * limit is reachable with small inputs); a socketpair whose one end is handed to MHD with
 * MHD_add_connection (as if from 127.0.0.1); the input is written to the other end, which is
 * then half-closed (SHUT_WR), while MHD_run() is called and the response read, until MHD
 * closes the connection. libmicrohttpd itself is the system library (not instrumented).
 *
 * Properties beyond "no crash, no leak, no UB": MHD closes the half-closed connection within
 * a bounded number of MHD_run() rounds (no request hangs the server); the response stream, if
 * any, starts with an HTTP/1.x status line with a code in 100..599; every 405 carries an Allow
 * header. FUZZ_HTTP_VERBOSE=1 prints the start of the response stream, =2 all of it. */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "edgecl/port.h"
#include "fuzz_util.h"
#include "fuzz_serve_stub.h"

#define MAX_BODY 2048u
#define MAX_ROUNDS 20000 /* MHD_run() calls per input; a clean input needs a few dozen */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN); /* belt and braces: writes use MSG_NOSIGNAL */
    return 0;
}

/* Checks the response stream: it starts with an HTTP/1.x status line (code 100..599), and
 * every 405 status line in it (the bodies are JSON or the page, which cannot hold a raw CRLF
 * before "HTTP/1.1 405") is followed by an Allow header in its header block. Responses are
 * not split by Content-Length: a reply to HEAD states one but has no body. */
static void check_response(const char *r, size_t len) {
    const char *v = getenv("FUZZ_HTTP_VERBOSE");
    if (v) /* 1: the start, 2: everything */
        fprintf(stderr, "-> %zu bytes: %.*s\n", len, (int)(len < 160 || *v == '2' ? len : 160), r);
    if (len == 0) return; /* MHD may close without answering (e.g. a truncated request) */
    FUZZ_CHECK(len >= 12 && (!memcmp(r, "HTTP/1.1 ", 9) || !memcmp(r, "HTTP/1.0 ", 9)));
    int code = 0;
    for (int i = 9; i < 12; i++) {
        FUZZ_CHECK(r[i] >= '0' && r[i] <= '9');
        code = code * 10 + (r[i] - '0');
    }
    FUZZ_CHECK(code >= 100 && code <= 599);
    static const char s405[] = "HTTP/1.1 405 ";
    for (size_t i = 0; i + sizeof s405 - 1 <= len; i++) {
        if (memcmp(r + i, s405, sizeof s405 - 1) || (i && (i < 4 || memcmp(r + i - 2, "\r\n", 2))))
            continue;
        int allow = 0, done = 0;
        for (size_t k = i; k + 4 <= len && !done; k++) {
            if (!memcmp(r + k, "\r\n\r\n", 4))
                done = 1;
            else if (!memcmp(r + k, "\r\n", 2) && len - k > 8 &&
                     !strncasecmp(r + k + 2, "Allow:", 6))
                allow = 1;
        }
        FUZZ_CHECK(allow || !done); /* a header block cut off at 64 KB is not judged */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[600];
    snprintf(path, sizeof path, "%s", fuzz_tmpfile("rawdemo", ".ecls", NULL, 0));
    fuzz_unlink_state(path); /* start without a state file; /api/save may create one */

    struct serve_opts o = serve_default_opts();
    o.port = 0;
    o.no_listen = 1;
    o.state_path = path;
    o.max_classes = 4;
    o.max_pending = 8;
    o.max_body = MAX_BODY;
    struct serve *s = NULL;
    char err[512] = "";
    if (serve_start(&o, &fuzz_serve_extractor, &s, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "fuzz_http_raw: %s\n", err);
        abort();
    }
    struct MHD_Daemon *d = serve_daemon(s);

    int sv[2];
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    for (int i = 0; i < 2; i++)
        FUZZ_CHECK(fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK) == 0);
    struct sockaddr_in peer; /* MHD wants a client address: say 127.0.0.1:40000 */
    memset(&peer, 0, sizeof peer);
    peer.sin_family = AF_INET;
    peer.sin_port = htons(40000);
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(MHD_add_connection(d, sv[0], (struct sockaddr *)&peer, sizeof peer) == MHD_YES);

    static char resp[1 << 16];
    size_t rlen = 0, off = 0;
    int shut = 0, closed = 0;
    for (int round = 0; round < MAX_ROUNDS && !closed; round++) {
        if (off < size) {
            ssize_t n = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
            if (n > 0)
                off += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                off = size; /* MHD closed its end (e.g. after a 413): stop writing */
        }
        if (off == size && !shut) {
            shutdown(sv[1], SHUT_WR);
            shut = 1;
        }
        FUZZ_CHECK(MHD_run(d) == MHD_YES);
        for (;;) {
            char buf[4096];
            ssize_t n = recv(sv[1], buf, sizeof buf, 0);
            if (n > 0) {
                size_t k = (size_t)n < sizeof resp - rlen ? (size_t)n : sizeof resp - rlen;
                memcpy(resp + rlen, buf, k);
                rlen += k;
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                closed = 1; /* MHD closed the connection (EOF, or reset) */
            break;
        }
    }
    if (!closed)
        fprintf(stderr, "fuzz_http_raw: connection still open after %d rounds\n", MAX_ROUNDS);
    FUZZ_CHECK(closed);
    close(sv[1]);
    check_response(resp, rlen);
    serve_stop(s);
    fuzz_unlink_state(path);
    return 0;
}
