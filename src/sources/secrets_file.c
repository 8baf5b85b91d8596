/*
 * secrets_file.c - the file secret store: secrets/<key>, mode 0600, in a 0700
 * folder, written aside and renamed (see secrets.h).
 */
#include "sources/secrets.h"
#include "sources/secrets_store.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/path.h"

#include "base/strv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *secret_path(const char *home, const char *key)
{
    return xasprintf("%s/secrets/%s", home, key);
}

int pd_secret_file_put(const char *home, const char *key, const char *value, struct pd_err *err)
{
    char *dir = xasprintf("%s/secrets", home), *path = secret_path(home, key);
    char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
    size_t len = strlen(value);
    int fd, rc = 0;

    if (pd_mkdir_p(dir, 0700, err) != 0) {
        rc = err->code;
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, value, len) != (ssize_t)len || fsync(fd) != 0) {
        rc = pd_fail(err, PD_EIO, "cannot write the secret store %s: %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        rc = pd_fail(err, PD_EIO, "cannot write the secret store %s: %s", dir, strerror(errno));
        unlink(tmp);
    }
out:
    free(dir);
    free(path);
    free(tmp);
    return rc;
}

char *pd_secret_file_get(const char *home, const char *key)
{
    char *path = secret_path(home, key);
    struct pd_buf b = PD_BUF_INIT;
    char *out = NULL;

    if (pd_buf_read_file(&b, path) == 0)
        out = pd_buf_detach(&b, NULL);
    pd_buf_release(&b);
    free(path);
    return out;
}

void pd_secret_file_delete(const char *home, const char *key)
{
    char *path = secret_path(home, key);
    unlink(path);
    free(path);
}

int pd_secret_file_keys(const char *home, struct pd_strv *keys)
{
    char *dir = xasprintf("%s/secrets", home);
    DIR *d = opendir(dir);
    struct dirent *e;
    free(dir);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && strstr(e->d_name, ".tmp") == NULL)
            pd_strv_push(keys, e->d_name);
    closedir(d);
    pd_strv_sort(keys);
    return 0;
}
