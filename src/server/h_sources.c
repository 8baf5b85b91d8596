/*
 * h_sources.c - /source (attach, list, show, tables, detach), /source/cache
 * (copy a remote table, list, refresh, drop) and /ingest (recipes as jobs).
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"
#include "server/jobs.h"
#include "server/stream.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "sources/cache.h"
#include "sources/ingest.h"
#include "sources/sources.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The body of an attach or a test: {name, type, password, config}.
 * Returns 0 with req filled (release it with attach_req_release), or 1 when an
 * error was answered. The name is required when name_required.
 */
static int attach_req_read(struct http_req *r, int name_required, struct pd_attach_req *req)
{
    json_t *config = NULL;
    memset(req, 0, sizeof(*req));
    if (http_arg_string(r, "name", name_required, &req->name) ||
        http_arg_string(r, "type", 1, &req->type) ||
        http_arg_string(r, "password", 0, &req->secret) || http_arg_object(r, "config", &config))
        return 1;
    if (config && json_is_string(json_object_get(config, "path")) &&
        json_string_value(json_object_get(config, "path"))[0] != '/') {
        /* The server's working directory means nothing to the client. */
        http_reply_status(r, 422, "invalid_field",
                         "field 'config.path' must be an absolute path on this machine, got '%s'",
                         json_string_value(json_object_get(config, "path")));
        return 1;
    }
    req->config = config ? json_incref(config) : json_object();
    return 0;
}

static void attach_req_release(struct pd_attach_req *req)
{
    json_decref(req->config);
}

