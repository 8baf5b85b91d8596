/*
 * secrets.c - which store holds the secrets (see secrets.h): the OS keychain
 * when a Secret Service answers on the session bus, else the 0600 file store;
 * PLUTO_DUCK_SECRET_STORE=file or keychain decides instead. Reading looks in
 * the keychain first, then in the files (secrets written before a keychain
 * was there keep working until `pluto-duck secrets migrate` moves them).
 */
#include "sources/secrets.h"
#include "sources/secrets_store.h"

#include "base/err.h"
#include "base/strv.h"

#include <stdlib.h>
#include <string.h>

static int use_keychain(void)
{
    const char *choice = getenv("PLUTO_DUCK_SECRET_STORE");
    if (choice && strcmp(choice, "file") == 0)
        return 0;
    return pd_secret_keychain_available();
}

const char *pd_secret_store_name(void)
{
    const char *choice = getenv("PLUTO_DUCK_SECRET_STORE");
    if (choice && strcmp(choice, "keychain") == 0 && !pd_secret_keychain_available())
        return "file (PLUTO_DUCK_SECRET_STORE=keychain, but no Secret Service answers)";
    return use_keychain() ? "keychain (Secret Service)" : "file (secrets/, 0600)";
}

int pd_secret_put(const char *home, const char *key, const char *value, struct pd_err *err)
{
    int rc;
    if (!use_keychain())
        return pd_secret_file_put(home, key, value, err);
    if ((rc = pd_secret_keychain_put(home, key, value, err)) == 0)
        pd_secret_file_delete(home, key); /* one copy, in the keychain */
    return rc;
}

char *pd_secret_get(const char *home, const char *key)
{
    int failed = 0;
    char *v = use_keychain() ? pd_secret_keychain_get(home, key, &failed) : NULL;
    return v ? v : pd_secret_file_get(home, key);
}

void pd_secret_delete(const char *home, const char *key)
{
    if (use_keychain())
        pd_secret_keychain_delete(home, key);
    pd_secret_file_delete(home, key);
}

int pd_secret_migrate(const char *home, int *moved, struct pd_err *err)
{
    struct pd_strv keys = PD_STRV_INIT;
    int rc = 0;
    *moved = 0;
    if (!use_keychain())
        return pd_fail(err, PD_ECONFIG,
                       "no keychain to move the secrets to: no Secret Service answers on the "
                       "session bus (start GNOME Keyring or KeePassXC's Secret Service)");
    pd_secret_file_keys(home, &keys);
    for (size_t i = 0; i < keys.n && rc == 0; i++) {
        char *v = pd_secret_file_get(home, keys.v[i]);
        if (v == NULL)
            continue;
        /* Stored first, removed after: an interruption leaves a copy, never none. */
        if ((rc = pd_secret_keychain_put(home, keys.v[i], v, err)) == 0) {
            pd_secret_file_delete(home, keys.v[i]);
            (*moved)++;
        }
        memset(v, 0, strlen(v));
        free(v);
    }
    pd_strv_clear(&keys);
    return rc;
}
