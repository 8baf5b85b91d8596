/*
 * path.c - path helpers (see path.h).
 */
#include "base/path.h"

#include "base/alloc.h"
#include "base/err.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *pd_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    if (b[0] == '/' || la == 0)
        return xstrdup(b);
    while (la > 1 && a[la - 1] == '/')
        la--;
    return xasprintf("%.*s/%s", (int)la, a, b);
}

char *pd_path_absolute(const char *p)
{
    char cwd[PATH_MAX];
    if (p[0] == '/' || strcmp(p, "-") == 0 || getcwd(cwd, sizeof(cwd)) == NULL)
        return xstrdup(p);
    return pd_path_join(cwd, p);
}

char *pd_path_expand_user(const char *p)
{
    const char *home = getenv("HOME");
    if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') && home && *home)
        return xasprintf("%s%s", home, p + 1);
    return xstrdup(p);
}

char *pd_path_dirname(const char *p)
{
    const char *slash = strrchr(p, '/');
    if (slash == NULL)
        return xstrdup(".");
    if (slash == p)
        return xstrdup("/");
    return xstrndup(p, (size_t)(slash - p));
}

int pd_mkdir_p(const char *dir, mode_t mode, struct pd_err *err)
{
    char *p = xstrdup(dir);
    int rc = 0;

    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, mode) != 0 && errno != EEXIST) {
                rc = pd_fail(err, PD_EIO, "cannot create directory '%s': %s", p, strerror(errno));
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    if (rc == 0) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = pd_fail(err, PD_EIO, "'%s' exists and is not a directory", dir);
    }
    free(p);
    return rc;
}

char *pd_path_find_upward(const char *start, const char *name)
{
    char *dir = xstrdup(start);
    for (;;) {
        char *candidate = pd_path_join(dir, name);
        if (access(candidate, F_OK) == 0) {
            free(dir);
            return candidate;
        }
        free(candidate);
        if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
            break;
        char *parent = pd_path_dirname(dir);
        free(dir);
        dir = parent;
    }
    free(dir);
    return NULL;
}

int pd_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int pd_write_file_atomic(const char *path, const char *text, size_t len, struct pd_err *err)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = 0;

    if (f == NULL) {
        rc = pd_fail(err, PD_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    } else {
        if (fwrite(text, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0)
            rc = pd_fail(err, PD_EIO, "cannot write '%s': %s", tmp, strerror(errno));
        if (fclose(f) != 0 && rc == 0)
            rc = pd_fail(err, PD_EIO, "cannot write '%s': %s", tmp, strerror(errno));
        if (rc == 0 && rename(tmp, path) != 0)
            rc = pd_fail(err, PD_EIO, "cannot replace '%s': %s", path, strerror(errno));
        if (rc)
            unlink(tmp);
    }
    free(tmp);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void pd_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *pd_path_shipped(const char *rel, const char *probe, const char *built)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *bin = pd_path_dirname(exe), *share = xasprintf("%s/../share/%s", bin, rel);
        char *check = pd_path_join(share, probe);
        int found = pd_path_exists(check);
        free(bin);
        free(check);
        if (found) {
            char *real = realpath(share, NULL);
            free(share);
            return real ? real : xstrdup(built);
        }
        free(share);
    }
    return xstrdup(built);
}
