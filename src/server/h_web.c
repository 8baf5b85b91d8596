/*
 * h_web.c - the web UI: the built single-page app of web/ (server.web_dir),
 * served for every GET outside /api by the HTTP layer's http_serve_app.
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"

#define CSP                                                                                        \
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

static const char not_built[] =
    "<!doctype html><meta charset=utf-8><title>Pluto Duck</title>"
    "<p>The web UI is not built. Run <code>scripts/setup.sh</code> (it builds <code>web/</code>), "
    "or set <code>server.web_dir</code>. The API is at <a href=/api/v1/openapi.json>"
    "/api/v1/openapi.json</a>.";

static void h_web(struct http_req *r)
{
    const struct http_app app = {srv_web_dir(srv_of(r)), not_built, CSP};
    http_serve_app(r, &app);
}

const struct http_route srv_web_route = {HTTP_GET, "/", h_web, HTTP_PUBLIC | HTTP_INLINE, "web", "file",
                                        "The web UI's files (outside /api).", NULL, NULL, 200};
