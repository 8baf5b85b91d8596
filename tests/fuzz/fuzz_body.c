/*
 * fuzz_body.c - request bodies as the server parses and checks them, for every
 * route that takes one: the input is the body. A body is either accepted as an
 * object that fits the route's schema, or refused with 400/422 and a message;
 * never a crash, never a schema the checker cannot read (500).
 */
#include <stdlib.h>

#include "base/err.h"
#include "base/jschema.h"
#include "fuzz.h"
#include "http/http.h"
#include "server/context.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < srv_n_routes; i++) {
        const struct http_route *rt = &srv_routes[i];
        struct pd_err err = PD_ERR_INIT;
        const char *code = NULL;
        json_t *body = NULL;
        unsigned status;
        if (!(rt->flags & HTTP_BODY))
            continue;
        status = http_body_parse(rt, (const char *)data, size, &body, &code, &err);
        if (status == 0) {
            struct pd_err again = PD_ERR_INIT;
            if (!json_is_object(body) || pd_jschema_check(http_route_args(rt), body, &again) != 0)
                abort();
            json_decref(body);
        } else if ((status != 400 && status != 422) || body || !code || !err.msg[0]) {
            abort();
        }
    }
    return 0;
}
