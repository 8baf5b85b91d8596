/*
 * config.c - the settings table, layered loading and comment-keeping edits (see config.h).
 */
#include "base/config.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "base/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { K_PATH, K_COUNT, K_SIZE, K_DURATION, K_LEVEL, K_HOST, K_PORT, K_TEXT, K_CHOICE, K_ROWS };

struct keydef {
    struct pd_config_key pub;
    enum kind kind;
    long min, max; /* for K_COUNT and K_ROWS; K_CHOICE takes the words of pub.expected */
};

static const struct keydef keys[] = {
    {{"home", "~/.pluto-duck", "a directory path",
      "Data home: warehouse, config, logs, artifacts.", 0},
     K_PATH, 0, 0},
    {{"warehouse.threads", "0", "a whole number from 0 to 1024",
      "Threads DuckDB may use (0 = all cores).", 0},
     K_COUNT, 0, 1024},
    {{"warehouse.memory_limit", "auto", "'auto' or a size such as 512MB, 4GB, 80%",
      "Memory DuckDB may use before spilling to disk (auto = 80% of RAM).", 0},
     K_SIZE, 0, 0},
    {{"query.timeout", "0", "a duration such as 30s, 5m, 1h (0 = no limit)",
      "Default time limit for one SQL call.", 0},
     K_DURATION, 0, 0},
    {{"query.preview_rows", "100", "a whole number from 1 to 1000000",
      "Rows shown by table output before the rest is counted but not printed.", 0},
     K_COUNT, 1, 1000000},
    {{"log.level", "info", "one of debug, info, warn, error",
      "Lowest level written to logs/pluto-duck.log.", 0},
     K_LEVEL, 0, 0},
    {{"sources.connect_timeout", "10s", "a duration such as 5s or 1m",
      "How long attaching or reading a remote source waits for its server to answer.", 0},
     K_DURATION, 0, 0},
    {{"sources.bad_values", "null", "null, text or error",
      "A remote value that does not fit its column's type: null (read as NULL and counted in a "
      "warning when the query ends), text (such columns are read as text) or error (the query "
      "fails).",
      0},
     K_CHOICE, 0, 0},
    {{"sources.scan_parts", "0", "a whole number from 0 to 8",
      "Most parts a large PostgreSQL table is read in at once, each on a connection of its "
      "own at one snapshot (0: as many as the machine has cores; 1: one read).",
      0},
     K_COUNT, 0, 8},
    {{"sources.pushdown", "true", "true or false",
      "Send a query's simple filters and LIMIT on live source tables to the remote, so that "
      "it sends only the rows needed (see them with `sql --explain-remote`).",
      0},
     K_CHOICE, 0, 0},
    {{"cache.on_expired", "warn", "warn, refresh or error",
      "Reading a cached table past its TTL: warn (the query runs, and says so), refresh (copy "
      "it again first) or error (the query fails).",
      0},
     K_CHOICE, 0, 0},
    {{"server.host", "127.0.0.1", "a host name or IP address",
      "Address `pluto-duck run` binds to.", 0},
     K_HOST, 0, 0},
    {{"server.port", "8123", "a port number from 1 to 65535", "Port `pluto-duck run` listens on.", 0},
     K_PORT, 1, 65535},
    {{"server.token", "", "any text (empty: no token)",
      "Bearer token every API request but /health must send (required off loopback).", 1},
     K_TEXT, 0, 0},
    {{"server.cors_origins", "", "origins separated by commas, such as http://localhost:5173",
      "Browser origins allowed to call the API (empty: none).", 0},
     K_TEXT, 0, 0},
    {{"server.allowed_hosts", "", "host names separated by commas, such as pluto.lan or pluto.lan:8443",
      "Host names the server answers to besides its own address (others get 421).", 0},
     K_TEXT, 0, 0},
    {{"server.max_connections", "1024", "a whole number from 16 to 100000",
      "Connections at once (a quarter of them from one address); idle ones make room.", 0},
     K_COUNT, 16, 100000},
    {{"server.web_dir", "", "a directory with the built web UI (index.html)",
      "Where the web UI's files are (empty: the one built by scripts/setup.sh).", 0},
     K_TEXT, 0, 0},
    {{"server.max_body_mb", "10", "a whole number from 1 to 1024",
      "Largest request body the API accepts, in MB (larger: 413).", 0},
     K_COUNT, 1, 1024},
    {{"llm.provider", "local", "local or openai",
      "Who answers questions: local (offline, built in) or openai (any OpenAI-compatible API).",
      0},
     K_CHOICE, 0, 0},
    {{"llm.base_url", "", "a URL such as http://127.0.0.1:11434/v1 (empty: OpenAI's)",
      "Where the OpenAI-compatible API is (OpenAI, Ollama, llama.cpp, vLLM, ...).", 0},
     K_TEXT, 0, 0},
    {{"llm.model", "", "a model name such as gpt-4o-mini or llama3.1",
      "The model the openai provider asks.", 0},
     K_TEXT, 0, 0},
    {{"llm.timeout", "60s", "a duration such as 30s or 2m",
      "How long one model request may take (then retried, then the run fails).", 0},
     K_DURATION, 0, 0},
    {{"agent.send_rows", "20", "a whole number from 0 to 1000, or none",
      "Rows of a result the model sees (none or 0: only columns and counts, no data row).", 0},
     K_ROWS, 0, 1000},
    {{"agent.max_steps", "12", "a whole number from 1 to 100",
      "Model calls one answer may take before the run stops.", 0},
     K_COUNT, 1, 100},
    {{"agent.max_tokens", "200000", "a whole number (0 = no limit)",
      "Tokens (prompt and completion, as the model reports them) one answer may use.", 0},
     K_COUNT, 0, 100000000},
    {{"agent.conversation_ttl", "30d", "a duration such as 7d or 12h (0 = keep forever)",
      "Conversations idle this long are deleted with their work zone.", 0},
     K_DURATION, 0, 0},
    {{"cloud.run_schedules", "on", "on or off",
      "Whether `pluto-duck run` runs the Pluto Cloud workspace's schedules while signed in.", 0},
     K_CHOICE, 0, 0},
    {{"cloud.poll_interval", "30s", "a duration such as 30s or 1m (at least 1s)",
      "How often the schedule runner asks Pluto Cloud what is due (plus up to as much again).", 0},
     K_DURATION, 0, 0},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct setting {
    char *value;
    char *origin;
};

struct pd_config {
    struct setting s[NKEYS];
    char *home;
    char *file;
    char **warnings;
    size_t n_warnings;
};

size_t pd_config_key_count(void)
{
    return NKEYS;
}

const struct pd_config_key *pd_config_key_at(size_t i)
{
    return i < NKEYS ? &keys[i].pub : NULL;
}

static int key_index(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].pub.name, name) == 0)
            return (int)i;
    return -1;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    *out = strtol(s, &end, 10);
    return errno || *end ? -1 : 0;
}

