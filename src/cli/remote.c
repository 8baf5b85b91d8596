/*
 * remote.c - the CLI through a running server: finding it, sending a command
 * line and printing its output (client), and running one (server). See remote.h.
 */
#include "cli/remote.h"
#include "cli/cli.h"

#include "base/jexact.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/httpc.h"
#include "base/json.h"
#include "base/path.h"
#include "server/context.h"
#include "warehouse/home.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- client ------------------------------------------------------------ */

static volatile sig_atomic_t remote_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    remote_interrupted = 1;
}

/* Abort a transfer on Ctrl-C (once: the cancel request itself must not be aborted). */
static int interrupted(void *arg)
{
    (void)arg;
    return remote_interrupted;
}

/* One HTTP request; the body goes into out. Returns the status, or -1 (err filled). */
static long http(const struct cli_remote *r, const char *method, const char *path,
                 const char *body, struct pd_buf *out, int abort_on_interrupt, double timeout_s,
                 struct pd_err *err)
{
    char url[512];
    struct pd_httpc_req req = {.method = method, .url = url, .bearer = r->token, .body = body,
                               .timeout_s = timeout_s, .direct = 1,
                               .what = "the pluto-duck server",
                               .cancelled = abort_on_interrupt ? interrupted : NULL};
    struct pd_httpc_resp resp;
    struct pd_err e = PD_ERR_INIT;
    long status = -1;
    snprintf(url, sizeof(url), "%s%s", r->url, path);
    if (pd_httpc_do(&req, &resp, &e) == 0)
        status = resp.status;
    else if (e.code != PD_ECANCELED)
        pd_fail(err, e.code == PD_ETIMEOUT ? PD_EIO : e.code, "%s (at %s)", e.msg, r->url);
    pd_buf_add(out, resp.body.ptr ? resp.body.ptr : "", resp.body.len);
    pd_httpc_release(&resp);
    return status;
}

static int pid_alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The string field key of doc into buf ("" when it is missing). */
static void copy_field(char *buf, size_t size, const json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    snprintf(buf, size, "%s", v ? v : "");
}

int cli_remote_find(const char *home, struct cli_remote *out)
{
    char *path = pd_home_path(home, PD_HOME_SERVER_FILE);
    json_t *doc = json_load_file(path, 0, NULL);
    struct pd_buf body = PD_BUF_INIT;
    struct pd_err err = PD_ERR_INIT;
    int live = 0;

    memset(out, 0, sizeof(*out));
    if (doc) {
        out->pid = (int)json_integer_value(json_object_get(doc, "pid"));
        copy_field(out->url, sizeof(out->url), doc, "url");
        copy_field(out->version, sizeof(out->version), doc, "version");
        copy_field(out->build, sizeof(out->build), doc, "build");
        out->token = xstrdup(json_string_value(json_object_get(doc, "token"))
                                 ? json_string_value(json_object_get(doc, "token"))
                                 : "");
        json_decref(doc);
        if (!pid_alive(out->pid))
            unlink(path); /* stale: that server is gone */
        else
            live = http(out, "GET", SRV_API "/health", NULL, &body, 0, 2, &err) == 200;
    }
    pd_buf_release(&body);
    free(path);
    if (!live)
        cli_remote_release(out);
    return live;
}

void cli_remote_post(const char *home, const char *path)
{
    struct cli_remote r;
    struct pd_buf body = PD_BUF_INIT;
    struct pd_err err = PD_ERR_INIT;
    if (!cli_remote_find(home, &r))
        return;
    http(&r, "POST", path, "{}", &body, 0, 30, &err);
    pd_buf_release(&body);
    cli_remote_release(&r);
}

void cli_remote_release(struct cli_remote *r)
{
    free(r->token);
    r->token = NULL;
}

/* Does the command read standard input? */
static int wants_stdin(const struct cli_command *c, const struct cli_args *a)
{
    for (int i = 0; a->opts && a->opts[i].name; i++) {
        if (!a->given[i])
            continue;
        if (strcmp(a->opts[i].name, "password-stdin") == 0 ||
            (a->value[i] && strcmp(a->value[i], "-") == 0))
            return 1;
    }
    return c->run == cmd_sql && a->npos == 0 && cli_arg(a, "file") == NULL;
}

/* Does an option take a path (its argument is FILE, DIR or PATH)? */
static int takes_path(const struct cli_opt *o)
{
    return o->arg && (!strcmp(o->arg, "FILE") || !strcmp(o->arg, "DIR") || !strcmp(o->arg, "PATH"));
}

