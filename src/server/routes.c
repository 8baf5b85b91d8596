/*
 * routes.c - every HTTP endpoint, one row each: method, path, handler, flags,
 * the subject and action it is in the catalog, a summary, and JSON Schemas of
 * its arguments and answer. The dispatcher, GET /openapi.json and
 * GET /actions all read this table; nothing else lists routes.
 */
#include "server/handlers.h"
#include "http/http.h"
#include "http/server.h"
#include "server/context.h"
#include "server/context.h"


/* Argument objects: a field not listed is refused (422 naming it). */
#define OBJ(props) "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{" props "}}"
#define OBJ_REQ(props, req)                                                                  \
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{" props "},"      \
    "\"required\":[" req "]}"
#define STR(name, desc) "\"" name "\":{\"type\":\"string\",\"description\":\"" desc "\"}"
#define NUM(name, desc) "\"" name "\":{\"type\":\"number\",\"description\":\"" desc "\"}"
#define BOOL(name, desc) "\"" name "\":{\"type\":\"boolean\",\"description\":\"" desc "\"}"
#define ANYOBJ(name, desc) "\"" name "\":{\"type\":\"object\",\"description\":\"" desc "\"}"
#define ARR(name, desc) "\"" name "\":{\"type\":\"array\",\"description\":\"" desc "\"}"

#define V1 SRV_API

