/* serve_guard.c - a total deadline for receiving each request (see serve_guard.h).
 *
 * Why: libmicrohttpd 0.9.75's MHD_OPTION_CONNECTION_TIMEOUT is an idle timer that every byte
 * restarts, so a client sending one header byte a second holds a connection forever
 * (slowloris); with a few dozen of them every slot is taken and the demo stops answering. MHD
 * has no whole-request deadline, so we keep our own table of connections (its connection
 * notification gives each one a context and its socket), stamp the moment each request
 * started to arrive, and a small thread shuts down the socket of any connection still
 * receiving past the deadline, and a new connection from an address that already has
 * per_ip connections waiting evicts the one that has waited longest. shutdown() (not close())
 * leaves the descriptor to MHD, which then reads end-of-file and frees the connection the normal
 * way.
 *
 * Races: MHD calls the CLOSED notification before it closes the socket, and both the
 * notification and the reaper hold g->mu, so the reaper never touches a descriptor number
 * that MHD has already closed (and the system may have reused). */
#define _POSIX_C_SOURCE 200809L
#include "serve_guard.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "edgecl/port.h"

struct guard_conn {
    struct guard_conn *prev, *next;
    int fd;
    int family;        /* of the client address; 0 if unknown */
    uint8_t ip[16];    /* client address (4 or 16 bytes) */
    uint64_t start_ns; /* when the current request began to arrive (or the connection idled) */
    int receiving;     /* 0 while the handler runs and the response is sent */
    int cut;
};

struct serve_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int stop;
    uint64_t deadline_ns;
    unsigned per_ip;
    struct guard_conn *head;
    unsigned long n_cut, n_cut_logged, n_evicted;
    uint64_t last_log_ns;
    int verbose;
};

static void *reaper(void *arg) {
    struct serve_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        uint64_t now = ecl_port_now_ns();
        for (struct guard_conn *c = g->head; c; c = c->next) {
            if (c->receiving && !c->cut && now - c->start_ns > g->deadline_ns) {
                shutdown(c->fd, SHUT_RDWR);
                c->cut = 1;
                g->n_cut++;
            }
        }
        /* One line per few seconds, not one per connection of a flood. */
        unsigned long cut = g->n_cut + g->n_evicted;
        if (cut != g->n_cut_logged && now - g->last_log_ns > 5000000000ull) {
            fprintf(stderr,
                    "edgecl serve: closed %lu connection(s) that did not send a whole request "
                    "within %llu s or exceeded %u waiting connections per address (slow or "
                    "stalled clients)\n",
                    cut - g->n_cut_logged, (unsigned long long)(g->deadline_ns / 1000000000),
                    g->per_ip);
            g->n_cut_logged = cut;
            g->last_log_ns = now;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L; /* 100 ms resolution */
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

struct serve_guard *serve_guard_start(unsigned deadline_s, unsigned per_ip, int verbose) {
    struct serve_guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->deadline_ns = (uint64_t)(deadline_s ? deadline_s : 1) * 1000000000ull;
    g->per_ip = per_ip;
    g->verbose = verbose;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (pthread_create(&g->th, NULL, reaper, g) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return NULL;
    }
    return g;
}

void serve_guard_stop(struct serve_guard *g) {
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->th, NULL);
    /* MHD_stop_daemon has run: every connection got its CLOSED notification. */
    struct guard_conn *c = g->head;
    while (c) {
        struct guard_conn *n = c->next;
        free(c);
        c = n;
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

static void set_addr(struct guard_conn *c, struct MHD_Connection *mc) {
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ai ? ai->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        c->family = AF_INET;
        memcpy(c->ip, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        c->family = AF_INET6;
        memcpy(c->ip, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    }
}

/* A new connection from an address that already has per_ip connections still waiting for
 * their request: shut down the one that has waited longest. Refusing the newcomer instead (as
 * MHD's own per-IP limit does) would let a slow client that shares the address of a real one
 * (every local process is 127.0.0.1) lock the real one out; evicting the oldest means a
 * client that sends its request promptly always gets through. Called with g->mu held. */
static void evict_oldest_of_ip(struct serve_guard *g, const struct guard_conn *nc) {
    if (!g->per_ip || !nc->family) return;
    size_t len = nc->family == AF_INET ? 4 : 16;
    unsigned n = 0;
    struct guard_conn *oldest = NULL;
    for (struct guard_conn *c = g->head; c; c = c->next) {
        if (!c->receiving || c->cut || c->family != nc->family || memcmp(c->ip, nc->ip, len))
            continue;
        n++;
        if (!oldest || c->start_ns < oldest->start_ns) oldest = c;
    }
    if (n >= g->per_ip && oldest) {
        shutdown(oldest->fd, SHUT_RDWR);
        oldest->cut = 1;
        g->n_evicted++;
    }
}

void serve_guard_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
                        enum MHD_ConnectionNotificationCode code) {
    struct serve_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct guard_conn *c = ci ? calloc(1, sizeof *c) : NULL;
        *socket_context = c;
        if (!c) return; /* unguarded: MHD's idle timeout still applies */
        c->fd = ci->connect_fd;
        c->start_ns = ecl_port_now_ns();
        c->receiving = 1;
        set_addr(c, mc);
        pthread_mutex_lock(&g->mu);
        evict_oldest_of_ip(g, c);
        c->next = g->head;
        if (g->head) g->head->prev = c;
        g->head = c;
        pthread_mutex_unlock(&g->mu);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct guard_conn *c = *socket_context;
        if (!c) return;
        pthread_mutex_lock(&g->mu);
        if (c->prev)
            c->prev->next = c->next;
        else
            g->head = c->next;
        if (c->next) c->next->prev = c->prev;
        pthread_mutex_unlock(&g->mu);
        free(c);
        *socket_context = NULL;
    }
}

static struct guard_conn *conn_of(struct MHD_Connection *mc) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? (struct guard_conn *)ci->socket_context : NULL;
}

void serve_guard_received(struct serve_guard *g, struct MHD_Connection *mc) {
    struct guard_conn *c = g ? conn_of(mc) : NULL;
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    c->receiving = 0;
    pthread_mutex_unlock(&g->mu);
}

void serve_guard_completed(struct serve_guard *g, struct MHD_Connection *mc) {
    struct guard_conn *c = g ? conn_of(mc) : NULL;
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    c->receiving = 1; /* a keep-alive connection: the next request's clock starts now */
    c->start_ns = ecl_port_now_ns();
    pthread_mutex_unlock(&g->mu);
}

unsigned long serve_guard_cut_count(struct serve_guard *g) {
    if (!g) return 0;
    pthread_mutex_lock(&g->mu);
    unsigned long n = g->n_cut + g->n_evicted;
    pthread_mutex_unlock(&g->mu);
    return n;
}
