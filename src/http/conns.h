/*
 * conns.h - the server's connections: how many, from where, and which may be
 * closed to make room.
 *
 * Every connection is in one of four states: waiting for a request (new, or
 * kept alive after one), reading a request head, receiving a body, or busy
 * (its handler runs, it waits on a job, or it streams an answer). A new
 * connection has head_timeout_s to send its first head, a kept-alive one
 * idle_timeout_s to start its next, a head that has begun head_timeout_s to
 * end, however slowly its bytes trickle in; a body has body_timeout_s. When a new connection would pass the limit of its address
 * or the total, the oldest connection that is waiting or receiving (of that
 * address, or any) is closed to make room: idle and trickling clients can
 * never lock out a new one. Only when every connection is busy is the new one
 * refused.
 *
 * Closing is a shutdown(2) of the socket; libmicrohttpd then sees the end and
 * closes it itself. All functions are thread-safe.
 */
#ifndef PD_HTTP_CONNS_H
#define PD_HTTP_CONNS_H

#include <sys/socket.h>

struct http_conns_opts {
    int max_total;         /* connections at once */
    int max_per_addr;      /* connections at once from one client address */
    double head_timeout_s; /* a new connection sends its first request head within this */
    double idle_timeout_s; /* a kept-alive connection sends its next head within this */
    double body_timeout_s; /* a request body arrives whole within this */
};

struct http_conns;
struct http_conn;

/* A tracker with these limits (values <= 0 take the defaults: 1024, 256, 10, 60, 60). */
struct http_conns *http_conns_new(const struct http_conns_opts *o);
void http_conns_free(struct http_conns *c);

/*
 * May a connection from addr be accepted? Makes room by closing the oldest
 * closable connection when a limit is reached; 0 only when there is none.
 */
int http_conns_admit(struct http_conns *c, const struct sockaddr *addr, socklen_t len);

/* A connection (socket fd, from addr) opened: its entry, owned by c until http_conns_closed. */
struct http_conn *http_conns_opened(struct http_conns *c, int fd, const struct sockaddr *addr,
                                  socklen_t len);
/* The connection is gone (before its socket is closed). NULL is fine. */
void http_conns_closed(struct http_conns *c, struct http_conn *e);

/* A request line arrived: the rest of the head is due within head_timeout_s. */
void http_conn_head(struct http_conns *c, struct http_conn *e);
/* A request head arrived: the connection receives its body. */
void http_conn_receiving(struct http_conns *c, struct http_conn *e);
/* The body is in: the connection is busy until http_conn_waiting. */
void http_conn_busy(struct http_conns *c, struct http_conn *e);
/* The request ended: the connection waits for its next head. */
void http_conn_waiting(struct http_conns *c, struct http_conn *e);

/* Close the connections past their time limits (called every fraction of a second). */
void http_conns_sweep(struct http_conns *c);

/* The limit of connections at once. */
int http_conns_max(const struct http_conns *c);

/* Connections open now (those being closed not counted). */
int http_conns_count(struct http_conns *c);

#endif
