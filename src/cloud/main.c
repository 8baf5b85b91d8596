/*
 * main.c - the pluto-cloud command: serve the team control plane, migrate its
 * database, add an account. Each command is one entry of a table.
 */
#include "cloud/cloud.h"
#include "cloud/devdb.h"
#include "cloud/migrate.h"
#include "cloud/objects.h"
#include "cloud/sweep.h"
#include "cloud/store.h"

#include "http/server.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/path.h"
#include "base/id.h"
#include "base/log.h"

#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct options {
    const char *dsn, *data, *host, *allowed_hosts, *cors_origins, *tls_cert, *tls_key,
        *public_url, *name, *format, *s3_endpoint, *s3_bucket, *s3_region, *web_dir;
    int port, dev, trust_proxy, open_signup, pool, threads, password_stdin;
    double sweep_s;
};

static const char usage[] =
    "usage: pluto-cloud <command> [options]\n"
    "\n"
    "Pluto Cloud is the team control plane of Pluto Duck: accounts, workspaces and roles,\n"
    "pipeline versions, run history, schedules, reports and the audit trail, on PostgreSQL.\n"
    "It never runs a query and never receives a data row.\n"
    "\n"
    "commands:\n"
    "  serve              serve the API (--dev: on a private PostgreSQL under --data)\n"
    "  migrate            bring the database's schema up to date and exit\n"
    "  user add EMAIL     create an account (the password from stdin or a prompt)\n"
    "  version            print the version\n"
    "\n"
    "options:\n"
    "  --dsn DSN          the PostgreSQL database (postgresql://user@host/db)\n"
    "  --dev              without --dsn: create and run a private PostgreSQL (the default)\n"
    "  --data DIR         the data directory (PLUTO_CLOUD_HOME, else ~/.pluto-cloud)\n"
    "  --host ADDR        the address to bind (127.0.0.1)\n"
    "  --port N           the port (8500; 0: any free one)\n"
    "  --public-url URL   how clients reach this server (links in invitations)\n"
    "  --allowed-hosts L  Host names served besides the bound address (comma-separated)\n"
    "  --cors-origins L   web origins allowed to call from a browser (comma-separated)\n"
    "  --tls-cert FILE    serve HTTPS with this certificate (PEM) ...\n"
    "  --tls-key FILE     ... and its key\n"
    "  --trust-proxy      take client addresses from X-Forwarded-For (behind a proxy)\n"
    "  --s3-endpoint URL  keep artifacts in S3 (or an S3 API) at URL; the credentials come\n"
    "                     from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
    "  --s3-bucket NAME   ... in this bucket\n"
    "  --s3-region NAME   ... of this region (us-east-1)\n"
    "  --open-signup      anyone may create an account (else by invitation only)\n"
    "  --web-dir DIR      the built web pages (web/dist-cloud of the source tree)\n"
    "  --pool N           database connections (8)\n"
    "  --sweep-interval S how often due occurrences are recorded and unclaimed ones expire (10)\n"
    "  --threads N        HTTP worker threads (2)\n"
    "  --name NAME        user add: the display name\n"
    "  --password-stdin   user add: read the password from standard input\n"
    "  -h, --help         this help\n";

