/*
 * dbt.c - dbt-style projects loaded as duckpipe projects (see dbt.h).
 *
 * dbt_project.yml gives the name, the model and seed folders, vars and the
 * per-folder model settings (+materialized); each models/.../NAME.sql becomes
 * an analysis NAME rendered with dbt's functions; the .yml files beside the
 * models declare sources (source('x','t') -> "schema"."t") and generic tests.
 * Models and seeds materialize into schema main, as dbt-duckdb does by default.
 */
#include "duckpipe/dbt.h"
#include "duckpipe/internal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/hmap.h"
#include "base/path.h"
#include "base/yaml.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const struct dp_dbt *dp_dbt_of(const struct dp_project *p)
{
    return p->dbt;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Every file under dir (recursively) whose name ends with one of the suffixes, sorted. */
static void find_files(const char *dir, const char *const *suffixes, struct pd_strv *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = pd_path_join(dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            find_files(path, suffixes, out);
        } else {
            for (const char *const *s = suffixes; *s; s++)
                if (ends_with(e->d_name, *s)) {
                    pd_strv_push(out, path);
                    break;
                }
        }
        free(path);
    }
    closedir(d);
    pd_strv_sort(out);
}

static const char *folder_materialized(json_t *node)
{
    const char *m = json_string_value(json_object_get(node, "+materialized"));
    return m ? m : json_string_value(json_object_get(node, "materialized"));
}

/* The materialization dbt_project.yml sets for a model at rel (path under the model folder). */
static enum dp_materialize model_default(json_t *models, const char *project, const char *rel)
{
    enum dp_materialize m = DP_VIEW;
    json_t *node = json_object_get(models, project);
    const char *v;
    if ((v = folder_materialized(models)) != NULL)
        dp_materialize_parse(v, &m);
    char *copy = xstrdup(rel), *save = NULL;
    for (char *part = strtok_r(copy, "/", &save); node && part; part = strtok_r(NULL, "/", &save)) {
        if ((v = folder_materialized(node)) != NULL)
            dp_materialize_parse(v, &m);
        node = json_object_get(node, part);
    }
    free(copy);
    return m;
}

static void add_test(struct dp_dbt *d, const char *kind, const char *model, const char *column,
                     const char *sql, const char *file)
{
    d->tests = xrealloc(d->tests, (d->ntests + 1) * sizeof(*d->tests));
    struct dp_dbt_test *t = &d->tests[d->ntests++];
    t->name = xasprintf("%s_%s_%s", kind, model, column);
    t->kind = xstrdup(kind);
    t->model = xstrdup(model);
    t->column = xstrdup(column);
    t->sql = xstrdup(sql);
    t->file = xstrdup(file);
}

/*
 * The SQL of a generic test over {{MODEL}} and column col. Relation names stay
 * as Jinja ({{ ref('x') }}) and are resolved when the test runs.
 */
static int test_sql(const char *kind, json_t *args, const char *model, const char *col,
                    struct pd_buf *b, const char *file, struct pd_err *err)
{
    struct pd_buf c = PD_BUF_INIT;
    pd_sql_ident(&c, col);
    if (!strcmp(kind, "not_null")) {
        pd_buf_addf(b, "select * from {{ ref('%s') }} where %s is null", model, c.ptr);
    } else if (!strcmp(kind, "unique")) {
        pd_buf_addf(b, "select %s from {{ ref('%s') }} where %s is not null group by %s having count(*) > 1",
                    c.ptr, model, c.ptr, c.ptr);
    } else if (!strcmp(kind, "accepted_values")) {
        json_t *values = json_object_get(args, "values");
        size_t i;
        json_t *v;
        if (!json_is_array(values) || !json_array_size(values)) {
            pd_buf_release(&c);
            return pd_fail(err, PD_ECONFIG, "%s: accepted_values on %s.%s needs values: [...]",
                           file, model, col);
        }
        pd_buf_addf(b, "select * from {{ ref('%s') }} where %s is not null and %s::VARCHAR not in (",
                    model, c.ptr, c.ptr);
        json_array_foreach(values, i, v)
        {
            if (i)
                pd_buf_adds(b, ", ");
            pd_sql_literal(b, json_is_string(v) ? json_string_value(v) : "");
        }
        pd_buf_adds(b, ")");
    } else if (!strcmp(kind, "relationships")) {
        const char *to = json_string_value(json_object_get(args, "to"));
        const char *field = json_string_value(json_object_get(args, "field"));
        if (!to || !field) {
            pd_buf_release(&c);
            return pd_fail(err, PD_ECONFIG, "%s: relationships on %s.%s needs to: and field:", file,
                           model, col);
        }
        struct pd_buf f = PD_BUF_INIT;
        pd_sql_ident(&f, field);
        pd_buf_addf(b,
                    "select child.%s from {{ ref('%s') }} as child left join {{ %s }} as parent "
                    "on child.%s = parent.%s where child.%s is not null and parent.%s is null",
                    c.ptr, model, to, c.ptr, f.ptr, c.ptr, f.ptr);
        pd_buf_release(&f);
    } else {
        pd_buf_release(&c);
        return pd_fail(err, PD_ECONFIG,
                       "%s: unsupported test '%s' on %s.%s (not_null, unique, accepted_values, "
                       "relationships)",
                       file, kind, model, col);
    }
    pd_buf_release(&c);
    return 0;
}

