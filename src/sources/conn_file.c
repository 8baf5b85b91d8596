/*
 * conn_file.c - CSV, Parquet and JSON files read by DuckDB's own readers.
 *
 * --path is a file (one table named after it), a glob (one table over every
 * match, named after the source or --table), or a directory (one table over its
 * data files when they are of one format, else one table per file). The format
 * comes from the extensions unless --file-format says; reader options
 * (reader_options.h) go to every reader call.
 */
#include "sources/connector.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "sources/reader_options.h"
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

int pd_file_reader(const char *path, const char *format, const json_t *options,
                   struct pd_buf *sql, struct pd_err *err)
{
    struct pd_strv one = PD_STRV_INIT;
    int rc;
    pd_strv_push(&one, path);
    rc = pd_files_reader(&one, format, options, sql, err);
    pd_strv_clear(&one);
    return rc;
}

int pd_files_reader(const struct pd_strv *paths, const char *format, const json_t *options,
                    struct pd_buf *sql, struct pd_err *err)
{
    if (!format || !strcmp(format, "auto"))
        format = format_of(paths->v[0], NULL);
    if (!format)
        return pd_fail(err, PD_EINVAL,
                       "cannot tell the format of %s from its name: give --file-format csv, "
                       "parquet or json",
                       paths->v[0]);
    if (strcmp(format, "csv") && strcmp(format, "parquet") && strcmp(format, "json"))
        return pd_fail(err, PD_EINVAL, "unknown file format '%s' (csv, parquet or json)", format);
    pd_buf_addf(sql, "read_%s(", format);
    if (paths->n > 1)
        pd_buf_addc(sql, '[');
    for (size_t i = 0; i < paths->n; i++) {
        pd_buf_adds(sql, i ? ", " : "");
        pd_sql_literal(sql, paths->v[i]);
    }
    if (paths->n > 1)
        pd_buf_addc(sql, ']');
    if (options && pd_reader_options_sql(sql, format, options, err) != 0)
        return err->code;
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

/* One table of a file source: its name and the files or globs it reads as one. */
struct entry {
    char *name;
    struct pd_strv paths;
};

struct entries {
    struct entry *v;
    size_t n;
};

static struct entry *entry_add(struct entries *es, const char *name)
{
    es->v = xrealloc(es->v, (es->n + 1) * sizeof(*es->v));
    es->v[es->n] = (struct entry){xstrdup(name), PD_STRV_INIT};
    return &es->v[es->n++];
}

static int entry_named(const struct entries *es, const char *name)
{
    for (size_t i = 0; i < es->n; i++)
        if (!strcmp(es->v[i].name, name))
            return 1;
    return 0;
}

static void entries_clear(struct entries *es)
{
    for (size_t i = 0; i < es->n; i++) {
        free(es->v[i].name);
        pd_strv_clear(&es->v[i].paths);
    }
    free(es->v);
    memset(es, 0, sizeof(*es));
}

/*
 * The one format of the data files in list (a glob's matches, a directory's
 * files): *format, or an error naming how many of each there are. forced: the
 * --file-format, which every file is read as.
 */
static int one_format(const struct pd_strv *files, const char *forced, const char *what,
                      const char **format, struct pd_err *err)
{
    int csv = 0, parquet = 0, json = 0, other = 0;
    for (size_t i = 0; i < files->n; i++) {
        const char *f = format_of(files->v[i], NULL);
        csv += f && !strcmp(f, "csv");
        parquet += f && !strcmp(f, "parquet");
        json += f && !strcmp(f, "json");
        other += !f;
    }
    if (forced && strcmp(forced, "auto")) {
        *format = forced;
        return 0;
    }
    if ((csv > 0) + (parquet > 0) + (json > 0) + (other > 0) > 1)
        return pd_fail(err, PD_EINVAL,
                       "the files of %s are not of one format (%d CSV, %d Parquet, %d JSON, %d "
                       "other): give a pattern that matches one kind (such as *.csv), or attach "
                       "each kind as its own source",
                       what, csv, parquet, json, other);
    *format = csv ? "csv" : parquet ? "parquet" : json ? "json" : NULL;
    if (!*format)
        return pd_fail(err, PD_EINVAL,
                       "cannot tell the format of the files of %s from their names: give "
                       "--file-format csv, parquet or json",
                       what);
    return 0;
}

/* The data files directly in dir (sorted), and whether each extension is there. */
static int dir_files(const char *dir, struct pd_strv *files, struct pd_strv *exts_seen,
                     struct pd_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return pd_fail(err, PD_EIO, "cannot read directory %s", dir);
    while ((e = readdir(d)) != NULL) {
        size_t ext;
        if (e->d_name[0] == '.' || !format_of(e->d_name, &ext))
            continue;
        pd_strv_pushf(files, "%s/%s", dir, e->d_name);
        if (!pd_strv_has(exts_seen, e->d_name + strlen(e->d_name) - ext))
            pd_strv_push(exts_seen, e->d_name + strlen(e->d_name) - ext);
    }
    closedir(d);
    pd_strv_sort(files);
    pd_strv_sort(exts_seen);
    return 0;
}

/*
 * The tables of the source. A file is one table named after it (or --table); a
 * glob is one table over every match, named after the source (or --table); a
 * directory whose data files are of one format is one table over them all (a
 * glob per extension, so files added later are read too), and one of mixed
 * formats one table per file. *format: the format every table is read as (NULL
 * for a mixed directory: each file by its extension).
 */
static int entries(const struct pd_source *src, struct entries *es, const char **format,
                   struct pd_err *err)
{
    const char *path = pd_cfg_str(src->config, "path"), *table = pd_cfg_str(src->config, "table");
    const char *forced = pd_cfg_str(src->config, "file_format");
    struct stat st;
    int rc = 0;

