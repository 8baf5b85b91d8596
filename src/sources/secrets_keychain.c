/*
 * secrets_keychain.c - secrets in the OS keychain: the Secret Service API
 * (org.freedesktop.secrets) through libsecret. Each item carries the data home
 * and the key as attributes, so two data homes never share a secret. Whether
 * a service answers is asked once per process, with a one-second limit, so a
 * machine without one (a server, CI) is never held up.
 */
#include "sources/secrets_store.h"

#include "base/alloc.h"
#include "base/dynlib.h"
#include "base/err.h"

#include <libsecret/secret.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * libsecret (and the GLib it stands on) is loaded when the keychain is first
 * asked for (base/dynlib.h); without it, secrets go to the file store.
 */
#define PD_SECRET_FUNCS(X)                                                                        \
    X(g_bus_get_sync) X(g_clear_error) X(g_dbus_connection_call_sync) X(g_object_unref)            \
    X(g_variant_get) X(g_variant_new) X(g_variant_unref) X(secret_password_clear_sync)             \
    X(secret_password_free) X(secret_password_lookup_sync) X(secret_password_store_sync)
PD_DYNLIB_TABLE(pd_secret, PD_SECRET_FUNCS);
PD_DYNLIB_DEFINE(pd_secret, PD_SECRET_FUNCS, PD_SONAME_SECRET, "libsecret-1-0")

static const SecretSchema schema = {
    "org.plutoduck.Secret",
    SECRET_SCHEMA_NONE,
    {{"home", SECRET_SCHEMA_ATTRIBUTE_STRING}, {"key", SECRET_SCHEMA_ATTRIBUTE_STRING},
     {NULL, 0}},
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static int available;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

/* Whether a Secret Service answers (every other function here is used only when one does). */
static void probe(void)
{
    GError *error = NULL;
    GDBusConnection *bus;
    GVariant *reply;
    if (getenv("DBUS_SESSION_BUS_ADDRESS") == NULL || pd_secret_load(NULL) != 0)
        return;
    if ((bus = pd_secret.g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error)) == NULL) {
        pd_secret.g_clear_error(&error);
        return;
    }
    reply = pd_secret.g_dbus_connection_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameHasOwner",
                                        pd_secret.g_variant_new("(s)", "org.freedesktop.secrets"),
                                        (const GVariantType *)"(b)", G_DBUS_CALL_FLAGS_NONE, 1000, NULL,
                                        &error);
    if (reply) {
        gboolean owned = FALSE;
        pd_secret.g_variant_get(reply, "(b)", &owned);
        available = owned;
        pd_secret.g_variant_unref(reply);
    }
    pd_secret.g_clear_error(&error);
    pd_secret.g_object_unref(bus);
}

int pd_secret_keychain_available(void)
{
    pthread_once(&probe_once, probe);
    return available;
}

int pd_secret_keychain_put(const char *home, const char *key, const char *value,
                           struct pd_err *err)
{
    GError *error = NULL;
    char *label = xasprintf("Pluto Duck: %s", key);
    gboolean ok = pd_secret.secret_password_store_sync(&schema, SECRET_COLLECTION_DEFAULT, label, value,
                                             NULL, &error, "home", home, "key", key, NULL);
    int rc = 0;
    free(label);
    if (!ok)
        rc = pd_fail(err, PD_EIO, "cannot store the secret in the keychain: %s",
                     error ? error->message : "unknown error");
    pd_secret.g_clear_error(&error);
    return rc;
}

char *pd_secret_keychain_get(const char *home, const char *key, int *failed)
{
    GError *error = NULL;
    gchar *v = pd_secret.secret_password_lookup_sync(&schema, NULL, &error, "home", home, "key", key, NULL);
    char *out = v ? xstrdup(v) : NULL;
    *failed = error != NULL;
    if (v)
        pd_secret.secret_password_free(v);
    pd_secret.g_clear_error(&error);
    return out;
}

void pd_secret_keychain_delete(const char *home, const char *key)
{
    GError *error = NULL;
    pd_secret.secret_password_clear_sync(&schema, NULL, &error, "home", home, "key", key, NULL);
    pd_secret.g_clear_error(&error);
}
