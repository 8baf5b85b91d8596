/*
 * cloud.h - the local app's side of Pluto Cloud: which server, who is signed
 * in, which workspace, and requests made as them.
 *
 * The session lives in the data home: cloud/session.json (0600: the server,
 * the account, the workspace, when the access token expires, the last sync)
 * and the tokens in the secret store (cloud.access_token, cloud.refresh_token),
 * never in the warehouse or the config. The access token is refreshed before it
 * expires, counted on this machine's clock from when it was received (a clock
 * that is minutes off the server's changes nothing), and once more when the
 * server says 401. Used by the CLI and the local server alike.
 */
#ifndef PD_SYNC_CLOUD_H
#define PD_SYNC_CLOUD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct pd_err;

struct pd_cloud_session {
    char url[512];        /* "https://cloud.example.com" (no trailing /) */
    char email[256];      /* the account signed in */
    char user_id[40];
    char workspace_id[40];  /* the one in use, or "" */
    char workspace_name[128];
    int64_t access_expires_ms; /* on this machine's clock */
    int64_t signed_in_ms;
    int64_t last_sync_ms;    /* 0: never */
};

/* The session of the data home: 0, or PD_ENOTFOUND when nobody is signed in. */
int pd_cloud_load(const char *home, struct pd_cloud_session *s, struct pd_err *err);
/* Save it (0600). */
int pd_cloud_save(const char *home, const struct pd_cloud_session *s, struct pd_err *err);

/* ---- signing in with the device grant ---------------------------------------------- */

struct pd_cloud_device {
    char device_code[128];
    char user_code[16];
    char verification_uri[600];
    char verification_uri_complete[700];
    int interval_s, expires_in_s;
};

/*
 * A server's URL as given (argument, form field) in url_out, without trailing
 * slashes: PD_EUSAGE unless it starts with https:// (or http://).
 */
int pd_cloud_url(const char *given, char *url_out, size_t size, struct pd_err *err);

/* "pluto-duck on NAME" (NAME: the given one, else this machine's host name). */
void pd_cloud_client_name(const char *name, char *out, size_t size);

/* Ask url for a device code (client_name names this machine to the approver). */
int pd_cloud_device_start(const char *url, const char *client_name, struct pd_cloud_device *d,
                          struct pd_err *err);

/*
 * Poll once: 0 when approved (the tokens are stored and the session saved,
 * with its account), 1 while pending (*interval_s may have grown: slow_down),
 * or an error: PD_EAUTH when refused, PD_ETIMEOUT when the code expired.
 */
int pd_cloud_device_poll(const char *home, const char *url, const struct pd_cloud_device *d,
                         int *interval_s, struct pd_err *err);

/*
 * A sign-in with the device grant under way, as the CLI and the web UI's Settings
 * run it: the code to approve, and when to ask next and when it expires (on the
 * pd_mono_s clock).
 */
struct pd_cloud_login {
    char url[512];
    struct pd_cloud_device d;
    int interval_s;
    double next_poll_s, expires_s;
};

/*
 * Check the server's URL as given (pd_cloud_url: PD_EUSAGE when it is not one),
 * name this machine (name, else its host name) and ask the server for a code.
 */
int pd_cloud_login_start(const char *given_url, const char *name, struct pd_cloud_login *l,
                         struct pd_err *err);

/* Seconds until asking again is worth it (0: now). */
double pd_cloud_login_wait(const struct pd_cloud_login *l);

/*
 * Ask whether the code was approved, no sooner than the server allows (until then
 * 1 without asking): 0 signed in (the session saved), 1 still pending, or an error:
 * PD_EAUTH refused, PD_ETIMEOUT the code expired.
 */
int pd_cloud_login_poll(const char *home, struct pd_cloud_login *l, struct pd_err *err);

/* Sign out: revoke the sign-in on the server when it answers, and forget it here. */
int pd_cloud_logout(const char *home, struct pd_err *err);

/* ---- workspaces -------------------------------------------------------------------- */

/* The account's workspaces [{id, name, role, in_use}] in *out. */
int pd_cloud_workspaces(const char *home, json_t **out, struct pd_err *err);

/*
 * Use the workspace of this name or id from now on (the session remembers it):
 * 0 with *chosen ({id, name, role}), PD_ENOTFOUND when the account has none such.
 */
int pd_cloud_use_workspace(const char *home, const char *which, json_t **chosen,
                           struct pd_err *err);

/* ---- requests as the signed-in account --------------------------------------------- */

/*
 * method path (under /api/v1) with body (NULL: none; stolen) as the session's
 * account: 0 with *out (the parsed answer, NULL for none) and *status, or an
 * error. A 401 after a refresh is PD_EAUTH ("sign in again: pluto-duck cloud
 * login"); an error envelope is returned as its message with the status's code.
 */
int pd_cloud_call(const char *home, const char *method, const char *path, json_t *body,
                  json_t **out, long *status, struct pd_err *err);

/*
 * A conditional GET of path: with etag (NULL: none) sent as If-None-Match,
 * *status 304 means unchanged (*out NULL); etag_out gets the answer's tag.
 */
int pd_cloud_get_if(const char *home, const char *path, const char *etag, char etag_out[128],
                    json_t **out, long *status, struct pd_err *err);

#endif