    *format = forced && strcmp(forced, "auto") ? forced : NULL;
    if (!path)
        return pd_fail(err, PD_EUSAGE, "a file source needs --path FILE|DIR|GLOB");
    if (is_glob(path)) {
        struct pd_strv files = PD_STRV_INIT;
        glob_t g;
        if (glob(path, 0, NULL, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; i++)
                pd_strv_push(&files, g.gl_pathv[i]);
        globfree(&g);
        if (files.n == 0)
            rc = pd_fail(err, PD_ENOTFOUND, "no file matches %s", path);
        else if ((rc = one_format(&files, forced, path, format, err)) == 0)
            pd_strv_push(&entry_add(es, table ? table : src->name)->paths, path);
        pd_strv_clear(&files);
        return rc;
    }
    if (stat(path, &st) != 0)
        return pd_fail(err, PD_ENOTFOUND, "file %s does not exist", path);
    if (S_ISDIR(st.st_mode)) {
        struct pd_strv files = PD_STRV_INIT, exts_seen = PD_STRV_INIT;
        struct pd_err mixed = PD_ERR_INIT;
        if ((rc = dir_files(path, &files, &exts_seen, err)) == 0 && files.n == 0)
            rc = pd_fail(err, PD_ENOTFOUND, "directory %s has no CSV, Parquet or JSON file", path);
        if (rc == 0 && one_format(&files, forced, path, format, &mixed) == 0) {
            struct entry *e = entry_add(es, table ? table : src->name);
            for (size_t i = 0; i < exts_seen.n; i++)
                pd_strv_pushf(&e->paths, "%s/*%s", path, exts_seen.v[i]);
        } else if (rc == 0) {
            for (size_t i = 0; i < files.n; i++) {
                char *n = pd_file_table_name(files.v[i]);
                if (!entry_named(es, n))
                    pd_strv_push(&entry_add(es, n)->paths, files.v[i]);
                free(n);
            }
        }
        pd_strv_clear(&files);
        pd_strv_clear(&exts_seen);
        return rc;
    }
    char *n = table ? xstrdup(table) : pd_file_table_name(path);
    pd_strv_push(&entry_add(es, n)->paths, path);
    free(n);
    return 0;
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
    return pd_reader_options_configure(config, err);
}

/* The reader of entry e: its files, as their format, with the source's options. */
static int entry_reader(const struct pd_source *src, const struct entry *e, const char *format,
                        struct pd_buf *sql, struct pd_err *err)
{
    return pd_files_reader(&e->paths, format, json_object_get(src->config, "options"), sql, err);
}

static int fl_tables(const struct pd_source *src, duckdb_connection conn, struct pd_strv *out,
                     struct pd_err *err)
{
    struct entries es = {0};
    const char *format;
    int rc;

    (void)conn;
    rc = entries(src, &es, &format, err);
    for (size_t i = 0; rc == 0 && i < es.n; i++) {
        struct pd_buf probe = PD_BUF_INIT;
        if ((rc = entry_reader(src, &es.v[i], format, &probe, err)) == 0)
            pd_strv_push(out, es.v[i].name);
        pd_buf_release(&probe);
    }
    entries_clear(&es);
    return rc;
}

static int fl_relation(const struct pd_source *src, const char *table, struct pd_buf *sql,
                       struct pd_err *err)
{
    struct entries es = {0};
    const char *format;
    int rc = entries(src, &es, &format, err);

    if (rc == 0) {
        rc = pd_fail(err, PD_ENOTFOUND, "file source %s has no table %s", src->name, table);
        for (size_t i = 0; i < es.n; i++)
            if (strcmp(es.v[i].name, table) == 0) {
                pd_err_clear(err);
                rc = entry_reader(src, &es.v[i], format, sql, err);
                break;
            }
    }
    entries_clear(&es);
    return rc;
}

const struct pd_connector pd_conn_file = {
    .type = "file",
    .summary = "CSV, Parquet or JSON files: a file, a directory or a glob",
    .options = "--path FILE|DIR|GLOB [--table NAME] [--file-format csv|parquet|json] "
               "[--option NAME=VALUE ...]",
    .configure = configure,
    .tables = fl_tables,
    .relation = fl_relation,
};
