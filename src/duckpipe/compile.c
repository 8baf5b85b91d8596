/*
 * compile.c - from a project to a plan.
 *
 * For each analysis: render its templates (ref, source, param, config, var,
 * this, is_incremental), inline the ephemeral analyses it uses as CTEs, turn
 * :params into placeholders, and parse the result with DuckDB to find what it
 * reads. Every reference must resolve: to another analysis, a seed, a table or
 * view in the warehouse, or a file. Then order the DAG (a cycle is an error that
 * prints its path), apply the selectors and decide for each selected step
 * whether it must run and why, from _duckpipe.run_state.
 */
#include "duckpipe/internal.h"
#include "duckpipe/jinja.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/hmap.h"

#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const reason_texts[] = {
    "never run", "SQL or parameters changed", "upstream rebuilt", "source refreshed",
    "live source", "forced", "last run failed", "fresh", "ephemeral (inlined into dependents)",
    "upstream failed", "upstream stale"};

const char *dp_reason_text(enum dp_reason r)
{
    return reason_texts[r];
}

static const char *const rel_kind_names[] = {"analysis", "source", "cache", "ingested",
                                             "seed", "table", "file"};

const char *dp_rel_kind_name(enum dp_rel_kind k)
{
    return rel_kind_names[k];
}

/* Per-step work while compiling. */
struct work {
    char *body, *body_inc;   /* rendered, trimmed; :params still in */
    struct pd_strv ephs;     /* ephemeral ids referenced with ref() */
    struct dp_refs refs;
    char *parse_error;
    int color;               /* DFS: 0 new, 1 on stack, 2 done */
};

struct compiler {
    struct dp_project *p;
    const struct dp_env *env;
    const struct dp_compile_opts *o;
    struct pd_hmap catalog; /* "schema.table" (lower case) of the warehouse */
    struct pd_hmap positions; /* analysis id -> its index in the project + 1 */
    char *database;         /* the warehouse's catalog name */
    struct dp_step *steps;  /* project order */
    struct work *w;
    /* rendering */
    size_t cur;
    int incremental_pass;
    int collect_config;
};

static size_t index_of(const struct compiler *c, const char *id)
{
    uintptr_t at = (uintptr_t)pd_hmap_get(&c->positions, id);
    return at ? (size_t)at - 1 : (size_t)-1;
}

static void ident_pair(struct pd_buf *b, const char *schema, const char *table)
{
    pd_sql_ident(b, schema);
    pd_buf_addc(b, '.');
    pd_sql_ident(b, table);
}

static struct dp_val val_of_buf(struct pd_buf *b)
{
    struct dp_val v = dp_val_str(b->ptr ? b->ptr : "");
    pd_buf_release(b);
    return v;
}

static const char *schema_of(const struct compiler *c, const struct dp_analysis *a)
{
    return a->schema ? a->schema : c->p->schema;
}

static int arg_str(const char *fn, const struct dp_val *args, size_t nargs, size_t i,
                   const char **out, struct pd_err *err)
{
    if (i >= nargs || args[i].kind != DP_STR)
        return pd_fail(err, PD_EINVAL, "%s() needs a string as argument %zu", fn, i + 1);
    *out = args[i].s;
    return 0;
}

static int host_ref(struct compiler *c, const struct dp_val *args, size_t nargs,
                    struct dp_val *out, struct pd_err *err)
{
    const char *name = NULL;
    struct pd_buf b = PD_BUF_INIT;
    int rc = arg_str("ref", args, nargs, nargs ? nargs - 1 : 0, &name, err);
    if (rc)
        return rc;
    if (strncmp(name, "source:", 7) == 0) {
        const char *dot = strchr(name + 7, '.');
        if (!dot || dot == name + 7 || !dot[1])
            return pd_fail(err, PD_EINVAL, "ref('%s'): write ref('source:NAME.table')", name);
        char *src = xstrndup(name + 7, (size_t)(dot - name - 7));
        ident_pair(&b, src, dot + 1);
        free(src);
    } else if (strncmp(name, "file:", 5) == 0) {
        pd_sql_literal(&b, name + 5);
    } else {
        struct dp_analysis *a = dp_project_find(c->p, name);
        if (a && a->materialize == DP_EPHEMERAL) {
            pd_buf_addf(&b, "\"__dp_eph_%s\"", a->id);
            if (!pd_strv_has(&c->w[c->cur].ephs, a->id))
                pd_strv_push(&c->w[c->cur].ephs, a->id);
        } else if (a) {
            ident_pair(&b, schema_of(c, a), a->id);
        } else if (pd_strv_has(&c->p->seeds, name)) {
            ident_pair(&b, c->p->schema, name);
        } else {
            return pd_fail(err, PD_ENOTFOUND,
                           "unknown reference ref('%s'): no analysis%s with that id in project %s",
                           name, c->p->seeds.n ? ", model or seed" : "", c->p->name);
        }
    }
    *out = val_of_buf(&b);
    return 0;
}

