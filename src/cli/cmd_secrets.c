/*
 * cmd_secrets.c - `pluto-duck secrets`: which store keeps passwords and
 * tokens, and moving the file store's into the OS keychain.
 */
#include "cli/cli.h"
#include "cli/records.h"

#include "base/config.h"
#include "base/err.h"
#include "base/strv.h"
#include "sources/secrets.h"
#include "sources/secrets_store.h"

#include <stdio.h>
#include <string.h>

int cmd_secrets(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    static const char *const cols[] = {"key", "value"};
    const char *home = pd_config_home(ctx->cfg), *action = a->pos[0];
    struct pd_strv files = PD_STRV_INIT;
    struct cli_records r;
    char count[32];
    int moved = 0, rc;
    if (strcmp(action, "migrate") == 0) {
        rc = pd_secret_migrate(home, &moved, err);
        if (rc == 0)
            fprintf(cli_out, "moved %d secret%s into the keychain\n", moved, moved == 1 ? "" : "s");
        return rc;
    }
    if (strcmp(action, "status") != 0)
        return pd_fail(err, PD_EUSAGE, "unknown action '%s': status or migrate", action);
    pd_secret_file_keys(home, &files);
    snprintf(count, sizeof(count), "%zu", files.n);
    cli_records_init(&r, 2, cols);
    {
        const char *store[] = {"store", pd_secret_store_name()};
        const char *in_files[] = {"in_files", count};
        cli_records_add(&r, store);
        cli_records_add(&r, in_files);
    }
    cli_records_print(ctx, &r);
    pd_strv_clear(&files);
    return 0;
}
