/*
 * skills.c - built-in skills and SKILL.md files (see skills.h).
 */
#include "agent/skills.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/yaml.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *description, *tools, *body;
} builtin[] = {
    {"sql-analysis", "How to answer a question about the data with one correct SELECT.",
     "list_tables describe_table sample_rows run_sql",
     "1. Find the tables with list_tables and read their columns with describe_table.\n"
     "2. Look at a few rows (sample_rows) when a column's values are unclear.\n"
     "3. Write one SELECT in DuckDB's dialect; join on the key columns (<name>_id).\n"
     "4. When summing across a join to a table with several rows per key, aggregate the\n"
     "   detail table first so no row counts twice.\n"
     "5. Run it with run_sql, check the row count and the first rows make sense, then answer\n"
     "   with the numbers from the result, never from memory.\n"},
    {"source-exploration", "How to find out what an attached database or file source holds.",
     "list_sources list_source_tables describe_table sample_rows",
     "1. list_sources shows the attached sources and their status.\n"
     "2. list_source_tables NAME lists a source's tables and columns; each is a view\n"
     "   NAME.table in the warehouse, read live.\n"
     "3. sample_rows NAME.table shows a few rows; prefer a cached copy (schema cache) for\n"
     "   large tables.\n"},
    {"lineage", "How to explain where an analysis's numbers come from.",
     "list_analyses get_lineage get_freshness",
     "1. list_analyses shows the saved analyses and whether they are fresh.\n"
     "2. get_lineage ID gives what the analysis reads (tables, sources, files, other\n"
     "   analyses) and, per output column, the input columns it is computed from.\n"
     "3. get_freshness ID says whether it would run again, and why.\n"},
};

static void put(struct ag_skills *s, struct ag_skill *k)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, k->name) == 0) {
            free(s->v[i].name);
            free(s->v[i].description);
            free(s->v[i].body);
            free(s->v[i].origin);
            pd_strv_clear(&s->v[i].allowed_tools);
            s->v[i] = *k;
            return;
        }
    s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
    s->v[s->n++] = *k;
}

/* One SKILL.md: front matter, then the body. */
static int read_skill(const char *path, struct ag_skill *k, struct pd_err *err)
{
    struct pd_buf text = PD_BUF_INIT;
    char *end, *front;
    json_t *meta, *tools, *v;
    size_t i;
    pd_buf_init(&text, 1 << 20);
    if (pd_buf_read_file(&text, path) != 0) {
        pd_buf_release(&text);
        return pd_fail(err, PD_EIO, "%s: cannot read it (or larger than 1 MiB)", path);
    }
    if (strncmp(text.ptr, "---\n", 4) != 0 || (end = strstr(text.ptr + 4, "\n---")) == NULL) {
        pd_buf_release(&text);
        return pd_fail(err, PD_EINVAL, "%s: no front matter (--- name, description ---)", path);
    }
    front = xstrndup(text.ptr + 4, (size_t)(end - text.ptr - 4));
    meta = pd_yaml_load_json_string(front, path, err);
    free(front);
    if (!json_is_object(meta) || !json_is_string(json_object_get(meta, "name")) ||
        !json_is_string(json_object_get(meta, "description"))) {
        int rc = err->code ? err->code
                           : pd_fail(err, PD_EINVAL, "%s: the front matter needs name and description",
                                     path);
        json_decref(meta);
        pd_buf_release(&text);
        return rc;
    }
    memset(k, 0, sizeof(*k));
    k->name = xstrdup(json_string_value(json_object_get(meta, "name")));
    k->description = xstrdup(json_string_value(json_object_get(meta, "description")));
    end += 4;
    while (*end == '-' || *end == '\n' || *end == '\r')
        end++;
    k->body = xstrdup(end);
    k->origin = xstrdup(path);
    tools = json_object_get(meta, "allowed-tools");
    if (json_is_string(tools)) {
        char *copy = xstrdup(json_string_value(tools)), *save = NULL, *t;
        for (t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
            pd_strv_push(&k->allowed_tools, t);
        free(copy);
    }
    json_array_foreach(tools, i, v)
        if (json_is_string(v))
            pd_strv_push(&k->allowed_tools, json_string_value(v));
    json_decref(meta);
    pd_buf_release(&text);
    return 0;
}

static void read_folder(struct ag_skills *s, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct pd_strv names = {0};
    if (!d)
        return;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            pd_strv_push(&names, e->d_name);
    closedir(d);
    pd_strv_sort(&names);
    for (size_t i = 0; i < names.n; i++) {
        char *path = xasprintf("%s/%s/SKILL.md", dir, names.v[i]);
        struct ag_skill k;
        struct pd_err err = PD_ERR_INIT;
        FILE *probe = fopen(path, "r");
        if (probe) {
            fclose(probe);
            if (read_skill(path, &k, &err) == 0)
                put(s, &k);
            else
                pd_strv_push(&s->problems, err.msg);
        }
        free(path);
    }
    pd_strv_clear(&names);
}

void ag_skills_load(const char *home, const char *project, struct ag_skills *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        struct ag_skill k = {xstrdup(builtin[i].name), xstrdup(builtin[i].description),
                             xstrdup(builtin[i].body), xstrdup("built-in"), {0}};
        char *copy = xstrdup(builtin[i].tools), *save = NULL, *t;
        for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
            pd_strv_push(&k.allowed_tools, t);
        free(copy);
        put(out, &k);
    }
    if (home) {
        char *user = xasprintf("%s/skills", home);
        char *proj = xasprintf("%s/projects/%s/skills", home, project ? project : "default");
        read_folder(out, user);
        read_folder(out, proj);
        free(user);
        free(proj);
    }
}

const struct ag_skill *ag_skill_find(const struct ag_skills *s, const char *name)
{
    for (size_t i = 0; name && i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return &s->v[i];
    return NULL;
}

void ag_skills_clear(struct ag_skills *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].description);
        free(s->v[i].body);
        free(s->v[i].origin);
        pd_strv_clear(&s->v[i].allowed_tools);
    }
    free(s->v);
    pd_strv_clear(&s->problems);
    memset(s, 0, sizeof(*s));
}

json_t *ag_skills_json(const struct ag_skills *s)
{
    json_t *list = json_array(), *problems = json_array();
    for (size_t i = 0; i < s->n; i++) {
        json_t *tools = json_array();
        for (size_t k = 0; k < s->v[i].allowed_tools.n; k++)
            json_array_append_new(tools, json_string(s->v[i].allowed_tools.v[k]));
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "name", s->v[i].name,
                                              "description", s->v[i].description, "origin",
                                              s->v[i].origin, "allowed_tools", tools));
    }
    for (size_t i = 0; i < s->problems.n; i++)
        json_array_append_new(problems, json_string(s->problems.v[i]));
    return json_pack("{s:o, s:o}", "skills", list, "problems", problems);
}
