/*
 * devdb.c - a private PostgreSQL cluster for development (see devdb.h).
 *
 * PostgreSQL refuses to run as root, so as root the cluster belongs to, and
 * runs as, the postgres user that Debian's package creates.
 */
#include "cloud/devdb.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct cl_devdb {
    char *bin;   /* PostgreSQL's bin folder */
    char *root;  /* dir/postgres */
    char *data;  /* root/data */
    char *dsn;
    uid_t uid;   /* who runs it (postgres when we are root) */
    gid_t gid;
    int started;
};

/* The newest installed PostgreSQL's bin folder, or NULL. */
static char *find_bin(void)
{
    glob_t g;
    char *bin = NULL;
    if (glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        /* glob sorts by name: pick the highest version by number. */
        size_t best = 0;
        for (size_t i = 1; i < g.gl_pathc; i++)
            if (atoi(g.gl_pathv[i] + strlen("/usr/lib/postgresql/")) >
                atoi(g.gl_pathv[best] + strlen("/usr/lib/postgresql/")))
                best = i;
        bin = xstrndup(g.gl_pathv[best], strlen(g.gl_pathv[best]) - strlen("/pg_ctl"));
    }
    globfree(&g);
    return bin;
}

/* Run argv as the cluster's owner, its output to log; the exit status or -1. */
static int run(const struct cl_devdb *d, char *const argv[], const char *log)
{
    pid_t pid = fork();
    int status;
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd;
        if (getuid() == 0 && (setgid(d->gid) != 0 || setuid(d->uid) != 0))
            _exit(126);
        if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (chdir(d->root) != 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *tool(const struct cl_devdb *d, const char *name)
{
    struct pd_buf b = PD_BUF_INIT;
    pd_buf_addf(&b, "%s/%s", d->bin, name);
    return pd_buf_detach(&b, NULL);
}

static int owned_dir(const struct cl_devdb *d, const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -1;
    if (getuid() == 0 && chown(path, d->uid, d->gid) != 0)
        return -1;
    return chmod(path, 0700);
}

/* The last lines of a log, for an error message. */
static void log_tail(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = '\0';
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (*line)
            snprintf(out, size, "%s", line);
    }
    fclose(f);
}

/* Create the pluto_cloud database once the cluster answers. */
static int create_database(struct cl_devdb *d, struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT;
    PGconn *c;
    PGresult *res;
    int rc = 0;
    pd_buf_addf(&b, "host=%s port=5432 user=pluto dbname=postgres", d->root);
    c = PQconnectdb(b.ptr);
    pd_buf_release(&b);
    if (PQstatus(c) != CONNECTION_OK) {
        rc = pd_fail(err, PD_EIO, "the dev database does not answer: %s", PQerrorMessage(c));
        PQfinish(c);
        return rc;
    }
    res = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = 'pluto_cloud'");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0) {
        PQclear(res);
        res = PQexec(c, "CREATE DATABASE pluto_cloud");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pd_fail(err, PD_EIO, "cannot create the dev database: %s",
                         PQresultErrorMessage(res));
    }
    PQclear(res);
    PQfinish(c);
    return rc;
}

