/*
 * perm.c - who may do what: one table, by the subject and action of a route,
 * read by the one check every request passes (cl_before) and printed into the
 * OpenAPI document as each operation's x-roles, which the role-matrix test
 * reads back.
 */
#include "cloud/cloud.h"

#include <string.h>

#define PUBLIC (1u << 5)

static const struct {
    const char *subject, *action;
    unsigned roles;
} perms[] = {
    {"system", "health", PUBLIC},
    {"system", "openapi", PUBLIC},
    {"auth", "login", PUBLIC},
    {"auth", "refresh", PUBLIC},
    {"auth", "register", PUBLIC},
    {"auth", "logout", CL_SIGNED_IN},
    {"me", "get", CL_SIGNED_IN},
    {"workspace", "list", CL_SIGNED_IN},
    {"workspace", "create", CL_SIGNED_IN},
    {"invitation", "accept", CL_SIGNED_IN},
    {"auth", "device", PUBLIC},
    {"auth", "token", PUBLIC},
    {"auth", "device_approve", CL_SIGNED_IN},
    {"notification", "list", CL_SIGNED_IN},
    {"notification", "read", CL_SIGNED_IN},
    {"notification", "read_all", CL_SIGNED_IN},
    {"web", "page", PUBLIC},

    {"workspace", "get", CL_ANY},
    {"workspace", "update", CL_OWNER},
    {"workspace", "delete", CL_OWNER},
    {"member", "list", CL_MEMBER},
    {"member", "update", CL_OWNER},
    {"member", "remove", CL_MEMBER}, /* oneself; an owner anyone (the handler checks) */
    {"invitation", "create", CL_OWNER},
    {"invitation", "list", CL_OWNER},
    {"invitation", "revoke", CL_OWNER},
    {"agent_token", "create", CL_OWNER},
    {"agent_token", "list", CL_OWNER},
    {"agent_token", "revoke", CL_OWNER},
    {"audit", "list", CL_OWNER},
    {"pipeline", "list", CL_ANY},
    {"pipeline", "get", CL_ANY},
    {"pipeline", "create", CL_OWNER | CL_EDITOR},
    {"pipeline", "delete", CL_OWNER},
    {"pipeline", "update", CL_OWNER | CL_EDITOR},
    {"version", "list", CL_ANY},
    {"version", "get", CL_ANY},
    {"version", "create", CL_OWNER | CL_EDITOR},
    {"version", "diff", CL_ANY},
    {"version", "rollback", CL_OWNER | CL_EDITOR},
    {"run", "create", CL_OWNER | CL_EDITOR | CL_RUNNER},
    {"run", "list", CL_ANY},
    {"run", "get", CL_ANY},
    {"run", "update", CL_OWNER | CL_EDITOR | CL_RUNNER},
    {"run", "log_append", CL_OWNER | CL_EDITOR | CL_RUNNER},
    {"run", "logs", CL_ANY},
    {"artifact", "create", CL_OWNER | CL_EDITOR | CL_RUNNER},
    {"artifact", "complete", CL_OWNER | CL_EDITOR | CL_RUNNER},
    {"artifact", "list", CL_ANY},
    {"artifact", "download", CL_ANY},
    {"artifact", "content", CL_ANY},
    {"schedule", "create", CL_OWNER | CL_EDITOR},
    {"schedule", "list", CL_ANY},
    {"schedule", "get", CL_ANY},
    {"schedule", "update", CL_OWNER | CL_EDITOR},
    {"schedule", "delete", CL_OWNER | CL_EDITOR},
    {"schedule", "trigger", CL_OWNER | CL_EDITOR},
    {"schedule", "due", CL_OWNER | CL_EDITOR | CL_RUNNER},
    {"schedule", "ack", CL_OWNER | CL_EDITOR | CL_RUNNER},
    {"schedule", "occurrences", CL_ANY},
    {"comment", "create", CL_MEMBER},
    {"comment", "list", CL_ANY},
    {"comment", "delete", CL_MEMBER}, /* its author, or an owner (the handler checks) */
    {"object", "put", PUBLIC}, /* the URL's signature is the permission */
    {"object", "get", PUBLIC},
};

unsigned cl_perm_roles(const struct http_route *rt)
{
    for (size_t i = 0; i < sizeof(perms) / sizeof(perms[0]); i++)
        if (strcmp(perms[i].subject, rt->subject) == 0 && rt->action &&
            strcmp(perms[i].action, rt->action) == 0)
            return perms[i].roles;
    return 0;
}

static const struct {
    unsigned bit;
    const char *name;
} roles[] = {
    {CL_OWNER, "owner"}, {CL_EDITOR, "editor"}, {CL_VIEWER, "viewer"},
    {CL_RUNNER, "runner"}, {CL_SIGNED_IN, "signed_in"}, {PUBLIC, "anyone"},
};

const char *cl_role_name(unsigned role)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (role & roles[i].bit)
            return roles[i].name;
    return "none";
}

unsigned cl_role_of(const char *name)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(roles[i].name, name) == 0)
            return roles[i].bit;
    return 0;
}