static int size_ok(const char *v)
{
    static const char *const units[] = {"b", "kb", "mb", "gb", "tb", "kib", "mib",
                                        "gib", "tib", "%"};
    char *end;
    double n;

    if (strcmp(v, "auto") == 0)
        return 1;
    if (!isdigit((unsigned char)*v))
        return 0;
    n = strtod(v, &end);
    while (*end == ' ')
        end++;
    if (n <= 0)
        return 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcasecmp(end, units[i]) == 0)
            return strcmp(units[i], "%") != 0 || n <= 100;
    return 0;
}

static int value_ok(const struct keydef *k, const char *v)
{
    long n;
    double secs;
    enum pd_log_level lv;

    switch (k->kind) {
    case K_PATH:
        return *v != '\0';
    case K_COUNT:
    case K_PORT:
        return parse_long(v, &n) == 0 && n >= k->min && n <= k->max;
    case K_SIZE:
        return size_ok(v);
    case K_DURATION:
        return pd_duration_parse(v, &secs) == 0;
    case K_LEVEL:
        return pd_log_level_parse(v, &lv) == 0;
    case K_TEXT:
        return 1;
    case K_CHOICE: { /* one of the words of "a, b or c" */
        size_t len = strlen(v);
        for (const char *w = k->pub.expected; *w; w += strcspn(w, " ,"), w += strspn(w, " ,"))
            if (len && strncmp(w, v, len) == 0 && strcmp(v, "or") != 0 &&
                (w[len] == ' ' || w[len] == ',' || w[len] == '\0'))
                return 1;
        return 0;
    }
    case K_ROWS:
        return strcmp(v, "none") == 0 || (parse_long(v, &n) == 0 && n >= k->min && n <= k->max);
    case K_HOST:
        if (*v == '\0')
            return 0;
        for (const char *p = v; *p; p++)
            if (!isalnum((unsigned char)*p) && !strchr(".-:_[]", *p))
                return 0;
        return 1;
    }
    return 0;
}

