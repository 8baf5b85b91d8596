/*
 * h_query.c - /query: run SQL as a job, its status and preview, its events,
 * cancelling it, its whole result as JSON, CSV, Parquet or Arrow, and history.
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"
#include "server/jobs.h"
#include "server/stream.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/path.h"
#include "query/history.h"
#include "query/query.h"
#include "query/sqlsplit.h"
#include "warehouse/encode.h"
#include "warehouse/warehouse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct query_arg {
    struct srv *srv;
    char *sql;
    json_t *params;
    double timeout_s;
    uint64_t limit;
    int read_only; /* one read statement only (the UI's live preview) */
    struct pd_query *q;
};

static void query_arg_free(void *p)
{
    struct query_arg *a = p;
    free(a->sql);
    json_decref(a->params);
    pd_query_free(a->q);
    free(a);
}

static void on_progress(void *arg, double percent, uint64_t done, uint64_t total)
{
    srv_job_progress(arg, percent / 100.0,
                     json_pack("{s:I, s:I}", "rows_processed", (json_int_t)done, "rows_total",
                               (json_int_t)total));
}

static void cancel_query(void *arg)
{
    pd_query_cancel(arg);
}

/* A statement's notice: an event of the job, and in its result's warnings. */
static void on_notice(void *arg, const char *text)
{
    json_t *said = arg;
    json_array_append_new(said, json_string(text));
    srv_job_emit(srv_job_current(), "warning", json_pack("{s:s}", "message", text));
}

static int run_query(struct srv_job *job, void *arg, json_t **result, struct pd_err *err)
{
    struct query_arg *a = arg;
    json_t *warnings = json_array();
    struct pd_buf doc = PD_BUF_INIT;
    struct pd_query_stats stats;
    struct pd_query_opts o = {
        .timeout_s = a->timeout_s,
        .limit = a->limit,
        .last_only = 1,
        .read_only = a->read_only,
        .interrupt = srv_job_cancel_flag(job),
        .history = srv_history(a->srv),
        .origin = "api",
        .params = a->params,
        .progress = on_progress,
        .progress_arg = job,
        .notice = on_notice,
        .notice_arg = warnings,
    };
    struct pd_sink *sink = pd_sink_new_doc(&doc);
    json_error_t jerr;
    int rc;

    a->q = pd_query_new(srv_warehouse(a->srv), &o);
    srv_job_on_cancel(job, cancel_query, a->q);
    rc = pd_query_run(a->q, a->sql, sink, &stats, err);
    srv_job_on_cancel(job, NULL, NULL);
    pd_sink_free(sink);
    if (rc == 0) {
        *result = doc.len ? pd_json_loadb_exact(doc.ptr, doc.len, 0, &jerr)
                          : json_pack("{s:[], s:[], s:I}", "columns", "rows", "row_count",
                                      (json_int_t)stats.rows);
        if (*result == NULL)
            rc = pd_fail(err, PD_EINTERNAL, "result document: %s", jerr.text);
        else {
            json_object_set_new(*result, "statements", json_integer(stats.statements));
            json_object_set_new(*result, "elapsed_ms", json_real(stats.elapsed_s * 1000.0));
            json_object_set_new(*result, "history_id", json_string(stats.last_id));
            json_object_set_new(*result, "statement_type",
                                json_string(pd_statement_type_name(stats.last_type)));
            if (json_array_size(warnings))
                json_object_set(*result, "warnings", warnings);
        }
    }
    json_decref(warnings);
    pd_buf_release(&doc);
    return rc;
}

/* The job's SQL is kept in its arguments for /result. */
static const struct query_arg *job_query(struct srv_job *job);