int cl_devdb_start(struct cl_devdb **out, const char *dir, const char **dsn, struct pd_err *err)
{
    struct cl_devdb *d = xcalloc(1, sizeof(*d));
    struct pd_buf b = PD_BUF_INIT;
    char *initdb = NULL, *pg_ctl = NULL, *log = NULL, opts[1024], tail[512];
    struct stat st;
    int rc = 0;

    *out = NULL;
    if ((d->bin = find_bin()) == NULL) {
        free(d);
        return pd_fail(err, PD_ECONFIG,
                       "--dev needs PostgreSQL's server (Debian package postgresql; "
                       "scripts/setup.sh installs it), or give --dsn");
    }
    d->uid = getuid();
    d->gid = getgid();
    if (getuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (pw == NULL) {
            cl_devdb_stop(d);
            return pd_fail(err, PD_ECONFIG, "running as root, --dev needs the postgres user");
        }
        d->uid = pw->pw_uid;
        d->gid = pw->pw_gid;
    }
    pd_buf_addf(&b, "%s/postgres", dir);
    d->root = pd_buf_detach(&b, NULL);
    pd_buf_addf(&b, "%s/data", d->root);
    d->data = pd_buf_detach(&b, NULL);
    pd_buf_addf(&b, "%s/server.log", d->root);
    log = pd_buf_detach(&b, NULL);
    initdb = tool(d, "initdb");
    pg_ctl = tool(d, "pg_ctl");
    /* As root, the postgres user must pass through dir to reach its cluster. */
    if (mkdir(dir, getuid() == 0 ? 0711 : 0700) != 0 && errno != EEXIST) {
        rc = pd_fail(err, PD_EIO, "cannot create %s: %s", dir, strerror(errno));
        goto done;
    }
    if (owned_dir(d, d->root) != 0) {
        rc = pd_fail(err, PD_EIO, "cannot prepare %s: %s", d->root, strerror(errno));
        goto done;
    }
    if (stat(d->data, &st) != 0) {
        char *argv[] = {initdb, "-D", d->data, "-U", "pluto", "-A", "trust", "-E", "UTF8",
                        "--locale=C.UTF-8", NULL};
        pd_log(PD_LOG_INFO, "creating the dev database", "{s:s}", "path", d->data);
        if ((rc = run(d, argv, log)) == 126) {
            rc = pd_fail(err, PD_EIO,
                         "the postgres user cannot reach %s: the folders above it need "
                         "execute permission for others (chmod o+x), or run as another user",
                         d->root);
            goto done;
        }
        if (rc != 0) {
            log_tail(log, tail, sizeof(tail));
            rc = pd_fail(err, PD_EIO, "initdb failed (%s): see %s", tail, log);
            goto done;
        }
    }
    /* Only a Unix socket, in the 0700 folder: nothing on the network. */
    snprintf(opts, sizeof(opts), "-k %s -c listen_addresses= -p 5432 -c fsync=off", d->root);
    {
        char *status[] = {pg_ctl, "-D", d->data, "status", NULL};
        if (run(d, status, log) == 0) {
            /* A server of this data directory runs it (pluto-cloud user add beside serve):
               use it, and leave it running. */
            pd_log(PD_LOG_INFO, "the dev database runs already: using it", "{s:s}", "path",
                   d->data);
            goto started;
        }
    }
    {
        char *argv[] = {pg_ctl, "-D", d->data, "-l", log, "-w", "-t", "60", "-o", opts, "start",
                        NULL};
        if (run(d, argv, log) != 0) {
            log_tail(log, tail, sizeof(tail));
            rc = pd_fail(err, strstr(tail, "already") || strstr(tail, "lock file") ? PD_ELOCKED
                                                                                  : PD_EIO,
                         "the dev database did not start (%s): see %s", tail, log);
            goto done;
        }
    }
    d->started = 1;
started:
    if ((rc = create_database(d, err)) != 0)
        goto done;
    pd_buf_addf(&b, "host=%s port=5432 user=pluto dbname=pluto_cloud", d->root);
    d->dsn = pd_buf_detach(&b, NULL);
    *dsn = d->dsn;
    *out = d;
done:
    free(initdb);
    free(pg_ctl);
    free(log);
    if (rc != 0)
        cl_devdb_stop(d);
    return rc;
}

void cl_devdb_stop(struct cl_devdb *d)
{
    if (d == NULL)
        return;
    if (d->started) {
        char *pg_ctl = tool(d, "pg_ctl"), *log;
        struct pd_buf b = PD_BUF_INIT;
        pd_buf_addf(&b, "%s/server.log", d->root);
        log = pd_buf_detach(&b, NULL);
        char *argv[] = {pg_ctl, "-D", d->data, "-m", "fast", "-w", "stop", NULL};
        run(d, argv, log);
        free(pg_ctl);
        free(log);
    }
    free(d->bin);
    free(d->root);
    free(d->data);
    free(d->dsn);
    free(d);
}