const struct http_route srv_routes[] = {
    {HTTP_GET, V1 "/health", h_health, HTTP_PUBLIC | HTTP_INLINE, "system", "health",
     "Status, version, build id and DuckDB version.", NULL, "Health", 200},
    {HTTP_GET, V1 "/openapi.json", h_openapi, HTTP_INLINE, "system", NULL,
     "This API as an OpenAPI 3.1 document.", NULL, "OpenAPI", 200},
    {HTTP_GET, V1 "/actions", h_actions, HTTP_INLINE, "system", NULL,
     "Every operation with a description and a JSON Schema of its arguments.", NULL, "Actions", 200},
    {HTTP_GET, V1 "/jobs", h_jobs_list, HTTP_INLINE, "job", "list", "Background jobs, newest first.",
     OBJ(STR("kind", "only jobs of this kind (query, ingest, analysis, dbt, ...)")), "Jobs", 200},
    {HTTP_GET, V1 "/jobs/{id}", h_job_get, HTTP_INLINE, "job", "get",
     "A job: status, progress, result or error.", NULL, "Job", 200},
    {HTTP_GET, V1 "/jobs/{id}/events", h_job_events, HTTP_STREAM, "job", "events",
     "A job's events as Server-Sent Events (Last-Event-ID resumes).", NULL, "Events", 200},
    {HTTP_DELETE, V1 "/jobs/{id}", h_job_cancel, HTTP_INLINE, "job", "cancel", "Cancel a job.", NULL, "Cancelling", 202},
    {HTTP_POST, V1 "/cli", h_cli, HTTP_BODY | HTTP_JOB, "system", NULL,
     "Run a pluto-duck command line in the server (used by the CLI while the server runs).",
     OBJ_REQ(ARR("argv", "the arguments after 'pluto-duck'") "," STR("stdin", "standard input") ","
             NUM("width", "terminal columns"), "\"argv\""), NULL, 202},

    {HTTP_POST, V1 "/query", h_query_create, HTTP_BODY | HTTP_JOB, "query", "run",
     "Run SQL as a job (?wait=SECONDS answers with the result when it ends in time).",
     OBJ_REQ(STR("sql", "one or more SQL statements") ","
             "\"params\":{\"type\":[\"array\",\"object\"],\"description\":\"values for $1.. or $name\"},"
             NUM("timeout_s", "cancel after this many seconds") ","
             NUM("limit", "preview rows kept") ","
             BOOL("read_only", "refuse anything but one read statement (SELECT, WITH, EXPLAIN ...)"),
             "\"sql\""), NULL, 202},
    {HTTP_GET, V1 "/query/history", h_query_history, 0, "query", "history",
     "Executed statements, newest first.",
     OBJ(NUM("limit", "at most this many") "," STR("failed", "true: only failures") ","
         STR("search", "only statements whose SQL contains this text (any case)")), "[HistoryEntry]", 200},
    {HTTP_GET, V1 "/query/{id}", h_query_get, HTTP_INLINE, "query", "get",
     "A query's status, columns with types, preview rows, row count and error.", NULL, "Query", 200},
    {HTTP_GET, V1 "/query/{id}/events", h_query_events, HTTP_STREAM, "query", "events",
     "A query's events (started, progress, completed/failed) as Server-Sent Events.", NULL, "Events", 200},
    {HTTP_DELETE, V1 "/query/{id}", h_query_cancel, HTTP_INLINE, "query", "cancel", "Cancel a query.", NULL, "Cancelling", 202},
    {HTTP_GET, V1 "/query/{id}/result", h_query_result, HTTP_STREAM, "query", "result",
     "The whole result of a completed SELECT, streamed (json, jsonl, csv, parquet, arrow).",
     OBJ(STR("format", "json (default), jsonl, csv, parquet or arrow")), "ResultFile", 200},

    {HTTP_POST, V1 "/source", h_source_attach, HTTP_BODY, "source", "attach",
     "Attach a database or files as a source (read live as schema NAME).",
     OBJ_REQ(STR("name", "the source's name (schema)") ","
             STR("type", "postgres, mysql, sqlite, duckdb, file or http") ","
             ANYOBJ("config", "dsn, path, url, schema, table, file_format, options (file and http: reader options by name)") ","
             STR("password", "stored in the secret store, never shown") ","
             STR("description", "a note"), "\"name\",\"type\""), "SourceAttached", 201},
    {HTTP_POST, V1 "/source/test", h_source_test, HTTP_BODY, "source", "test",
     "Try a source's settings without attaching it: {ok, tables} or {ok: false, message}.",
     OBJ_REQ(STR("type", "postgres, mysql, sqlite, duckdb, file or http") ","
             ANYOBJ("config", "dsn, path, url, schema, table, file_format, options (file and http: reader options by name)") ","
             STR("password", "used for this test only") "," STR("name", "for messages"),
             "\"type\""), "SourceTest", 200},
    {HTTP_POST, V1 "/source/{name}/refresh", h_source_refresh, 0, "source", "refresh",
     "Read a source's tables again: the tables added and dropped since.", NULL, "SourceRefreshed", 200},
    {HTTP_GET, V1 "/source", h_source_list, 0, "source", "list", "Attached sources and their status.",
     OBJ(STR("all", "true: include detached ones")), "[Source]", 200},
    {HTTP_GET, V1 "/source/cache", h_cache_list, 0, "cache", "list", "Cached copies of source tables.",
     NULL, "[Cache]", 200},
    {HTTP_POST, V1 "/source/cache", h_cache_create, HTTP_BODY | HTTP_JOB, "cache", "create",
     "Copy a source table into schema cache (a job with progress).",
     OBJ_REQ(STR("source", "the source") "," STR("table", "its table") ","
             STR("local", "name of the copy (default SOURCE_TABLE)") ","
             STR("where", "a condition the remote applies") "," STR("ttl", "expiry, such as 24h"),
             "\"source\",\"table\""), NULL, 202},
    {HTTP_POST, V1 "/source/cache/{table}/refresh", h_cache_refresh, HTTP_BODY | HTTP_JOB, "cache",
     "refresh", "Copy a cached table again with the same filter (a job).", NULL, NULL, 202},
    {HTTP_DELETE, V1 "/source/cache/{table}", h_cache_delete, 0, "cache", "drop",
     "Drop a cached table.", NULL, "CacheDropped", 200},
    {HTTP_GET, V1 "/source/{name}", h_source_get, 0, "source", "get",
     "One source's settings (secrets are never shown).", NULL, "Source", 200},
    {HTTP_DELETE, V1 "/source/{name}", h_source_delete, 0, "source", "detach",
     "Detach a source: its views and stored password go.", NULL, "SourceDetached", 200},
    {HTTP_GET, V1 "/source/{name}/tables", h_source_tables, 0, "source", "tables",
     "The tables of a source and their columns.", NULL, "[SourceTable]", 200},
    {HTTP_POST, V1 "/ingest", h_ingest, HTTP_BODY | HTTP_JOB, "ingest", "run",
     "Load data by recipe (inline object or a file path) as a job with progress events.",
     OBJ(ANYOBJ("recipe", "the recipe (as in a recipe YAML file)") ","
         STR("path", "a recipe file on this machine") "," BOOL("dry_run", "check only")), NULL, 202},

#define PROJECT STR("project", "the project (default: default)")
#define ANALYSIS_FIELDS                                                                   \
    STR("sql", "the SQL (may use ref(), :param)") "," STR("name", "display name") ","     \
    STR("description", "what it answers") ","                                             \
    STR("materialize", "view, table, append, incremental, parquet or ephemeral") ","      \
    ARR("tags", "tags") "," ARR("parameters", "NAME[:TYPE][=DEFAULT] each") ","           \
    STR("unique_key", "incremental: key columns") "," STR("path", "parquet: the file") "," \
    STR("freshness", "assume_fresh (never stale from its inputs) or default")
    {HTTP_POST, V1 "/asset/analysis", h_analysis_create, HTTP_BODY | SRV_PROJECT_QUERY, "analysis", "save",
     "Create (or with replace, overwrite) an analysis; it must compile with the project.",
     OBJ_REQ(STR("id", "the analysis id") "," ANALYSIS_FIELDS "," BOOL("replace", "overwrite"),
             "\"id\",\"sql\""), "Analysis", 201},
    {HTTP_GET, V1 "/asset/analyses", h_analyses_list, 0, "analysis", "list",
     "The analyses of a project with their state (fresh or stale, and why).", OBJ(PROJECT), "Analyses", 200},
    {HTTP_GET, V1 "/asset/lineage-graph", h_lineage_graph, 0, "lineage", "graph",
     "The project's table-level lineage graph (json, dot or mermaid).",
     OBJ(PROJECT "," STR("format", "json, dot or mermaid")), "Lineage", 200},
    {HTTP_GET, V1 "/asset/analysis/{id}", h_analysis_get, 0, "analysis", "get",
     "An analysis: definition, inputs and state.", OBJ(PROJECT), "Analysis", 200},
    {HTTP_PATCH, V1 "/asset/analysis/{id}", h_analysis_patch, HTTP_BODY | SRV_PROJECT_QUERY, "analysis", "update",
     "Change fields of an analysis.", OBJ(ANALYSIS_FIELDS), "Analysis", 200},
    {HTTP_DELETE, V1 "/asset/analysis/{id}", h_analysis_delete, 0, "analysis", "delete",
     "Delete an analysis (refused while others read it unless force=true).",
     OBJ(PROJECT "," STR("force", "true: also when others read it")), "Deleted", 200},
    {HTTP_POST, V1 "/asset/analysis/{id}/compile", h_analysis_compile, HTTP_BODY | SRV_PROJECT_QUERY, "analysis",
     "compile", "The plan (run or skip, and why) and compiled SQL; with any field of an "
     "analysis, of that unsaved draft (changes to it, or a new analysis), saving nothing.",
     OBJ(ANYOBJ("params", "parameter values") "," BOOL("force", "plan every step") ","
         BOOL("upstream", "also plan its upstream analyses") "," ANALYSIS_FIELDS), "Plan", 200},
    {HTTP_POST, V1 "/asset/analysis/{id}/execute", h_analysis_execute, HTTP_BODY | HTTP_JOB | SRV_PROJECT_QUERY,
     "analysis", "run", "Run an analysis (with upstream: its inputs first) as a job; an event per step.",
     OBJ(ANYOBJ("params", "parameter values") "," BOOL("force", "run even when fresh") ","
         BOOL("upstream", "also run stale upstream analyses") ","
         BOOL("full_refresh", "rebuild incremental targets") ","
         BOOL("continue_on_failure", "go on after a failure") ","
         NUM("timeout_s", "per step")), NULL, 202},
    {HTTP_GET, V1 "/asset/analysis/{id}/data", h_analysis_data, 0, "analysis", "data",
     "The analysis's rows (computed, nothing materialized).",
     OBJ(PROJECT "," NUM("limit", "rows (default 100)")), "Rows", 200},
    {HTTP_GET, V1 "/asset/analysis/{id}/freshness", h_analysis_freshness, 0, "analysis",
     "freshness", "Fresh or stale, and why.", OBJ(PROJECT), "Freshness", 200},
    {HTTP_GET, V1 "/asset/analysis/{id}/lineage", h_analysis_lineage, 0, "lineage", "get",
     "Upstream and downstream of an analysis (json, dot or mermaid).",
     OBJ(PROJECT "," STR("format", "json, dot or mermaid")), "Lineage", 200},
    {HTTP_GET, V1 "/asset/analysis/{id}/history", h_analysis_history, 0, "analysis", "history",
     "Past runs of an analysis, newest first.", OBJ(PROJECT "," NUM("limit", "rows")), "[AnalysisRun]", 200},

    {HTTP_GET, V1 "/projects", h_projects_list, 0, "project", "list",
     "Projects with how many analyses and boards each holds.", NULL, "[Project]", 200},
    {HTTP_POST, V1 "/projects", h_project_create, HTTP_BODY, "project", "create",
     "Create a project (its folder and schema analysis_ID).",
     OBJ_REQ(STR("id", "the project's name") "," STR("description", "what it is for"), "\"id\""), "Project", 201},
    {HTTP_GET, V1 "/projects/{id}", h_project_get, 0, "project", "get",
     "One project: description, analyses, boards, schema and folder.", NULL, "Project", 200},
    {HTTP_DELETE, V1 "/projects/{id}", h_project_delete, 0, "project", "delete",
     "Delete a project with its analyses, boards and results (the default project cannot be).",
     OBJ_REQ(STR("confirm", "the project's name typed again"), "\"confirm\""), "Deleted", 200},

#define ITEM_FIELDS                                                                          \
    STR("type", "markdown, table, chart, metric or analysis") "," STR("title", "a heading") "," \
    ANYOBJ("position", "{x, y, w, h} on a 12-column grid") ","                               \
    ANYOBJ("payload", "markdown {text}; table, chart {sql, limit}; metric {sql}; analysis "  \
                      "{analysis, project, params, limit}") ","                              \
    ANYOBJ("render", "chart {kind: bar|line|area|scatter|pie, x, y}; metric {label, column, " \
                     "prefix, suffix, decimals}")
    {HTTP_GET, V1 "/boards", h_boards_list, 0, "board", "list", "The boards of a project.",
     OBJ(PROJECT), "[BoardSummary]", 200},
    {HTTP_POST, V1 "/boards", h_board_create, HTTP_BODY, "board", "create", "Create a board.",
     OBJ_REQ(STR("name", "the board's name") "," STR("description", "what it shows") "," PROJECT,
             "\"name\""), "Board", 201},
    {HTTP_GET, V1 "/boards/{id}", h_board_get, 0, "board", "get",
     "A board (by id or name) with its items and their snapshots.", OBJ(PROJECT), "Board", 200},
    {HTTP_PATCH, V1 "/boards/{id}", h_board_update, HTTP_BODY | SRV_PROJECT_QUERY, "board", "update",
     "Rename a board, change its description or its filter bar (then refresh: the items' "
     "queries take the filters' values as :NAME).",
     OBJ(STR("name", "new name") "," STR("description", "new description") ","
         ARR("filters", "{name, type: date_range (from?, to?: gives :NAME_from, :NAME_to) or value "
                        "(table, column, value?: gives :NAME), label?} each")), "Board", 200},
    {HTTP_DELETE, V1 "/boards/{id}", h_board_delete, 0, "board", "delete",
     "Delete a board and its items.", OBJ(PROJECT), "Deleted", 200},
    {HTTP_POST, V1 "/boards/{id}/items", h_board_item_add, HTTP_BODY | SRV_PROJECT_QUERY, "board", "add_item",
     "Add an item; its query (one read-only statement) runs now and its result is kept.",
     OBJ_REQ(ITEM_FIELDS, "\"type\",\"payload\""), "BoardItem", 201},
    {HTTP_PATCH, V1 "/boards/{id}/items/{item}", h_board_item_update, HTTP_BODY | SRV_PROJECT_QUERY, "board",
     "update_item", "Change an item (a new payload takes a new snapshot).", OBJ(ITEM_FIELDS), "BoardItem", 200},
    {HTTP_DELETE, V1 "/boards/{id}/items/{item}", h_board_item_delete, 0, "board", "remove_item",
     "Remove an item from a board.", OBJ(PROJECT), "Deleted", 200},
    {HTTP_POST, V1 "/boards/{id}/refresh", h_board_refresh, HTTP_BODY | SRV_PROJECT_QUERY, "board", "refresh",
     "Run the queries of a board's items (or of one) again; failures keep the old snapshot.",
     OBJ(STR("item", "only this item")), "Board", 200},
    {HTTP_GET, V1 "/boards/{id}/export", h_board_export, 0, "board", "export",
     "The board as a self-contained report: HTML (default) or Markdown.",
     OBJ(PROJECT "," STR("format", "html or md")), "BoardExport", 200},

    {HTTP_POST, V1 "/agent/run", h_agent_run, HTTP_BODY | HTTP_JOB, "agent", "run",
     "Answer a question in plain language with the agent (a job; its events stream as SSE). "
     "Without conversation_id it starts a conversation; with one it is a follow-up.",
     OBJ_REQ(STR("question", "the question") "," STR("conversation_id", "continue this one") ","
             STR("provider", "local or openai") "," STR("model", "the model (openai)") ","
             PROJECT, "\"question\""), "AgentRun", 202},
    {HTTP_GET, V1 "/agent/{id}", h_agent_get, 0, "agent", "get",
     "An agent run: status, and its answer, SQL, result and chart once done (kept with its "
     "conversation).", NULL, "AgentRun", 200},
    {HTTP_GET, V1 "/agent/{id}/events", h_agent_events, HTTP_STREAM, "agent", "events",
     "An agent run's events (reasoning, tool, message, approval, run) as Server-Sent Events, "
     "replayed from the start or after Last-Event-ID.",
     NULL, "Events", 200},
    {HTTP_GET, V1 "/agent/{id}/approvals", h_agent_approvals, 0, "agent", "approvals",
     "The run's approval requests and their status.", NULL, "[Approval]", 200},
    {HTTP_POST, V1 "/agent/{id}/approvals/{approval}/decision", h_agent_decide, HTTP_BODY, "agent",
     "decide", "Approve, reject or edit a sensitive tool call the run waits on.",
     OBJ_REQ(STR("decision", "approve, reject or edit") "," ANYOBJ("edited_args", "edit: the arguments to use"),
             "\"decision\""), "Decision", 200},

    {HTTP_GET, V1 "/chat/sessions", h_chat_list, 0, "chat", "list",
     "Conversations with the agent, the most recently active first.", OBJ(PROJECT), "[ConversationSummary]", 200},
    {HTTP_POST, V1 "/chat/sessions", h_chat_create, HTTP_BODY, "chat", "create",
     "Start an empty conversation.", OBJ(STR("title", "what it is about") "," PROJECT), "ConversationSummary", 201},
    {HTTP_GET, V1 "/chat/sessions/{id}", h_chat_get, 0, "chat", "get",
     "A conversation with its messages.", NULL, "Conversation", 200},
    {HTTP_DELETE, V1 "/chat/sessions/{id}", h_chat_delete, 0, "chat", "delete",
     "Delete a conversation, its messages, its runs' events and its work zone.", NULL, "ConversationDeleted", 200},
    {HTTP_GET, V1 "/chat/sessions/{id}/messages", h_chat_messages, 0, "chat", "messages",
     "A conversation's messages, oldest first: questions, and answers with SQL, result, chart.",
     NULL, "[Message]", 200},
    {HTTP_POST, V1 "/chat/sessions/{id}/messages", h_chat_ask, HTTP_BODY | HTTP_JOB, "chat", "ask",
     "Ask in the conversation: an agent run with the earlier turns as context.",
     OBJ_REQ(STR("content", "the question") "," STR("provider", "local or openai") ","
             STR("model", "the model (openai)"), "\"content\""), "AgentRun", 202},
    {HTTP_GET, V1 "/skills", h_skills, 0, "skill", "list",
     "The skills the agent can load (built in, the user's, the project's) and the SKILL.md "
     "files that could not be read.", OBJ(PROJECT), "Skills", 200},
    {HTTP_GET, V1 "/cloud/status", h_cloud_status, 0, "cloud", "status",
     "Pluto Cloud as this app sees it: the sign-in, what the outbox still holds, what the "
     "schedule runner is doing and its notices (catch-up runs, the cloud back online).",
     NULL, "CloudStatus", 200},
    {HTTP_POST, V1 "/cloud/login", h_cloud_login, HTTP_BODY, "cloud", "login",
     "Start signing in to a Pluto Cloud server with the device grant: the code to approve and "
     "the page to approve it on. Then poll POST /cloud/login/poll until signed in.",
     OBJ_REQ(STR("url", "the server: https://...") "," STR("name", "this machine's name, as the "
             "approver sees it (default: the host name)"), "\"url\""),
     "CloudLogin", 200},
    {HTTP_POST, V1 "/cloud/login/poll", h_cloud_login_poll, HTTP_BODY, "cloud", "login_poll",
     "Whether the sign-in was approved: state pending (poll again after its interval) or "
     "signed_in with the standing; refused (403) or expired (408) end it.",
     NULL, "CloudStatus", 200},
    {HTTP_POST, V1 "/cloud/logout", h_cloud_logout, HTTP_BODY, "cloud", "logout",
     "Sign out of Pluto Cloud: the sign-in is revoked and forgotten; schedules stop running "
     "here. What the outbox holds stays, for the next sign-in.",
     NULL, "CloudSignedOut", 200},
    {HTTP_POST, V1 "/cloud/reload", h_cloud_reload, HTTP_BODY, "cloud", "reload",
     "The sign-in or the workspace changed outside this server (pluto-duck cloud login, "
     "logout, workspace use): start, move or stop running the workspace's schedules now.",
     NULL, "CloudStatus", 200},
    {HTTP_GET, V1 "/cloud/workspaces", h_cloud_workspaces, 0, "cloud", "workspaces",
     "The signed-in account's workspaces, and which one is in use.", NULL, "[CloudWorkspace]",
     200},
    {HTTP_PUT, V1 "/cloud/workspace", h_cloud_workspace_use, HTTP_BODY, "cloud",
     "workspace_use",
     "Use a workspace (by name or id): pipelines are pushed to it and its schedules run here.",
     OBJ_REQ(STR("workspace", "its name or id"), "\"workspace\""), "CloudWorkspace", 200},
    {HTTP_GET, V1 "/settings", h_settings_get, HTTP_INLINE, "settings", "get",
     "The agent's settings: provider, model, base_url, timeout, send_rows; the API key masked.",
     NULL, "Settings", 200},
    {HTTP_PUT, V1 "/settings", h_settings_put, HTTP_BODY, "settings", "update",
     "Change the agent's settings (saved; used by the next run). api_key is write-only; an "
     "empty one removes it.",
     OBJ(STR("provider", "local or openai") "," STR("model", "the model") ","
         STR("base_url", "an OpenAI-compatible API") "," STR("timeout", "such as 60s") ","
         STR("send_rows", "a number, or none") "," STR("api_key", "write-only")), "Settings", 200},

#define DBT_ARGS(extra)                                                                    \
    OBJ_REQ(STR("project_dir", "the folder with dbt_project.yml (absolute)") ","           \
            "\"select\":{\"type\":[\"array\",\"string\"],\"description\":\"selectors: " \
            "model, +model, model+, tag:x\"}" extra,                                        \
            "\"project_dir\"")
    {HTTP_POST, V1 "/dbt/run", h_dbt_run, HTTP_BODY | HTTP_JOB, "dbt", "run",
     "Build the models of a dbt-style project (a job; an event per model).",
     DBT_ARGS("," BOOL("full_refresh", "rebuild incremental models")), NULL, 202},
    {HTTP_POST, V1 "/dbt/test", h_dbt_test, HTTP_BODY | HTTP_JOB, "dbt", "test",
     "Run the data tests of a dbt-style project (a job; an event per test).", DBT_ARGS(""), NULL, 202},
    {HTTP_POST, V1 "/dbt/seed", h_dbt_seed, HTTP_BODY | HTTP_JOB, "dbt", "seed",
     "Load the CSV seeds of a dbt-style project (a job).", DBT_ARGS(""), NULL, 202},
    {HTTP_POST, V1 "/dbt/build", h_dbt_build, HTTP_BODY | HTTP_JOB, "dbt", "build",
     "Seeds, then models, then tests of a dbt-style project (a job).",
     DBT_ARGS("," BOOL("full_refresh", "rebuild incremental models")), NULL, 202},
};