void h_source_attach(struct http_req *r)
{
    struct pd_attach_req req;
    struct pd_attach_report rep = {0};
    struct pd_err err = PD_ERR_INIT;

    if (attach_req_read(r, 1, &req))
        return;
    if (http_arg_string(r, "description", 0, &req.description)) {
        attach_req_release(&req);
        return;
    }
    if (pd_source_attach(srv_sources(srv_of(r)), &req, &rep, &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 201, json_pack("{s:s, s:s, s:o, s:o}", "name", req.name, "type",
                                         req.type, "tables", http_strv_json(&rep.tables), "warnings",
                                         http_strv_json(&rep.warnings)));
    attach_req_release(&req);
    pd_attach_report_clear(&rep);
}

static int list_sources(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct http_req *r = arg;
    const char *all = http_query(r, "all");
    return pd_source_list(srv_sources(srv_of(r)), all && strcmp(all, "true") == 0, sink, err);
}

void h_source_list(struct http_req *r)
{
    srv_reply_rows(r, list_sources, r, 0);
}

static int show_source(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct http_req *r = arg;
    return pd_source_show(srv_sources(srv_of(r)), http_param(r, "name"), sink, err);
}

/* One source; its config (kept as JSON text) as an object. */
void h_source_get(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    json_t *rows = srv_rows_json(show_source, r, &err), *src = json_array_get(rows, 0), *config;
    if (rows == NULL) {
        http_reply_err(r, &err);
        return;
    }
    if (src == NULL) {
        http_reply_error(r, PD_ENOTFOUND, "no source named '%s'", http_param(r, "name"));
    } else {
        config = json_loads(json_string_value(json_object_get(src, "config")), 0, NULL);
        json_object_set_new(src, "config", config ? config : json_object());
        http_reply_json(r, 200, json_incref(src));
    }
    json_decref(rows);
}

static int source_tables(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct http_req *r = arg;
    return pd_source_tables(srv_sources(srv_of(r)), http_param(r, "name"), sink, err);
}

void h_source_tables(struct http_req *r)
{
    srv_reply_rows(r, source_tables, r, 0);
}

void h_source_delete(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    if (pd_source_detach(srv_sources(srv_of(r)), http_param(r, "name"), &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 200, json_pack("{s:s, s:b}", "name", http_param(r, "name"), "detached", 1));
}

/* Reach a source with these settings without attaching it: {ok, tables} or {ok: false, message}. */
void h_source_test(struct http_req *r)
{
    struct pd_attach_req req;
    struct pd_strv tables = {0};
    struct pd_err err = PD_ERR_INIT;
    if (attach_req_read(r, 0, &req))
        return;
    if (pd_source_test(srv_sources(srv_of(r)), &req, &tables, &err) == 0)
        http_reply_json(r, 200, json_pack("{s:b, s:o}", "ok", 1, "tables", http_strv_json(&tables)));
    else /* the answer to "does this work?" is no, and why */
        http_reply_json(r, 200, json_pack("{s:b, s:s}", "ok", 0, "message", err.msg));
    attach_req_release(&req);
    pd_strv_clear(&tables);
}

void h_source_refresh(struct http_req *r)
{
    struct pd_attach_report rep = {0};
    struct pd_err err = PD_ERR_INIT;
    if (pd_source_refresh(srv_sources(srv_of(r)), http_param(r, "name"), &rep, &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 200, json_pack("{s:s, s:o, s:o, s:o, s:o}", "name", http_param(r, "name"),
                                         "tables", http_strv_json(&rep.tables), "added",
                                         http_strv_json(&rep.added), "dropped",
                                         http_strv_json(&rep.dropped), "warnings",
                                         http_strv_json(&rep.warnings)));
    pd_attach_report_clear(&rep);
}

/* ---- cached tables -------------------------------------------------------- */

struct cache_arg {
    struct srv *srv;
    char *source, *table, *local, *where, *ttl;
    int refresh;
};

static void cache_arg_free(void *p)
{
    struct cache_arg *a = p;
    free(a->source);
    free(a->table);
    free(a->local);
    free(a->where);
    free(a->ttl);
    free(a);
}

static int run_cache(struct srv_job *job, void *arg, json_t **result, struct pd_err *err)
{
    struct cache_arg *a = arg;
    struct pd_cache_result res = {0};
    int rc;
    if (a->refresh) {
        rc = pd_cache_refresh(srv_sources(a->srv), a->local, srv_job_rows_progress,
                              srv_job_cancel_flag(job), &res, err);
    } else {
        struct pd_cache_req req = {.source = a->source, .table = a->table, .local = a->local,
                                   .where = a->where, .ttl = a->ttl,
                                   .progress = srv_job_rows_progress,
                                   .interrupted = srv_job_cancel_flag(job)};
        rc = pd_cache_create(srv_sources(a->srv), &req, &res, err);
    }
    if (rc == 0) {
        *result = json_pack("{s:s, s:I, s:f}", "table", res.local ? res.local : "", "rows",
                            (json_int_t)res.rows, "seconds", res.seconds);
        if (res.warnings.n)
            json_object_set_new(*result, "warnings", http_strv_json(&res.warnings));
    }
    pd_cache_result_clear(&res);
    return rc;
}

static void submit_cache(struct http_req *r, struct cache_arg *a)
{
    srv_submit(r, "cache", NULL, run_cache, a, cache_arg_free, NULL);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void h_cache_create(struct http_req *r)
{
    const char *source = NULL, *table = NULL, *local = NULL, *where = NULL, *ttl = NULL;
    struct cache_arg *a;
    if (http_arg_string(r, "source", 1, &source) || http_arg_string(r, "table", 1, &table) ||
        http_arg_string(r, "local", 0, &local) || http_arg_string(r, "where", 0, &where) ||
        http_arg_string(r, "ttl", 0, &ttl))
        return;
    a = xcalloc(1, sizeof(*a));
    a->srv = srv_of(r);
    a->source = xstrdup(source);
    a->table = xstrdup(table);
    a->local = dup_or_null(local);
    a->where = dup_or_null(where);
    a->ttl = dup_or_null(ttl);
    submit_cache(r, a);
}

void h_cache_refresh(struct http_req *r)
{
    struct cache_arg *a = xcalloc(1, sizeof(*a));
    a->srv = srv_of(r);
    a->local = xstrdup(http_param(r, "table"));
    a->refresh = 1;
    submit_cache(r, a);
}

static int list_cache(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct http_req *r = arg;
    return pd_cache_list(srv_sources(srv_of(r)), sink, err);
}

void h_cache_list(struct http_req *r)
{
    srv_reply_rows(r, list_cache, r, 0);
}

void h_cache_delete(struct http_req *r)
{
    struct pd_err err = PD_ERR_INIT;
    if (pd_cache_drop(srv_sources(srv_of(r)), http_param(r, "table"), &err) != 0)
        http_reply_err(r, &err);
    else
        http_reply_json(r, 200, json_pack("{s:s, s:b}", "table", http_param(r, "table"), "dropped", 1));
}

/* ---- ingestion ------------------------------------------------------------ */

struct ingest_arg {
    struct srv *srv;
    char *path;
    int temporary; /* path is a file written for an inline recipe */
    int dry_run;
};

static void ingest_arg_free(void *p)
{
    struct ingest_arg *a = p;
    if (a->temporary)
        unlink(a->path);
    free(a->path);
    free(a);
}

static int run_ingest(struct srv_job *job, void *arg, json_t **result, struct pd_err *err)
{
    struct ingest_arg *a = arg;
    struct pd_ingest_opts o = {.dry_run = a->dry_run, .progress = srv_job_rows_progress,
                               .interrupted = srv_job_cancel_flag(job)};
    struct pd_ingest_result *res = NULL;
    size_t n = 0;
    json_t *runs;
    int rc = pd_ingest_file(srv_sources(a->srv), a->path, &o, &res, &n, err);
    if (rc)
        return rc;
    runs = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *run = json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:s?, s:s?}", "run_id",
                                res[i].run_id, "recipe", res[i].recipe, "target", res[i].target,
                                "mode", res[i].mode, "rows", (json_int_t)res[i].rows, "seconds",
                                res[i].seconds, "watermark", res[i].watermark, "error",
                                res[i].error);
        json_t *warnings = json_array();
        for (size_t w = 0; w < res[i].warnings.n; w++)
            json_array_append_new(warnings, json_string(res[i].warnings.v[w]));
        json_object_set_new(run, "warnings", warnings);
        if (res[i].remote_sql) /* a dry run: what the source would be asked */
            json_object_set_new(run, "remote_sql", json_string(res[i].remote_sql));
        json_array_append_new(runs, run);
        srv_job_emit(job, "recipe", json_deep_copy(run));
        if (res[i].error && rc == 0)
            rc = pd_fail(err, PD_EINVAL, "recipe %s failed: %s (%s unchanged)", res[i].recipe,
                         res[i].error, res[i].target);
    }
    pd_ingest_results_free(res, n);
    if (rc) {
        json_decref(runs);
        return rc;
    }
    *result = json_pack("{s:o}", "runs", runs);
    return 0;
}

void h_ingest(struct http_req *r)
{
    const char *path = NULL;
    json_t *recipe = json_object_get(r->body, "recipe");
    struct ingest_arg *a;
    int dry = 0;

    if (http_arg_path(r, "path", 0, &path) || http_arg_bool(r, "dry_run", &dry))
        return;
    if ((path == NULL) == (recipe == NULL || json_is_null(recipe))) {
        http_reply_status(r, 422, "invalid_field",
                         "give either 'recipe' (the recipe as an object) or 'path' (a recipe file)");
        return;
    }
    if (recipe && !json_is_object(recipe)) {
        http_reply_status(r, 422, "invalid_field", "field 'recipe' must be an object");
        return;
    }
    a = xcalloc(1, sizeof(*a));
    a->srv = srv_of(r);
    a->dry_run = dry;
    if (path) {
        a->path = xstrdup(path);
    } else {
        /* JSON is YAML: the recipe goes to a private file the ingest service reads. */
        char tmpl[] = "/tmp/pluto-duck-recipe-XXXXXX.yaml";
        int fd = mkstemps(tmpl, 5);
        char *text = pd_json_dumps_exact(recipe, JSON_INDENT(2));
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
            if (fd >= 0)
                close(fd);
            free(text);
            free(a);
            http_reply_error(r, PD_EIO, "cannot write the recipe to a temporary file");
            return;
        }
        close(fd);
        free(text);
        a->path = xstrdup(tmpl);
        a->temporary = 1;
    }
    srv_submit(r, "ingest", NULL, run_ingest, a, ingest_arg_free, NULL);
}
