/*
 * h_system.c - the server about itself: health, the OpenAPI document and the
 * action catalog (both made from the route table), jobs of every kind, and the
 * door the CLI uses while this server holds the warehouse.
 */
#include "server/handlers.h"
#include "server/http.h"
#include "server/jobs.h"
#include "server/server.h"
#include "server/stream.h"

#include "base/alloc.h"
#include "base/build.h"
#include "base/err.h"
#include "warehouse/warehouse.h"

#include <microhttpd.h>
#include <pthread.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void h_health(struct srv_req *r)
{
    srv_reply_json(r, 200, json_pack("{s:s, s:s, s:s, s:s, s:i}", "status", "ok", "version",
                                     PD_VERSION, "build", pd_build_id(), "duckdb_version",
                                     pd_duckdb_version(), "schema_version",
                                     pd_warehouse_schema_version(srv_warehouse(r->srv))));
}

/* ---- documents made from the route table ---------------------------------- */

static json_t *parse_schema(const char *text)
{
    json_error_t jerr;
    json_t *v;
    if (text == NULL)
        return json_pack("{s:s}", "type", "object");
    v = json_loads(text, 0, &jerr);
    if (v == NULL)
        PD_BUG("route schema is not valid JSON");
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

static const char *method_name(enum srv_method m)
{
    switch (m) {
    case SRV_GET: return "get";
    case SRV_POST: return "post";
    case SRV_PUT: return "put";
    case SRV_PATCH: return "patch";
    case SRV_DELETE: return "delete";
    }
    return "get";
}

static json_t *operation(const struct srv_route *rt)
{
    json_t *op = json_pack("{s:s, s:s, s:[s]}", "operationId", "", "summary", rt->summary, "tags",
                           rt->subject);
    json_t *params = json_array(), *names = path_params(rt->path), *args = parse_schema(rt->args);
    json_t *responses = json_object(), *ok;
    size_t i;
    json_t *name;
    char opid[96];

    if (rt->action) {
        snprintf(opid, sizeof(opid), "%s_%s", rt->subject, rt->action);
    } else { /* not in the action catalog: named by its path ("system_openapi_json") */
        size_t n = (size_t)snprintf(opid, sizeof(opid), "%s_", rt->subject);
        for (const char *c = rt->path + strlen(SRV_API "/"); *c && n + 1 < sizeof(opid); c++)
            opid[n++] = (char)(isalnum((unsigned char)*c) ? *c : '_');
        opid[n] = '\0';
    }
    json_object_set_new(op, "operationId", json_string(opid));
    json_array_foreach(names, i, name)
        json_array_append_new(params, json_pack("{s:O, s:s, s:b, s:{s:s}}", "name", name, "in",
                                                "path", "required", 1, "schema", "type", "string"));
    if (rt->flags & SRV_BODY) {
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:O}}}", "required", 0, "content",
                                      "application/json", "schema", args));
    } else {
        const char *key;
        json_t *prop, *req = json_object_get(args, "required");
        json_object_foreach(json_object_get(args, "properties"), key, prop) {
            int required = 0;
            size_t j;
            json_t *rq;
            json_array_foreach(req, j, rq)
                required |= strcmp(json_string_value(rq), key) == 0;
            json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:O}", "name", key, "in",
                                                    "query", "required", required, "schema",
                                                    prop));
        }
    }
    if (json_array_size(params))
        json_object_set(op, "parameters", params);
    ok = json_pack("{s:s}", "description", rt->flags & SRV_JOB ? "the job (202 while it runs)" : "ok");
    if (rt->flags & SRV_STREAM)
        json_object_set_new(ok, "content", json_pack("{s:{s:{s:s}}}", "text/event-stream",
                                                     "schema", "type", "string"));
    else
        json_object_set_new(ok, "content", json_pack("{s:{s:o}}", "application/json", "schema",
                                                     parse_schema(rt->returns)));
    json_object_set_new(responses, rt->flags & SRV_JOB ? "202" : "200", ok);
    json_object_set_new(responses, "default",
                        json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "an error", "content",
                                  "application/json", "schema", "$ref",
                                  "#/components/schemas/Error"));
    json_object_set_new(op, "responses", responses);
    if (!(rt->flags & SRV_PUBLIC))
        json_object_set_new(op, "security", json_pack("[{s:[]}, {}]", "bearer"));
    json_decref(params);
    json_decref(names);
    json_decref(args);
    return op;
}

