/*
 * project.c - analysis files: reading, validating and writing <id>.yaml.
 *
 * A file is a YAML mapping with fixed keys. Saving writes the keys in one order
 * and SQL as a literal block, so an unchanged analysis produces the same bytes
 * and a diff shows only what changed. Files are written aside and renamed.
 */
#include "duckpipe/duckpipe.h"
#include "duckpipe/dbt.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/hmap.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "base/yaml.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const materialize_names[] = {"view", "table", "append", "incremental",
                                                "parquet", "ephemeral"};
static const char *const ptype_names[] = {"string", "int", "float", "bool", "date", "timestamp",
                                          "list"};

const char *dp_materialize_name(enum dp_materialize m)
{
    return materialize_names[m];
}

int dp_materialize_parse(const char *s, enum dp_materialize *m)
{
    for (size_t i = 0; i < sizeof(materialize_names) / sizeof(materialize_names[0]); i++)
        if (strcasecmp(s, materialize_names[i]) == 0) {
            *m = (enum dp_materialize)i;
            return 0;
        }
    return PD_EINVAL;
}

const char *dp_ptype_name(enum dp_ptype t)
{
    return ptype_names[t];
}

int dp_ptype_parse(const char *s, enum dp_ptype *t)
{
    static const struct {
        const char *alias;
        enum dp_ptype t;
    } aliases[] = {{"str", DP_P_STRING}, {"text", DP_P_STRING}, {"integer", DP_P_INT},
                   {"number", DP_P_FLOAT}, {"double", DP_P_FLOAT}, {"boolean", DP_P_BOOL}};
    for (size_t i = 0; i < sizeof(ptype_names) / sizeof(ptype_names[0]); i++)
        if (strcasecmp(s, ptype_names[i]) == 0) {
            *t = (enum dp_ptype)i;
            return 0;
        }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcasecmp(s, aliases[i].alias) == 0) {
            *t = aliases[i].t;
            return 0;
        }
    return PD_EINVAL;
}

int dp_id_check(const char *what, const char *id, struct pd_err *err)
{
    if (!id || !*id)
        return pd_fail(err, PD_EINVAL, "%s id is empty: use a letter or '_' then letters, digits or '_'",
                       what);
    return pd_name_check(what, id, err);
}

void dp_param_free(struct dp_param *p)
{
    free(p->name);
    free(p->def);
    free(p->description);
    memset(p, 0, sizeof(*p));
}

void dp_analysis_free(struct dp_analysis *a)
{
    if (!a)
        return;
    free(a->id);
    free(a->name);
    free(a->description);
    free(a->sql);
    free(a->sql_file);
    free(a->unique_key);
    free(a->path);
    free(a->freshness);
    for (size_t i = 0; i < a->nparams; i++)
        dp_param_free(&a->params[i]);
    free(a->params);
    pd_strv_clear(&a->tags);
    pd_strv_clear(&a->depends_on);
    free(a->created_at);
    free(a->updated_at);
    free(a->file);
    free(a->schema);
    free(a);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

struct dp_analysis *dp_analysis_dup(const struct dp_analysis *old)
{
    struct dp_analysis *a = xcalloc(1, sizeof(*a));
    *a = *old;
    a->id = dup_or_null(old->id);
    a->name = dup_or_null(old->name);
    a->description = dup_or_null(old->description);
    a->sql = dup_or_null(old->sql);
    a->sql_file = dup_or_null(old->sql_file);
    a->unique_key = dup_or_null(old->unique_key);
    a->path = dup_or_null(old->path);
    a->freshness = dup_or_null(old->freshness);
    a->created_at = dup_or_null(old->created_at);
    a->updated_at = dup_or_null(old->updated_at);
    a->file = dup_or_null(old->file);
    a->schema = dup_or_null(old->schema);
    a->params = xcalloc(old->nparams + 1, sizeof(*a->params));
    for (size_t i = 0; i < old->nparams; i++) {
        a->params[i] = old->params[i];
        a->params[i].name = dup_or_null(old->params[i].name);
        a->params[i].def = dup_or_null(old->params[i].def);
        a->params[i].description = dup_or_null(old->params[i].description);
    }
    memset(&a->tags, 0, sizeof(a->tags));
    memset(&a->depends_on, 0, sizeof(a->depends_on));
    for (size_t i = 0; i < old->tags.n; i++)
        pd_strv_push(&a->tags, old->tags.v[i]);
    for (size_t i = 0; i < old->depends_on.n; i++)
        pd_strv_push(&a->depends_on, old->depends_on.v[i]);
    return a;
}

int dp_param_parse_spec(const char *spec, struct dp_param *out, struct pd_err *err)
{
    const char *colon = strchr(spec, ':'), *eq = strchr(spec, '=');
    size_t name_len = colon && (!eq || colon < eq) ? (size_t)(colon - spec)
                      : eq                         ? (size_t)(eq - spec)
                                                   : strlen(spec);
    memset(out, 0, sizeof(*out));
    out->name = xstrndup(spec, name_len);
    if (dp_id_check("parameter", out->name, err) != 0) {
        dp_param_free(out);
        return PD_EINVAL;
    }
    out->type = DP_P_STRING;
    if (colon && (!eq || colon < eq)) {
        char *type = xstrndup(colon + 1, eq ? (size_t)(eq - colon - 1) : strlen(colon + 1));
        int bad = dp_ptype_parse(type, &out->type);
        if (bad)
            pd_fail(err, PD_EINVAL,
                    "parameter %s: unknown type '%s' (use string, int, float, bool, date, "
                    "timestamp or list)",
                    out->name, type);
        free(type);
        if (bad) {
            dp_param_free(out);
            return PD_EINVAL;
        }
    }
    if (eq)
        out->def = xstrdup(eq + 1);
    else
        out->required = 1;
    return 0;
}

/* ---------- reading ---------- */

static char *json_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    return NULL;
}