static int host_source(struct compiler *c, const struct dp_val *args, size_t nargs,
                       struct dp_val *out, struct pd_err *err)
{
    const char *src = NULL, *table = NULL;
    struct pd_buf b = PD_BUF_INIT;
    int rc;
    if ((rc = arg_str("source", args, nargs, 0, &src, err)) ||
        (rc = arg_str("source", args, nargs, 1, &table, err)))
        return rc;
    if (c->p->sources) {
        char *key = xasprintf("%s.%s", src, table);
        const char *sql = pd_hmap_get(c->p->sources, key);
        free(key);
        if (!sql)
            return pd_fail(err, PD_ENOTFOUND,
                           "unknown source('%s', '%s'): declare it under sources: in a models/*.yml",
                           src, table);
        pd_buf_adds(&b, sql);
    } else {
        ident_pair(&b, src, table);
    }
    *out = val_of_buf(&b);
    return 0;
}

static int host_config(struct compiler *c, const struct dp_kwarg *kw, size_t nkw,
                       struct pd_err *err)
{
    struct dp_analysis *a = c->p->items[c->cur];
    if (!c->collect_config)
        return 0;
    for (size_t i = 0; i < nkw; i++) {
        const struct dp_val *v = &kw[i].val;
        if (!strcmp(kw[i].name, "materialized") || !strcmp(kw[i].name, "materialize")) {
            if (v->kind != DP_STR || dp_materialize_parse(v->s, &a->materialize) != 0)
                return pd_fail(err, PD_EINVAL,
                               "config(materialized=...): use view, table, incremental, append, "
                               "parquet or ephemeral");
        } else if (!strcmp(kw[i].name, "unique_key")) {
            struct pd_buf b = PD_BUF_INIT;
            if (v->kind == DP_LIST)
                for (size_t k = 0; k < v->len; k++) {
                    if (k)
                        pd_buf_addc(&b, ',');
                    dp_val_print(&b, &v->items[k]);
                }
            else
                dp_val_print(&b, v);
            free(a->unique_key);
            a->unique_key = pd_buf_detach(&b, NULL);
        } else if (!strcmp(kw[i].name, "tags")) {
            if (v->kind == DP_STR && !pd_strv_has(&a->tags, v->s))
                pd_strv_push(&a->tags, v->s);
            for (size_t k = 0; v->kind == DP_LIST && k < v->len; k++)
                if (v->items[k].kind == DP_STR && !pd_strv_has(&a->tags, v->items[k].s))
                    pd_strv_push(&a->tags, v->items[k].s);
        } else if (!strcmp(kw[i].name, "path") || !strcmp(kw[i].name, "location")) {
            if (v->kind == DP_STR) {
                free(a->path);
                a->path = xstrdup(v->s);
            }
        }
        /* other dbt settings (alias, schema, docs ...) do not change what runs here */
    }
    return 0;
}

static int host_call(void *arg, const char *name, const struct dp_val *args, size_t nargs,
                     const struct dp_kwarg *kw, size_t nkw, struct dp_val *out,
                     struct pd_err *err)
{
    struct compiler *c = arg;
    struct dp_analysis *a = c->p->items[c->cur];

    if (!strcmp(name, "ref"))
        return host_ref(c, args, nargs, out, err);
    if (!strcmp(name, "source"))
        return host_source(c, args, nargs, out, err);
    if (!strcmp(name, "param")) {
        const char *p = NULL;
        int rc = arg_str("param", args, nargs, 0, &p, err);
        if (rc)
            return rc;
        if (a->is_dbt)
            return pd_fail(err, PD_EINVAL, "param() is for analyses; dbt models use var()");
        char *s = xasprintf(":%s", p);
        *out = dp_val_str(s);
        free(s);
        return 0;
    }
    if (!strcmp(name, "config")) {
        int rc = host_config(c, kw, nkw, err);
        *out = dp_val_str("");
        return rc;
    }
    if (!strcmp(name, "is_incremental")) {
        *out = (struct dp_val){.kind = DP_BOOL, .b = c->incremental_pass};
        return 0;
    }
    if (!strcmp(name, "var")) {
        const char *v = NULL;
        int rc = arg_str("var", args, nargs, 0, &v, err);
        json_t *val = c->p->vars ? json_object_get(c->p->vars, v) : NULL;
        if (rc)
            return rc;
        if (val && json_is_string(val)) {
            *out = dp_val_str(json_string_value(val));
        } else if (val && json_is_array(val)) {
            size_t i;
            json_t *item;
            *out = (struct dp_val){.kind = DP_LIST};
            out->items = xcalloc(json_array_size(val) + 1, sizeof(*out->items));
            json_array_foreach(val, i, item) out->items[out->len++] =
                dp_val_str(json_is_string(item) ? json_string_value(item) : "");
        } else if (nargs > 1) {
            *out = dp_val_copy(&args[1]);
        } else {
            return pd_fail(err, PD_ENOTFOUND,
                           "var('%s') is not set: add it under vars: in dbt_project.yml or give a "
                           "default, var('%s', VALUE)",
                           v, v);
        }
        return 0;
    }
    if (!strcmp(name, "env_var")) {
        const char *v = NULL;
        int rc = arg_str("env_var", args, nargs, 0, &v, err);
        if (rc)
            return rc;
        const char *e = getenv(v);
        if (!e && nargs < 2)
            return pd_fail(err, PD_ENOTFOUND, "env_var('%s') is not set and has no default", v);
        *out = e ? dp_val_str(e) : dp_val_copy(&args[1]);
        return 0;
    }
    return DP_NO_SUCH_FUNCTION;
}

