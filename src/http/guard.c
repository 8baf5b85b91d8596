/*
 * guard.c - Host, Origin and content-type rules of the server (see guard.h).
 *
 * Pure functions of their arguments and the guard's lists: no I/O, no locks,
 * so the dispatcher can call them for every request and tests can call them
 * alone.
 */
#include "http/guard.h"

#include "base/alloc.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_loopback_literal(const char *h)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, h, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

static int is_ip_literal(const char *h)
{
    struct in_addr a4;
    struct in6_addr a6;
    return inet_pton(AF_INET, h, &a4) == 1 || inet_pton(AF_INET6, h, &a6) == 1;
}

/* Split a comma-separated list into trimmed, non-empty entries. */
static void split_list(struct pd_strv *out, const char *list)
{
    const char *p = list;
    if (p == NULL)
        return;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s) {
            char *v = xstrndup(s, (size_t)(e - s));
            pd_strv_push(out, v);
            free(v);
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

void http_guard_init(struct http_guard *g, const char *bind_host, int port,
                    const char *allowed_hosts, const char *cors_origins)
{
    memset(g, 0, sizeof(*g));
    g->bind_host = xstrdup(bind_host ? bind_host : "127.0.0.1");
    g->port = port;
    g->wildcard = strcmp(g->bind_host, "0.0.0.0") == 0 || strcmp(g->bind_host, "::") == 0 ||
                  strcmp(g->bind_host, "[::]") == 0;
    split_list(&g->allowed, allowed_hosts);
    split_list(&g->origins, cors_origins);
}

void http_guard_release(struct http_guard *g)
{
    free(g->bind_host);
    pd_strv_clear(&g->allowed);
    pd_strv_clear(&g->origins);
    memset(g, 0, sizeof(*g));
}

/*
 * Split "name[:port]" or "[v6]:port" into a name (copied into name, without
 * brackets) and a port (-1: none). Returns 0, or -1 when malformed.
 */
static int split_hostport(const char *hp, size_t len, char *name, size_t cap, long *port)
{
    const char *colon = NULL, *end = hp + len;
    size_t n;
    *port = -1;
    if (len == 0)
        return -1;
    if (hp[0] == '[') {
        const char *rb = memchr(hp, ']', len);
        if (rb == NULL)
            return -1;
        n = (size_t)(rb - hp - 1);
        if (n == 0 || n >= cap)
            return -1;
        memcpy(name, hp + 1, n);
        name[n] = '\0';
        if (rb + 1 == end)
            return 0;
        if (rb[1] != ':')
            return -1;
        colon = rb + 1;
    } else {
        for (const char *p = hp; p < end; p++)
            if (*p == ':') {
                if (colon)
                    return -1; /* a bare IPv6 address is not a Host */
                colon = p;
            }
        n = colon ? (size_t)(colon - hp) : len;
        if (n == 0 || n >= cap)
            return -1;
        memcpy(name, hp, n);
        name[n] = '\0';
    }
    if (colon) {
        long v = 0;
        const char *p = colon + 1;
        if (p == end || end - p > 5)
            return -1;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            v = v * 10 + (*p - '0');
        }
        if (v < 1 || v > 65535)
            return -1;
        *port = v;
    }
    for (size_t i = 0; name[i]; i++)
        if ((unsigned char)name[i] <= ' ' || name[i] == '/' || name[i] == '@')
            return -1;
    return 0;
}

/* Is name:port one of ours (port -1: the default port of the scheme, def)? */
static int name_ok(const struct http_guard *g, const char *name, long port, long def)
{
    long eff = port < 0 ? def : port;
    for (size_t i = 0; i < g->allowed.n; i++) {
        char an[256];
        long ap;
        const char *a = g->allowed.v[i];
        if (split_hostport(a, strlen(a), an, sizeof(an), &ap) != 0)
            continue;
        if (strcasecmp(an, name) == 0 && (ap < 0 || ap == eff))
            return 1;
    }
    if (eff != g->port)
        return 0;
    if (strcasecmp(name, "localhost") == 0 || is_loopback_literal(name))
        return is_loopback_literal(g->bind_host) || strcasecmp(g->bind_host, "localhost") == 0 ||
               g->wildcard;
    if (g->wildcard)
        return is_ip_literal(name);
    {
        const char *b = g->bind_host;
        size_t bl = strlen(b);
        if (bl > 2 && b[0] == '[' && b[bl - 1] == ']')
            return strlen(name) == bl - 2 && strncasecmp(name, b + 1, bl - 2) == 0;
        return strcasecmp(name, b) == 0;
    }
}

int http_guard_host_ok(const struct http_guard *g, const char *host)
{
    char name[256];
    long port;
    if (host == NULL || split_hostport(host, strlen(host), name, sizeof(name), &port) != 0)
        return 0;
    return name_ok(g, name, port, 80);
}

int http_guard_origin_listed(const struct http_guard *g, const char *origin)
{
    if (origin == NULL)
        return 0;
    for (size_t i = 0; i < g->origins.n; i++)
        if (strcmp(g->origins.v[i], "*") == 0 || strcasecmp(g->origins.v[i], origin) == 0)
            return 1;
    return 0;
}

int http_guard_origin_ok(const struct http_guard *g, const char *origin)
{
    char name[256];
    long port, def;
    const char *hp;
    if (origin == NULL)
        return 1;
    if (http_guard_origin_listed(g, origin))
        return 1;
    if (strncasecmp(origin, "http://", 7) == 0)
        hp = origin + 7, def = 80;
    else if (strncasecmp(origin, "https://", 8) == 0)
        hp = origin + 8, def = 443;
    else
        return 0; /* "null", file:, extensions, anything else */
    if (split_hostport(hp, strlen(hp), name, sizeof(name), &port) != 0)
        return 0;
    return name_ok(g, name, port, def);
}

int http_media_is_json(const char *ctype)
{
    const char *p;
    if (ctype == NULL)
        return 0;
    p = ctype;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "application/json", 16) != 0)
        return 0;
    p += 16;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '\0' || *p == ';';
}