int pd_config_check(const char *key, const char *value, struct pd_err *err)
{
    int i = key_index(key);
    if (i < 0)
        return pd_fail(err, PD_ENOTFOUND, "unknown setting '%s' (see: pluto-duck config list)",
                       key);
    if (!value_ok(&keys[i], value))
        return pd_fail(err, PD_EINVAL, "'%s' must be %s, got '%s'", key, keys[i].pub.expected,
                       value);
    return 0;
}

static void set_value(struct pd_config *c, int i, const char *value, char *origin)
{
    free(c->s[i].value);
    free(c->s[i].origin);
    c->s[i].value = xstrdup(value);
    c->s[i].origin = origin;
}

static void warn(struct pd_config *c, char *msg)
{
    c->warnings = xrealloc(c->warnings, (c->n_warnings + 1) * sizeof(char *));
    c->warnings[c->n_warnings++] = msg;
}

/* 1 when name is the section part of some key ("log" of "log.level"). */
static int is_section(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < NKEYS; i++)
        if (strncmp(keys[i].pub.name, name, n) == 0 && keys[i].pub.name[n] == '.')
            return 1;
    return 0;
}

struct file_layer {
    struct pd_config *c;
    const char *path;
    int is_project; /* .plutoduck: may set home */
};

static int apply_leaf(void *ctx, const char *key, const char *value, int line, struct pd_err *err)
{
    struct file_layer *fl = ctx;
    int i = key_index(key);

    /* An empty value leaves the setting alone; an empty section too ("log:" with all keys commented). */
    if (value && *value == '\0' && (i >= 0 || is_section(key)))
        return 0;
    if (i < 0) {
        warn(fl->c, xasprintf("%s:%d: unknown setting '%s' ignored (see: pluto-duck config list)",
                              fl->path, line, key));
        return 0;
    }
    if (value == NULL)
        return pd_fail(err, PD_ECONFIG, "%s:%d: '%s' must be %s, not a list or mapping",
                       fl->path, line, key, keys[i].pub.expected);
    if (!value_ok(&keys[i], value))
        return pd_fail(err, PD_ECONFIG, "%s:%d: '%s' must be %s, got '%s'", fl->path, line, key,
                       keys[i].pub.expected, value);
    if (i == key_index("home") && !fl->is_project) {
        warn(fl->c, xasprintf("%s:%d: 'home' cannot be set in config.yaml and is ignored "
                              "(use --home, PLUTO_DUCK_HOME or a .plutoduck file)",
                              fl->path, line));
        return 0;
    }
    set_value(fl->c, i, value, xasprintf("%s:%d", fl->path, line));
    return 0;
}

static char *env_name(const char *key)
{
    char *s = xasprintf("PLUTO_DUCK_%s", key);
    for (char *p = s; *p; p++)
        *p = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    return s;
}

static char *absolute(const char *base_dir, const char *p)
{
    char *expanded = pd_path_expand_user(p);
    char *joined = pd_path_join(base_dir, expanded);
    free(expanded);
    return joined;
}

int pd_config_load(struct pd_config **out, const struct pd_config_load_opts *opts,
                   struct pd_err *err)
{
    struct pd_config *c = xcalloc(1, sizeof(*c));
    char cwd[4096];
    char *project = NULL, *project_dir = NULL;
    const int home_i = key_index("home");
    int rc = 0;

    if (opts && opts->cwd)
        snprintf(cwd, sizeof(cwd), "%s", opts->cwd);
    else if (getcwd(cwd, sizeof(cwd)) == NULL)
        snprintf(cwd, sizeof(cwd), ".");

    for (size_t i = 0; i < NKEYS; i++)
        set_value(c, (int)i, keys[i].pub.def, xstrdup("default"));