void h_query_create(struct http_req *r)
{
    struct query_arg *a;
    const char *sql = NULL;
    json_t *params = NULL;
    double timeout_s = pd_config_seconds(srv_config(srv_of(r)), "query.timeout"), limit = 0;
    int read_only = 0;

    if (http_arg_string(r, "sql", 1, &sql) || http_arg_number(r, "timeout_s", 0, 86400, &timeout_s) ||
        http_arg_number(r, "limit", 0, 1e6, &limit) || http_arg_bool(r, "read_only", &read_only))
        return;
    params = json_object_get(r->body, "params");
    if (params && !json_is_null(params) && !json_is_array(params) && !json_is_object(params)) {
        http_reply_status(r, 422, "invalid_field",
                         "field 'params' must be an array ($1, $2, ...) or an object ($name)");
        return;
    }
    a = xcalloc(1, sizeof(*a));
    a->srv = srv_of(r);
    a->sql = xstrdup(sql);
    a->params = params && !json_is_null(params) ? json_deep_copy(params) : NULL;
    a->timeout_s = timeout_s;
    a->read_only = read_only;
    a->limit = limit > 0 ? (uint64_t)limit
                         : (uint64_t)pd_config_int(srv_config(srv_of(r)), "query.preview_rows");
    srv_submit(r, "query", NULL, run_query, a, query_arg_free, SRV_API "/query");
}

/* The query job named in the path, or a 404 answered. */
static struct srv_job *find_query(struct http_req *r)
{
    return srv_find_job(r, "query", "query");
}

void h_query_get(struct http_req *r)
{
    struct srv_job *job = find_query(r);
    json_t *doc;
    if (job == NULL)
        return;
    doc = srv_job_json(job);
    json_object_set_new(doc, "run_id", json_string(srv_job_id(job)));
    json_object_set_new(doc, "sql", json_string(job_query(job)->sql));
    srv_job_put(job);
    http_reply_json(r, 200, doc);
}

void h_query_events(struct http_req *r)
{
    struct srv_job *job = find_query(r);
    if (job)
        srv_reply_events(r, job); /* takes the reference */
}

void h_query_cancel(struct http_req *r)
{
    struct srv_job *job = find_query(r);
    int live;
    if (job == NULL)
        return;
    live = srv_job_cancel(job);
    if (live)
        http_reply_json(r, 202, json_pack("{s:s, s:s}", "run_id", srv_job_id(job), "status",
                                         "cancelling"));
    else
        http_reply_error(r, PD_EEXIST, "the query has already finished (%s)", srv_job_status(job));
    srv_job_put(job);
}

static int list_history(struct pd_sink *sink, void *arg, struct pd_err *err)
{
    struct http_req *r = arg;
    const char *limit = http_query(r, "limit"), *failed = http_query(r, "failed");
    long n = limit ? strtol(limit, NULL, 10) : 50;
    return pd_history_list(srv_warehouse(srv_of(r)), n > 0 ? n : 50,
                           failed && strcmp(failed, "true") == 0, http_query(r, "search"), sink,
                           err);
}

void h_query_history(struct http_req *r)
{
    srv_reply_rows(r, list_history, r, 0);
}

/* ---- the whole result ---------------------------------------------------- */

static const struct {
    const char *name, *ctype, *ext;
} result_formats[] = {
    {"json", "application/json", "json"},
    {"jsonl", "application/x-ndjson", "jsonl"},
    {"csv", "text/csv; charset=utf-8", "csv"},
    {"parquet", "application/vnd.apache.parquet", "parquet"},
    {"arrow", "application/vnd.apache.arrow.stream", "arrows"},
};

struct result_arg {
    struct srv *srv;
    char *sql;
    json_t *params;
    const char *format;
    struct srv_job *job; /* a reference: a failure is noted on it */
};

static void result_arg_free(void *p)
{
    struct result_arg *a = p;
    srv_job_put(a->job);
    free(a->sql);
    json_decref(a->params);
    free(a);
}

/* Copy a file into out; 0 or -1. */
static int copy_file(const char *path, FILE *out)
{
    char buf[64 * 1024];
    size_t n;
    FILE *in = fopen(path, "rb");
    int rc = 0;
    if (in == NULL)
        return -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    return rc;
}