static int parse(int argc, char **argv, struct options *o)
{
    enum { DSN = 256, DEV, DATA, HOST, PORT, PUBLIC_URL, ALLOWED, CORS, CERT, KEY, PROXY, SIGNUP,
           POOL, THREADS, NAME, PWSTDIN, S3_ENDPOINT, S3_BUCKET, S3_REGION, SWEEP, WEB_DIR };
    static const struct option longs[] = {
        {"dsn", required_argument, NULL, DSN}, {"dev", no_argument, NULL, DEV},
        {"data", required_argument, NULL, DATA}, {"host", required_argument, NULL, HOST},
        {"port", required_argument, NULL, PORT}, {"public-url", required_argument, NULL, PUBLIC_URL},
        {"allowed-hosts", required_argument, NULL, ALLOWED},
        {"cors-origins", required_argument, NULL, CORS},
        {"tls-cert", required_argument, NULL, CERT}, {"tls-key", required_argument, NULL, KEY},
        {"trust-proxy", no_argument, NULL, PROXY}, {"open-signup", no_argument, NULL, SIGNUP},
        {"pool", required_argument, NULL, POOL}, {"threads", required_argument, NULL, THREADS},
        {"name", required_argument, NULL, NAME},
        {"password-stdin", no_argument, NULL, PWSTDIN}, {"help", no_argument, NULL, 'h'},
        {"s3-endpoint", required_argument, NULL, S3_ENDPOINT},
        {"s3-bucket", required_argument, NULL, S3_BUCKET},
        {"s3-region", required_argument, NULL, S3_REGION},
        {"sweep-interval", required_argument, NULL, SWEEP},
        {"web-dir", required_argument, NULL, WEB_DIR},
        {NULL, 0, NULL, 0}};
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case DSN: o->dsn = optarg; break;
        case DEV: o->dev = 1; break;
        case DATA: o->data = optarg; break;
        case HOST: o->host = optarg; break;
        case PORT:
            o->port = (int)strtol(optarg, &end, 10);
            if (*end || o->port < 0 || o->port > 65535) {
                fprintf(stderr, "pluto-cloud: --port takes a number from 0 to 65535\n");
                return 2;
            }
            break;
        case PUBLIC_URL: o->public_url = optarg; break;
        case ALLOWED: o->allowed_hosts = optarg; break;
        case CORS: o->cors_origins = optarg; break;
        case CERT: o->tls_cert = optarg; break;
        case KEY: o->tls_key = optarg; break;
        case PROXY: o->trust_proxy = 1; break;
        case SIGNUP: o->open_signup = 1; break;
        case POOL: o->pool = atoi(optarg); break;
        case THREADS: o->threads = atoi(optarg); break;
        case NAME: o->name = optarg; break;
        case PWSTDIN: o->password_stdin = 1; break;
        case S3_ENDPOINT: o->s3_endpoint = optarg; break;
        case S3_BUCKET: o->s3_bucket = optarg; break;
        case S3_REGION: o->s3_region = optarg; break;
        case WEB_DIR: o->web_dir = optarg; break;
        case SWEEP:
            o->sweep_s = strtod(optarg, &end);
            if (*end || o->sweep_s < 0.1 || o->sweep_s > 3600) {
                fprintf(stderr, "pluto-cloud: --sweep-interval takes seconds from 0.1 to 3600\n");
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); exit(0);
        default: fprintf(stderr, "try 'pluto-cloud --help'\n"); return 2;
        }
    }
    return 0;
}

static char *data_dir(const struct options *o)
{
    struct pd_buf b = PD_BUF_INIT;
    const char *home = getenv("HOME");
    if (o->data)
        return xstrdup(o->data);
    if (getenv("PLUTO_CLOUD_HOME"))
        return xstrdup(getenv("PLUTO_CLOUD_HOME"));
    pd_buf_addf(&b, "%s/.pluto-cloud", home ? home : ".");
    return pd_buf_detach(&b, NULL);
}

/* The database: the one given, or the private cluster (started into *dev). */
static int open_store(const struct options *o, struct cl_devdb **dev, struct cl_store **store,
                      struct pd_err *err)
{
    const char *dsn = o->dsn;
    char *dir;
    int rc;
    *dev = NULL;
    if (dsn && o->dev)
        return pd_fail(err, PD_EUSAGE, "give --dsn or --dev, not both");
    if (dsn == NULL) {
        dir = data_dir(o);
        rc = cl_devdb_start(dev, dir, &dsn, err);
        free(dir);
        if (rc)
            return rc;
    }
    if ((rc = cl_store_open(store, dsn, o->pool, err)) == 0 && (rc = cl_migrate(*store, NULL, err)))
        cl_store_close(*store);
    if (rc) {
        cl_devdb_stop(*dev);
        *dev = NULL;
    }
    return rc;
}

static char *read_file(const char *path, struct pd_err *err)
{
    FILE *f = fopen(path, "r");
    struct pd_buf b = PD_BUF_INIT;
    char chunk[4096];
    size_t n;
    if (f == NULL) {
        pd_fail(err, PD_EINVAL, "cannot read %s", path);
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        pd_buf_add(&b, chunk, n);
    fclose(f);
    return pd_buf_detach(&b, NULL);
}

static int load_key(struct cl_store *s, unsigned char key[CL_KEY_BYTES], struct pd_err *err)
{
    struct cl_db *db = cl_db_get(s, err);
    PGresult *res;
    size_t len = 0;
    unsigned char *raw;
    if (db == NULL)
        return err->code;
    res = cl_db_exec(db, "SELECT jwt_secret FROM server_keys WHERE id = 1", 0, NULL, err);
    cl_db_put(s, db);
    if (res == NULL)
        return err->code;
    raw = PQntuples(res) ? PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &len)
                         : NULL;
    PQclear(res);
    if (raw == NULL || len != CL_KEY_BYTES) {
        PQfreemem(raw);
        return pd_fail(err, PD_EINTERNAL, "the database holds no signing key");
    }
    memcpy(key, raw, CL_KEY_BYTES);
    sodium_memzero(raw, len);
    PQfreemem(raw);
    return 0;
}

