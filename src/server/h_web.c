/*
 * h_web.c - the web UI: the files of the built single-page app, served for
 * every GET outside /api. Content types from the extension; hashed files
 * under /assets/ cached for a year, the rest revalidated (ETag); a path
 * that is no file and has no extension is a route of the app, answered
 * with index.html. Nothing outside the web directory is reachable.
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"

#include "base/alloc.h"
#include "base/err.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSP                                                                                        \
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},           {".svg", "image/svg+xml"},
    {".png", "image/png"},                   {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},                {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},            {".webmanifest", "application/manifest+json"},
};

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* A path inside the web directory: no "..", no hidden files, no backslashes. */
static int safe(const char *url)
{
    if (url[0] != '/' || strchr(url, '\\'))
        return 0;
    for (const char *p = url; (p = strchr(p, '/')) != NULL; p++)
        if (p[1] == '.')
            return 0;
    return 1;
}

static const char not_built[] =
    "<!doctype html><meta charset=utf-8><title>Pluto Duck</title>"
    "<p>The web UI is not built. Run <code>scripts/setup.sh</code> (it builds <code>web/</code>), "
    "or set <code>server.web_dir</code>. The API is at <a href=/api/v1/openapi.json>"
    "/api/v1/openapi.json</a>.";

/* Answer with file path (opened), fd owned by the response. */
static void send_file(struct http_req *r, const char *path, int fd, const struct stat *st,
                      int immutable)
{
    char etag[64];
    const char *match = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    struct MHD_Response *resp;
    unsigned status = 200;
    snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtime);
    if (match && strcmp(match, etag) == 0) {
        close(fd);
        resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        status = 304;
    } else {
        resp = MHD_create_response_from_fd((size_t)st->st_size, fd);
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type_of(path));
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            immutable ? "public, max-age=31536000, immutable" : "no-cache");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (strstr(type_of(path), "text/html"))
        MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    http_reply_response(r, status, resp);
}

/* Open dir/rel as a regular file; -1 when there is none. */
static int open_file(const char *dir, const char *rel, char **path, struct stat *st)
{
    int fd;
    *path = xasprintf("%s%s", dir, rel);
    fd = open(*path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void h_web(struct http_req *r)
{
    const char *dir = srv_web_dir(srv_of(r)), *url = r->url, *last;
    char *path = NULL;
    struct stat st;
    int fd = -1;

    if (!safe(url)) {
        http_reply_error(r, PD_ENOTFOUND, "no such file: %s", url);
        return;
    }
    if (strcmp(url, "/") != 0)
        fd = open_file(dir, url, &path, &st);
    if (fd >= 0) {
        send_file(r, path, fd, &st, strncmp(url, "/assets/", 8) == 0);
        free(path);
        return;
    }
    free(path);
    last = strrchr(url, '/');
    if (strchr(last, '.')) { /* a file that is not there */
        http_reply_error(r, PD_ENOTFOUND, "no such file: %s", url);
        return;
    }
    /* a route of the app ("/", "/sql", "/boards/sales") */
    if ((fd = open_file(dir, "/index.html", &path, &st)) >= 0)
        send_file(r, path, fd, &st, 0);
    else
        http_reply_bytes(r, 503, "text/html; charset=utf-8", not_built, sizeof(not_built) - 1);
    free(path);
}

const struct http_route srv_web_route = {HTTP_GET, "/", h_web, HTTP_PUBLIC | HTTP_INLINE, "web", "file",
                                        "The web UI's files (outside /api).", NULL, NULL, 200};