static int strv_from_json(json_t *v, struct pd_strv *out, const char *file, const char *key,
                          struct pd_err *err)
{
    size_t i;
    json_t *item;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        pd_strv_push(out, json_string_value(v));
        return 0;
    }
    if (!json_is_array(v))
        return pd_fail(err, PD_ECONFIG, "%s: '%s' must be a list", file, key);
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item))
            return pd_fail(err, PD_ECONFIG, "%s: '%s' must be a list of names", file, key);
        pd_strv_push(out, json_string_value(item));
    }
    return 0;
}

static int truthy_text(const char *s)
{
    return s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"));
}

static int params_from_json(struct dp_analysis *a, json_t *obj, struct pd_err *err)
{
    const char *name;
    json_t *spec;
    if (!obj || json_is_null(obj))
        return 0;
    if (!json_is_object(obj))
        return pd_fail(err, PD_ECONFIG, "%s: 'parameters' must be a mapping of name: {type, default}",
                       a->file);
    a->params = xcalloc(json_object_size(obj) + 1, sizeof(*a->params));
    json_object_foreach(obj, name, spec)
    {
        struct dp_param *p = &a->params[a->nparams++];
        p->name = xstrdup(name);
        if (dp_id_check("parameter", name, err) != 0)
            return pd_fail(err, PD_ECONFIG, "%s: bad parameter name", a->file);
        if (json_is_string(spec)) { /* shorthand: name: type */
            if (dp_ptype_parse(json_string_value(spec), &p->type) != 0)
                return pd_fail(err, PD_ECONFIG, "%s: parameter %s: unknown type '%s'", a->file,
                               name, json_string_value(spec));
            p->required = 1;
            continue;
        }
        if (!json_is_object(spec) && !json_is_null(spec))
            return pd_fail(err, PD_ECONFIG, "%s: parameter %s must be a mapping", a->file, name);
        const char *key;
        json_t *v;
        json_object_foreach(spec, key, v)
        {
            if (!strcmp(key, "type")) {
                if (!json_is_string(v) || dp_ptype_parse(json_string_value(v), &p->type) != 0)
                    return pd_fail(err, PD_ECONFIG,
                                   "%s: parameter %s: unknown type (use string, int, float, bool, "
                                   "date, timestamp or list)",
                                   a->file, name);
            } else if (!strcmp(key, "default")) {
                if (json_is_array(v))
                    p->def = pd_json_dumps_exact(v, JSON_COMPACT);
                else if (json_is_string(v))
                    p->def = xstrdup(json_string_value(v));
            } else if (!strcmp(key, "required")) {
                p->required = truthy_text(json_string_value(v));
            } else if (!strcmp(key, "description")) {
                p->description = json_text(v);
            } else {
                return pd_fail(err, PD_ECONFIG,
                               "%s: parameter %s: unknown key '%s' (type, default, required, "
                               "description)",
                               a->file, name, key);
            }
        }
        if (!p->def && !json_object_get(spec, "required"))
            p->required = 1;
    }
    return 0;
}