/* On the producer thread: run the query again and write the whole result. */
static int produce_result(FILE *out, void *arg, struct pd_err *err)
{
    struct result_arg *a = arg;
    struct pd_query_opts o = {.params = a->params, .origin = "api", .last_only = 1};
    struct pd_query *q = pd_query_new(srv_warehouse(a->srv), &o);
    int rc;

    if (strcmp(a->format, "parquet") == 0) {
        char tmpl[] = "/tmp/pluto-duck-result-XXXXXX.parquet";
        int fd = mkstemps(tmpl, 8);
        uint64_t rows;
        if (fd < 0) {
            rc = pd_fail(err, PD_EIO, "cannot create a temporary file: %s", strerror(errno));
        } else {
            close(fd);
            rc = pd_query_export(q, a->sql, tmpl, &rows, err);
            if (rc == 0 && copy_file(tmpl, out) != 0)
                rc = pd_fail(err, PD_EIO, "client went away");
            unlink(tmpl);
        }
    } else {
        struct pd_sink *sink;
        enum pd_format fmt;
        if (strcmp(a->format, "arrow") == 0)
            sink = pd_sink_new_arrow(out);
        else if (pd_format_parse(a->format, &fmt) == 0)
            sink = pd_sink_new(fmt, out, NULL);
        else
            sink = NULL;
        rc = pd_query_run(q, a->sql, sink, NULL, err);
        pd_sink_free(sink);
    }
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = pd_fail(err, PD_EIO, "the client went away");
    if (rc)
        srv_job_download_failed(a->job, err);
    pd_query_free(q);
    return rc;
}

void h_query_result(struct http_req *r)
{
    struct srv_job *job = find_query(r);
    const char *format = http_query(r, "format");
    const struct query_arg *qa;
    struct result_arg *a;
    json_t *res;
    const char *stype;
    size_t f, n_pieces;
    struct pd_sql_piece *pieces;
    char filename[96];

    if (job == NULL)
        return;
    if (format == NULL)
        format = "json";
    for (f = 0; f < sizeof(result_formats) / sizeof(result_formats[0]); f++)
        if (strcmp(format, result_formats[f].name) == 0)
            break;
    if (f == sizeof(result_formats) / sizeof(result_formats[0])) {
        srv_job_put(job);
        http_reply_error(r, PD_EINVAL, "?format must be json, jsonl, csv, parquet or arrow, got '%s'",
                        format);
        return;
    }
    res = srv_job_result(job);
    stype = json_string_value(json_object_get(res, "statement_type"));
    qa = job_query(job);
    n_pieces = pd_sql_split(qa->sql, &pieces);
    free(pieces);
    if (res == NULL || n_pieces != 1 || stype == NULL ||
        (strcmp(stype, "SELECT") != 0 && strcmp(stype, "EXPLAIN") != 0)) {
        http_reply_error(r, PD_EEXIST,
                        res == NULL ? "the query has not completed (status: %s): its result is "
                                      "ready once it has"
                                    : "the query was not a single SELECT (status: %s), so it has "
                                      "no result to read again",
                        srv_job_status(job));
        json_decref(res);
        srv_job_put(job);
        return;
    }
    json_decref(res);
    a = xcalloc(1, sizeof(*a));
    a->srv = srv_of(r);
    a->sql = xstrdup(qa->sql);
    a->params = qa->params ? json_deep_copy(qa->params) : NULL;
    a->format = result_formats[f].name;
    snprintf(filename, sizeof(filename), "query-%s.%s", srv_job_id(job), result_formats[f].ext);
    a->job = job;
    srv_reply_pipe(r, result_formats[f].ctype, filename, produce_result, a, result_arg_free);
}

static const struct query_arg *job_query(struct srv_job *job)
{
    return srv_job_arg(job);
}
