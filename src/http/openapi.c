/*
 * openapi.c - an API's OpenAPI document and action catalog, both made from
 * its route table and the named schemas of its components (a JSON text the
 * application compiles in). A route's `returns` names what a success answers:
 * "Name" is a schema of the components (or a whole response, such as a
 * stream with several content types), "[Name]" an array of them.
 */
#include "http/http.h"
#include "http/server.h"

#include "base/alloc.h"
#include "base/hmap.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The components of each API, parsed once, by the address of their text. */
static pthread_mutex_t components_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pd_hmap parsed_components = PD_HMAP_INIT;

static const json_t *api_components(const struct http_api *api)
{
    char key[32];
    json_t *v;
    json_error_t jerr;
    snprintf(key, sizeof(key), "%p", (const void *)api->components);
    pthread_mutex_lock(&components_mu);
    if ((v = pd_hmap_get(&parsed_components, key)) == NULL) {
        if ((v = json_loads(api->components, 0, &jerr)) == NULL)
            PD_BUG("an API's components are not valid JSON");
        pd_hmap_put(&parsed_components, key, v);
    }
    pthread_mutex_unlock(&components_mu);
    return v;
}

/* The route's path parameters as names. */
static json_t *path_params(const char *path)
{
    json_t *names = json_array();
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        json_array_append_new(names, json_stringn(p + 1, (size_t)(e - p - 1)));
    }
    return names;
}

static const char *method_name(enum http_method m)
{
    switch (m) {
    case HTTP_GET: return "get";
    case HTTP_POST: return "post";
    case HTTP_PUT: return "put";
    case HTTP_PATCH: return "patch";
    case HTTP_DELETE: return "delete";
    }
    return "get";
}

static json_t *ref(const char *section, const char *name)
{
    char text[128];
    snprintf(text, sizeof(text), "#/components/%s/%s", section, name);
    return json_pack("{s:s}", "$ref", text);
}

/* The success response a route's `returns` names. */
static json_t *success(const struct http_api *api, const struct http_route *rt,
                       const char *description)
{
    const char *name = rt->returns ? rt->returns : rt->flags & HTTP_JOB ? "JobStarted" : NULL;
    json_t *schema;
    char inner[96];
    if (name == NULL)
        PD_BUG("a route without a response schema (set its returns)");
    if (name[0] == '[') {
        snprintf(inner, sizeof(inner), "%.*s", (int)strlen(name) - 2, name + 1);
        schema = json_pack("{s:s, s:o}", "type", "array", "items", ref("schemas", inner));
    } else if (json_object_get(json_object_get(api_components(api), "responses"), name)) {
        return ref("responses", name);
    } else {
        if (!json_object_get(json_object_get(api_components(api), "schemas"), name))
            PD_BUG("a route's returns names no schema of its components");
        schema = ref("schemas", name);
    }
    return json_pack("{s:s, s:{s:{s:o}}}", "description", description, "content",
                     "application/json", "schema", schema);
}

static int is_write(const struct http_route *rt)
{
    return rt->method != HTTP_GET;
}

/* The error statuses an operation can answer, each the envelope. */
static void add_errors(const struct http_api *api, json_t *responses, const struct http_route *rt)
{
    static const struct {
        const char *status;
        int when; /* 0 always, 1 writes, 2 routes behind the token */
    } errors[] = {
        {"400", 0}, {"401", 2}, {"403", 1}, {"404", 0}, {"409", 0}, {"413", 1},
        {"414", 0}, {"415", 1}, {"421", 0}, {"422", 1}, {"423", 0}, {"431", 0}, {"500", 0},
    };
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        if ((errors[i].when == 1 && !is_write(rt)) || (errors[i].when == 2 && rt->flags & HTTP_PUBLIC))
            continue;
        json_object_set_new(responses, errors[i].status, ref("responses", "Error"));
    }
    for (const char *e = api->errors; e && *e; e += strspn(e, " ")) {
        size_t n = strcspn(e, " ");
        char status[8];
        snprintf(status, sizeof(status), "%.*s", (int)n, e);
        json_object_set_new(responses, status, ref("responses", "Error"));
        e += n;
    }
}

json_t *http_openapi_query_param(const char *name, const json_t *schema, int required)
{
    return json_pack("{s:s, s:s, s:b, s:O}", "name", name, "in", "query", "required", required,
                     "schema", schema);
}

static json_t *parameters(const struct http_route *rt)
{
    json_t *params = json_array(), *names = path_params(rt->path), *name;
    const json_t *args = http_route_args(rt);
    size_t i;
    json_array_foreach(names, i, name)
        json_array_append_new(params, json_pack("{s:O, s:s, s:b, s:{s:s}}", "name", name, "in",
                                                "path", "required", 1, "schema", "type", "string"));
    json_decref(names);
    if (!(rt->flags & HTTP_BODY)) {
        const char *key;
        json_t *prop, *rq, *req = json_object_get(args, "required");
        json_object_foreach(json_object_get(args, "properties"), key, prop) {
            int required = 0;
            json_array_foreach(req, i, rq)
                required |= strcmp(json_string_value(rq), key) == 0;
            json_array_append_new(params, http_openapi_query_param(key, prop, required));
        }
    }
    if (rt->flags & HTTP_JOB)
        json_array_append_new(
            params, http_openapi_query_param("wait",
                                json_pack("{s:s, s:i, s:i, s:s}", "type", "number", "minimum", 0,
                                          "maximum", 3600, "description",
                                          "answer 200 with the outcome when the job ends within "
                                          "this many seconds (else 202 as without it)"),
                                0));
    if (rt->flags & HTTP_STREAM && strstr(rt->path, "/events")) {
        json_array_append_new(params,
                              json_pack("{s:s, s:s, s:b, s:{s:s}, s:s}", "name", "Last-Event-ID",
                                        "in", "header", "required", 0, "schema", "type", "string",
                                        "description", "resume after this event"));
        json_array_append_new(params, http_openapi_query_param("after",
                                                  json_pack("{s:s, s:i, s:s}", "type", "integer",
                                                            "minimum", 0, "description",
                                                            "only the events after this id"),
                                                  0));
    }
    return params;
}