static int host_var(void *arg, const char *name, struct dp_val *out)
{
    struct compiler *c = arg;
    struct dp_analysis *a = c->p->items[c->cur];
    if (!strcmp(name, "this")) {
        struct pd_buf b = PD_BUF_INIT;
        ident_pair(&b, schema_of(c, a), a->id);
        *out = val_of_buf(&b);
        return 0;
    }
    if (!strcmp(name, "target")) {
        static const char *const keys[] = {"name", "schema", "type"};
        const char *vals[] = {"dev", c->p->schema, "duckdb"};
        *out = (struct dp_val){.kind = DP_DICT, .len = 3};
        out->keys = xmalloc(3 * sizeof(char *));
        out->items = xmalloc(3 * sizeof(*out->items));
        for (int i = 0; i < 3; i++) {
            out->keys[i] = xstrdup(keys[i]);
            out->items[i] = dp_val_str(vals[i]);
        }
        return 0;
    }
    return PD_ENOTFOUND;
}

/* Trim whitespace and trailing semicolons. */
static char *trim_sql(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == ';'))
        n--;
    return xstrndup(s, n);
}

static int render(struct compiler *c, size_t i, int incremental, char **out, struct pd_err *err)
{
    struct dp_analysis *a = c->p->items[i];
    struct dp_jinja_host host = {.arg = c, .call = host_call, .var = host_var};
    struct pd_buf b = PD_BUF_INIT;
    int rc;

    c->cur = i;
    c->incremental_pass = incremental;
    c->collect_config = !incremental;
    rc = dp_jinja_render(a->sql, a->file ? a->file : a->id, a->sql_line ? a->sql_line : 1, &host,
                         &b, err);
    if (rc == 0)
        *out = trim_sql(b.ptr ? b.ptr : "");
    pd_buf_release(&b);
    return rc;
}

/* Ephemeral ids step i uses, directly or through other ephemerals, dependencies first. */
static int collect_ephs(struct compiler *c, size_t i, struct pd_strv *out, int depth,
                        struct pd_err *err)
{
    if (depth > 64)
        return pd_fail(err, PD_EINVAL, "ephemeral analyses reference each other in a cycle (%s)",
                       c->p->items[i]->id);
    for (size_t k = 0; k < c->w[i].ephs.n; k++) {
        const char *id = c->w[i].ephs.v[k];
        if (pd_strv_has(out, id))
            continue;
        size_t j = index_of(c, id);
        if (j != (size_t)-1) {
            int rc = collect_ephs(c, j, out, depth + 1, err);
            if (rc)
                return rc;
        }
        if (!pd_strv_has(out, id))
            pd_strv_push(out, id);
    }
    return 0;
}

/* Where the statement's own WITH list starts, or NULL when it has none. */
static const char *with_list(const char *sql)
{
    const char *p = sql;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            p = strchr(p, '\n');
            if (!p)
                return NULL;
        } else if (p[0] == '/' && p[1] == '*') {
            p = strstr(p + 2, "*/");
            if (!p)
                return NULL;
            p += 2;
        } else {
            break;
        }
    }
    if (strncasecmp(p, "with", 4) != 0 || !isspace((unsigned char)p[4]))
        return NULL;
    p += 4;
    while (isspace((unsigned char)*p))
        p++;
    if (strncasecmp(p, "recursive", 9) == 0 && isspace((unsigned char)p[9])) {
        p += 9;
        while (isspace((unsigned char)*p))
            p++;
    }
    return p;
}

/* body with the ephemeral analyses it uses prepended as CTEs. */
static char *compose(struct compiler *c, size_t i, const char *body, struct pd_err *err)
{
    struct pd_strv ephs = {0};
    struct pd_buf b = PD_BUF_INIT;
    const char *list;

    if (c->w[i].ephs.n == 0)
        return xstrdup(body);
    if (collect_ephs(c, i, &ephs, 0, err) != 0) {
        pd_strv_clear(&ephs);
        return NULL;
    }
    list = with_list(body);
    if (list) {
        pd_buf_add(&b, body, (size_t)(list - body));
    } else {
        pd_buf_adds(&b, "WITH ");
    }
    for (size_t k = 0; k < ephs.n; k++) {
        size_t j = index_of(c, ephs.v[k]);
        struct dp_analysis *e = c->p->items[j];
        pd_buf_addf(&b, "\"__dp_eph_%s\" AS (\n%s\n)%s\n", e->id, c->w[j].body,
                    k + 1 < ephs.n || list ? "," : "");
    }
    pd_buf_adds(&b, list ? list : body);
    pd_strv_clear(&ephs);
    return pd_buf_detach(&b, NULL);
}