    /* The project file is read first for its home; its other keys apply above config.yaml. */
    project = pd_path_find_upward(cwd, ".plutoduck");
    struct pd_config project_layer = {0};
    if (project) {
        struct file_layer fl = {&project_layer, project, 1};
        for (size_t i = 0; i < NKEYS; i++)
            project_layer.s[i].value = NULL;
        project_dir = pd_path_dirname(project);
        rc = pd_yaml_walk_file(project, project, apply_leaf, &fl, err);
        for (size_t i = 0; i < project_layer.n_warnings; i++)
            warn(c, project_layer.warnings[i]);
        free(project_layer.warnings);
        project_layer.warnings = NULL;
        if (rc)
            goto done;
    }

    /* Resolve home: flag > env > project > default. */
    {
        const char *env = getenv("PLUTO_DUCK_HOME");
        const char *flag = NULL, *flag_name = NULL;
        for (size_t i = 0; opts && i < opts->n_overrides; i++)
            if (strcmp(opts->overrides[i].key, "home") == 0)
                flag = opts->overrides[i].value, flag_name = opts->overrides[i].flag;
        if (flag) {
            c->home = absolute(cwd, flag);
            set_value(c, home_i, flag, xasprintf("flag %s", flag_name ? flag_name : "--home"));
        } else if (env && *env) {
            c->home = absolute(cwd, env);
            set_value(c, home_i, env, xstrdup("env PLUTO_DUCK_HOME"));
        } else if (project_layer.s[home_i].value) {
            c->home = absolute(project_dir, project_layer.s[home_i].value);
            set_value(c, home_i, project_layer.s[home_i].value,
                      xstrdup(project_layer.s[home_i].origin));
        } else {
            c->home = absolute(cwd, keys[home_i].pub.def);
        }
    }
    c->file = pd_path_join(c->home, "config.yaml");

    if (pd_path_exists(c->file)) {
        struct file_layer fl = {c, c->file, 0};
        rc = pd_yaml_walk_file(c->file, c->file, apply_leaf, &fl, err);
        if (rc)
            goto done;
    }
    for (size_t i = 0; i < NKEYS; i++) {
        if ((int)i != home_i && project_layer.s[i].value) {
            set_value(c, (int)i, project_layer.s[i].value, project_layer.s[i].origin);
            project_layer.s[i].origin = NULL;
        }
    }
    for (size_t i = 0; i < NKEYS; i++) {
        if ((int)i == home_i)
            continue;
        char *name = env_name(keys[i].pub.name);
        const char *v = getenv(name);
        if (v && *v) {
            if (!value_ok(&keys[i], v)) {
                rc = pd_fail(err, PD_ECONFIG, "%s: '%s' must be %s, got '%s'", name,
                             keys[i].pub.name, keys[i].pub.expected, v);
                free(name);
                goto done;
            }
            set_value(c, (int)i, v, xasprintf("env %s", name));
        }
        free(name);
    }
    for (size_t j = 0; opts && j < opts->n_overrides; j++) {
        const struct pd_config_override *o = &opts->overrides[j];
        int i = key_index(o->key);
        if (i == home_i)
            continue;
        if (i < 0) {
            rc = pd_fail(err, PD_EUSAGE, "unknown setting '%s' (see: pluto-duck config list)",
                         o->key);
            goto done;
        }
        if (!value_ok(&keys[i], o->value)) {
            rc = pd_fail(err, PD_EUSAGE, "%s: '%s' must be %s, got '%s'",
                         o->flag ? o->flag : "--set", o->key, keys[i].pub.expected, o->value);
            goto done;
        }
        set_value(c, i, o->value, xasprintf("flag %s", o->flag ? o->flag : "--set"));
    }

done:
    for (size_t i = 0; i < NKEYS; i++) {
        free(project_layer.s[i].value);
        free(project_layer.s[i].origin);
    }
    free(project);
    free(project_dir);
    if (rc && !(opts && opts->keep_on_error && c->home)) {
        pd_config_free(c);
        *out = NULL;
        return rc;
    }
    if (c->file == NULL)
        c->file = pd_path_join(c->home, "config.yaml");
    *out = c;
    return rc;
}

