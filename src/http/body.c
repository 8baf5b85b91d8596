/*
 * body.c - a request body, parsed and checked against its route's argument
 * schema before any handler sees it: malformed JSON is a 400, anything but an
 * object, an unknown field or a value of the wrong type a 422 naming it.
 */
#include "http/http.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/hmap.h"
#include "base/jschema.h"

#include <pthread.h>
#include <stdio.h>

/* Route schemas parsed once each, by the address of their text, for the process. */
static pthread_mutex_t schemas_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pd_hmap schemas = PD_HMAP_INIT;
static json_t *no_args;

const json_t *http_route_args(const struct http_route *rt)
{
    char key[32];
    json_t *v;
    json_error_t jerr;
    pthread_mutex_lock(&schemas_mu);
    if (rt->args == NULL) { /* no arguments: an empty object */
        if (no_args == NULL)
            no_args = json_pack("{s:s, s:b, s:{}}", "type", "object", "additionalProperties", 0,
                                "properties");
        v = no_args;
    } else {
        snprintf(key, sizeof(key), "%p", (const void *)rt->args);
        if ((v = pd_hmap_get(&schemas, key)) == NULL) {
            if ((v = json_loads(rt->args, 0, &jerr)) == NULL)
                PD_BUG("a route's argument schema is not valid JSON");
            pd_hmap_put(&schemas, key, v);
        }
    }
    pthread_mutex_unlock(&schemas_mu);
    return v;
}

unsigned http_body_parse(const struct http_route *rt, const char *text, size_t len, json_t **out,
                        const char **code, struct pd_err *err)
{
    json_error_t jerr;
    json_t *body;
    *out = NULL;
    if (len == 0) {
        body = json_object();
    } else if ((body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
        *code = "malformed_json";
        pd_fail(err, PD_EINVAL, "malformed JSON at line %d, column %d: %s", jerr.line,
                jerr.column, jerr.text);
        return 400;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        *code = "invalid_body";
        pd_fail(err, PD_EINVAL, "the body must be a JSON object");
        return 422;
    }
    if (pd_jschema_check(http_route_args(rt), body, err) != 0) {
        json_decref(body);
        *code = err->code == PD_EINTERNAL ? "internal" : "invalid_field";
        return err->code == PD_EINTERNAL ? 500 : 422;
    }
    *out = body;
    return 0;
}