/* The address clients reach us at, once the port is known (before any request). */
struct bound {
    struct cloud *c;
    const struct options *o;
    const char *host;
    int tls;
    char url[256];
};

static void on_bound(void *app, int port)
{
    struct cloud *c = app;
    struct bound *b = c->bound;
    snprintf(b->url, sizeof(b->url), "%s://%s:%d", b->tls ? "https" : "http",
             strchr(b->host, ':') ? "[::1]" : b->host, port);
    c->o.public_url = b->o->public_url ? b->o->public_url : b->url;
}

static int cmd_serve(const struct options *o, struct pd_err *err)
{
    struct cloud c = {.o = {.access_ttl_s = 900, .refresh_ttl_s = 30 * 24 * 3600,
                            .open_signup = o->open_signup,
                            .web_dir = o->web_dir}};
    struct http_opts ho = {0};
    struct http_server *http = NULL;
    struct cl_devdb *dev = NULL;
    char *cert = NULL, *key = NULL, *objects_dir = NULL;
    struct bound bound = {.o = o};
    /* the pages shipped with this binary: next to it when installed or copied, else the build's */
    char *shipped = o->web_dir ? NULL
                               : pd_path_shipped("pluto-cloud/web", "index.html", PD_CLOUD_WEB_DIR);
    if (shipped)
        c.o.web_dir = shipped;
    struct cl_objects_opts oo = {0};
    struct cl_sweeper *sweeper = NULL;
    sigset_t sigs;
    int rc, sig;

    char *dir = data_dir(o), *logpath;
    struct pd_buf lb = PD_BUF_INIT;
    pd_buf_addf(&lb, "%s/pluto-cloud.log", dir);
    logpath = pd_buf_detach(&lb, NULL);
    mkdir(dir, 0711);
    if (pd_log_open(logpath, PD_LOG_INFO, err) != 0) {
        fprintf(stderr, "pluto-cloud: %s (logging to stderr only)\n", err->msg);
        pd_err_clear(err);
    }
    pd_log_mirror_stderr(1, PD_LOG_WARN);
    free(logpath);
    free(dir);
    if ((rc = open_store(o, &dev, &c.store, err))) {
        free(shipped);
        return rc;
    }
    if ((rc = load_key(c.store, c.jwt_key, err)))
        goto done;
    {
        struct pd_buf ob = PD_BUF_INIT;
        char *home = data_dir(o);
        pd_buf_addf(&ob, "%s/objects", home);
        free(home);
        objects_dir = pd_buf_detach(&ob, NULL);
    }
    oo.dir = objects_dir;
    oo.key = c.jwt_key;
    oo.s3_endpoint = o->s3_endpoint;
    oo.s3_bucket = o->s3_bucket;
    oo.s3_region = o->s3_region;
    oo.s3_access_key = getenv("AWS_ACCESS_KEY_ID");
    oo.s3_secret_key = getenv("AWS_SECRET_ACCESS_KEY");
    if ((rc = cl_objects_open(&c.objects, &oo, err)))
        goto done;
    c.o.max_upload = 10u << 20;
    c.bound = &bound;
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        rc = pd_fail(err, PD_EUSAGE, "--tls-cert and --tls-key go together");
        goto done;
    }
    if (o->tls_cert && ((cert = read_file(o->tls_cert, err)) == NULL ||
                        (key = read_file(o->tls_key, err)) == NULL)) {
        rc = err->code;
        goto done;
    }
    /* The signals that stop us are taken by this thread alone (sigwait below). */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    ho.host = o->host ? o->host : "127.0.0.1";
    ho.port = o->port;
    ho.api = &cl_api;
    ho.app = &c;
    ho.authenticate = cl_authenticate;
    ho.before = cl_before;
    ho.cors_origins = o->cors_origins;
    ho.allowed_hosts = o->allowed_hosts;
    ho.threads = o->threads > 0 ? o->threads : 2;
    ho.handler_threads = o->pool > 0 ? o->pool : 8;
    ho.max_body = c.o.max_upload;
    ho.grace_s = 5;
    ho.trust_proxy = o->trust_proxy;
    ho.tls_cert_pem = cert;
    ho.tls_key_pem = key;
    ho.on_bound = on_bound;
    bound.host = ho.host;
    bound.tls = cert != NULL;
    if ((rc = http_server_start(&http, &ho, err)))
        goto done;
    sweeper = cl_sweeper_start(c.store, o->sweep_s > 0 ? o->sweep_s : 10);
    printf("pluto-cloud: serving %s (database: %s; artifacts: %s)\n", bound.url,
           dev ? "private, --dev" : "--dsn", cl_objects_kind(c.objects));
    fflush(stdout);
    sigwait(&sigs, &sig);
    fprintf(stderr, "pluto-cloud: stopping\n");
    cl_sweeper_stop(sweeper);
    http_server_stop(http);