/*
 * The path-valued option arg starts, or NULL: "--name", "--name=V" (*inline_value
 * points at V), "-x" or "-xV" for the option's letter. -f is sql's --file.
 */
static const struct cli_opt *path_opt(const struct cli_command *c, const char *arg,
                                      const char **inline_value)
{
    *inline_value = NULL;
    if (arg[0] != '-' || arg[1] == '\0')
        return NULL;
    for (const struct cli_opt *o = c->opts; o->name; o++) {
        if (!takes_path(o))
            continue;
        if (arg[1] == '-') {
            size_t n = strcspn(arg + 2, "=");
            if (strlen(o->name) == n && strncmp(o->name, arg + 2, n) == 0) {
                if (arg[2 + n] == '=')
                    *inline_value = arg + 3 + n;
                return o;
            }
        } else if (o->letter && arg[1] == o->letter) {
            if (arg[2])
                *inline_value = arg + 2;
            return o;
        }
    }
    return NULL;
}

static json_t *absolute(const char *p)
{
    char *abs = pd_path_absolute(p);
    json_t *v = json_string(abs);
    free(abs);
    return v;
}

/*
 * The command line as the server must see it: path arguments made absolute,
 * since the server's working directory is not ours.
 */
static json_t *remote_argv(const struct cli_command *c, int argc, char **argv)
{
    json_t *out = json_array();
    int path_next = 0, after_cmd = 0;
    char cwd[PATH_MAX];
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *value;
        const struct cli_opt *o = path_opt(c, s, &value);
        if (path_next) {
            json_array_append_new(out, absolute(s));
            path_next = 0;
        } else if (o && value) {
            char *abs = pd_path_absolute(value);
            json_array_append_new(out, json_sprintf("%.*s%s", (int)(value - s), s, abs));
            free(abs);
        } else {
            path_next = o != NULL;
            /* ingest takes recipe files as arguments */
            if (after_cmd && c->run == cmd_ingest && s[0] != '-')
                json_array_append_new(out, absolute(s));
            else
                json_array_append_new(out, json_string(s));
            if (strcmp(s, c->name) == 0)
                after_cmd = 1;
        }
    }
    /* dbt reads the current directory by default */
    if (c->run == cmd_dbt && getcwd(cwd, sizeof(cwd))) {
        int given = 0;
        for (int i = 1; i < argc; i++)
            given |= strncmp(argv[i], "--project-dir", 13) == 0;
        if (!given)
            json_array_append_new(out, json_sprintf("--project-dir=%s", cwd));
    }
    return out;
}

/* The last "data:" line of an SSE body: the final event of the job. */
static json_t *last_event(const struct pd_buf *b)
{
    const char *p = b->ptr, *last = NULL;
    while ((p = strstr(p, "data: ")) != NULL) {
        if (p == b->ptr || p[-1] == '\n')
            last = p + 6;
        p += 6;
    }
    if (last == NULL)
        return NULL;
    return pd_json_loadb_exact(last, strcspn(last, "\n"), 0, NULL);
}

