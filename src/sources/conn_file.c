/*
 * conn_file.c - CSV, Parquet and JSON files read by DuckDB's own readers.
 *
 * --path is a file (one table named after it), a directory (one table per data
 * file in it) or a glob (one table over every match, named by --table or after
 * the pattern). The format comes from the extension unless --file-format says.
 */
#include "sources/connector.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "warehouse/warehouse.h"

#include <dirent.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *format;
} exts[] = {
    {".csv", "csv"},         {".tsv", "csv"},         {".csv.gz", "csv"},  {".tsv.gz", "csv"},
    {".parquet", "parquet"}, {".json", "json"},       {".jsonl", "json"},  {".ndjson", "json"},
    {".json.gz", "json"},    {".jsonl.gz", "json"},
};

/* The format of path by its extension ("csv", "parquet", "json"), or NULL. */
static const char *format_of(const char *path, size_t *ext_len)
{
    size_t n = strlen(path);
    const char *best = NULL;
    size_t best_len = 0;

    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t e = strlen(exts[i].ext);
        if (n > e && strcasecmp(path + n - e, exts[i].ext) == 0 && e > best_len) {
            best = exts[i].format;
            best_len = e;
        }
    }
    if (ext_len)
        *ext_len = best_len;
    return best;
}

int pd_file_reader(const char *path, const char *format, struct pd_buf *sql, struct pd_err *err)
{
    if (!format || !strcmp(format, "auto"))
        format = format_of(path, NULL);
    if (!format)
        return pd_fail(err, PD_EINVAL,
                       "cannot tell the format of %s from its name: give --file-format csv, "
                       "parquet or json",
                       path);
    if (strcmp(format, "csv") && strcmp(format, "parquet") && strcmp(format, "json"))
        return pd_fail(err, PD_EINVAL, "unknown file format '%s' (csv, parquet or json)", format);
    pd_buf_addf(sql, "read_%s(", format);
    pd_sql_literal(sql, path);
    pd_buf_adds(sql, ")");
    return 0;
}

char *pd_file_table_name(const char *path)
{
    const char *base = strrchr(path, '/');
    size_t ext;
    char *name;

    base = base ? base + 1 : path;
    format_of(base, &ext);
    if (!ext) {
        const char *dot = strrchr(base, '.');
        ext = dot ? strlen(dot) : 0;
    }
    name = xstrndup(base, strlen(base) - ext);
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    if (!*name || (name[0] >= '0' && name[0] <= '9')) {
        char *t = xasprintf("t_%s", name);
        free(name);
        name = t;
    }
    return name;
}

static int is_glob(const char *p)
{
    return strpbrk(p, "*?[") != NULL;
}

/* One table reading path (a file or a glob), named table or after the path. */
static int add_one(struct pd_strv *names, struct pd_strv *paths, const char *table,
                   const char *path)
{
    char *n = table ? xstrdup(table) : pd_file_table_name(path);

    pd_strv_push(names, n);
    pd_strv_push(paths, path);
    free(n);
    return 0;
}

/* Tables of the source and the path (file or glob) each one reads. */
static int entries(const struct pd_source *src, struct pd_strv *names, struct pd_strv *paths,
                   struct pd_err *err)
{
    const char *path = pd_cfg_str(src->config, "path"), *table = pd_cfg_str(src->config, "table");
    struct stat st;

    if (!path)
        return pd_fail(err, PD_EUSAGE, "a file source needs --path FILE|DIR|GLOB");
    if (is_glob(path)) {
        glob_t g;
        int found = glob(path, 0, NULL, &g) == 0 && g.gl_pathc > 0;
        globfree(&g);
        if (!found)
            return pd_fail(err, PD_ENOTFOUND, "no file matches %s", path);
        return add_one(names, paths, table, path);
    }
    if (stat(path, &st) != 0)
        return pd_fail(err, PD_ENOTFOUND, "file %s does not exist", path);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        if (!d)
            return pd_fail(err, PD_EIO, "cannot read directory %s", path);
        while ((e = readdir(d)) != NULL) {
            char *n;
            if (e->d_name[0] == '.' || !format_of(e->d_name, NULL))
                continue;
            n = pd_file_table_name(e->d_name);
            if (!pd_strv_has(names, n)) {
                pd_strv_push(names, n);
                pd_strv_pushf(paths, "%s/%s", path, e->d_name);
            }
            free(n);
        }
        closedir(d);
        return 0;
    }
    return add_one(names, paths, table, path);
}

static int configure(json_t *config, char **secret, struct pd_err *err)
{
    const char *path = pd_cfg_str(config, "path");
    char *abs = NULL;

    (void)secret;
    if (!path)
        return pd_fail(err, PD_EUSAGE, "a file source needs --path FILE|DIR|GLOB");
    if (path[0] != '/') {
        char *cwd = getcwd(NULL, 0);
        abs = xasprintf("%s/%s", cwd ? cwd : ".", path);
        free(cwd);
    } else if (!is_glob(path)) {
        abs = realpath(path, NULL);
    }
    if (abs) {
        json_object_set_new(config, "path", json_string(abs));
        free(abs);
    }
    return 0;
}

static int fl_tables(const struct pd_source *src, duckdb_connection conn, struct pd_strv *out,
                     struct pd_err *err)
{
    struct pd_strv paths = PD_STRV_INIT;
    int rc;

    (void)conn;
    rc = entries(src, out, &paths, err);
    for (size_t i = 0; rc == 0 && i < paths.n; i++) {
        struct pd_buf probe = PD_BUF_INIT;
        rc = pd_file_reader(paths.v[i], pd_cfg_str(src->config, "file_format"), &probe, err);
        pd_buf_release(&probe);
    }
    pd_strv_clear(&paths);
    return rc;
}

static int fl_relation(const struct pd_source *src, const char *table, struct pd_buf *sql,
                       struct pd_err *err)
{
    struct pd_strv names = PD_STRV_INIT, paths = PD_STRV_INIT;
    int rc = entries(src, &names, &paths, err);

    if (rc == 0) {
        rc = pd_fail(err, PD_ENOTFOUND, "file source %s has no table %s", src->name, table);
        for (size_t i = 0; i < names.n; i++)
            if (strcmp(names.v[i], table) == 0) {
                pd_err_clear(err);
                rc = pd_file_reader(paths.v[i], pd_cfg_str(src->config, "file_format"), sql, err);
                break;
            }
    }
    pd_strv_clear(&names);
    pd_strv_clear(&paths);
    return rc;
}

const struct pd_connector pd_conn_file = {
    .type = "file",
    .summary = "CSV, Parquet or JSON files: a file, a directory or a glob",
    .options = "--path FILE|DIR|GLOB [--table NAME] [--file-format csv|parquet|json]",
    .configure = configure,
    .tables = fl_tables,
    .relation = fl_relation,
};