done:
    free(cert);
    if (key) {
        sodium_memzero(key, strlen(key));
        free(key);
    }
    sodium_memzero(c.jwt_key, sizeof(c.jwt_key));
    cl_objects_close(c.objects);
    free(objects_dir);
    free(shipped);
    cl_store_close(c.store);
    cl_devdb_stop(dev);
    return rc;
}

static int cmd_migrate(const struct options *o, struct pd_err *err)
{
    struct cl_store *s;
    struct cl_devdb *dev = NULL;
    int rc;
    if (o->dsn == NULL && !o->dev)
        return pd_fail(err, PD_EUSAGE, "migrate needs --dsn (or --dev)");
    if ((rc = open_store(o, &dev, &s, err)) == 0) {
        printf("the schema is at version %d\n", cl_schema_version());
        cl_store_close(s);
    }
    cl_devdb_stop(dev);
    return rc;
}

static int add_user(struct cl_db *db, const char *email, const char *name, const char *hash,
                    struct pd_err *err)
{
    char id[40];
    pd_uuid7(id);
    return cl_db_run(db,
                     "INSERT INTO users (id, email, name, password_hash) VALUES ($1, lower($2), "
                     "$3, $4)",
                     CL_ARGS(id, email, name ? name : "", hash), err);
}

static int cmd_user_add(const struct options *o, const char *email, struct pd_err *err)
{
    struct cl_store *s;
    struct cl_devdb *dev = NULL;
    struct cl_db *db;
    char line[1100], hash[128];
    int rc;
    if (!o->password_stdin && isatty(0)) {
        fprintf(stderr, "password for %s: ", email);
        fflush(stderr);
    }
    if (fgets(line, sizeof(line), stdin) == NULL)
        return pd_fail(err, PD_EUSAGE, "no password given on standard input");
    line[strcspn(line, "\r\n")] = '\0';
    if (strlen(line) < 8)
        return pd_fail(err, PD_EINVAL, "the password needs 8 characters or more");
    if (strchr(email, '@') == NULL)
        return pd_fail(err, PD_EINVAL, "'%s' is not an email address", email);
    if ((rc = cl_password_hash(line, hash, err)))
        return rc;
    sodium_memzero(line, sizeof(line));
    if ((rc = open_store(o, &dev, &s, err)))
        return rc;
    if ((db = cl_db_get(s, err)) == NULL)
        rc = err->code;
    else if ((rc = add_user(db, email, o->name, hash, err)) == PD_EEXIST) {
        pd_err_clear(err);
        rc = pd_fail(err, PD_EEXIST, "an account with the email %s exists", email);
    }
    cl_db_put(s, db);
    if (rc == 0)
        printf("added %s\n", email);
    cl_store_close(s);
    cl_devdb_stop(dev);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o = {.port = 8500};
    struct pd_err err = PD_ERR_INIT;
    const char *cmd;
    int rc;
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("pluto-cloud %s\n", PD_VERSION);
        return 0;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "pluto-cloud: libsodium failed to initialise\n");
        return 3;
    }
    if ((rc = parse(argc - 1, argv + 1, &o)) != 0)
        return rc;
    if (strcmp(cmd, "serve") == 0 && optind + 1 == argc)
        rc = cmd_serve(&o, &err);
    else if (strcmp(cmd, "migrate") == 0 && optind + 1 == argc)
        rc = cmd_migrate(&o, &err);
    else if (strcmp(cmd, "user") == 0 && optind + 3 == argc && strcmp(argv[optind + 1], "add") == 0)
        rc = cmd_user_add(&o, argv[optind + 2], &err);
    else {
        fprintf(stderr, "pluto-cloud: unknown command or arguments: %s (try --help)\n", cmd);
        return 2;
    }
    if (rc) {
        fprintf(stderr, "pluto-cloud: %s\n", err.msg);
        return pd_err_exit_code(rc);
    }
    return 0;
}