/* 1-based line of the "sql:" key in text (for messages), 1 when not found. */
static int sql_line_of(const char *text)
{
    int line = 1;
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == '\n') && strncmp(p, "sql:", 4) == 0)
            return line + (strncmp(p + 4, " |", 2) == 0 || strncmp(p + 4, " >", 2) == 0);
        line += *p == '\n';
    }
    return 1;
}

static int analysis_from_file(const char *dir, const char *fname, struct dp_analysis **out,
                              struct pd_err *err)
{
    static const char *const known[] = {"id", "name", "description", "sql", "sql_file",
                                        "materialize", "materialized", "parameters", "params",
                                        "tags", "depends_on", "freshness", "unique_key", "path",
                                        "created_at", "updated_at"};
    char *path = pd_path_join(dir, fname);
    struct pd_buf text = PD_BUF_INIT;
    json_t *doc;
    struct dp_analysis *a;
    const char *key;
    json_t *v;
    int rc = 0;

    if (pd_buf_read_file(&text, path) != 0) {
        rc = pd_fail(err, PD_EIO, "cannot read %s: %s", path, strerror(errno));
        free(path);
        pd_buf_release(&text);
        return rc;
    }
    if ((doc = pd_yaml_load_json_string(text.ptr, path, err)) == NULL) {
        free(path);
        pd_buf_release(&text);
        return err->code;
    }
    a = xcalloc(1, sizeof(*a));
    a->file = path;
    if (!json_is_object(doc)) {
        rc = pd_fail(err, PD_ECONFIG, "%s: expected a mapping with id and sql", path);
        goto out;
    }
    json_object_foreach(doc, key, v)
    {
        int ok = 0;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok) {
            rc = pd_fail(err, PD_ECONFIG,
                         "%s: unknown key '%s' (id, name, description, sql, sql_file, materialize, "
                         "parameters, tags, depends_on, freshness, unique_key, path)",
                         path, key);
            goto out;
        }
    }
    size_t stem = strlen(fname) - strlen(".yaml");
    a->id = json_text(json_object_get(doc, "id"));
    if (!a->id)
        a->id = xstrndup(fname, stem);
    if (dp_id_check("analysis", a->id, err) != 0) {
        pd_err_prefix(err, "%s: ", path);
        rc = err->code;
        goto out;
    }
    if (strlen(a->id) != stem || strncmp(a->id, fname, stem) != 0) {
        rc = pd_fail(err, PD_ECONFIG, "%s: id '%s' does not match the file name (rename it to %s.yaml)",
                     path, a->id, a->id);
        goto out;
    }
    a->name = json_text(json_object_get(doc, "name"));
    a->description = json_text(json_object_get(doc, "description"));
    a->sql = json_text(json_object_get(doc, "sql"));
    a->sql_file = json_text(json_object_get(doc, "sql_file"));
    a->unique_key = json_text(json_object_get(doc, "unique_key"));
    a->path = json_text(json_object_get(doc, "path"));
    a->freshness = json_text(json_object_get(doc, "freshness"));
    a->created_at = json_text(json_object_get(doc, "created_at"));
    a->updated_at = json_text(json_object_get(doc, "updated_at"));
    if (a->sql_file) {
        char *sql_path = a->sql_file[0] == '/' ? xstrdup(a->sql_file) : pd_path_join(dir, a->sql_file);
        struct pd_buf b = PD_BUF_INIT;
        if (a->sql) {
            rc = pd_fail(err, PD_ECONFIG, "%s: give either sql or sql_file, not both", path);
        } else if (pd_buf_read_file(&b, sql_path) != 0) {
            rc = pd_fail(err, PD_ECONFIG, "%s: sql_file %s cannot be read: %s", path, a->sql_file,
                         strerror(errno));
        } else {
            a->sql = pd_buf_detach(&b, NULL);
            free(a->file);
            a->file = sql_path;
            sql_path = NULL;
            a->sql_line = 1;
        }
        pd_buf_release(&b);
        free(sql_path);
        if (rc)
            goto out;
        free(path);
        path = NULL;
    } else {
        a->sql_line = sql_line_of(text.ptr);
    }
    if (!a->sql || !a->sql[strspn(a->sql, " \t\r\n")]) {
        rc = pd_fail(err, PD_ECONFIG, "%s: the analysis has no sql", a->file);
        goto out;
    }
    const char *m = json_string_value(json_object_get(doc, "materialize"));
    if (!m)
        m = json_string_value(json_object_get(doc, "materialized"));
    a->materialize = DP_VIEW;
    if (m && dp_materialize_parse(m, &a->materialize) != 0) {
        rc = pd_fail(err, PD_ECONFIG,
                     "%s: unknown materialize '%s' (view, table, append, incremental, parquet, "
                     "ephemeral)",
                     a->file, m);
        goto out;
    }
    json_t *params = json_object_get(doc, "parameters");
    if (!params)
        params = json_object_get(doc, "params");
    if ((rc = params_from_json(a, params, err)) != 0 ||
        (rc = strv_from_json(json_object_get(doc, "tags"), &a->tags, a->file, "tags", err)) != 0 ||
        (rc = strv_from_json(json_object_get(doc, "depends_on"), &a->depends_on, a->file,
                             "depends_on", err)) != 0)
        goto out;
    if (a->freshness && strcmp(a->freshness, "assume_fresh") != 0 &&
        strcmp(a->freshness, "default") != 0) {
        rc = pd_fail(err, PD_ECONFIG, "%s: freshness must be assume_fresh or default", a->file);
        goto out;
    }
