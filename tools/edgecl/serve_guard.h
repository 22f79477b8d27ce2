/* tools/edgecl/serve_guard.h - the demo server's defence against slow clients.
 *
 * Every connection must deliver a whole request (headers and body) within deadline_s seconds
 * of the moment it connected or finished its previous request; a connection still receiving
 * after that is shut down, however steadily it trickles bytes. At most per_ip connections
 * from one address may be waiting for their request: a new one evicts the one that has waited
 * longest, so a client that sends its request at once gets through even when a flood comes
 * from its own address. With the connection limit given to libmicrohttpd (serve_http.c) a
 * flood of slow clients cannot hold a slot for longer than one deadline.
 *
 *     struct serve_guard *g = serve_guard_start(10, 16, 0);
 *     MHD_start_daemon(..., MHD_OPTION_NOTIFY_CONNECTION, serve_guard_notify, g, ...);
 *     // in the request handler, once the body is complete: serve_guard_received(g, c);
 *     // in the completion callback:                         serve_guard_completed(g, c);
 *     MHD_stop_daemon(d);
 *     serve_guard_stop(g);   // after the daemon: every connection has been closed
 */
#ifndef EDGECL_SERVE_GUARD_H
#define EDGECL_SERVE_GUARD_H

#include <microhttpd.h>

struct serve_guard;

/* per_ip: connections from one address that may wait for their request at once; a new one
 * beyond that evicts the one that has waited longest (0: no such cap). NULL: no memory. */
struct serve_guard *serve_guard_start(unsigned deadline_s, unsigned per_ip, int verbose);
void serve_guard_stop(struct serve_guard *g);
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls = the guard). */
void serve_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
void serve_guard_received(struct serve_guard *g, struct MHD_Connection *c);
void serve_guard_completed(struct serve_guard *g, struct MHD_Connection *c);
/* Connections shut down so far (deadline missed or evicted). */
unsigned long serve_guard_cut_count(struct serve_guard *g);

#endif
