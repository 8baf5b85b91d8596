/*
 * static.c - a built single-page app's files, for both servers' web UIs:
 * content types from the extension; hashed files under /assets/ cached for a
 * year, the rest revalidated by ETag; a path that is no file and has no
 * extension is a route of the app, answered with its index.html. Nothing
 * outside the app's folder is reachable: no "..", no hidden files, no
 * backslashes.
 */
#include "http/http.h"
#include "http/libmhd.h"

#include "base/alloc.h"
#include "base/err.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int safe(const char *url)
{
    if (url[0] != '/' || strchr(url, '\\'))
        return 0;
    for (const char *p = url; (p = strchr(p, '/')) != NULL; p++)
        if (p[1] == '.')
            return 0;
    return 1;
}

static void add_headers(struct MHD_Response *resp, const char *ctype, const char *csp)
{
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    pd_mhd.MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    pd_mhd.MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (strstr(ctype, "text/html")) {
        pd_mhd.MHD_add_response_header(resp, "Content-Security-Policy", csp);
        pd_mhd.MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
}

/* Answer with file path (opened), fd owned by the response. */
static void send_file(struct http_req *r, const struct http_app *app, const char *path, int fd,
                      const struct stat *st, int immutable)
{
    char etag[64];
    const char *match = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    struct MHD_Response *resp;
    unsigned status = 200;
    snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtime);
    if (match && strcmp(match, etag) == 0) {
        close(fd);
        resp = pd_mhd.MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        status = 304;
    } else {
        resp = pd_mhd.MHD_create_response_from_fd((size_t)st->st_size, fd);
    }
    add_headers(resp, type_of(path), app->csp);
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            immutable ? "public, max-age=31536000, immutable" : "no-cache");
    pd_mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
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

void http_serve_app(struct http_req *r, const struct http_app *app)
{
    const char *url = r->url, *last;
    char *path = NULL;
    struct stat st;
    int fd = -1;

    if (!safe(url)) {
        http_reply_error(r, PD_ENOTFOUND, "no such file: %s", url);
        return;
    }
    if (strcmp(url, "/") != 0)
        fd = open_file(app->dir, url, &path, &st);
    if (fd >= 0) {
        send_file(r, app, path, fd, &st, strncmp(url, "/assets/", 8) == 0);
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
    if ((fd = open_file(app->dir, "/index.html", &path, &st)) >= 0) {
        send_file(r, app, path, fd, &st, 0);
    } else {
        struct MHD_Response *resp = pd_mhd.MHD_create_response_from_buffer(
            strlen(app->not_built), (void *)app->not_built, MHD_RESPMEM_PERSISTENT);
        add_headers(resp, "text/html; charset=utf-8", app->csp);
        http_reply_response(r, 503, resp);
    }
    free(path);
}