out:
    if (path && a->file != path)
        free(path);
    json_decref(doc);
    pd_buf_release(&text);
    if (rc) {
        dp_analysis_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

/*
 * Analyses already read, by path, with the file's size, mtime and inode: a
 * project whose files have not changed is loaded without parsing YAML again
 * (a server compiles the same project over and over). A file changed in the
 * last two seconds is not kept: a write in the same clock tick as the read
 * would look unchanged. Files with sql_file depend on a second file: not kept.
 */
struct cached_file {
    struct stat st;
    struct dp_analysis *a;
};

#define FILE_CACHE_MAX 200000

static pthread_mutex_t file_cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pd_hmap file_cache;

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_size == b->st_size && a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void cached_file_free(void *p)
{
    struct cached_file *c = p;
    dp_analysis_free(c->a);
    free(c);
}

static int load_analysis(const char *dir, const char *fname, struct dp_analysis **out,
                         struct pd_err *err)
{
    char *path = pd_path_join(dir, fname);
    struct stat st;
    struct cached_file *c;
    int rc, known = stat(path, &st) == 0;

    pthread_mutex_lock(&file_cache_mu);
    c = known ? pd_hmap_get(&file_cache, path) : NULL;
    *out = c && same_file(&c->st, &st) ? dp_analysis_dup(c->a) : NULL;
    pthread_mutex_unlock(&file_cache_mu);
    if (*out) {
        free(path);
        return 0;
    }
    rc = analysis_from_file(dir, fname, out, err);
    if (rc == 0 && known && !(*out)->sql_file && st.st_mtim.tv_sec < time(NULL) - 2) {
        pthread_mutex_lock(&file_cache_mu);
        if (file_cache.len >= FILE_CACHE_MAX)
            pd_hmap_clear_free(&file_cache, cached_file_free);
        if ((c = pd_hmap_get(&file_cache, path)) != NULL)
            cached_file_free(c);
        c = xcalloc(1, sizeof(*c));
        c->st = st;
        c->a = dp_analysis_dup(*out);
        pd_hmap_put(&file_cache, path, c);
        pthread_mutex_unlock(&file_cache_mu);
    }
    free(path);
    return rc;
}

struct dp_analysis *dp_project_find(const struct dp_project *p, const char *id)
{
    return pd_hmap_get(p->index, id);
}

int dp_project_put(struct dp_project *p, struct dp_analysis *a, int replace, struct pd_err *err)
{
    struct dp_analysis *old = dp_project_find(p, a->id);
    if (old && !replace) {
        int rc = pd_fail(err, PD_EEXIST, "analysis '%s' is defined twice: %s and %s", a->id,
                         old->file ? old->file : "(new)", a->file ? a->file : "(new)");
        return rc;
    }
    if (old) {
        for (size_t i = 0; i < p->n; i++)
            if (p->items[i] == old)
                p->items[i] = a;
        dp_analysis_free(old);
    } else {
        p->items = xrealloc(p->items, (p->n + 1) * sizeof(*p->items));
        p->items[p->n++] = a;
    }
    pd_hmap_put(p->index, a->id, a);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int dp_project_load(const char *name, const char *dir, struct dp_project **out,
                    struct pd_err *err)
{
    struct dp_project *p = xcalloc(1, sizeof(*p));
    struct pd_strv files = {0};
    DIR *d;
    int rc = 0;

    p->name = xstrdup(name);
    p->dir = xstrdup(dir);
    /* Each project materializes into its own schema, so equal ids never collide. */
    p->schema = strcmp(name, "default") == 0 ? xstrdup("analysis") : xasprintf("analysis_%s", name);
    p->index = xcalloc(1, sizeof(struct pd_hmap));
    if ((d = opendir(dir)) != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0 && e->d_name[0] != '.')
                pd_strv_push(&files, e->d_name);
        }
        closedir(d);
    } else if (errno != ENOENT) {
        rc = pd_fail(err, PD_EIO, "cannot read %s: %s", dir, strerror(errno));
    }
    if (files.n)
        qsort(files.v, files.n, sizeof(char *), by_name);
    for (size_t i = 0; i < files.n && rc == 0; i++) {
        struct dp_analysis *a = NULL;
        if ((rc = load_analysis(dir, files.v[i], &a, err)) == 0 &&
            (rc = dp_project_put(p, a, 0, err)) != 0)
            dp_analysis_free(a);
    }
    pd_strv_clear(&files);
    if (rc) {
        dp_project_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void dp_project_free(struct dp_project *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        dp_analysis_free(p->items[i]);
    free(p->items);
    if (p->index) {
        pd_hmap_clear(p->index);
        free(p->index);
    }
    if (p->sources) {
        pd_hmap_clear_free(p->sources, free);
        free(p->sources);
    }
    pd_strv_clear(&p->seeds);
    json_decref(p->vars);
    dp_dbt_free(p->dbt);
    free(p->name);
    free(p->dir);
    free(p->schema);
    free(p);
}

/* ---------- writing ---------- */

/* Text that reads back unchanged as a literal block scalar. */
static int block_safe(const char *s)
{
    if (!*s || *s == ' ' || *s == '\n')
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return 0;
    return 1;
}

static void add_scalar(struct pd_buf *b, const char *key, const char *value)
{
    if (!value)
        return;
    pd_buf_addf(b, "%s: ", key);
    pd_yaml_quote(b, value);
    pd_buf_addc(b, '\n');
}

static void add_block(struct pd_buf *b, const char *key, const char *text)
{
    size_t n = strlen(text), trail = 0;
    if (!block_safe(text)) {
        add_scalar(b, key, text);
        return;
    }
    while (trail < n && text[n - 1 - trail] == '\n')
        trail++;
    pd_buf_addf(b, "%s: |%s\n", key, trail == 0 ? "-" : trail == 1 ? "" : "+");
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len)
            pd_buf_adds(b, "  ");
        pd_buf_add(b, p, len);
        pd_buf_addc(b, '\n');
        if (!nl)
            break;
        p = nl + 1;
        if (!*p)
            break;
    }
}