/* Parameters the composed SQL of step i may use: its own and its ephemerals'. */
static void collect_decls(struct compiler *c, size_t i, const struct dp_param ***out, size_t *n)
{
    struct pd_strv ephs = {0};
    struct dp_analysis *a = c->p->items[i];
    struct pd_err ignore = PD_ERR_INIT;
    collect_ephs(c, i, &ephs, 0, &ignore);
    *n = 0;
    *out = xmalloc((a->nparams + 1) * sizeof(**out));
    for (size_t k = 0; k < a->nparams; k++)
        (*out)[(*n)++] = &a->params[k];
    for (size_t e = 0; e < ephs.n; e++) {
        struct dp_analysis *ea = dp_project_find(c->p, ephs.v[e]);
        *out = xrealloc(*out, (*n + ea->nparams + 1) * sizeof(**out));
        for (size_t k = 0; k < ea->nparams; k++)
            (*out)[(*n)++] = &ea->params[k];
    }
    pd_strv_clear(&ephs);
}

static int finish_sql(struct compiler *c, size_t i, const char *body, char **sql,
                      struct dp_binds *binds, struct pd_err *err)
{
    struct dp_step *s = &c->steps[i];
    struct dp_analysis *a = c->p->items[i];
    char *composed = compose(c, i, body, err);
    int rc = 0;

    if (!composed)
        return err->code;
    if (a->is_dbt) {
        *sql = composed;
        return 0;
    }
    const struct dp_param **decl;
    size_t ndecl;
    struct pd_buf out = PD_BUF_INIT;
    collect_decls(c, i, &decl, &ndecl);
    rc = dp_params_rewrite(composed, decl, ndecl, c->o ? c->o->args : NULL, binds,
                           &s->param_error, &out, err);
    free(decl);
    free(composed);
    if (rc) {
        pd_err_prefix(err, "%s: ", a->file ? a->file : a->id);
        pd_buf_release(&out);
        return rc;
    }
    *sql = pd_buf_detach(&out, NULL);
    return 0;
}

static struct dp_input *add_input(struct dp_step *s, const char *key, enum dp_rel_kind kind,
                                   int64_t changed)
{
    for (size_t i = 0; i < s->ninputs; i++)
        if (!strcmp(s->inputs[i].key, key))
            return &s->inputs[i];
    s->inputs = xrealloc(s->inputs, (s->ninputs + 1) * sizeof(*s->inputs));
    s->inputs[s->ninputs] = (struct dp_input){xstrdup(key), kind, changed, NULL};
    return &s->inputs[s->ninputs++];
}

static struct dp_analysis *find_ci(const struct dp_project *p, const char *id)
{
    struct dp_analysis *a = dp_project_find(p, id);
    for (size_t i = 0; !a && i < p->n; i++)
        if (strcasecmp(p->items[i]->id, id) == 0)
            a = p->items[i];
    return a;
}

static int has_glob(const char *s)
{
    return strpbrk(s, "*?[{") != NULL || strstr(s, "://") != NULL;
}