static int load_tests(struct dp_dbt *d, json_t *models, const char *file, struct pd_err *err)
{
    size_t i, j, k;
    json_t *m, *col, *t;
    json_array_foreach(models, i, m)
    {
        const char *model = json_string_value(json_object_get(m, "name"));
        if (!model)
            continue;
        json_array_foreach(json_object_get(m, "columns"), j, col)
        {
            const char *cname = json_string_value(json_object_get(col, "name"));
            json_t *tests = json_object_get(col, "data_tests");
            if (!tests)
                tests = json_object_get(col, "tests");
            if (!cname)
                continue;
            json_array_foreach(tests, k, t)
            {
                const char *kind = json_string_value(t);
                json_t *args = NULL;
                if (!kind && json_is_object(t) && json_object_size(t) == 1) {
                    kind = json_object_iter_key(json_object_iter(t));
                    args = json_object_iter_value(json_object_iter(t));
                    json_t *inner = json_object_get(args, "arguments"); /* dbt 1.10 style */
                    if (inner)
                        args = inner;
                }
                if (!kind)
                    return pd_fail(err, PD_ECONFIG, "%s: a test of %s.%s is not a name or {name: args}",
                                   file, model, cname);
                struct pd_buf b = PD_BUF_INIT;
                int rc = test_sql(kind, args, model, cname, &b, file, err);
                if (!rc)
                    add_test(d, kind, model, cname, b.ptr, file);
                pd_buf_release(&b);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

static void load_sources(struct dp_project *p, struct dp_dbt *d, json_t *sources)
{
    size_t i, j;
    json_t *s, *t;
    json_array_foreach(sources, i, s)
    {
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *schema = json_string_value(json_object_get(s, "schema"));
        if (!name)
            continue;
        json_array_foreach(json_object_get(s, "tables"), j, t)
        {
            const char *table = json_string_value(json_object_get(t, "name"));
            const char *ident = json_string_value(json_object_get(t, "identifier"));
            if (!table)
                continue;
            char *key = xasprintf("%s.%s", name, table);
            struct pd_buf b = PD_BUF_INIT;
            pd_sql_ident(&b, schema ? schema : name);
            pd_buf_addc(&b, '.');
            pd_sql_ident(&b, ident ? ident : table);
            char *old = pd_hmap_get(p->sources, key);
            free(old);
            pd_hmap_put(p->sources, key, pd_buf_detach(&b, NULL));
            free(key);
            d->nsources++;
        }
    }
}

static json_t *strings_or(json_t *v, const char *def)
{
    if (json_is_array(v))
        return json_incref(v);
    json_t *a = json_array();
    json_array_append_new(a, json_string(json_is_string(v) ? json_string_value(v) : def));
    return a;
}

int dp_dbt_load(const char *dir, struct dp_project **out, struct pd_err *err)
{
    char *yml = pd_path_join(dir, "dbt_project.yml");
    json_t *cfg = pd_yaml_load_json(yml, yml, err);
    struct dp_project *p;
    struct dp_dbt *d;
    int rc = 0;
    size_t i;
    json_t *v;

    if (!cfg) {
        if (err->code == PD_ENOTFOUND) {
            pd_err_clear(err);
            pd_fail(err, PD_ENOTFOUND, "%s has no dbt_project.yml: is it a dbt project? (--project-dir)",
                    dir);
        }
        free(yml);
        return err->code;
    }
    const char *name = json_string_value(json_object_get(cfg, "name"));
    if (!name) {
        json_decref(cfg);
        rc = pd_fail(err, PD_ECONFIG, "%s: the project has no name:", yml);
        free(yml);
        return rc;
    }
    p = xcalloc(1, sizeof(*p));
    d = xcalloc(1, sizeof(*d));
    p->dbt = d;
    d->name = xstrdup(name);
    p->name = xasprintf("dbt_%s", name);
    p->dir = xstrdup(dir);
    p->schema = xstrdup("main");
    p->index = xcalloc(1, sizeof(struct pd_hmap));
    p->sources = xcalloc(1, sizeof(struct pd_hmap));
    if (json_is_object(json_object_get(cfg, "vars")))
        p->vars = json_incref(json_object_get(cfg, "vars"));

    json_t *model_paths = strings_or(json_object_get(cfg, "model-paths"), "models");
    json_t *seed_paths = strings_or(json_object_get(cfg, "seed-paths"), "seeds");
    json_t *models_cfg = json_object_get(cfg, "models");
    json_array_foreach(model_paths, i, v)
    {
        char *mdir = pd_path_join(dir, json_string_value(v));
        static const char *const sql_ext[] = {".sql", NULL};
        static const char *const yml_ext[] = {".yml", ".yaml", NULL};
        struct pd_strv files = {0}, ymls = {0};
        find_files(mdir, sql_ext, &files);
        find_files(mdir, yml_ext, &ymls);
        for (size_t k = 0; k < files.n && !rc; k++) {
            struct dp_analysis *a = xcalloc(1, sizeof(*a));
            struct pd_buf b = PD_BUF_INIT;
            const char *base = strrchr(files.v[k], '/') + 1;
            a->id = xstrndup(base, strlen(base) - 4);
            a->file = xstrdup(files.v[k]);
            a->sql_line = 1;
            a->is_dbt = 1;
            a->materialize = model_default(models_cfg, name, files.v[k] + strlen(mdir) + 1);
            if (pd_buf_read_file(&b, files.v[k]) != 0)
                rc = pd_fail(err, PD_EIO, "cannot read %s: %s", files.v[k], strerror(errno));
            a->sql = pd_buf_detach(&b, NULL);
            if (!rc && (rc = dp_id_check("model", a->id, err)) != 0)
                pd_err_prefix(err, "%s: ", files.v[k]);
            if (!rc && (rc = dp_project_put(p, a, 0, err)) == 0)
                continue;
            dp_analysis_free(a);
        }
        for (size_t k = 0; k < ymls.n && !rc; k++) {
            json_t *doc = pd_yaml_load_json(ymls.v[k], ymls.v[k], err);
            if (!doc) {
                rc = err->code;
                break;
            }
            load_sources(p, d, json_object_get(doc, "sources"));
            rc = load_tests(d, json_object_get(doc, "models"), ymls.v[k], err);
            json_decref(doc);
        }
        pd_strv_clear(&files);
        pd_strv_clear(&ymls);
        free(mdir);
    }
    json_array_foreach(seed_paths, i, v)
    {
        char *sdir = pd_path_join(dir, json_string_value(v));
        static const char *const csv_ext[] = {".csv", NULL};
        struct pd_strv files = {0};
        find_files(sdir, csv_ext, &files);
        for (size_t k = 0; k < files.n; k++) {
            const char *base = strrchr(files.v[k], '/') + 1;
            d->seeds = xrealloc(d->seeds, (d->nseeds + 1) * sizeof(*d->seeds));
            d->seeds[d->nseeds].name = xstrndup(base, strlen(base) - 4);
            d->seeds[d->nseeds].path = xstrdup(files.v[k]);
            pd_strv_push(&p->seeds, d->seeds[d->nseeds].name);
            d->nseeds++;
        }
        pd_strv_clear(&files);
        free(sdir);
    }
    json_decref(model_paths);
    json_decref(seed_paths);
    json_decref(cfg);
    free(yml);
    if (rc) {
        dp_project_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void dp_dbt_free(struct dp_dbt *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->ntests; i++) {
        free(d->tests[i].name);
        free(d->tests[i].model);
        free(d->tests[i].column);
        free(d->tests[i].kind);
        free(d->tests[i].sql);
        free(d->tests[i].file);
    }
    for (size_t i = 0; i < d->nseeds; i++) {
        free(d->seeds[i].name);
        free(d->seeds[i].path);
    }
    free(d->tests);
    free(d->seeds);
    free(d->name);
    free(d);
}

int dp_dbt_seed(const struct dp_project *p, const struct dp_env *env, size_t i, int64_t *rows,
                struct pd_err *err)
{
    const struct dp_dbt_seed *s = &p->dbt->seeds[i];
    struct pd_buf b = PD_BUF_INIT;
    int rc;
    pd_buf_adds(&b, "BEGIN TRANSACTION; CREATE OR REPLACE TABLE ");
    pd_sql_ident(&b, p->schema);
    pd_buf_addc(&b, '.');
    pd_sql_ident(&b, s->name);
    pd_buf_adds(&b, " AS SELECT * FROM read_csv(");
    pd_sql_literal(&b, s->path);
    pd_buf_adds(&b, ", header = true); COMMIT");
    rc = pd_exec(env->conn, b.ptr, err);
    if (rc) {
        pd_exec(env->conn, "ROLLBACK", NULL);
        pd_err_prefix(err, "seed %s (%s): ", s->name, s->path);
    } else {
        duckdb_result res;
        pd_buf_reset(&b);
        pd_buf_adds(&b, "SELECT count(*) FROM ");
        pd_sql_ident(&b, p->schema);
        pd_buf_addc(&b, '.');
        pd_sql_ident(&b, s->name);
        *rows = 0;
        if (duckdb_query(env->conn, b.ptr, &res) == DuckDBSuccess) {
            duckdb_data_chunk c = duckdb_fetch_chunk(res);
            if (c) {
                *rows = ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(c, 0)))[0];
                duckdb_destroy_data_chunk(&c);
            }
        }
        duckdb_destroy_result(&res);
    }
    pd_buf_release(&b);
    return rc;
}

/* Resolve the {{ ref('x') }} / {{ source('a','b') }} in a test's SQL. */
static int resolve_relations(const struct dp_project *p, const char *sql, struct pd_buf *out,
                             struct pd_err *err)
{
    const char *s = sql;
    while (*s) {
        const char *open = strstr(s, "{{");
        if (!open) {
            pd_buf_adds(out, s);
            break;
        }
        pd_buf_add(out, s, (size_t)(open - s));
        const char *close = strstr(open, "}}");
        if (!close)
            return pd_fail(err, PD_EINVAL, "unclosed {{ in a test");
        char *expr = xstrndup(open + 2, (size_t)(close - open - 2));
        char a1[256] = "", a2[256] = "";
        if (sscanf(expr, " ref ( '%255[^']' )", a1) == 1 || sscanf(expr, " ref ( \"%255[^\"]\" )", a1) == 1) {
            pd_sql_ident(out, p->schema);
            pd_buf_addc(out, '.');
            pd_sql_ident(out, a1);
        } else if (sscanf(expr, " source ( '%255[^']' , '%255[^']' )", a1, a2) == 2) {
            char *key = xasprintf("%s.%s", a1, a2);
            const char *rel = pd_hmap_get(p->sources, key);
            free(key);
            if (!rel) {
                free(expr);
                return pd_fail(err, PD_ENOTFOUND, "unknown source('%s', '%s') in a test", a1, a2);
            }
            pd_buf_adds(out, rel);
        } else {
            int rc = pd_fail(err, PD_EINVAL, "unsupported relation in a test: {{%s}}", expr);
            free(expr);
            return rc;
        }
        free(expr);
        s = close + 2;
    }
    return 0;
}

int dp_dbt_test(const struct dp_project *p, const struct dp_env *env, size_t i,
                int64_t *failures, struct pd_err *err)
{
    const struct dp_dbt_test *t = &p->dbt->tests[i];
    struct pd_buf sql = PD_BUF_INIT, q = PD_BUF_INIT;
    duckdb_result res;
    int rc = resolve_relations(p, t->sql, &sql, err);
    if (rc) {
        pd_buf_release(&sql);
        return rc;
    }
    pd_buf_addf(&q, "SELECT count(*) FROM (%s) AS failures", sql.ptr);
    if (duckdb_query(env->conn, q.ptr, &res) == DuckDBError) {
        rc = pd_fail(err, PD_ESQL, "test %s (%s): %s", t->name, t->file, duckdb_result_error(&res));
    } else {
        duckdb_data_chunk c = duckdb_fetch_chunk(res);
        *failures = 0;
        if (c) {
            *failures = ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(c, 0)))[0];
            duckdb_destroy_data_chunk(&c);
        }
    }
    duckdb_destroy_result(&res);
    pd_buf_release(&sql);
    pd_buf_release(&q);
    return rc;
}