static json_t *openapi_doc(void)
{
    json_t *paths = json_object();
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:{s:{s:{s:s, s:s}}, s:{s:{s:s, s:[s], s:{s:{s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}}}}}}}}",
        "openapi", "3.1.0", "info", "title", "Pluto Duck local API", "version", PD_VERSION,
        "description", "REST + SSE over the warehouse, sources, analyses, boards and jobs.",
        "servers", "url", SRV_API, "components", "securitySchemes", "bearer", "type", "http",
        "scheme", "bearer", "schemas", "Error", "type", "object", "required", "error",
        "properties", "error", "type", "object", "required", "code", "message", "trace_id",
        "properties", "code", "type", "string", "message", "type", "string", "trace_id", "type",
        "string");
    for (size_t i = 0; i < srv_n_routes; i++) {
        const struct srv_route *rt = &srv_routes[i];
        const char *path = rt->path + strlen(SRV_API);
        json_t *item = json_object_get(paths, path);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, path, item);
        }
        json_object_set_new(item, method_name(rt->method), operation(rt));
    }
    json_object_set_new(doc, "paths", paths);
    return doc;
}

void h_openapi(struct srv_req *r)
{
    srv_reply_json(r, 200, openapi_doc());
}

static json_t *actions_doc(void)
{
    json_t *list = json_array();
    for (size_t i = 0; i < srv_n_routes; i++) {
        const struct srv_route *rt = &srv_routes[i];
        json_t *args, *props, *names, *name, *req;
        size_t j;
        char id[96];
        if (rt->action == NULL || rt->flags & SRV_STREAM)
            continue;
        args = parse_schema(rt->args);
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
                                              (rt->flags & SRV_JOB) != 0));
    }
    return list;
}

void h_actions(struct srv_req *r)
{
    srv_reply_json(r, 200, json_pack("{s:o}", "actions", actions_doc()));
}

/* ---- jobs of every kind ----------------------------------------------------- */

void h_jobs_list(struct srv_req *r)
{
    srv_reply_json(r, 200, json_pack("{s:o}", "jobs", srv_jobs_list(srv_jobs(r->srv),
                                                                    srv_query(r, "kind"))));
}

static struct srv_job *find_job(struct srv_req *r)
{
    return srv_find_job(r, NULL, "job");
}

void h_job_get(struct srv_req *r)
{
    struct srv_job *job = find_job(r);
    if (job == NULL)
        return;
    srv_reply_json(r, 200, srv_job_json(job));
    srv_job_put(job);
}

void h_job_events(struct srv_req *r)
{
    struct srv_job *job = find_job(r);
    if (job)
        srv_reply_events(r, job);
}

void h_job_cancel(struct srv_req *r)
{
    struct srv_job *job = find_job(r);
    if (job == NULL)
        return;
    if (srv_job_cancel(job))
        srv_reply_json(r, 202, json_pack("{s:s, s:s}", "job_id", srv_job_id(job), "status",
                                         "cancelling"));
    else
        srv_reply_error(r, PD_EEXIST, "the job has already finished (%s)", srv_job_status(job));
    srv_job_put(job);
}

/* ---- the CLI through the server ------------------------------------------- */

struct cli_arg {
    struct srv *srv;
    json_t *request;
};

static void cli_arg_free(void *p)
{
    struct cli_arg *a = p;
    json_decref(a->request);
    free(a);
}

static int run_cli(struct srv_job *job, void *arg, json_t **result, struct pd_err *err)
{
    struct cli_arg *a = arg;
    srv_cli_fn fn = srv_cli(a->srv);
    if (fn == NULL)
        return pd_fail(err, PD_EINTERNAL, "this server does not run CLI commands");
    *result = fn(a->srv, a->request, srv_job_cancel_flag(job));
    return *result ? 0 : pd_fail(err, PD_EINTERNAL, "the command gave no result");
}

void h_cli(struct srv_req *r)
{
    json_t *argv = json_object_get(r->body, "argv");
    struct cli_arg *a;
    size_t i;
    json_t *v;

    if (!json_is_array(argv) || json_array_size(argv) == 0) {
        srv_reply_status(r, 422, "invalid_field", "field 'argv' must be a non-empty array of strings");
        return;
    }
    json_array_foreach(argv, i, v)
        if (!json_is_string(v)) {
            srv_reply_status(r, 422, "invalid_field", "field 'argv' must hold only strings");
            return;
        }
    a = calloc(1, sizeof(*a));
    a->srv = r->srv;
    a->request = json_incref(r->body);
    srv_submit(r, "cli", NULL, run_cli, a, cli_arg_free, NULL);
}
