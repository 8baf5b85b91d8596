/*
 * body.c - a request body, parsed and checked against its route's argument
 * schema before any handler sees it: malformed JSON is a 400, anything but an
 * object, an unknown field or a value of the wrong type a 422 naming it.
 */
#include "server/http.h"

#include "base/err.h"
#include "base/jschema.h"

#include <stdio.h>

unsigned srv_body_parse(const struct srv_route *rt, const char *text, size_t len, json_t **out,
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
    if (pd_jschema_check(srv_route_args(rt), body, err) != 0) {
        json_decref(body);
        *code = err->code == PD_EINTERNAL ? "internal" : "invalid_field";
        return err->code == PD_EINTERNAL ? 500 : 422;
    }
    *out = body;
    return 0;
}
