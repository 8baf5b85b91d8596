/*
 * bundle.c - checking a pipeline's files and their digest (see bundle.h).
 */
#include "cloud/bundle.h"

#include "base/err.h"
#include "base/strv.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void cl_sha256_hex(const char *text, size_t n, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)text, n);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* Why a path may not be stored, or NULL when it may. */
static const char *path_problem(const char *path)
{
    size_t n = strlen(path);
    const char *c;
    if (n == 0)
        return "it is empty";
    if (n > CL_BUNDLE_MAX_PATH)
        return "it is over 255 bytes";
    if (path[0] == '/')
        return "it is absolute";
    if (path[n - 1] == '/')
        return "it names a folder";
    for (c = path; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u < 0x20 || u == 0x7f)
            return "it holds a control character";
        if (strchr("\\:*?\"<>|", u))
            return "it holds one of \\ : * ? \" < > | (not allowed on every system)";
    }
    for (c = path; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
        size_t len = strcspn(c, "/");
        if (len == 0)
            return "it has an empty segment (//)";
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return "it has a . or .. segment";
    }
    return NULL;
}

static int by_bytes(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int by_folded(const void *x, const void *y)
{
    return strcasecmp(*(char *const *)x, *(char *const *)y);
}

int cl_bundle_check(const json_t *files, struct cl_bundle *b, struct pd_err *err)
{
    struct pd_strv paths = PD_STRV_INIT;
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    const char *path, *why;
    json_t *content;
    int dbt = 0, duckpipe = 0, rc = 0;

    memset(b, 0, sizeof(*b));
    b->files = files;
    if (!json_is_object(files))
        return pd_fail(err, PD_EINVAL, "field 'files' must be an object of paths to file contents");
    if (json_object_size(files) == 0)
        return pd_fail(err, PD_EINVAL, "the bundle has no files");
    if (json_object_size(files) > CL_BUNDLE_MAX_FILES)
        return pd_fail(err, PD_ETOOBIG, "the bundle has %zu files, over the limit of %d",
                       json_object_size(files), CL_BUNDLE_MAX_FILES);
    json_object_foreach((json_t *)files, path, content) {
        if ((why = path_problem(path)) != NULL) {
            rc = pd_fail(err, PD_EINVAL, "the path '%.300s' is refused: %s", path, why);
            break;
        }
        if (!json_is_string(content)) {
            rc = pd_fail(err, PD_EINVAL, "the content of '%s' must be a string (the file's text)",
                         path);
            break;
        }
        b->size += json_string_length(content);
        if (b->size > CL_BUNDLE_MAX_BYTES) {
            rc = pd_fail(err, PD_ETOOBIG, "the bundle is over the limit of %u MB",
                         CL_BUNDLE_MAX_BYTES >> 20);
            break;
        }
        dbt |= strcmp(path, "dbt_project.yml") == 0;
        duckpipe |= strncmp(path, "analyses/", 9) == 0 &&
                    (strlen(path) > 14 && (strcmp(path + strlen(path) - 5, ".yaml") == 0 ||
                                           strcmp(path + strlen(path) - 4, ".yml") == 0));
        pd_strv_push(&paths, path);
    }
    if (rc == 0) {
        /* Paths that differ only in case would overwrite each other on macOS and Windows. */
        qsort(paths.v, paths.n, sizeof(*paths.v), by_folded);
        for (size_t i = 1; i < paths.n && rc == 0; i++)
            if (strcasecmp(paths.v[i - 1], paths.v[i]) == 0)
                rc = pd_fail(err, PD_EINVAL, "the paths '%s' and '%s' differ only in case",
                             paths.v[i - 1], paths.v[i]);
        qsort(paths.v, paths.n, sizeof(*paths.v), by_bytes);
    }
    if (rc == 0 && !dbt && !duckpipe)
        rc = pd_fail(err, PD_EINVAL,
                     "the bundle is neither a duckpipe project (analyses/*.yaml) nor a dbt "
                     "project (dbt_project.yml)");
    if (rc == 0) {
        crypto_hash_sha256_init(&st);
        for (size_t i = 0; i < paths.n; i++) {
            json_t *c = json_object_get(files, paths.v[i]);
            char len[32];
            int n = snprintf(len, sizeof(len), "%zu", json_string_length(c));
            crypto_hash_sha256_update(&st, (const unsigned char *)paths.v[i],
                                      strlen(paths.v[i]) + 1);
            crypto_hash_sha256_update(&st, (const unsigned char *)len, (size_t)n + 1);
            crypto_hash_sha256_update(&st, (const unsigned char *)json_string_value(c),
                                      json_string_length(c));
        }
        crypto_hash_sha256_final(&st, h);
        sodium_bin2hex(b->digest, sizeof(b->digest), h, sizeof(h));
        b->kind = dbt ? "dbt" : "duckpipe";
        b->count = paths.n;
    }
    pd_strv_clear(&paths);
    return rc;
}
