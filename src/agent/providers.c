/*
 * providers.c - choosing the provider from the settings (see agent.h).
 */
#include "agent/agent.h"

#include "base/alloc.h"
#include "base/config.h"
#include "base/err.h"
#include "base/timeutil.h"
#include "sources/secrets.h"

#include <stdlib.h>
#include <string.h>

#define OPENAI_URL "https://api.openai.com/v1"

char *ag_setting_from_config(void *cfg, const char *key)
{
    const char *v = pd_config_get(cfg, key);
    return v ? xstrdup(v) : NULL;
}

char *ag_api_key(const char *home)
{
    const char *env = getenv("OPENAI_API_KEY");
    return env && *env ? xstrdup(env) : pd_secret_get(home, "llm.api_key");
}

struct ag_provider *ag_provider_from_settings(ag_setting_fn get, void *arg, const char *home,
                                              const char *provider, const char *model,
                                              struct pd_err *err)
{
    char *name = provider ? xstrdup(provider) : get(arg, "llm.provider");
    char *url = get(arg, "llm.base_url"), *dflt_model = get(arg, "llm.model");
    char *timeout = get(arg, "llm.timeout"), *key = NULL;
    struct ag_provider *p = NULL;
    double timeout_s = 60;
    if (!model || !*model)
        model = dflt_model;
    if (timeout)
        pd_duration_parse(timeout, &timeout_s);
    if (strcmp(name, "local") == 0) {
        p = ag_provider_local();
    } else if (strcmp(name, "openai") != 0) {
        pd_fail(err, PD_EUSAGE, "llm.provider must be local or openai, got '%s'", name);
    } else if (!model || !*model) {
        pd_fail(err, PD_ECONFIG,
                "the openai provider needs a model: pluto-duck config set llm.model NAME (or "
                "--model)");
    } else if ((key = ag_api_key(home)) == NULL && (!url || !*url)) {
        pd_fail(err, PD_ECONFIG,
                "the openai provider needs an API key for %s: set OPENAI_API_KEY, or set "
                "llm.base_url to a local server",
                OPENAI_URL);
    } else {
        p = ag_provider_openai(url && *url ? url : OPENAI_URL, model, key, timeout_s);
    }
    free(name);
    free(url);
    free(dflt_model);
    free(timeout);
    free(key);
    return p;
}

struct ag_provider *ag_provider_from_config(const struct pd_config *cfg, const char *provider,
                                            const char *model, struct pd_err *err)
{
    return ag_provider_from_settings(ag_setting_from_config, (void *)cfg, pd_config_home(cfg),
                                     provider, model, err);
}

int ag_send_rows_parse(const char *v, long *out, struct pd_err *err)
{
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

int ag_send_rows(const struct pd_config *cfg, long *out, struct pd_err *err)
{
    return ag_send_rows_parse(pd_config_get(cfg, "agent.send_rows"), out, err);
}