const size_t srv_n_routes = sizeof(srv_routes) / sizeof(srv_routes[0]);

extern const char srv_api_components[];

/* ?project= on the body routes that read it. */
static void document(const struct http_route *rt, json_t *op)
{
    json_t *params;
    if (!(rt->flags & SRV_PROJECT_QUERY))
        return;
    if ((params = json_object_get(op, "parameters")) == NULL)
        json_object_set_new(op, "parameters", params = json_array());
    json_array_append_new(params, http_openapi_query_param(
                                      "project",
                                      json_pack("{s:s, s:s}", "type", "string", "description",
                                                "the project (default: default)"),
                                      0));
}

const struct http_api srv_api = {
    .routes = srv_routes,
    .n_routes = sizeof(srv_routes) / sizeof(srv_routes[0]),
    .fallback = &srv_web_route,
    .base = SRV_API,
    .title = "Pluto Duck local API",
    .description = "REST + SSE over the warehouse, sources, analyses, boards and jobs. A write "
                   "(POST, PUT, PATCH, DELETE) needs 'Content-Type: application/json', even "
                   "without a body; a body field the operation does not list is refused with 422.",
    .components = srv_api_components,
    .realm = "pluto-duck",
    .auth_hint = "(the token is in runtime/server.json of the data home)",
    .hosts_hint = "add the name to server.allowed_hosts",
    .origins_hint = "allow it with server.cors_origins",
    .auth_optional = 1,
    .errors = "503", /* a source, a model or Pluto Cloud that does not answer */
    .document = document,
};
