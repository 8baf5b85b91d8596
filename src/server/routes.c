/*
 * routes.c - every HTTP endpoint, one row each: method, path, handler, flags,
 * the subject and action it is in the catalog, a summary, and JSON Schemas of
 * its arguments and answer. The dispatcher, GET /openapi.json and
 * GET /actions all read this table; nothing else lists routes.
 */
#include "server/handlers.h"
#include "server/http.h"

#define OBJ(props) "{\"type\":\"object\",\"properties\":{" props "}}"
#define OBJ_REQ(props, req) "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" req "]}"
#define STR(name, desc) "\"" name "\":{\"type\":\"string\",\"description\":\"" desc "\"}"
#define NUM(name, desc) "\"" name "\":{\"type\":\"number\",\"description\":\"" desc "\"}"
#define BOOL(name, desc) "\"" name "\":{\"type\":\"boolean\",\"description\":\"" desc "\"}"
#define ANYOBJ(name, desc) "\"" name "\":{\"type\":\"object\",\"description\":\"" desc "\"}"
#define ARR(name, desc) "\"" name "\":{\"type\":\"array\",\"description\":\"" desc "\"}"

#define JOB_ANSWER OBJ(STR("job_id", "the job") "," STR("status", "queued, running, completed, failed or cancelled") "," STR("events_url", "its Server-Sent Events"))
#define ROWS_ANSWER "{\"type\":\"array\",\"items\":{\"type\":\"object\"}}"

#define V1 SRV_API

const struct srv_route srv_routes[] = {
    {SRV_GET, V1 "/health", h_health, SRV_PUBLIC, "system", "health",
     "Status, version and DuckDB version.", NULL,
     OBJ(STR("status", "ok") "," STR("version", "pluto-duck") "," STR("duckdb_version", "DuckDB"))},
    {SRV_GET, V1 "/openapi.json", h_openapi, 0, "system", NULL,
     "This API as an OpenAPI 3.1 document.", NULL, NULL},
    {SRV_GET, V1 "/actions", h_actions, 0, "system", NULL,
     "Every operation with a description and a JSON Schema of its arguments.", NULL, NULL},
    {SRV_GET, V1 "/jobs", h_jobs_list, 0, "job", "list", "Background jobs, newest first.",
     OBJ(STR("kind", "only jobs of this kind (query, ingest, analysis, dbt, ...)")), NULL},
    {SRV_GET, V1 "/jobs/{id}", h_job_get, 0, "job", "get",
     "A job: status, progress, result or error.", NULL, NULL},
    {SRV_GET, V1 "/jobs/{id}/events", h_job_events, SRV_STREAM, "job", "events",
     "A job's events as Server-Sent Events (Last-Event-ID resumes).", NULL, NULL},
    {SRV_DELETE, V1 "/jobs/{id}", h_job_cancel, 0, "job", "cancel", "Cancel a job.", NULL, NULL},
    {SRV_POST, V1 "/cli", h_cli, SRV_BODY | SRV_JOB, "system", NULL,
     "Run a pluto-duck command line in the server (used by the CLI while the server runs).",
     OBJ_REQ(ARR("argv", "the arguments after 'pluto-duck'") "," STR("stdin", "standard input") ","
             NUM("width", "terminal columns"), "\"argv\""),
     JOB_ANSWER},

    {SRV_POST, V1 "/query", h_query_create, SRV_BODY | SRV_JOB, "query", "run",
     "Run SQL as a job (?wait=SECONDS answers with the result when it ends in time).",
     OBJ_REQ(STR("sql", "one or more SQL statements") ","
             "\"params\":{\"type\":[\"array\",\"object\"],\"description\":\"values for $1.. or $name\"},"
             NUM("timeout_s", "cancel after this many seconds") ","
             NUM("limit", "preview rows kept"), "\"sql\""),
     JOB_ANSWER},
    {SRV_GET, V1 "/query/history", h_query_history, 0, "query", "history",
     "Executed statements, newest first.",
     OBJ(NUM("limit", "at most this many") "," STR("failed", "true: only failures")), ROWS_ANSWER},
    {SRV_GET, V1 "/query/{id}", h_query_get, 0, "query", "get",
     "A query's status, columns with types, preview rows, row count and error.", NULL, NULL},
    {SRV_GET, V1 "/query/{id}/events", h_query_events, SRV_STREAM, "query", "events",
     "A query's events (started, progress, completed/failed) as Server-Sent Events.", NULL, NULL},
    {SRV_DELETE, V1 "/query/{id}", h_query_cancel, 0, "query", "cancel", "Cancel a query.", NULL,
     NULL},
    {SRV_GET, V1 "/query/{id}/result", h_query_result, SRV_STREAM, "query", "result",
     "The whole result of a completed SELECT, streamed (json, jsonl, csv, parquet, arrow).",
     OBJ(STR("format", "json (default), jsonl, csv, parquet or arrow")), NULL},
};

const size_t srv_n_routes = sizeof(srv_routes) / sizeof(srv_routes[0]);