void pd_config_free(struct pd_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < NKEYS; i++) {
        free(c->s[i].value);
        free(c->s[i].origin);
    }
    for (size_t i = 0; i < c->n_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    free(c->home);
    free(c->file);
    free(c);
}

const char *pd_config_home(const struct pd_config *c)
{
    return c->home;
}

const char *pd_config_file(const struct pd_config *c)
{
    return c->file;
}

const char *pd_config_get(const struct pd_config *c, const char *key)
{
    int i = key_index(key);
    return i < 0 ? NULL : c->s[i].value;
}

const char *pd_config_origin(const struct pd_config *c, const char *key)
{
    int i = key_index(key);
    return i < 0 ? NULL : c->s[i].origin;
}

long pd_config_int(const struct pd_config *c, const char *key)
{
    long n;
    const char *v = pd_config_get(c, key);
    if (v == NULL || parse_long(v, &n) != 0)
        PD_BUG("pd_config_int on an unknown or non-integer key");
    return n;
}

double pd_config_seconds(const struct pd_config *c, const char *key)
{
    double s;
    const char *v = pd_config_get(c, key);
    if (v == NULL || pd_duration_parse(v, &s) != 0)
        PD_BUG("pd_config_seconds on an unknown or non-duration key");
    return s;
}

size_t pd_config_warning_count(const struct pd_config *c)
{
    return c->n_warnings;
}

const char *pd_config_warning(const struct pd_config *c, size_t i)
{
    return i < c->n_warnings ? c->warnings[i] : NULL;
}

/* ---- writing config.yaml ---- */

int pd_config_write_default(const char *path, struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT;
    const char *section = "";
    int rc;

    if (pd_path_exists(path))
        return 0;
    pd_buf_adds(&b, "# Pluto Duck settings.\n"
                    "#\n"
                    "# Precedence, highest first: command-line flags, PLUTO_DUCK_<KEY> environment\n"
                    "# variables (PLUTO_DUCK_LOG_LEVEL=debug), a project's .plutoduck file, this\n"
                    "# file, built-in defaults. Every line below shows a default: uncomment it to\n"
                    "# change it, or run `pluto-duck config set KEY VALUE`.\n"
                    "# The data home itself is chosen with --home, PLUTO_DUCK_HOME or .plutoduck.\n");
    for (size_t i = 0; i < NKEYS; i++) {
        const char *name = keys[i].pub.name, *dot = strchr(name, '.');
        if (dot == NULL)
            continue;
        if (strncmp(section, name, (size_t)(dot - name) + 1) != 0)
            pd_buf_addf(&b, "\n%.*s:\n", (int)(dot - name), name);
        pd_buf_addf(&b, "  # %s\n  # %s: ", keys[i].pub.help, dot + 1);
        pd_yaml_quote(&b, keys[i].pub.def);
        pd_buf_addc(&b, '\n');
        section = name;
    }
    rc = pd_write_file_atomic(path, b.ptr, b.len, err);
    pd_buf_release(&b);
    return rc;
}

/* Does line (len bytes) hold "key:" after optional indentation and an optional "# "? */
static int line_names_key(const char *line, size_t len, const char *key, int commented,
                          size_t *indent)
{
    size_t i = 0, klen = strlen(key);
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    *indent = i;
    if (commented) {
        if (i >= len || line[i] != '#')
            return 0;
        i++;
        while (i < len && line[i] == ' ')
            i++;
    }
    if (len - i < klen + 1 || strncmp(line + i, key, klen) != 0)
        return 0;
    i += klen;
    while (i < len && line[i] == ' ')
        i++;
    return i < len && line[i] == ':' && (i + 1 == len || line[i + 1] == ' ');
}

struct line {
    const char *p;
    size_t len;
};

static size_t split_lines(const char *text, struct line **out)
{
    size_t n = 0, cap = 16;
    struct line *v = xmalloc(cap * sizeof(*v));
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (n == cap)
            v = xrealloc(v, (cap *= 2) * sizeof(*v));
        v[n].p = p;
        v[n++].len = len;
        p += len + (nl ? 1 : 0);
    }
    *out = v;
    return n;
}