static int classify(struct compiler *c, size_t i, const struct dp_table_ref *r, struct pd_err *err)
{
    struct dp_step *s = &c->steps[i];
    struct dp_analysis *a = c->p->items[i];
    const char *where = a->file ? a->file : a->id;
    char *key;

    if (r->is_file) {
        struct stat st;
        int64_t changed = 0;
        if (!has_glob(r->table)) {
            if (stat(r->table, &st) != 0)
                return pd_fail(err, PD_ENOTFOUND, "%s: analysis %s reads the file %s, which does not exist",
                               where, a->id, r->table);
            changed = (int64_t)st.st_mtime * 1000;
        }
        key = xasprintf("file:%s", r->table);
        add_input(s, key, DP_REL_FILE, changed);
        free(key);
        return 0;
    }
    if (*r->catalog && c->database && strcasecmp(r->catalog, c->database) != 0) {
        key = xasprintf("table:%s.%s.%s", r->catalog, *r->schema ? r->schema : "main", r->table);
        add_input(s, key, DP_REL_TABLE, 0);
        free(key);
        return 0;
    }
    if (*r->schema && strcasecmp(r->schema, c->p->schema) == 0) {
        struct dp_analysis *up = find_ci(c->p, r->table);
        if (up && up->materialize != DP_EPHEMERAL) {
            key = xasprintf("analysis:%s", up->id);
            add_input(s, key, DP_REL_ANALYSIS, 0);
            free(key);
            return 0;
        }
        for (size_t k = 0; k < c->p->seeds.n; k++)
            if (strcasecmp(c->p->seeds.v[k], r->table) == 0) {
                key = xasprintf("seed:%s", c->p->seeds.v[k]);
                add_input(s, key, DP_REL_SEED, 0);
                free(key);
                return 0;
            }
        if (!c->p->seeds.n && !c->p->sources)
            return pd_fail(err, PD_ENOTFOUND,
                           "%s: analysis %s reads %s.%s, but project %s has no analysis %s", where,
                           a->id, r->schema, r->table, c->p->name, r->table);
    }
    char *schema = dp_lower(*r->schema ? r->schema : "main");
    char *table = dp_lower(r->table);
    char *ck = xasprintf("%s.%s", schema, table);
    int exists = pd_hmap_has(&c->catalog, ck);
    int rc = 0;
    free(ck);
    if (!exists) {
        struct dp_analysis *up = !*r->schema ? find_ci(c->p, r->table) : NULL;
        if (up)
            rc = pd_fail(err, PD_ENOTFOUND,
                         "%s: analysis %s reads %s, which is not a table; to use the analysis "
                         "write {{ ref('%s') }}",
                         where, a->id, r->table, up->id);
        else
            rc = pd_fail(err, PD_ENOTFOUND,
                         "%s: analysis %s reads %s%s%s, which does not exist in the warehouse", where,
                         a->id, *r->schema ? r->schema : "", *r->schema ? "." : "", r->table);
    } else {
        struct dp_rel_info info = {.kind = DP_REL_TABLE};
        if (!c->env->relation || c->env->relation(c->env->relation_arg, schema, table, &info) != 0)
            info.kind = DP_REL_TABLE;
        if (info.label)
            key = xstrdup(info.label);
        else
            key = xasprintf("%s:%s.%s", dp_rel_kind_name(info.kind), schema, table);
        struct dp_input *in = add_input(s, key, info.kind, info.changed_ms);
        if (info.origin && !in->origin)
            in->origin = xstrdup(info.origin);
        free(key);
        free(info.label);
        free(info.origin);
    }
    free(schema);
    free(table);
    return rc;
}

static void load_catalog(struct compiler *c)
{
    duckdb_result res;
    if (duckdb_query(c->env->conn,
                     "SELECT current_database(), lower(schema_name || '.' || table_name) FROM "
                     "duckdb_tables() WHERE database_name = current_database() UNION ALL "
                     "SELECT current_database(), lower(schema_name || '.' || view_name) FROM "
                     "duckdb_views() WHERE database_name = current_database()",
                     &res) == DuckDBSuccess) {
        duckdb_data_chunk chunk;
        while ((chunk = duckdb_fetch_chunk(res)) != NULL) {
            for (idx_t r = 0; r < duckdb_data_chunk_get_size(chunk); r++) {
                char *name = pd_chunk_text(chunk, 1, r);
                if (!c->database)
                    c->database = pd_chunk_text(chunk, 0, r);
                if (name)
                    pd_hmap_put(&c->catalog, name, (void *)1);
                free(name);
            }
            duckdb_destroy_data_chunk(&chunk);
        }
    }
    duckdb_destroy_result(&res);
}

/* ---------- ordering ---------- */


static void link_ups(struct compiler *c)
{
    for (size_t i = 0; i < c->p->n; i++) {
        struct dp_step *s = &c->steps[i];
        for (size_t k = 0; k < s->ninputs; k++) {
            if (s->inputs[k].kind != DP_REL_ANALYSIS)
                continue;
            size_t j = index_of(c, s->inputs[k].key + strlen("analysis:"));
            if (j == (size_t)-1 || j == i)
                continue;
            s->ups = xrealloc(s->ups, (s->nups + 1) * sizeof(*s->ups));
            s->ups[s->nups++] = j;
        }
    }
}

static int visit(struct compiler *c, size_t i, size_t *order, size_t *n, size_t *stack,
                 size_t depth, struct pd_err *err)
{
    c->w[i].color = 1;
    stack[depth] = i;
    for (size_t k = 0; k < c->steps[i].nups; k++) {
        size_t j = c->steps[i].ups[k];
        if (c->w[j].color == 1) {
            struct pd_buf path = PD_BUF_INIT;
            size_t from = depth;
            while (stack[from] != j)
                from--;
            for (size_t d = from; d <= depth; d++)
                pd_buf_addf(&path, "%s -> ", c->p->items[stack[d]]->id);
            pd_buf_adds(&path, c->p->items[j]->id);
            int rc = pd_fail(err, PD_EINVAL, "the analyses form a cycle: %s (each reads the next)",
                             path.ptr);
            pd_buf_release(&path);
            return rc;
        }
        if (c->w[j].color == 0) {
            int rc = visit(c, j, order, n, stack, depth + 1, err);
            if (rc)
                return rc;
        }
    }
    c->w[i].color = 2;
    order[(*n)++] = i;
    return 0;
}

