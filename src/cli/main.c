/*
 * main.c - pluto-duck's entry point: the command table and the dispatcher.
 *
 * The dispatcher parses global and per-command options from the tables below,
 * generates --help from them, loads the configuration, opens what a command's
 * flags say it needs, runs it, prints its error, and maps the error code to the
 * exit status (0 ok, 1 user error, 2 usage, 3 internal, 130 interrupted).
 */
#include "cli/cli.h"
#include "sources/ingest.h"
#include "cli/remote.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/build.h"
#include "base/config.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "query/history.h"
#include "sources/sources.h"
#include "warehouse/home.h"
#include "warehouse/warehouse.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const struct cli_opt cloud_opts[] = {
    {"no-browser", 0, NULL, "login: do not open the browser, only print the address"},
    {"name", 0, "NAME", "login: how this machine is named to the approver (default: its host name)"},
    {"message", 'm', "TEXT", "push: what changed"},
    {"discard", 0, NULL, "pull: replace local edits with the server's version"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_opt no_opts[] = {{0}};

static const struct cli_opt init_opts[] = {
    {"no-sample", 0, NULL, "do not load the sample shop dataset"},
    {0}};

static const struct cli_opt sql_opts[] = {
    {"file", 'f', "FILE", "read the SQL from FILE ('-' for standard input)"},
    {"timeout", 't', "DURATION", "cancel after this long (30s, 5m; default: query.timeout)"},
    {"limit", 'n', "N", "show at most N rows (table default: query.preview_rows)"},
    {"output", 'o', "FILE", "write the result to FILE: .parquet, .csv, .json or .jsonl"},
    {"timer", 0, NULL, "print how long the statement took"},
    {"explain-remote", 0, NULL, "run it, and print what each live source was sent instead of rows"},
    {0}};

static const struct cli_opt history_opts[] = {
    {"limit", 'n', "N", "show the newest N statements (default 20)"},
    {"failed", 0, NULL, "only statements that failed, timed out or were cancelled"},
    {"search", 's', "TEXT", "only statements whose SQL contains TEXT (any case)"},
    {0}};

static const struct cli_opt logs_opts[] = {
    {"follow", 'f', NULL, "keep printing new records as they are written"},
    {"level", 'l', "LEVEL", "only records at LEVEL or above (debug, info, warn, error)"},
    {"since", 0, "TIME", "only records since TIME (2026-11-21, 2026-11-21T10:00, or 1h for an hour ago)"},
    {"run-id", 0, "ID", "only records of one run (matches run_id, query_id or trace_id)"},
    {"limit", 'n', "N", "only the last N matching records"},
    {0}};

static const struct cli_opt source_opts[] = {
    {"type", 't', "TYPE", "attach: the kind of source (see: pluto-duck source types)"},
    {"dsn", 0, "URL", "attach: connection URL (postgresql://user@host:5432/db, mysql://...)"},
    {"path", 0, "PATH", "attach: the file (sqlite, duckdb), or file, directory or glob (file)"},
    {"url", 0, "URL", "attach: an http(s) address of a CSV, Parquet or JSON file (http)"},
    {"schema", 0, "SCHEMA", "attach: the remote schema to read (postgres: public)"},
    {"table", 0, "NAME", "attach: the table name for a single file or URL"},
    {"file-format", 0, "FMT", "attach: csv, parquet or json when the name does not tell"},
    {"option", 'o', "NAME=VALUE", "attach (file, http): a reader option: header=true, delim=;, ignore_errors=true, union_by_name=true, columns={\"id\":\"INTEGER\"} ... (repeatable)"},
    {"password-stdin", 0, NULL, "attach: read the password (or token) from standard input"},
    {"password", 0, "PASSWORD", "attach: the password (visible to other users: prefer --password-stdin)"},
    {"description", 0, "TEXT", "attach: a note shown by source list"},
    {"all", 'a', NULL, "list: include detached sources"},
    {"as", 0, "LOCAL", "cache: name of the local copy (default NAME_TABLE)"},
    {"where", 0, "SQL", "cache: a condition the remote applies before sending rows"},
    {"ttl", 0, "DURATION", "cache: the copy expires after this long (24h, 7d)"},
    {0}};

static const struct cli_opt ingest_opts[] = {
    {"dry-run", 'n', NULL, "check the recipes and print what would run, change nothing"},
    {0}};

static const struct cli_opt analysis_opts[] = {
    {"project", 'p', "NAME", "the project (default: default)"},
    {"sql", 0, "SQL", "new: the analysis's SQL (may use {{ ref('id') }}, :param)"},
    {"file", 'f', "FILE", "new: read the SQL from FILE ('-' for standard input)"},
    {"materialize", 'm', "KIND", "new: view, table, append, incremental, parquet or ephemeral"},
    {"param", 0, "NAME[:TYPE][=DEFAULT]", "new: declare a parameter (repeatable; no default: required)"},
    {"name", 0, "TEXT", "new: a display name"},
    {"description", 0, "TEXT", "new: what the analysis answers"},
    {"tag", 0, "TAG", "new: a tag (repeatable); list: only analyses with this tag"},
    {"depends-on", 0, "ID", "new: an extra dependency (repeatable)"},
    {"unique-key", 0, "COLUMNS", "new: incremental: the columns that identify a row"},
    {"path", 0, "FILE", "new: parquet: the file to write"},
    {"freshness", 0, "POLICY", "new: assume_fresh to treat live sources as unchanged"},
    {"replace", 0, NULL, "new: overwrite an existing analysis"},
    {"params", 0, "VALUES", "run, compile, preview: name=value,... or a JSON object (repeatable)"},
    {"force", 0, NULL, "run, compile: run every selected step, fresh or not"},
    {"full-refresh", 0, NULL, "run: rebuild incremental analyses from scratch"},
    {"continue-on-failure", 0, NULL, "run: go on with steps that do not depend on a failure"},
    {"timeout", 't', "DURATION", "run: cancel a step after this long (default: query.timeout)"},
    {"limit", 'n', "N", "preview, history: at most N rows"},
    {"stale", 0, NULL, "list: only analyses that would run"},
    {"columns", 0, NULL, "lineage ID: column-level lineage of one analysis (JSON)"},
    {"plan-only", 0, NULL, "compile: print the plan without the SQL"},
    {0}};

static const struct cli_opt dbt_opts[] = {
    {"project-dir", 0, "DIR", "the dbt project (default: the current directory)"},
    {"select", 's', "SELECTOR", "only these models: NAME, +NAME, NAME+, tag:X (repeatable)"},
    {"full-refresh", 0, NULL, "rebuild incremental models from scratch"},
    {0}};

static const struct cli_opt project_opts[] = {
    {"description", 'd', "TEXT", "create: what the project is for"},
    {"confirm", 0, "NAME", "delete: the project's name typed again (asked on a terminal)"},
    {0}};

static const struct cli_opt board_opts[] = {
    {"project", 'p', "NAME", "the project (default: default)"},
    {"description", 'd', "TEXT", "create: what the board shows"},
    {"type", 't', "TYPE", "add: markdown, table, chart, metric or analysis (default: from the options)"},
    {"title", 0, "TEXT", "add: the item's heading"},
    {"sql", 0, "SQL", "add: the item's query (one read-only statement)"},
    {"file", 'f', "FILE", "add: read the query from FILE ('-' for standard input)"},
    {"text", 0, "MARKDOWN", "add: a markdown note (\\n is a line break)"},
    {"analysis", 0, "ID", "add: embed an analysis of the project"},
    {"kind", 0, "KIND", "add: chart kind: bar, line, area, scatter or pie"},
    {"x", 0, "COLUMN", "add: the chart's x column (default: the first)"},
    {"y", 0, "COLUMN", "add: a chart series (repeatable; default: the numeric columns)"},
    {"label", 0, "TEXT", "add: a metric's label"},
    {"position", 0, "X,Y,W,H", "add: place on the 12-column grid (default: below the others)"},
    {"limit", 'n', "N", "add: rows kept in the snapshot (default 1000)"},
    {"output", 'o', "FILE", "export: write to FILE (.html or .md) instead of standard output"},
    {0}};

/* What query and chat both take: who answers, and what it may do. */
#define AGENT_OPTS                                                                                 \
    {"provider", 0, "NAME", "local (offline) or openai (default: llm.provider)"},                  \
    {"project", 'p', "NAME", "the project whose analyses and boards the agent sees"},              \
    {"approve-all", 0, NULL, "let the agent save, run and add to boards without asking"},          \
    {"model", 'm', "NAME", "the model the openai provider asks (default: llm.model)"}

static const struct cli_opt query_opts[] = {
    AGENT_OPTS,
    {"conversation", 0, "ID", "ask as a follow-up in this conversation (see chat list)"},
    {"save", 0, "NAME", "keep the answer's SQL as analysis NAME of the project"},
    {0}};

static const struct cli_opt skills_opts[] = {
    {"project", 'p', "NAME", "the project whose skills are listed (default: default)"},
    {0}};

static const struct cli_opt chat_opts[] = {
    AGENT_OPTS,
    {"resume", 'r', "ID", "continue a kept conversation"},
    {0}};

static const struct cli_opt run_opts[] = {
    {"host", 0, "HOST", "address to bind (default: server.host, 127.0.0.1)"},
    {"port", 'p', "PORT", "port to listen on (default: server.port, 8123; 0: any free port)"},
    {"token", 0, "TOKEN", "require 'Authorization: Bearer TOKEN' (default: server.token)"},
    {"threads", 0, "N", "HTTP worker threads (default 4)"},
    {"poll-interval", 0, "DURATION", "ask Pluto Cloud what is due this often, plus up to as much again (default: cloud.poll_interval, 30s)"},
    {0}};

static const struct cli_command commands[] = {
    {"init", cmd_init, 0, 0, 0, "", "create the data home and load the sample dataset",
     "Creates the data home (~/.pluto-duck, or --home / PLUTO_DUCK_HOME) with a commented\n"
     "config.yaml and the warehouse, and loads a small sample shop (customers, products,\n"
     "orders, order_items). Running it again keeps everything that is there.",
     init_opts, NULL},
    {"sql", cmd_sql, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 0, 1, "[SQL]",
     "run SQL against the warehouse",
     "Runs one or more statements, given as an argument, with -f FILE, or on standard input,\n"
     "and prints the result of each. With --format csv/json/jsonl only the last statement's\n"
     "result is printed, in full unless --limit is given. Ctrl-C cancels the running\n"
     "statement and leaves the warehouse as it was.",
     sql_opts, NULL},
    {"shell", cmd_shell, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 0, 0, "",
     "interactive SQL shell",
     "Statements end with ';' and may span lines. Type .help for the dot-commands.\n"
     "Ctrl-C cancels the running statement (or clears the line), Ctrl-D exits.",
     no_opts, NULL},
    {"source", cmd_source, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 1, 3,
     "ACTION [NAME [TABLE]]", "attach and manage data sources",
     "Actions:\n"
     "  attach NAME --type TYPE ...   read a database or files live as schema NAME\n"
     "  list [--all]                  attached sources and their status\n"
     "  show NAME                     one source's settings (secrets are never shown)\n"
     "  tables NAME                   the tables of a source and their columns\n"
     "  refresh NAME                  re-read the remote catalog (added and dropped tables)\n"
     "  detach NAME                   remove the source's views and stored password\n"
     "  estimate NAME TABLE           remote row count and size; whether to cache it\n"
     "  cache NAME TABLE              copy a table into cache.LOCAL (--as, --where, --ttl)\n"
     "  types                         the kinds of sources and their options\n"
     "Queries read NAME.table live: only the columns a query uses are fetched. Pass-through\n"
     "functions (postgres_query, mysql_query, sqlite_query) run SQL on the remote itself.",
     source_opts, NULL},
    {"cache", cmd_cache, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 1, 2,
     "list | refresh TABLE | drop TABLE | cleanup", "manage cached copies of source tables",
     "Cached tables live in schema cache and are made with `pluto-duck source cache`.\n"
     "refresh copies again with the same filter; cleanup drops the expired ones.",
     no_opts, NULL},
    {"ingest", cmd_ingest, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 1, -1,
     "RECIPE.yaml...", "load data from sources into warehouse tables by recipe",
     "Each recipe names a source (attached, or inline), a table or query, a target table\n"
     "and a mode: replace, append or merge (with merge_keys). An incremental column\n"
     "makes later runs read only rows past the stored high-water mark. Each recipe is one\n"
     "transaction: when it fails, its target is as it was. Runs are recorded in\n"
     "_sources.ingest_runs (running, ok, failed, cancelled, or interrupted when the\n"
     "process ended first). --dry-run shows what each source would be asked.\n\n"
     PD_INGEST_RECIPE_HELP,
     ingest_opts, NULL},
    {"analysis", cmd_analysis, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 1,
     -1, "ACTION [ID | SELECTOR...]", "saved analyses: a SQL pipeline with lineage",
     "Actions:\n"
     "  new ID --sql SQL [--materialize KIND] [--param NAME:TYPE=DEFAULT]...\n"
     "  list [--tag TAG] [--stale]     analyses, and whether each would run\n"
     "  show ID                        definition, inputs and state\n"
     "  compile [SELECTOR...]          the plan (run/skip and why) and the compiled SQL\n"
     "  run [SELECTOR...]              run stale steps in order (--force: all selected)\n"
     "  preview ID [--limit N]         the result, without materializing anything\n"
     "  lineage [ID] [--format mermaid|dot|json] [--columns]\n"
     "  freshness [SELECTOR...]        fresh or stale, and why\n"
     "  history [ID]                   past runs, newest first\n"
     "  delete ID [--force]            refuses while other analyses read it\n"
     "Selectors: ID, +ID (with what it reads), ID+ (with what reads it), tag:NAME.\n"
     "Analyses live in PROJECT/analyses/ID.yaml under the data home and materialize into\n"
     "schema analysis. SQL may use {{ ref('id') }}, {{ ref('source:NAME.table') }},\n"
     "{{ ref('file:path') }}, :param or {{ param('name') }} (bound, never pasted), and plain\n"
     "references such as analysis.id, NAME.table or cache.t.",
     analysis_opts, "dot mermaid"},
    {"dbt", cmd_dbt, CMD_NEEDS_WAREHOUSE | CMD_INTERRUPTIBLE, 1, 1,
     "run | test | seed | build | compile | ls", "run a dbt-style project natively (no Python)",
     "Reads dbt_project.yml, models/ (.sql with ref, source, config, var, this,\n"
     "is_incremental, set, for, if), the .yml files beside them (sources; not_null, unique,\n"
     "accepted_values and relationships tests) and seeds/*.csv. Models and seeds are built\n"
     "in schema main of the warehouse. build = seed, run, then test. Exit 1 when anything\n"
     "failed.",
     dbt_opts, NULL},
    {"project", cmd_project, CMD_NEEDS_WAREHOUSE | CMD_FORMAT, 1, 2, "ACTION [NAME]",
     "projects: groups of analyses, boards and skills",
     "Actions:\n"
     "  list                           projects, with their analyses and boards\n"
     "  create NAME [--description T]  a new project (folder projects/NAME, schema analysis_NAME)\n"
     "  show NAME                      one project\n"
     "  delete NAME [--confirm NAME]   remove it with its analyses, boards and results\n"
     "Commands that work on analyses take --project NAME (default: default). A folder\n"
     "copied into projects/ under the data home is a project as soon as it is seen.",
     project_opts, NULL},
    {"query", cmd_query, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 1, 1, "QUESTION",
     "answer a question in plain language (the agent writes and runs the SQL)",
     "The agent explores the warehouse with its tools (list_tables, describe_table,\n"
     "sample_rows, run_sql), writes one read-only SELECT, runs it and answers. Its steps go\n"
     "to standard error; the answer, the SQL and the result to standard output. It works\n"
     "offline: the local provider understands counts, totals, averages, minimum and\n"
     "maximum, top N, grouping (per, by, for each), time buckets (per month, yearly), a\n"
     "year, values that exist in the data (completed orders, customers in Berlin) and\n"
     "listings (latest 10 orders). It says so when it cannot answer. With\n"
     "llm.provider openai (and llm.base_url, llm.model) any OpenAI-compatible API answers\n"
     "instead: OpenAI, Ollama, llama.cpp's server, vLLM. agent.send_rows limits the rows of\n"
     "each result the model sees (none: columns and counts only).",
     query_opts, NULL},
    {"chat", cmd_chat, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 0, 2,
     "[ACTION [ID]]", "talk with the agent: follow-up questions keep the context",
     "Without an action: one question per line (from the terminal or standard input),\n"
     "each answered like `pluto-duck query`, with the conversation so far as context\n"
     "(\"and in 2023?\" after \"how many orders in 2024\"). \"exit\" or Ctrl-D ends.\n"
     "Actions:\n"
     "  list                           kept conversations, the most recent first\n"
     "  show ID                        its questions and answers\n"
     "  delete ID                      remove it and its work zone (schema work_<id>)\n"
     "Conversations idle longer than agent.conversation_ttl (30d) are removed.",
     chat_opts, NULL},
    {"skills", cmd_skills, CMD_NEEDS_HOME | CMD_FORMAT, 0, 0, "", "the skills the agent can load",
     "Skills are SKILL.md files: YAML front matter (name, description, allowed-tools) and\n"
     "instructions. They come built in (sql-analysis, source-exploration, lineage), from\n"
     "HOME/skills/NAME/SKILL.md and from HOME/projects/PROJECT/skills/NAME/SKILL.md; the\n"
     "project's replace the user's of the same name. The agent sees names and descriptions\n"
     "and loads the instructions when a question calls for them. Files that cannot be read\n"
     "are named on standard error with why.",
     skills_opts, NULL},
    {"board", cmd_board, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 1, 3,
     "ACTION [BOARD [ITEM]]", "boards: results laid out as a page, exported as a report",
     "Actions:\n"
     "  list                           the project's boards\n"
     "  create BOARD [--description T]\n"
     "  show BOARD                     its items and their snapshots (--format json: all)\n"
     "  add BOARD --sql SQL [--kind bar --x COL --y COL] [--title T] [--position X,Y,W,H]\n"
     "  add BOARD --text MARKDOWN      a note;  --analysis ID: embed an analysis;\n"
     "                                 --type metric --sql ...: one big number\n"
     "  refresh BOARD [ITEM]           run the items' queries again\n"
     "  remove BOARD ITEM              take an item off\n"
     "  delete BOARD\n"
     "  export BOARD [--format html|md] [--output FILE]   a self-contained report\n"
     "An item's query runs when it is added and on refresh; its result is kept with the\n"
     "board (a snapshot), so a board shows and exports without running anything. A query\n"
     "that fails leaves the item as it was.",
     board_opts, "html md"},
    {"run", cmd_run, CMD_NEEDS_WAREHOUSE, 0, 0, "", "serve the API on 127.0.0.1:8123 until Ctrl-C",
     "Serves the REST + Server-Sent Events API under /api/v1 (see GET /api/v1/openapi.json)\n"
     "over the warehouse, sources, analyses, boards and jobs. While it runs, other pluto-duck\n"
     "commands for the same data home run through it. It writes runtime/server.json (pid,\n"
     "port, token) and removes it when stopped. Binding an address other than loopback\n"
     "needs a token. Ctrl-C or SIGTERM stops it: requests in flight may finish, running\n"
     "jobs are cancelled, the warehouse is closed cleanly.",
     run_opts, NULL},
    {"agent", cmd_agent, CMD_NEEDS_WAREHOUSE, 0, 0, "",
     "run the Pluto Cloud workspace's schedules on this machine (headless)",
     "What `pluto-duck run` does, for a machine nobody sits at: it serves the same API and\n"
     "runs the schedules of the workspace in use (pluto-duck cloud login, cloud workspace\n"
     "use), and does not start unless it is signed in. It asks Pluto Cloud what is due every\n"
     "poll interval plus a random part of one, claims an occurrence, runs the pipeline at\n"
     "the version the schedule pins (duckpipe, or dbt build for a dbt project), and writes\n"
     "reports/RUN_ID/report.html and metadata.json. Run states, log lines and reports go\n"
     "through an outbox in the warehouse, so a cloud that does not answer loses nothing:\n"
     "they are delivered, once each, when it answers again. Occurrences missed while it was\n"
     "off are caught up as each schedule's catch_up says. `pluto-duck run` does the same\n"
     "while signed in, unless cloud.run_schedules is off.",
     run_opts, NULL},
    {"history", cmd_history, CMD_NEEDS_WAREHOUSE | CMD_FORMAT, 0, 0, "",
     "list executed statements, newest first", NULL, history_opts, NULL},
    {"profile", cmd_profile, CMD_NEEDS_WAREHOUSE | CMD_FORMAT | CMD_INTERRUPTIBLE, 1, 1, "TABLE",
     "per-column statistics of a table",
     "For each column: type, share of NULLs, approximate distinct count, min, max and mean.\n"
     "TABLE may be qualified: schema.table.",
     no_opts, NULL},
    {"config", cmd_config, CMD_FORMAT, 0, 3, "[list | get KEY | set KEY VALUE]",
     "show or change settings",
     "list shows every setting with its effective value and where it came from (default,\n"
     "a file and line, an environment variable or a flag). set writes config.yaml, keeping\n"
     "its comments.",
     no_opts, NULL},
    {"logs", cmd_logs, CMD_NEEDS_HOME | CMD_FORMAT | CMD_INTERRUPTIBLE, 0, 0, "", "read and follow the log",
     "Reads logs/pluto-duck.log. Human-readable by default; --format jsonl prints the\n"
     "raw JSON lines.",
     logs_opts, NULL},
    {"cloud", cmd_cloud, CMD_NEEDS_HOME | CMD_FORMAT | CMD_INTERRUPTIBLE, 1, 3,
     "ACTION [ARG]", "sign in to Pluto Cloud and choose a workspace",
     "Actions:\n"
     "  login [URL]              sign in with a code approved in the browser (device grant)\n"
     "  status                   the server, account, workspace and token expiry\n"
     "  workspace list           the workspaces you are a member of\n"
     "  workspace use NAME       work in this one (a name or an id)\n"
     "  push [PROJECT]           share a project as a new version of its pipeline\n"
     "  pull [--discard]         the workspace's pipelines into projects/WORKSPACE__PIPELINE\n"
     "                           (local edits are kept unless --discard)\n"
     "  diff PROJECT             local changes against the version pulled or pushed\n"
     "  logout                   sign out here and on the server\n"
     "Tokens are kept in the secret store, never in the config or the warehouse; the\n"
     "session is in cloud/session.json of the data home.",
     cloud_opts, NULL},
    {"secrets", cmd_secrets, CMD_NEEDS_HOME | CMD_FORMAT, 1, 1, "status | migrate",
     "where passwords and tokens are kept",
     "Secrets live in the OS keychain (the Secret Service: GNOME Keyring, KeePassXC) when\n"
     "one answers on the session bus, else in the data home's secrets/ folder (0600 files).\n"
     "PLUTO_DUCK_SECRET_STORE=file or keychain chooses. status says which is in use and how\n"
     "many secrets are still in files; migrate moves those into the keychain.",
     no_opts, NULL},
    {"doctor", cmd_doctor, CMD_FORMAT | CMD_ANY_CONFIG, 0, 0, "", "check the installation and the data home",
     "Checks the DuckDB library, the data home, free disk, the warehouse, the config, the\n"
     "connector libraries and the log directory. Exits 1 when any check fails.",
     no_opts, NULL},
    {"version", cmd_version, CMD_FORMAT, 0, 0, "", "print the version of pluto-duck and DuckDB",
     NULL, no_opts, NULL},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Options every command takes (and that may also stand before the command). */
enum { OPT_HOME = 1000, OPT_SET, OPT_VERBOSE, OPT_HELP, OPT_FORMAT, OPT_VERSION, OPT_CMD = 2000 };
static const struct option common_long[] = {
    {"home", required_argument, NULL, OPT_HOME},   {"set", required_argument, NULL, OPT_SET},
    {"verbose", no_argument, NULL, OPT_VERBOSE},   {"help", no_argument, NULL, OPT_HELP},
};
#define N_COMMON (sizeof(common_long) / sizeof(common_long[0]))
static const char common_short[] = "c:vh";

struct globals {
    struct pd_config_override overrides[64];
    char *keys[64]; /* the KEY parts of --set KEY=VALUE, owned */
    size_t n_overrides;
    int verbose;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    if (interrupted)
        _exit(130); /* a second Ctrl-C: stop at once */
    interrupted = 1;
}

_Thread_local FILE *cli_out, *cli_err, *cli_in;

void cli_notice(void *arg, const char *text)
{
    (void)arg;
    fprintf(cli_err, "warning: %s\n", text);
}

int cli_read_stream(FILE *f, const char *what, struct pd_buf *out, struct pd_err *err)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (pd_buf_add(out, chunk, n) != 0)
            return pd_fail(err, PD_ETOOBIG, "%s is too large", what);
    if (ferror(f))
        return pd_fail(err, PD_EIO, "cannot read %s: %s", what, strerror(errno));
    return 0;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("warning: ", cli_err);
    va_start(ap, fmt);
    vfprintf(cli_err, fmt, ap);
    va_end(ap);
    fputc('\n', cli_err);
}

const char *cli_arg(const struct cli_args *a, const char *name)
{
    for (int i = 0; a->opts && a->opts[i].name; i++)
        if (strcmp(a->opts[i].name, name) == 0)
            return a->given[i] ? a->value[i] : NULL;
    PD_BUG("cli_arg: option not in the command's table");
}

const char *const *cli_arg_all(const struct cli_args *a, const char *name, int *n)
{
    for (int i = 0; a->opts && a->opts[i].name; i++)
        if (strcmp(a->opts[i].name, name) == 0) {
            *n = a->nall[i];
            return a->all[i];
        }
    PD_BUG("cli_arg_all: option not in the command's table");
}

int cli_given(const struct cli_args *a, const char *name)
{
    for (int i = 0; a->opts && a->opts[i].name; i++)
        if (strcmp(a->opts[i].name, name) == 0)
            return a->given[i];
    PD_BUG("cli_given: option not in the command's table");
}

int cli_arg_long(const struct cli_args *a, const char *name, long min, long *out,
                 struct pd_err *err)
{
    const char *v = cli_arg(a, name);
    char *end;
    *out = 0;
    if (v == NULL)
        return 0;
    *out = strtol(v, &end, 10);
    if (*v == '\0' || *end || *out < min)
        return pd_fail(err, PD_EUSAGE, "--%s must be a whole number of at least %ld, got '%s'",
                       name, min, v);
    return 0;
}

struct pd_sink *cli_sink(const struct cli_ctx *ctx, enum pd_format fmt, int timer)
{
    struct pd_table_opts t = {.width = ctx->width, .max_cell = 40, .show_footer = 1,
                              .timer = timer};
    return pd_sink_new(fmt, cli_out, &t);
}

static void print_usage_line(FILE *f, const struct cli_command *c)
{
    fprintf(f, "usage: pluto-duck %s [options]%s%s\n", c->name, *c->synopsis ? " " : "",
            c->synopsis);
}

/* 1 when word is one of the space-separated words of list. */
static int word_in(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(list, word); n && p; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* "table, csv, json, jsonl" and the command's more_formats, the last after last_sep. */
static void format_choices(const struct cli_command *c, const char *last_sep, struct pd_buf *out)
{
    struct pd_buf words = PD_BUF_INIT;
    char *save = NULL;
    const char *w, *prev = NULL;
    int n = 0;
    pd_buf_addf(&words, "table csv json jsonl %s", c->more_formats ? c->more_formats : "");
    for (w = strtok_r(words.ptr, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (prev)
            pd_buf_addf(out, "%s%s", n++ ? ", " : "", prev);
        prev = w;
    }
    pd_buf_addf(out, "%s%s", n ? last_sep : "", prev);
    pd_buf_release(&words);
}

static void print_opt(FILE *f, const char *name, int letter, const char *arg, const char *help)
{
    char left[64];
    if (letter)
        snprintf(left, sizeof(left), "-%c, --%s%s%s", letter, name, arg ? " " : "", arg ? arg : "");
    else
        snprintf(left, sizeof(left), "    --%s%s%s", name, arg ? " " : "", arg ? arg : "");
    fprintf(f, "  %-26s %s\n", left, help);
}

static void print_command_help(const struct cli_command *c)
{
    print_usage_line(cli_out, c);
    fprintf(cli_out, "\n%s.\n", c->summary);
    if (c->details)
        fprintf(cli_out, "\n%s\n", c->details);
    fprintf(cli_out, "\nOptions:\n");
    for (int i = 0; c->opts[i].name; i++)
        print_opt(cli_out, c->opts[i].name, c->opts[i].letter, c->opts[i].arg, c->opts[i].help);
    if (c->flags & CMD_FORMAT) {
        struct pd_buf help = PD_BUF_INIT;
        pd_buf_adds(&help, "output format: ");
        format_choices(c, ", ", &help);
        print_opt(cli_out, "format", 0, "FMT", help.ptr);
        pd_buf_release(&help);
    }
    print_opt(cli_out, "home", 0, "DIR", "data home (default ~/.pluto-duck, or PLUTO_DUCK_HOME)");
    print_opt(cli_out, "set", 'c', "KEY=VALUE", "override a setting for this run (repeatable)");
    print_opt(cli_out, "verbose", 'v', NULL, "also print log records to stderr");
    print_opt(cli_out, "help", 'h', NULL, "show this help");
}

static void print_main_help(FILE *f)
{
    fprintf(f, "usage: pluto-duck [--home DIR] [-c KEY=VALUE] [-v] <command> [options] [args]\n\n"
               "Pluto Duck: a local-first data workbench on DuckDB.\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'pluto-duck <command> --help' for a command's options.\n"
               "Start with 'pluto-duck init', then 'pluto-duck sql \"select * from orders limit 5\"'.\n");
}

static int add_override(struct globals *g, int opt, const char *arg, struct pd_err *err)
{
    struct pd_config_override *o;
    if (g->n_overrides == sizeof(g->overrides) / sizeof(g->overrides[0]))
        return pd_fail(err, PD_EUSAGE, "too many settings on the command line");
    o = &g->overrides[g->n_overrides];
    if (opt == OPT_HOME) {
        o->key = "home";
        o->value = arg;
        o->flag = "--home";
    } else {
        const char *eq = strchr(arg, '=');
        if (eq == NULL || eq == arg)
            return pd_fail(err, PD_EUSAGE, "--set takes KEY=VALUE, got '%s'", arg);
        o->key = g->keys[g->n_overrides] = xstrndup(arg, (size_t)(eq - arg));
        o->value = eq + 1;
        o->flag = "--set";
    }
    g->n_overrides++;
    return 0;
}

/* Handle an option common to all commands. Returns 1 when opt was one. */
static int common_option(struct globals *g, int opt, const char *arg, struct pd_err *err,
                         int *rc)
{
    switch (opt) {
    case OPT_HOME:
    case OPT_SET:
    case 'c':
        *rc = add_override(g, opt == 'c' ? OPT_SET : opt, arg, err);
        return 1;
    case 'v':
    case OPT_VERBOSE:
        g->verbose = 1;
        return 1;
    }
    return 0;
}

static int parse_command(const struct cli_command *c, int argc, char **argv, struct globals *g,
                         struct cli_ctx *ctx, struct cli_args *a, int *help, struct pd_err *err)
{
    struct option longs[CLI_MAX_OPTS + N_COMMON + 2];
    struct pd_buf shorts = PD_BUF_INIT;
    size_t nl = 0;
    int n_opts = 0, opt, rc = 0;

    memset(a, 0, sizeof(*a));
    a->opts = c->opts;
    pd_buf_adds(&shorts, "+");
    pd_buf_adds(&shorts, common_short);
    for (; c->opts[n_opts].name; n_opts++) {
        longs[nl++] = (struct option){c->opts[n_opts].name,
                                      c->opts[n_opts].arg ? required_argument : no_argument, NULL,
                                      OPT_CMD + n_opts};
        if (c->opts[n_opts].letter)
            pd_buf_addf(&shorts, "%c%s", c->opts[n_opts].letter, c->opts[n_opts].arg ? ":" : "");
    }
    for (size_t i = 0; i < N_COMMON; i++)
        longs[nl++] = common_long[i];
    if (c->flags & CMD_FORMAT)
        longs[nl++] = (struct option){"format", required_argument, NULL, OPT_FORMAT};
    longs[nl] = (struct option){0};

    optind = 0; /* glibc: start over */
    opterr = 0;
    /* Options and arguments may be mixed; "--" ends options. */
    while (rc == 0) {
        opt = getopt_long(argc, argv, shorts.ptr, longs, NULL);
        if (opt == -1) {
            int rest = optind > 0 && strcmp(argv[optind - 1], "--") == 0;
            if (optind < argc && a->pos == NULL)
                a->pos = xcalloc((size_t)argc, sizeof(char *));
            if (rest) {
                while (optind < argc)
                    a->pos[a->npos++] = argv[optind++];
            } else if (optind < argc) {
                a->pos[a->npos++] = argv[optind++];
                continue;
            }
            break;
        }
        if (opt == '?' || opt == ':') {
            if (optopt && optopt < OPT_HOME)
                rc = pd_fail(err, PD_EUSAGE, "%s: unknown option '-%c' or missing value (see: pluto-duck %s --help)",
                             c->name, optopt, c->name);
            else
                rc = pd_fail(err, PD_EUSAGE, "%s: unknown option or missing value in '%s' (see: pluto-duck %s --help)",
                             c->name, argv[optind - 1], c->name);
        } else if (opt == 'h' || opt == OPT_HELP) {
            *help = 1;
        } else if (opt == OPT_FORMAT) {
            snprintf(ctx->format_name, sizeof(ctx->format_name), "%s", optarg);
            if (c->more_formats && word_in(c->more_formats, optarg))
                ctx->format = PD_FORMAT_TABLE;
            else if (pd_format_parse(optarg, &ctx->format) != 0)
            {
                struct pd_buf choices = PD_BUF_INIT;
                format_choices(c, " or ", &choices);
                rc = pd_fail(err, PD_EUSAGE, "--format must be %s, got '%s'", choices.ptr, optarg);
                pd_buf_release(&choices);
            }
            ctx->format_given = 1;
        } else if (opt >= OPT_CMD && opt < OPT_CMD + n_opts) {
            a->given[opt - OPT_CMD] = 1;
            a->value[opt - OPT_CMD] = optarg;
            if (a->nall[opt - OPT_CMD] < CLI_MAX_REPEAT)
                a->all[opt - OPT_CMD][a->nall[opt - OPT_CMD]++] = optarg;
        } else if (!common_option(g, opt, optarg, err, &rc)) {
            /* a short letter of a command option */
            for (int i = 0; i < n_opts; i++)
                if (c->opts[i].letter == opt) {
                    a->given[i] = 1;
                    a->value[i] = optarg;
                    if (a->nall[i] < CLI_MAX_REPEAT)
                        a->all[i][a->nall[i]++] = optarg;
                }
        }
    }
    pd_buf_release(&shorts);
    if (rc == 0 && !*help && (a->npos < c->min_args || (c->max_args >= 0 && a->npos > c->max_args))) {
        rc = pd_fail(err, PD_EUSAGE, "%s: expected %s%s (see: pluto-duck %s --help)", c->name,
                     *c->synopsis ? c->synopsis : "no arguments",
                     a->npos > c->max_args && c->max_args >= 0 ? ", got more" : "", c->name);
    }
    return rc;
}

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int terminal_width(void)
{
    struct winsize ws;
    const char *cols = getenv("COLUMNS");
    if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if (cols && atoi(cols) > 0)
        return atoi(cols);
    return 0;
}

/* Commands a running server can take over (they need the warehouse it holds). */
static int forwardable(const struct cli_command *c)
{
    return (c->flags & CMD_NEEDS_WAREHOUSE) && c->run != cmd_run && c->run != cmd_agent &&
           c->run != cmd_shell;
}

static int run_command(const struct cli_command *c, struct cli_ctx *ctx, struct globals *g,
                       const struct cli_args *a, const struct cli_host *host, int argc,
                       char **argv, int *forwarded_exit, struct pd_err *err)
{
    struct pd_config_load_opts lo = {.overrides = g->overrides, .n_overrides = g->n_overrides,
                                     .keep_on_error = (c->flags & CMD_ANY_CONFIG) != 0};
    char trace[PD_UUID_LEN + 1];
    int rc;

    if ((rc = pd_config_load(&ctx->cfg, &lo, err)) != 0) {
        if (ctx->cfg == NULL)
            return rc;
        snprintf(ctx->config_error, sizeof(ctx->config_error), "%s", err->msg);
        pd_err_clear(err);
    }
    for (size_t i = 0; i < pd_config_warning_count(ctx->cfg); i++)
        cli_warn("%s", pd_config_warning(ctx->cfg, i));
    if (g->verbose && host == NULL)
        pd_log_mirror_stderr(1, PD_LOG_DEBUG);
    pd_log_set_trace_id(pd_uuid7(trace));

    if ((c->flags & (CMD_NEEDS_HOME | CMD_NEEDS_WAREHOUSE)) && host == NULL) {
        if ((rc = pd_home_require(pd_config_home(ctx->cfg), err)) != 0)
            return rc;
        if ((rc = pd_home_open_log(ctx->cfg, err)) != 0)
            return rc;
    }
    if ((c->flags & CMD_NEEDS_WAREHOUSE) && host) {
        ctx->wh = host->wh;
        ctx->history = host->history;
        ctx->sources = host->sources;
    } else if (c->flags & CMD_NEEDS_WAREHOUSE) {
        char *dir;
        struct cli_remote remote;
        /* A server for this home holds the warehouse: it runs the command for us. */
        if (cli_remote_find(pd_config_home(ctx->cfg), &remote)) {
            /* Another build may not know this command line, or read it otherwise. */
            if (strcmp(remote.build, pd_build_id()) != 0) {
                rc = pd_fail(err, PD_ELOCKED,
                             "the pluto-duck server for this data home (pid %d, %s) is another "
                             "build (%s%s%.12s) than this command (%s, build %.12s): stop it "
                             "(kill %d, or Ctrl-C where it runs) and start it again with this "
                             "pluto-duck: pluto-duck run",
                             remote.pid, remote.url,
                             *remote.version ? remote.version : "an older version",
                             *remote.build ? ", build " : "", remote.build, PD_VERSION,
                             pd_build_id(), remote.pid);
                cli_remote_release(&remote);
                return rc;
            }
            if (!forwardable(c)) {
                cli_remote_release(&remote);
                return pd_fail(err, PD_ELOCKED,
                               "a pluto-duck server (pid %d, %s) holds the warehouse: stop it "
                               "to use '%s'",
                               remote.pid, remote.url, c->name);
            }
            rc = cli_remote_run(&remote, c, ctx, a, argc, argv, forwarded_exit, err);
            cli_remote_release(&remote);
            return rc;
        }
        if ((rc = pd_home_open_warehouse(ctx->cfg, &ctx->wh, err)) != 0)
            return rc;
        dir = pd_home_path(pd_config_home(ctx->cfg), PD_HOME_QUERY_ARTIFACTS);
        ctx->history = pd_history_open(ctx->wh, dir);
        free(dir);
        if ((rc = pd_sources_open(ctx->wh, ctx->cfg, &ctx->sources, err)) != 0)
            return rc;
    }
    if (host) {
        ctx->interrupted = host->interrupted;
    } else if (c->flags & CMD_INTERRUPTIBLE) {
        struct sigaction sa = {.sa_handler = on_sigint};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        ctx->interrupted = &interrupted;
    }
    pd_log(PD_LOG_DEBUG, "command start", "{s:s}", "command", c->name);
    rc = c->run(ctx, a, err);
    pd_log(rc ? PD_LOG_WARN : PD_LOG_DEBUG, "command end", "{s:s, s:s}", "command", c->name,
           "status", pd_err_name(rc));
    return rc;
}

int cli_main(int argc, char **argv, const struct cli_host *host)
{
    struct pd_err err = PD_ERR_INIT;
    struct globals g = {0};
    struct cli_ctx ctx = {0};
    struct cli_args args;
    const struct cli_command *c;
    int help = 0, rc = 0, opt, forwarded_exit = -1;
    struct option longs[N_COMMON + 2];

    if (host) {
        ctx.tty_out = ctx.tty_err = ctx.tty_in = 0;
        ctx.width = host->width;
    } else {
        ctx.tty_out = isatty(1);
        ctx.tty_err = isatty(2);
        ctx.tty_in = isatty(0);
        ctx.width = terminal_width();
    }

    /* Global options, up to the command name (optind = 0: glibc starts over). */
    optind = 0;
    memcpy(longs, common_long, sizeof(common_long));
    longs[N_COMMON] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    longs[N_COMMON + 1] = (struct option){0};
    opterr = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, "+c:vh", longs, NULL)) != -1) {
        if (opt == 'h' || opt == OPT_HELP) {
            print_main_help(cli_out);
            goto out;
        } else if (opt == OPT_VERSION) {
            c = find_command("version");
            memset(&args, 0, sizeof(args));
            args.opts = c->opts;
            rc = run_command(c, &ctx, &g, &args, host, argc, argv, &forwarded_exit, &err);
            goto out;
        } else if (opt == '?') {
            rc = pd_fail(&err, PD_EUSAGE, "unknown option '%s' (see: pluto-duck --help)",
                         argv[optind - 1]);
        } else {
            common_option(&g, opt, optarg, &err, &rc);
        }
    }
    if (rc)
        goto out;
    if (optind >= argc) {
        print_main_help(cli_err);
        rc = PD_EUSAGE;
        goto out;
    }
    if ((c = find_command(argv[optind])) == NULL) {
        rc = pd_fail(&err, PD_EUSAGE, "unknown command '%s' (see: pluto-duck --help)",
                     argv[optind]);
        goto out;
    }
    rc = parse_command(c, argc - optind, argv + optind, &g, &ctx, &args, &help, &err);
    if (rc == 0 && help)
        print_command_help(c);
    else if (rc == 0)
        rc = run_command(c, &ctx, &g, &args, host, argc, argv, &forwarded_exit, &err);
    free(args.pos);

out:
    if (rc == PD_ECANCELED) {
        fprintf(cli_err, "cancelled\n");
    } else if (rc && err.code) {
        fprintf(cli_err, "error: %s\n", err.msg);
    } else if (rc && rc != PD_EUSAGE) {
        fprintf(cli_err, "error: %s\n", pd_err_name(rc));
    }
    for (size_t i = 0; i < g.n_overrides; i++)
        free(g.keys[i]);
    if (host == NULL) {
        pd_history_close(ctx.history);
        pd_warehouse_close(ctx.wh);
        pd_sources_close(ctx.sources); /* after the database: its table functions point here */
    }
    pd_config_free(ctx.cfg);
    if (host == NULL)
        pd_log_close();
    return forwarded_exit >= 0 && rc == 0 ? forwarded_exit : pd_err_exit_code(rc);
}

int main(int argc, char **argv)
{
    cli_out = stdout;
    cli_err = stderr;
    cli_in = stdin;
    return cli_main(argc, argv, NULL);
}