/* Rewrite text so that key (top-level "k" or "section.k") has value. */
static void edit_yaml(const char *text, const char *key, const char *value, struct pd_buf *out)
{
    struct line *lines;
    size_t n = split_lines(text, &lines), indent;
    const char *dot = strchr(key, '.');
    const char *leaf = dot ? dot + 1 : key;
    char *section = dot ? xstrndup(key, (size_t)(dot - key)) : NULL;
    size_t from = 0, to = n, hit = (size_t)-1, insert_after = (size_t)-1;
    struct pd_buf newline = PD_BUF_INIT;

    if (section) {
        size_t s;
        for (s = 0; s < n; s++)
            if (line_names_key(lines[s].p, lines[s].len, section, 0, &indent) && indent == 0)
                break;
        if (s < n) {
            from = s + 1;
            for (to = from; to < n; to++) {
                const char *l = lines[to].p;
                if (lines[to].len && l[0] != ' ' && l[0] != '\t' && l[0] != '#')
                    break;
            }
            insert_after = s;
        } else {
            from = to = n;
        }
    }
    for (int commented = 0; commented < 2 && hit == (size_t)-1; commented++)
        for (size_t i = from; i < to; i++)
            if (line_names_key(lines[i].p, lines[i].len, leaf, commented, &indent) &&
                (section ? indent > 0 : indent == 0)) {
                hit = i;
                break;
            }

    pd_buf_addf(&newline, "%s%s: ", section ? "  " : "", leaf);
    pd_yaml_quote(&newline, value);
    for (size_t i = 0; i < n; i++) {
        if (i == hit) {
            pd_buf_add(out, newline.ptr, newline.len);
        } else {
            pd_buf_add(out, lines[i].p, lines[i].len);
        }
        pd_buf_addc(out, '\n');
        if (hit == (size_t)-1 && i == insert_after)
            pd_buf_addf(out, "%s\n", newline.ptr);
    }
    if (hit == (size_t)-1 && insert_after == (size_t)-1) {
        if (out->len && out->ptr[out->len - 1] != '\n')
            pd_buf_addc(out, '\n');
        if (section)
            pd_buf_addf(out, "\n%s:\n", section);
        pd_buf_addf(out, "%s\n", newline.ptr);
    }
    pd_buf_release(&newline);
    free(section);
    free(lines);
}

struct readback {
    const char *key;
    char *value;
};

static int readback_leaf(void *ctx, const char *key, const char *value, int line,
                         struct pd_err *err)
{
    struct readback *rb = ctx;
    (void)line;
    (void)err;
    if (strcmp(key, rb->key) == 0 && value) {
        free(rb->value);
        rb->value = xstrdup(value);
    }
    return 0;
}

int pd_config_set(const struct pd_config *c, const char *key, const char *value,
                  struct pd_err *err)
{
    struct pd_buf old = PD_BUF_INIT, text = PD_BUF_INIT;
    struct readback rb = {key, NULL};
    struct pd_err perr = PD_ERR_INIT;
    int rc;

    if ((rc = pd_config_check(key, value, err)) != 0)
        return rc;
    if (strcmp(key, "home") == 0)
        return pd_fail(err, PD_EINVAL,
                       "'home' cannot be set in config.yaml (use --home, PLUTO_DUCK_HOME or a "
                       ".plutoduck file)");
    if (!pd_path_exists(c->home))
        return pd_fail(err, PD_ENOHOME, "no data home at '%s' (run: pluto-duck init)", c->home);
    if (pd_path_exists(c->file) && pd_buf_read_file(&old, c->file) != 0) {
        pd_buf_release(&old);
        return pd_fail(err, PD_EIO, "cannot read '%s': %s", c->file, strerror(errno));
    }
    edit_yaml(old.ptr, key, value, &text);
    if (pd_yaml_walk_string(text.ptr, c->file, readback_leaf, &rb, &perr) != 0 ||
        rb.value == NULL || strcmp(rb.value, value) != 0) {
        rc = pd_fail(err, PD_ECONFIG,
                     "cannot update '%s' in '%s' automatically (its layout is unusual): "
                     "edit the file by hand",
                     key, c->file);
    } else {
        rc = pd_write_file_atomic(c->file, text.ptr, text.len, err);
    }
    free(rb.value);
    pd_buf_release(&old);
    pd_buf_release(&text);
    return rc;
}