int cli_remote_run(const struct cli_remote *r, const struct cli_command *c,
                   const struct cli_ctx *ctx, const struct cli_args *a, int argc, char **argv,
                   int *exit_code, struct pd_err *err)
{
    json_t *req = json_pack("{s:o, s:i}", "argv", remote_argv(c, argc, argv), "width", ctx->width);
    struct pd_buf resp = PD_BUF_INIT, events = PD_BUF_INIT;
    struct sigaction sa = {.sa_handler = on_sigint}, old;
    json_t *doc = NULL, *final = NULL, *result;
    char *body;
    char path[256];
    long status;
    int rc = 0;

    if (wants_stdin(c, a) && !ctx->tty_in) {
        struct pd_buf in = PD_BUF_INIT;
        if ((rc = cli_read_stream(cli_in, "standard input", &in, err)) != 0) {
            json_decref(req);
            pd_buf_release(&in);
            return rc;
        }
        json_object_set_new(req, "stdin", json_stringn(in.ptr, in.len));
        pd_buf_release(&in);
    }
    body = pd_json_dumps_exact(req, JSON_COMPACT);
    json_decref(req);
    status = http(r, "POST", SRV_API "/cli", body, &resp, 0, 30, err);
    free(body);
    if (status != 202 || (doc = json_loadb(resp.ptr, resp.len, 0, NULL)) == NULL) {
        if (status > 0)
            rc = pd_fail(err, PD_EIO, "the pluto-duck server at %s refused the command (HTTP %ld): %s",
                         r->url, status, resp.ptr);
        else
            rc = err->code ? err->code : PD_EIO;
        goto out;
    }

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    snprintf(path, sizeof(path), SRV_API "/jobs/%s/events",
             json_string_value(json_object_get(doc, "job_id")));
    status = http(r, "GET", path, NULL, &events, 1, 0, err);
    if (remote_interrupted && status < 0 && err->code == 0) {
        /* Ctrl-C: cancel the command in the server, then read how it ended. */
        struct pd_buf ignore = PD_BUF_INIT;
        snprintf(path, sizeof(path), SRV_API "/jobs/%s",
                 json_string_value(json_object_get(doc, "job_id")));
        http(r, "DELETE", path, NULL, &ignore, 0, 10, err);
        pd_buf_release(&ignore);
        pd_buf_reset(&events);
        snprintf(path, sizeof(path), SRV_API "/jobs/%s/events",
                 json_string_value(json_object_get(doc, "job_id")));
        status = http(r, "GET", path, NULL, &events, 0, 0, err);
    }
    sigaction(SIGINT, &old, NULL);
    if (status != 200 || (final = last_event(&events)) == NULL) {
        rc = err->code ? err->code
                       : pd_fail(err, PD_EIO, "lost the pluto-duck server at %s while it ran the command",
                                 r->url);
        goto out;
    }
    result = json_object_get(final, "result");
    if (result == NULL) {
        json_t *e = json_object_get(final, "error");
        rc = pd_fail(err, PD_EINTERNAL, "the server could not run the command: %s",
                     json_string_value(json_object_get(e, "message")));
        goto out;
    }
    fwrite(json_string_value(json_object_get(result, "stdout")), 1,
           json_string_length(json_object_get(result, "stdout")), cli_out);
    fwrite(json_string_value(json_object_get(result, "stderr")), 1,
           json_string_length(json_object_get(result, "stderr")), cli_err);
    *exit_code = (int)json_integer_value(json_object_get(result, "exit_code"));
out:
    json_decref(doc);
    json_decref(final);
    pd_buf_release(&resp);
    pd_buf_release(&events);
    return rc;
}

/* ---- server ------------------------------------------------------------ */

/* Output as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static json_t *text_value(const char *s, size_t n)
{
    struct pd_buf b = PD_BUF_INIT;
    json_t *v;
    if (s == NULL)
        return json_string("");
    if ((v = json_stringn(s, n)) != NULL)
        return v;
    pd_json_add_string(&b, s, n);
    v = json_loadb(b.ptr, b.len, JSON_DECODE_ANY, NULL);
    pd_buf_release(&b);
    return v ? v : json_string("");
}

/* getopt keeps global state: one command line at a time. */
static pthread_mutex_t serve_lock = PTHREAD_MUTEX_INITIALIZER;

json_t *cli_remote_serve(struct srv *s, json_t *request, volatile sig_atomic_t *cancel)
{
    json_t *argv_json = json_object_get(request, "argv"), *in_json = json_object_get(request, "stdin");
    struct cli_host host = {
        .wh = srv_warehouse(s),
        .history = srv_history(s),
        .sources = srv_sources(s),
        .width = (int)json_integer_value(json_object_get(request, "width")),
        .interrupted = cancel,
    };
    size_t argc = json_array_size(argv_json) + 1;
    char **argv = xcalloc(argc + 1, sizeof(char *));
    char *out = NULL, *errs = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *fo, *fe, *fi;
    json_t *result;
    int code;

    argv[0] = xstrdup("pluto-duck");
    for (size_t i = 1; i < argc; i++)
        argv[i] = xstrdup(json_string_value(json_array_get(argv_json, i - 1)));
    fo = open_memstream(&out, &out_len);
    fe = open_memstream(&errs, &err_len);
    fi = json_string_length(in_json) > 0
             ? fmemopen((void *)json_string_value(in_json), json_string_length(in_json), "r")
             : fopen("/dev/null", "r");

    pthread_mutex_lock(&serve_lock);
    cli_out = fo;
    cli_err = fe;
    cli_in = fi;
    code = cli_main((int)argc, argv, &host);
    cli_out = cli_err = cli_in = NULL;
    pthread_mutex_unlock(&serve_lock);

    fclose(fo);
    fclose(fe);
    if (fi)
        fclose(fi);
    result = json_pack("{s:i, s:o, s:o}", "exit_code", code, "stdout", text_value(out, out_len),
                       "stderr", text_value(errs, err_len));
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    free(out);
    free(errs);
    return result;
}