static void add_list(struct pd_buf *b, const char *key, const struct pd_strv *v)
{
    if (!v->n)
        return;
    pd_buf_addf(b, "%s:\n", key);
    for (size_t i = 0; i < v->n; i++) {
        pd_buf_adds(b, "  - ");
        pd_yaml_quote(b, v->v[i]);
        pd_buf_addc(b, '\n');
    }
}

static void render_file(struct pd_buf *b, const struct dp_analysis *a, const char *updated_at)
{
    pd_buf_addf(b, "id: %s\n", a->id);
    add_scalar(b, "name", a->name);
    add_scalar(b, "description", a->description);
    pd_buf_addf(b, "materialize: %s\n", dp_materialize_name(a->materialize));
    add_scalar(b, "unique_key", a->unique_key);
    add_scalar(b, "path", a->path);
    add_scalar(b, "freshness", a->freshness);
    add_list(b, "tags", &a->tags);
    add_list(b, "depends_on", &a->depends_on);
    if (a->nparams) {
        pd_buf_adds(b, "parameters:\n");
        for (size_t i = 0; i < a->nparams; i++) {
            const struct dp_param *p = &a->params[i];
            pd_buf_addf(b, "  %s:\n    type: %s\n", p->name, dp_ptype_name(p->type));
            if (p->def) {
                pd_buf_adds(b, "    default: ");
                if (p->type == DP_P_LIST && p->def[0] == '[')
                    pd_buf_adds(b, p->def);
                else
                    pd_yaml_quote(b, p->def);
                pd_buf_addc(b, '\n');
            }
            pd_buf_addf(b, "    required: %s\n", p->required ? "true" : "false");
            if (p->description) {
                pd_buf_adds(b, "    description: ");
                pd_yaml_quote(b, p->description);
                pd_buf_addc(b, '\n');
            }
        }
    }
    if (a->sql_file)
        add_scalar(b, "sql_file", a->sql_file);
    else
        add_block(b, "sql", a->sql);
    add_scalar(b, "created_at", a->created_at);
    add_scalar(b, "updated_at", updated_at);
}

