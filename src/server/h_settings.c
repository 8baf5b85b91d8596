/*
 * h_settings.c - GET|PUT /settings: who answers the agent's questions (the
 * provider, its model and base URL, the request timeout), how many rows of
 * a result the model sees, and the API key - write-only, shown masked. A
 * change applies to the next run at once and is saved (config.yaml; the key
 * in the secret store).
 */
#include "server/handlers.h"
#include "http/http.h"
#include "server/context.h"

#include "agent/agent.h"
#include "base/config.h"
#include "base/err.h"
#include "sources/secrets.h"

#include <stdlib.h>
#include <string.h>

/* The fields, each a setting. */
static const struct field {
    const char *name, *key;
} fields[] = {
    {"provider", "llm.provider"}, {"model", "llm.model"},         {"base_url", "llm.base_url"},
    {"timeout", "llm.timeout"},   {"send_rows", "agent.send_rows"},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static json_t *settings_json(struct srv *s)
{
    const char *home = pd_config_home(srv_config(s));
    json_t *doc = json_object();
    char *key;
    for (size_t i = 0; i < NFIELDS; i++) {
        char *v = srv_setting(s, fields[i].key);
        json_object_set_new(doc, fields[i].name, json_string(v ? v : ""));
        free(v);
    }
    key = ag_api_key(home);
    json_object_set_new(doc, "api_key", key ? json_string("***") : json_null());
    json_object_set_new(doc, "api_key_from",
                        !key                      ? json_null()
                        : getenv("OPENAI_API_KEY") ? json_string("OPENAI_API_KEY")
                                                   : json_string("secret store"));
    free(key);
    return doc;
}

void h_settings_get(struct http_req *r)
{
    http_reply_json(r, 200, settings_json(srv_of(r)));
}

/* 0, or a 422 answered naming the field. */
static int check(struct http_req *r, const struct field *f, const char *v)
{
    struct pd_err err = PD_ERR_INIT;
    if (strcmp(f->name, "base_url") == 0 && *v && strncmp(v, "http://", 7) != 0 &&
        strncmp(v, "https://", 8) != 0)
        pd_fail(&err, PD_EINVAL, "must be an http:// or https:// URL (or empty for OpenAI's)");
    else
        pd_config_check(f->key, v, &err);
    if (err.code == 0)
        return 0;
    http_reply_status(r, 422, "invalid_field", "field '%s': %s", f->name, err.msg);
    return -1;
}

void h_settings_put(struct http_req *r)
{
    const char *home = pd_config_home(srv_config(srv_of(r))), *key;
    const char *values[NFIELDS] = {0}, *api_key = NULL;
    struct pd_err err = PD_ERR_INIT;
    json_t *v;
    if (!json_is_object(r->body)) {
        http_reply_status(r, 422, "invalid_body", "the body must be a JSON object of settings");
        return;
    }
    /* everything checked before anything changes */
    json_object_foreach(r->body, key, v) {
        size_t i;
        for (i = 0; i < NFIELDS && strcmp(fields[i].name, key) != 0; i++)
            ;
        if (i == NFIELDS && strcmp(key, "api_key") != 0) {
            http_reply_status(r, 422, "invalid_field",
                             "unknown field '%s': provider, model, base_url, timeout, send_rows "
                             "or api_key",
                             key);
            return;
        }
        if (!json_is_string(v)) {
            http_reply_status(r, 422, "invalid_field", "field '%s' must be a string", key);
            return;
        }
        if (i == NFIELDS)
            api_key = json_string_value(v);
        else if (check(r, &fields[i], json_string_value(v)) != 0)
            return;
        else
            values[i] = json_string_value(v);
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        if (values[i] == NULL)
            continue;
        if (pd_config_set(srv_config(srv_of(r)), fields[i].key, values[i], &err) != 0) {
            http_reply_err(r, &err);
            return;
        }
        srv_setting_put(srv_of(r), fields[i].key, values[i]);
    }
    if (api_key && *api_key && pd_secret_put(home, "llm.api_key", api_key, &err) != 0) {
        http_reply_err(r, &err);
        return;
    }
    if (api_key && !*api_key)
        pd_secret_delete(home, "llm.api_key");
    http_reply_json(r, 200, settings_json(srv_of(r)));
}
