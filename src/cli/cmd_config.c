/*
 * cmd_config.c - `pluto-duck config list | get KEY | set KEY VALUE`.
 */
#include "cli/cli.h"

#include "base/config.h"
#include "base/err.h"
#include "cli/records.h"

#include <string.h>

int cmd_config(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    const char *verb = a->npos ? a->pos[0] : "list";
    int rc;

    if (strcmp(verb, "list") == 0 && a->npos <= 1) {
        static const char *const cols[] = {"key", "value", "origin"};
        struct cli_records r;
        cli_records_init(&r, 3, cols);
        for (size_t i = 0; i < pd_config_key_count(); i++) {
            const char *key = pd_config_key_at(i)->name;
            const char *row[] = {key, pd_config_get(ctx->cfg, key),
                                 pd_config_origin(ctx->cfg, key)};
            if (strcmp(key, "home") == 0)
                row[1] = pd_config_home(ctx->cfg);
            if (pd_config_key_at(i)->secret && *row[1])
                row[1] = "***";
            cli_records_add(&r, row);
        }
        cli_records_print(ctx, &r);
        return 0;
    }
    if (strcmp(verb, "get") == 0 && a->npos == 2) {
        const char *key = a->pos[1];
        const char *v = strcmp(key, "home") == 0 ? pd_config_home(ctx->cfg)
                                                 : pd_config_get(ctx->cfg, key);
        if (v == NULL)
            return pd_fail(err, PD_ENOTFOUND, "unknown setting '%s' (see: pluto-duck config list)",
                           key);
        for (size_t i = 0; i < pd_config_key_count(); i++)
            if (pd_config_key_at(i)->secret && strcmp(pd_config_key_at(i)->name, key) == 0 && *v)
                v = "***";
        fprintf(cli_out, "%s\n", v);
        return 0;
    }
    if (strcmp(verb, "set") == 0 && a->npos == 3) {
        if ((rc = pd_config_set(ctx->cfg, a->pos[1], a->pos[2], err)) != 0)
            return rc;
        fprintf(cli_err, "%s set (in %s)\n", a->pos[1], pd_config_file(ctx->cfg));
        return 0;
    }
    return pd_fail(err, PD_EUSAGE,
                   "config: expected 'list', 'get KEY' or 'set KEY VALUE' (see: pluto-duck "
                   "config --help)");
}
