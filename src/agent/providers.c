/*
 * providers.c - choosing the provider from the settings (see agent.h).
 */
#include "agent/agent.h"

#include "base/config.h"
#include "base/err.h"
#include "sources/secrets.h"

#include <stdlib.h>
#include <string.h>

#define OPENAI_URL "https://api.openai.com/v1"

struct ag_provider *ag_provider_from_config(const struct pd_config *cfg, const char *provider,
                                            const char *model, struct pd_err *err)
{
    const char *name = provider ? provider : pd_config_get(cfg, "llm.provider");
    const char *url = pd_config_get(cfg, "llm.base_url");
    struct ag_provider *p;
    char *key;
    if (!model || !*model)
        model = pd_config_get(cfg, "llm.model");
    if (strcmp(name, "local") == 0)
        return ag_provider_local();
    if (strcmp(name, "openai") != 0) {
        pd_fail(err, PD_EUSAGE, "llm.provider must be local or openai, got '%s'", name);
        return NULL;
    }
    if (!model || !*model) {
        pd_fail(err, PD_ECONFIG,
                "the openai provider needs a model: pluto-duck config set llm.model NAME (or "
                "--model)");
        return NULL;
    }
    key = getenv("OPENAI_API_KEY") ? strdup(getenv("OPENAI_API_KEY"))
                                   : pd_secret_get(pd_config_home(cfg), "llm.api_key");
    if ((!url || !*url) && !key) {
        pd_fail(err, PD_ECONFIG,
                "the openai provider needs an API key for %s: set OPENAI_API_KEY, or set "
                "llm.base_url to a local server",
                OPENAI_URL);
        return NULL;
    }
    p = ag_provider_openai(url && *url ? url : OPENAI_URL, model, key,
                           pd_config_seconds(cfg, "llm.timeout"));
    free(key);
    return p;
}

int ag_send_rows(const struct pd_config *cfg, long *out, struct pd_err *err)
{
    const char *v = pd_config_get(cfg, "agent.send_rows");
    char *end;
    if (strcmp(v, "none") == 0) {
        *out = 0;
        return 0;
    }
    *out = strtol(v, &end, 10);
    if (*v == '\0' || *end || *out < 0 || *out > 1000)
        return pd_fail(err, PD_ECONFIG, "agent.send_rows must be none or a number from 0 to 1000, "
                                        "got '%s'", v);
    return 0;
}