static json_t *operation(const struct http_api *api, const struct http_route *rt)
{
    json_t *op = json_pack("{s:s, s:s, s:[s]}", "operationId", "", "summary", rt->summary, "tags",
                           rt->subject);
    json_t *params = parameters(rt), *responses = json_object();
    char opid[96], status[12];

    if (rt->action) {
        snprintf(opid, sizeof(opid), "%s_%s", rt->subject, rt->action);
    } else { /* not in the action catalog: named by its path ("system_openapi_json") */
        size_t n = (size_t)snprintf(opid, sizeof(opid), "%s_", rt->subject);
        for (const char *c = rt->path + strlen(api->base) + 1; *c && n + 1 < sizeof(opid); c++)
            opid[n++] = (char)(isalnum((unsigned char)*c) ? *c : '_');
        opid[n] = '\0';
    }
    json_object_set_new(op, "operationId", json_string(opid));
    if (json_array_size(params))
        json_object_set(op, "parameters", params);
    if (rt->flags & HTTP_BODY) {
        json_t *schema = json_deep_copy(http_route_args(rt));
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:o}}}", "required",
                                      json_array_size(json_object_get(schema, "required")) > 0,
                                      "content", "application/json", "schema", schema));
    }
    if (rt->flags & HTTP_JOB) {
        json_object_set_new(responses, "200", success(api, rt, "with ?wait: the job ended in time"));
        json_object_set_new(responses, "202", success(api, rt, "the job, still queued or running"));
    } else {
        snprintf(status, sizeof(status), "%u", rt->status);
        json_object_set_new(responses, status,
                            success(api, rt, rt->status == 201   ? "created"
                                        : rt->status == 202 ? "accepted: it goes on in the background"
                                                            : "ok"));
    }
    if (rt->flags & HTTP_IDEMPOTENT)
        json_object_set_new(responses, "200",
                            success(api, rt, "the same request again: what it made the first time"));
    if (rt->flags & HTTP_CONDITIONAL) {
        json_t *ok = json_object_get(responses, "200");
        json_object_set_new(ok, "headers",
                            json_pack("{s:{s:s, s:{s:s}}, s:{s:s, s:{s:s}}}", "ETag", "description",
                                      "send it back in If-None-Match", "schema", "type", "string",
                                      "Last-Modified", "description",
                                      "send it back in If-Modified-Since", "schema", "type",
                                      "string"));
        json_object_set_new(responses, "304",
                            json_pack("{s:s}", "description",
                                      "not modified since the ETag or date sent: no body"));
    }
    add_errors(api, responses, rt);
    json_object_set_new(op, "responses", responses);
    if (!(rt->flags & HTTP_PUBLIC))
        json_object_set_new(op, "security", api->auth_optional
                                                ? json_pack("[{s:[]}, {}]", "bearer")
                                                : json_pack("[{s:[]}]", "bearer"));
    if (api->document)
        api->document(rt, op);
    json_decref(params);
    return op;
}

json_t *http_openapi_doc(const struct http_api *api, const char *version)
{
    json_t *paths = json_object();
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o}", "openapi", "3.1.0", "info", "title",
        api->title, "version", version, "description", api->description, "servers", "url",
        api->base, "components", json_deep_copy(api_components(api)));
    json_object_set_new(json_object_get(doc, "components"), "securitySchemes",
                        json_pack("{s:{s:s, s:s}}", "bearer", "type", "http", "scheme", "bearer"));
    for (size_t i = 0; i < api->n_routes; i++) {
        const struct http_route *rt = &api->routes[i];
        const char *path = rt->path + strlen(api->base);
        json_t *item = json_object_get(paths, path);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, path, item);
        }
        json_object_set_new(item, method_name(rt->method), operation(api, rt));
    }
    json_object_set_new(doc, "paths", paths);
    return doc;
}

json_t *http_actions_doc(const struct http_api *api)
{
    json_t *list = json_array();
    for (size_t i = 0; i < api->n_routes; i++) {
        const struct http_route *rt = &api->routes[i];
        json_t *args, *props, *names, *name, *req;
        size_t j;
        char id[96];
        if (rt->action == NULL || rt->flags & HTTP_STREAM)
            continue;
        args = json_deep_copy(http_route_args(rt));
        if ((props = json_object_get(args, "properties")) == NULL)
            json_object_set_new(args, "properties", props = json_object());
        if ((req = json_object_get(args, "required")) == NULL)
            json_object_set_new(args, "required", req = json_array());
        names = path_params(rt->path);
        json_array_foreach(names, j, name) {
            json_object_set_new(props, json_string_value(name), json_pack("{s:s}", "type", "string"));
            json_array_append(req, name);
        }
        json_decref(names);
        snprintf(id, sizeof(id), "%s.%s", rt->subject, rt->action);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "name",
                                              id, "subject", rt->subject, "action", rt->action,
                                              "description", rt->summary, "method",
                                              method_name(rt->method), "path", rt->path,
                                              "parameters", args, "job",
                                              (rt->flags & HTTP_JOB) != 0));
    }
    return list;
}