int dp_analysis_save(const struct dp_project *p, struct dp_analysis *a, int64_t now_ms,
                     struct pd_err *err)
{
    char stamp[40];
    char *fname = xasprintf("%s.yaml", a->id);
    char *path = pd_path_join(p->dir, fname);
    struct pd_buf old = PD_BUF_INIT, next = PD_BUF_INIT;
    int rc;

    free(fname);
    if ((rc = pd_mkdir_p(p->dir, 0755, err)) != 0) {
        free(path);
        return rc;
    }
    pd_time_iso(now_ms, stamp, sizeof(stamp));
    if (!a->created_at)
        a->created_at = xstrdup(stamp);
    if (a->sql_file) { /* the SQL lives beside: write it too */
        char *sql_path = pd_path_join(p->dir, a->sql_file);
        struct pd_buf cur = PD_BUF_INIT;
        if (pd_buf_read_file(&cur, sql_path) != 0 || strcmp(cur.ptr ? cur.ptr : "", a->sql) != 0)
            rc = pd_write_file_atomic(sql_path, a->sql, strlen(a->sql), err);
        pd_buf_release(&cur);
        free(sql_path);
        if (rc) {
            free(path);
            return rc;
        }
    }
    render_file(&next, a, a->updated_at ? a->updated_at : stamp);
    if (!(pd_buf_read_file(&old, path) == 0 && old.len == next.len &&
          memcmp(old.ptr, next.ptr, next.len) == 0)) {
        free(a->updated_at);
        a->updated_at = xstrdup(stamp);
        pd_buf_reset(&next);
        render_file(&next, a, a->updated_at);
    }
    rc = pd_write_file_atomic(path, next.ptr, next.len, err);
    free(a->file);
    a->file = path;
    pd_buf_release(&old);
    pd_buf_release(&next);
    return rc;
}

int dp_analysis_remove(const struct dp_project *p, const struct dp_analysis *a,
                       struct pd_err *err)
{
    char *fname = xasprintf("%s.yaml", a->id);
    char *path = pd_path_join(p->dir, fname);
    int rc = 0;
    if (unlink(path) != 0 && errno != ENOENT)
        rc = pd_fail(err, PD_EIO, "cannot remove %s: %s", path, strerror(errno));
    if (rc == 0 && a->sql_file) {
        char *sql_path = pd_path_join(p->dir, a->sql_file);
        unlink(sql_path);
        free(sql_path);
    }
    free(fname);
    free(path);
    return rc;
}