/* ---------- selection and freshness ---------- */

static void mark_up(struct compiler *c, size_t i, char *sel)
{
    for (size_t k = 0; k < c->steps[i].nups; k++) {
        size_t j = c->steps[i].ups[k];
        if (!sel[j]) {
            sel[j] = 1;
            mark_up(c, j, sel);
        }
    }
}

static void mark_down(struct compiler *c, size_t i, char *sel)
{
    for (size_t j = 0; j < c->p->n; j++)
        for (size_t k = 0; k < c->steps[j].nups; k++)
            if (c->steps[j].ups[k] == i && !sel[j]) {
                sel[j] = 1;
                mark_down(c, j, sel);
            }
}

static int apply_selectors(struct compiler *c, char *sel, struct pd_err *err)
{
    if (!c->o || c->o->nselect == 0) {
        memset(sel, 1, c->p->n);
        return 0;
    }
    for (size_t s = 0; s < c->o->nselect; s++) {
        const char *spec = c->o->select[s];
        int up = spec[0] == '+';
        size_t len = strlen(spec);
        int down = len > 1 && spec[len - 1] == '+';
        char *name = xstrndup(spec + up, len - up - down);
        int found = 0;
        for (size_t i = 0; i < c->p->n; i++) {
            struct dp_analysis *a = c->p->items[i];
            int match = strncmp(name, "tag:", 4) == 0 ? pd_strv_has(&a->tags, name + 4)
                                                      : strcmp(a->id, name) == 0;
            if (!match)
                continue;
            found = 1;
            sel[i] = 1;
            if (up)
                mark_up(c, i, sel);
            if (down)
                mark_down(c, i, sel);
        }
        if (!found) {
            int rc = pd_fail(err, PD_ENOTFOUND, "no analysis matches '%s' in project %s%s", spec,
                             c->p->name,
                             strncmp(name, "tag:", 4) ? " (see: pluto-duck analysis list)" : "");
            free(name);
            return rc;
        }
        free(name);
    }
    return 0;
}

static void load_state(struct compiler *c)
{
    duckdb_prepared_statement stmt;
    duckdb_result res;
    if (duckdb_prepare(c->env->conn,
                       "SELECT analysis, coalesce(epoch_ms(last_success_at), 0)::VARCHAR, "
                       "coalesce(epoch_ms(last_failure_at), 0)::VARCHAR, success_hash "
                       "FROM _duckpipe.run_state WHERE project = $1",
                       &stmt) == DuckDBError) {
        duckdb_destroy_prepare(&stmt);
        return;
    }
    duckdb_bind_varchar(stmt, 1, c->p->name);
    if (duckdb_execute_prepared(stmt, &res) == DuckDBSuccess) {
        duckdb_data_chunk chunk;
        while ((chunk = duckdb_fetch_chunk(res)) != NULL) {
            for (idx_t r = 0; r < duckdb_data_chunk_get_size(chunk); r++) {
                char *id = pd_chunk_text(chunk, 0, r);
                size_t i = id ? index_of(c, id) : (size_t)-1;
                if (i != (size_t)-1) {
                    char *ok = pd_chunk_text(chunk, 1, r), *bad = pd_chunk_text(chunk, 2, r);
                    c->steps[i].last_success_ms = ok ? strtoll(ok, NULL, 10) : 0;
                    c->steps[i].last_failure_ms = bad ? strtoll(bad, NULL, 10) : 0;
                    c->steps[i].success_hash = pd_chunk_text(chunk, 3, r);
                    free(ok);
                    free(bad);
                }
                free(id);
            }
            duckdb_destroy_data_chunk(&chunk);
        }
    }
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&stmt);
}

static void hash_binds(uint64_t *h, const struct dp_binds *b)
{
    for (size_t i = 0; i < b->n; i++)
        *h = pd_fnv1a(*h, b->vals[i], strlen(b->vals[i]) + 1);
}

static char *step_hash(const struct dp_step *s)
{
    const struct dp_analysis *a = s->a;
    uint64_t h = PD_FNV_SEED;
    const char *parts[] = {s->sql, s->sql_incremental, dp_materialize_name(a->materialize),
                           a->unique_key, a->path, a->schema};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        h = parts[i] ? pd_fnv1a(h, parts[i], strlen(parts[i]) + 1) : pd_fnv1a(h, "", 1);
    hash_binds(&h, &s->binds);
    hash_binds(&h, &s->binds_inc);
    return xasprintf("%016llx", (unsigned long long)h);
}

