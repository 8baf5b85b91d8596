/*
 * cmd_run.c - `pluto-duck run`: serve the API until Ctrl-C or SIGTERM.
 *
 * Writes runtime/server.json (pid, host, port, token, url, version, build; mode 0600) once the
 * port is bound, so the CLI and scripts can find the server, and removes it on
 * a clean stop. A file left by a server that died (its pid is gone) is stale:
 * it is replaced, with a note.
 */
#include "cli/cli.h"
#include "cli/remote.h"

#include "base/jexact.h"
#include "base/build.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/path.h"
#include "base/timeutil.h"
#include "server/server.h"
#include "warehouse/home.h"

#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static int write_runtime(const char *path, const struct srv_opts *o, int port, struct pd_err *err)
{
    char url[300];
    json_t *doc;
    char *text;
    mode_t old;
    int rc;
    snprintf(url, sizeof(url), "http://%s%s%s:%d", strchr(o->host, ':') ? "[" : "", o->host,
             strchr(o->host, ':') ? "]" : "", port);
    doc = json_pack("{s:i, s:s, s:i, s:s, s:s, s:I, s:s, s:s}", "pid", (int)getpid(), "host",
                    o->host, "port", port, "url", url, "token", o->token ? o->token : "",
                    "started_ms", (json_int_t)pd_now_ms(), "version", PD_VERSION, "build",
                    pd_build_id());
    text = pd_json_dumps_exact(doc, JSON_INDENT(2));
    json_decref(doc);
    old = umask(077); /* it holds the token: 0600 from the start */
    rc = pd_write_file_atomic(path, text, strlen(text), err);
    umask(old);
    free(text);
    return rc;
}

/* Serve; an agent must run the workspace's schedules (no sign-in: it does not start). */
static int serve(struct cli_ctx *ctx, const struct cli_args *a, int agent, struct pd_err *err)
{
    const char *home = pd_config_home(ctx->cfg);
    const char *host = cli_arg(a, "host") ? cli_arg(a, "host") : pd_config_get(ctx->cfg, "server.host");
    const char *token = cli_arg(a, "token") ? cli_arg(a, "token") : pd_config_get(ctx->cfg, "server.token");
    long port = 0, threads = 0;
    struct srv_opts o = {0};
    struct srv *s = NULL;
    struct sigaction sa = {.sa_handler = on_stop};
    char *runtime, *dir;
    int rc;

    if ((rc = cli_arg_long(a, "port", 0, &port, err)) != 0 ||
        (rc = cli_arg_long(a, "threads", 1, &threads, err)) != 0)
        return rc;
    if (!cli_given(a, "port"))
        port = pd_config_int(ctx->cfg, "server.port");
    if (port > 65535)
        return pd_fail(err, PD_EUSAGE, "--port must be from 0 to 65535, got %ld", port);

    runtime = pd_home_path(home, PD_HOME_SERVER_FILE);
    dir = pd_path_dirname(runtime);
    rc = pd_mkdir_p(dir, 0700, err);
    free(dir);
    if (rc == 0 && pd_path_exists(runtime))
        cli_warn("replacing %s left by a server that is no longer running", runtime);

    o.host = host;
    o.port = (int)port;
    o.token = token && *token ? token : NULL;
    o.cors_origins = pd_config_get(ctx->cfg, "server.cors_origins");
    o.allowed_hosts = pd_config_get(ctx->cfg, "server.allowed_hosts");
    o.max_connections = (int)pd_config_int(ctx->cfg, "server.max_connections");
    o.max_connections_per_addr = o.max_connections / 4;
    o.web_dir = *pd_config_get(ctx->cfg, "server.web_dir") ? pd_config_get(ctx->cfg, "server.web_dir")
                                                           : NULL;
    o.max_body = (size_t)pd_config_int(ctx->cfg, "server.max_body_mb") << 20;
    o.threads = threads ? (int)threads : 4;
    o.job_workers = 2;
    o.grace_s = 5;
    o.cfg = ctx->cfg;
    o.wh = ctx->wh;
    o.sources = ctx->sources;
    o.history = ctx->history;
    o.cli = cli_remote_serve;
    o.run_schedules = agent ? 2 : strcmp(pd_config_get(ctx->cfg, "cloud.run_schedules"), "on") == 0;
    o.poll_s = pd_config_seconds(ctx->cfg, "cloud.poll_interval");
    if (cli_given(a, "poll-interval") && pd_duration_parse(cli_arg(a, "poll-interval"), &o.poll_s))
        return pd_fail(err, PD_EUSAGE, "--poll-interval must be a duration such as 30s or 1m, got '%s'",
                       cli_arg(a, "poll-interval"));
    if (o.poll_s < 1)
        o.poll_s = 1;
    if (rc == 0)
        rc = srv_start(&s, &o, err);
    if (rc == 0)
        rc = write_runtime(runtime, &o, srv_port(s), err);
    if (rc) {
        srv_stop(s);
        free(runtime);
        return rc;
    }

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(cli_err, "pluto-duck %s http://%s%s%s:%d%s (Ctrl-C stops)\n",
            agent ? "agent running the workspace's schedules, serving" : "serving",
            strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", srv_port(s),
            o.token ? " with a token" : "");
    pd_log(PD_LOG_INFO, "server started", "{s:s, s:i}", "host", host, "port", srv_port(s));
    while (!stop_signal) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fprintf(cli_err, "stopping (%s)...\n", stop_signal == SIGTERM ? "SIGTERM" : "Ctrl-C");
    pd_log(PD_LOG_INFO, "server stopping", "{s:i}", "signal", (int)stop_signal);
    srv_stop(s);
    unlink(runtime);
    free(runtime);
    pd_log(PD_LOG_INFO, "server stopped", "{}");
    return 0;
}

int cmd_run(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    return serve(ctx, a, 0, err);
}

int cmd_agent(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    return serve(ctx, a, 1, err);
}
