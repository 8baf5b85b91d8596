/*
 * cmd_skills.c - `pluto-duck skills`: the skills the agent can load for a
 * project (built in, the user's, the project's), and the SKILL.md files that
 * could not be read, with why.
 */
#include "cli/cli.h"
#include "cli/records.h"

#include "agent/skills.h"
#include "base/jexact.h"
#include "base/config.h"
#include "base/err.h"

#include <jansson.h>
#include <stdlib.h>

int cmd_skills(struct cli_ctx *ctx, const struct cli_args *a, struct pd_err *err)
{
    static const char *const names[] = {"name", "description", "origin"};
    struct ag_skills skills;
    json_t *doc, *skill, *problem;
    size_t i;
    (void)err;
    ag_skills_load(pd_config_home(ctx->cfg), cli_arg(a, "project"), &skills);
    doc = ag_skills_json(&skills);
    ag_skills_clear(&skills);
    if (ctx->format == PD_FORMAT_JSON || ctx->format == PD_FORMAT_JSONL) {
        char *text = pd_json_dumps_exact(doc, JSON_COMPACT);
        fprintf(cli_out, "%s\n", text);
        free(text);
    } else {
        struct cli_records rec;
        cli_records_init(&rec, 3, names);
        json_array_foreach(json_object_get(doc, "skills"), i, skill) {
            const char *cells[3] = {json_string_value(json_object_get(skill, "name")),
                                    json_string_value(json_object_get(skill, "description")),
                                    json_string_value(json_object_get(skill, "origin"))};
            cli_records_add(&rec, cells);
        }
        cli_records_print(ctx, &rec);
    }
    json_array_foreach(json_object_get(doc, "problems"), i, problem)
        fprintf(cli_err, "warning: skill not loaded: %s\n", json_string_value(problem));
    json_decref(doc);
    return 0;
}
