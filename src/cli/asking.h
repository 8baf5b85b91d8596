/*
 * asking.h - what `query` and `chat` share: the agent set up from the
 * settings and flags, its steps shown on stderr, approvals asked on the
 * terminal, and the answer printed.
 */
#ifndef PD_CLI_ASKING_H
#define PD_CLI_ASKING_H

#include "agent/agent.h"

struct cli_args;
struct cli_ctx;
struct pd_err;

struct cli_asker {
    struct cli_ctx *ctx;
    int approve_all;
    struct ag_env env;
    struct ag_provider *provider;
    int max_steps;
    long max_tokens;
};

/* From the settings and --provider, --model, --project, --approve-all. */
int cli_asker_open(struct cli_asker *k, struct cli_ctx *ctx, const struct cli_args *a,
                   struct pd_err *err);
void cli_asker_close(struct cli_asker *k);

/* Ask question in conversation_id (NULL: a new conversation). */
int cli_ask(struct cli_asker *k, const char *conversation_id, const char *question,
            struct ag_answer *ans, struct pd_err *err);

/* The answer, its SQL, the result table and the suggested chart (or JSON with --format). */
void cli_answer_print(const struct cli_ctx *ctx, const struct ag_answer *ans);

/* Save the answer's SQL as analysis id of --project, described by the question. */
int cli_answer_save(struct cli_ctx *ctx, const struct cli_args *a, const struct ag_answer *ans,
                    const char *id, struct pd_err *err);

#endif
