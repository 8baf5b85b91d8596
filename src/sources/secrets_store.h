/*
 * secrets_store.h - the two stores behind secrets.h: the OS keychain (the
 * Secret Service over D-Bus, with libsecret: GNOME Keyring, KeePassXC) and the
 * 0600 file store. secrets.c chooses between them.
 */
#ifndef PD_SECRETS_STORE_H
#define PD_SECRETS_STORE_H

struct pd_err;
struct pd_strv;

int pd_secret_file_put(const char *home, const char *key, const char *value, struct pd_err *err);
char *pd_secret_file_get(const char *home, const char *key);
void pd_secret_file_delete(const char *home, const char *key);
/* The keys the file store holds, sorted. */
int pd_secret_file_keys(const char *home, struct pd_strv *keys);

/* 1 when a Secret Service answers on the session bus (asked once, within a second). */
int pd_secret_keychain_available(void);
int pd_secret_keychain_put(const char *home, const char *key, const char *value,
                           struct pd_err *err);
/* The value (heap), NULL when absent; *failed set when the keychain could not be read. */
char *pd_secret_keychain_get(const char *home, const char *key, int *failed);
void pd_secret_keychain_delete(const char *home, const char *key);

#endif
