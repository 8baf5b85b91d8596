/*
 * cmd_project.c - `pluto-duck project list|create|show|delete`.
 */
#include "cli/cli.h"

#include "assets/projects.h"
#include "base/config.h"
#include "base/err.h"

#include <stdio.h>
#include <string.h>

/* The confirmation for deleting id: --confirm, or typed on the terminal. */
static const char *confirmation(const struct cli_ctx *ctx, const struct cli_args *a,
                                const char *id, char *typed, size_t cap)
{
    const char *given = cli_arg(a, "confirm");
    if (given || !ctx->tty_in)
        return given;
    fprintf(cli_err,
            "Deleting project %s removes its analyses, boards and results.\n"
            "Type the project's name to confirm: ",
            id);
    fflush(cli_err);
    if (!fgets(typed, (int)cap, cli_in))
        return NULL;
    typed[strcspn(typed, "\r\n")] = '\0';
    return typed;
}

int cmd_project(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *action = a->pos[0], *home = pd_config_home(ctx->cfg);
    const char *id = a->npos > 1 ? a->pos[1] : NULL;
    struct pd_sink *sink;
    char typed[128];
    int rc;

    if (!strcmp(action, "list")) {
        if (id)
            return pd_fail(err, PD_EUSAGE, "usage: pluto-duck project list");
        sink = cli_sink(ctx, ctx->format, 0);
        rc = pd_projects_list(ctx->wh, home, sink, err);
        pd_sink_free(sink);
        return rc;
    }
    if (strcmp(action, "create") && strcmp(action, "show") && strcmp(action, "delete"))
        return pd_fail(err, PD_EUSAGE, "unknown action '%s': list, create, show or delete", action);
    if (!id)
        return pd_fail(err, PD_EUSAGE, "usage: pluto-duck project %s NAME", action);
    if (!strcmp(action, "show")) {
        sink = cli_sink(ctx, ctx->format, 0);
        rc = pd_project_show(ctx->wh, home, id, sink, err);
        pd_sink_free(sink);
        return rc;
    }
    if (!strcmp(action, "create")) {
        if ((rc = pd_project_create(ctx->wh, home, id, cli_arg(a, "description"), err)) == 0)
            fprintf(cli_out, "created project %s (analyses in %s/projects/%s/analyses)\n", id,
                    home, id);
        return rc;
    }
    rc = pd_project_delete(ctx->wh, home, id, confirmation(ctx, a, id, typed, sizeof(typed)), err);
    if (rc == 0)
        fprintf(cli_out, "deleted project %s\n", id);
    return rc;
}