/* Decide whether selected step s (plan order; upstream steps decided already) runs. */
static void decide(struct dp_plan *plan, struct dp_step *s, int force)
{
    if (s->a->materialize == DP_EPHEMERAL) {
        s->run = 0;
        s->reason = DP_R_EPHEMERAL;
        return;
    }
    s->run = 1;
    if (force) {
        s->reason = DP_R_FORCED;
        return;
    }
    if (!s->last_success_ms) {
        s->reason = DP_R_NEVER_RUN;
        return;
    }
    if (!s->success_hash || strcmp(s->success_hash, s->hash) != 0) {
        s->reason = DP_R_CHANGED;
        return;
    }
    if (s->last_failure_ms > s->last_success_ms) {
        s->reason = DP_R_LAST_FAILED;
        return;
    }
    for (size_t k = 0; k < s->nups; k++) { /* rebuilt since this one ran */
        const struct dp_step *u = &plan->steps[s->ups[k]];
        if (u->last_success_ms > s->last_success_ms) {
            s->reason = DP_R_UPSTREAM;
            return;
        }
    }
    for (size_t k = 0; k < s->nups; k++) { /* to be rebuilt first, in this run */
        const struct dp_step *u = &plan->steps[s->ups[k]];
        if (u->selected && u->run) {
            s->reason = DP_R_UPSTREAM_STALE;
            return;
        }
    }
    for (size_t k = 0; k < s->ninputs; k++) {
        const struct dp_input *in = &s->inputs[k];
        if (in->kind == DP_REL_SOURCE &&
            !(s->a->freshness && !strcmp(s->a->freshness, "assume_fresh"))) {
            s->reason = DP_R_LIVE;
            return;
        }
        if ((in->kind == DP_REL_CACHE || in->kind == DP_REL_INGESTED || in->kind == DP_REL_FILE ||
             in->kind == DP_REL_SEED) &&
            in->changed_ms > s->last_success_ms) {
            s->reason = DP_R_SOURCE;
            return;
        }
    }
    s->run = 0;
    s->reason = DP_R_FRESH;
}

/* ---------- the whole compile ---------- */

static void step_clear(struct dp_step *s);

static int check_params_known(struct compiler *c, const char *sel, struct pd_err *err)
{
    const struct dp_args *args = c->o ? c->o->args : NULL;
    for (size_t k = 0; args && k < args->names.n; k++) {
        int known = 0;
        for (size_t i = 0; i < c->p->n && !known; i++) {
            const struct dp_analysis *a = c->p->items[i];
            for (size_t j = 0; j < a->nparams && !known; j++)
                known = !strcmp(a->params[j].name, args->names.v[k]) &&
                        (sel[i] || a->materialize == DP_EPHEMERAL);
        }
        if (!known)
            return pd_fail(err, PD_EINVAL,
                           "unknown parameter '%s': no selected analysis declares it (see: "
                           "pluto-duck analysis show ID)",
                           args->names.v[k]);
    }
    return 0;
}

static int check_static(struct compiler *c, size_t i, struct pd_err *err)
{
    struct dp_analysis *a = c->p->items[i];
    const char *where = a->file ? a->file : a->id;
    if (a->materialize == DP_INCREMENTAL && (!a->unique_key || !*a->unique_key))
        return pd_fail(err, PD_EINVAL,
                       "%s: analysis %s is incremental but has no unique_key (the columns that "
                       "identify a row)",
                       where, a->id);
    if (a->materialize == DP_PARQUET && (!a->path || !*a->path))
        return pd_fail(err, PD_EINVAL, "%s: analysis %s writes parquet but has no path", where,
                       a->id);
    if (a->materialize == DP_VIEW && a->nparams && !a->is_dbt)
        return pd_fail(err, PD_EINVAL,
                       "%s: analysis %s takes parameters, which a view cannot keep: materialize it "
                       "as a table (--materialize table)",
                       where, a->id);
    for (size_t k = 0; k < a->depends_on.n; k++)
        if (!dp_project_find(c->p, a->depends_on.v[k]))
            return pd_fail(err, PD_ENOTFOUND, "%s: analysis %s depends on '%s', which does not exist",
                           where, a->id, a->depends_on.v[k]);
    return 0;
}

int dp_compile(struct dp_project *p, const struct dp_env *env, const struct dp_compile_opts *o,
               struct dp_plan **out, struct pd_err *err)
{
    struct compiler c = {.p = p, .env = env, .o = o};
    size_t n = p->n, norder = 0;
    char *sel = xcalloc(n + 1, 1);
    size_t *order = xcalloc(n + 1, sizeof(size_t)), *stack = xcalloc(n + 1, sizeof(size_t));
    char **sqls = xcalloc(n + 1, sizeof(char *)), **perrs = xcalloc(n + 1, sizeof(char *));
    struct dp_refs *refs = xcalloc(n + 1, sizeof(*refs));
    int rc = 0;

    c.steps = xcalloc(n + 1, sizeof(*c.steps));
    c.w = xcalloc(n + 1, sizeof(*c.w));
    load_catalog(&c);
    for (size_t i = 0; i < n; i++) {
        c.steps[i].a = p->items[i];
        pd_hmap_put(&c.positions, p->items[i]->id, (void *)(uintptr_t)(i + 1));
    }

    /* render every analysis (config() may change its materialization) */
    for (size_t i = 0; i < n && !rc; i++) {
        rc = render(&c, i, 0, &c.w[i].body, err);
        if (!rc && p->items[i]->materialize == DP_INCREMENTAL)
            rc = render(&c, i, 1, &c.w[i].body_inc, err);
        if (!rc)
            rc = check_static(&c, i, err);
    }
    /* compose, bind, and parse */
    for (size_t i = 0; i < n && !rc; i++) {
        struct dp_step *s = &c.steps[i];
        rc = finish_sql(&c, i, c.w[i].body, &s->sql, &s->binds, err);
        if (!rc && c.w[i].body_inc)
            rc = finish_sql(&c, i, c.w[i].body_inc, &s->sql_incremental, &s->binds_inc, err);
        sqls[i] = s->sql;
    }
    if (!rc)
        rc = dp_refs_extract(env->conn, env->db, (const char *const *)sqls, n, refs, perrs, err);
    for (size_t i = 0; i < n && !rc; i++) {
        struct dp_analysis *a = p->items[i];
        if (perrs[i]) {
            rc = pd_fail(err, PD_ESQL, "%s: analysis %s: %s", a->file ? a->file : a->id, a->id,
                         perrs[i]);
            break;
        }
        for (size_t k = 0; k < refs[i].n && !rc; k++)
            rc = classify(&c, i, &refs[i].v[k], err);
        for (size_t k = 0; k < c.w[i].ephs.n; k++) {
            char *key = xasprintf("analysis:%s", c.w[i].ephs.v[k]);
            add_input(&c.steps[i], key, DP_REL_ANALYSIS, 0);
            free(key);
        }
        for (size_t k = 0; k < a->depends_on.n; k++) {
            char *key = xasprintf("analysis:%s", a->depends_on.v[k]);
            add_input(&c.steps[i], key, DP_REL_ANALYSIS, 0);
            free(key);
        }
    }
    if (!rc) {
        link_ups(&c);
        for (size_t i = 0; i < n && !rc; i++)
            if (c.w[i].color == 0)
                rc = visit(&c, i, order, &norder, stack, 0, err);
    }
    if (!rc)
        rc = apply_selectors(&c, sel, err);
    if (!rc)
        rc = check_params_known(&c, sel, err);

    if (!rc) {
        struct dp_plan *plan = xcalloc(1, sizeof(*plan));
        size_t *pos = xcalloc(n + 1, sizeof(size_t));
        plan->project = p;
        plan->n = n;
        plan->full_refresh = o && o->full_refresh;
        plan->steps = xcalloc(n + 1, sizeof(*plan->steps));
        load_state(&c);
        for (size_t k = 0; k < n; k++)
            pos[order[k]] = k;
        for (size_t k = 0; k < n; k++) {
            size_t i = order[k];
            struct dp_step *s = &plan->steps[k];
            *s = c.steps[i];
            memset(&c.steps[i], 0, sizeof(c.steps[i]));
            for (size_t u = 0; u < s->nups; u++)
                s->ups[u] = pos[s->ups[u]];
            s->selected = sel[i];
            s->hash = step_hash(s);
            if (s->selected)
                decide(plan, s, o && o->force);
        }
        if (o && o->args)
            for (size_t k = 0; k < o->args->names.n; k++) {
                pd_strv_push(&plan->args.names, o->args->names.v[k]);
                pd_strv_push(&plan->args.values, o->args->values.v[k]);
            }
        free(pos);
        *out = plan;
    }
    for (size_t i = 0; i < n; i++) {
        free(c.w[i].body);
        free(c.w[i].body_inc);
        pd_strv_clear(&c.w[i].ephs);
        dp_refs_clear(&refs[i]);
        free(perrs[i]);
        step_clear(&c.steps[i]);
    }
    free(c.steps);
    free(c.w);
    free(refs);
    free(perrs);
    free(sqls);
    free(sel);
    free(order);
    free(stack);
    free(c.database);
    pd_hmap_clear(&c.catalog);
    pd_hmap_clear(&c.positions);
    return rc;
}

static void step_clear(struct dp_step *s)
{
        free(s->sql);
        free(s->sql_incremental);
        free(s->hash);
        for (size_t k = 0; k < s->ninputs; k++)
            free(s->inputs[k].key), free(s->inputs[k].origin);
        free(s->inputs);
        dp_binds_clear(&s->binds);
        dp_binds_clear(&s->binds_inc);
        free(s->param_error);
        free(s->success_hash);
        free(s->ups);
        memset(s, 0, sizeof(*s));
}

void dp_plan_free(struct dp_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n; i++)
        step_clear(&plan->steps[i]);
    free(plan->steps);
    dp_args_clear(&plan->args);
    free(plan->args_json);
    free(plan);
}

struct dp_step *dp_plan_find(const struct dp_plan *plan, const char *id)
{
    for (size_t i = 0; i < plan->n; i++)
        if (!strcmp(plan->steps[i].a->id, id))
            return &plan->steps[i];
    return NULL;
}
