/*
 * secrets.h - where passwords and tokens live: never in the warehouse or config.
 *
 * In the OS keychain (the Secret Service: GNOME Keyring, KeePassXC) when one
 * answers on the session bus, else in the data home's secrets/ folder (0700),
 * one 0600 file per key, written aside and renamed so a crash never leaves
 * half a secret. Values are read back only when they are used.
 */
#ifndef PD_SECRETS_H
#define PD_SECRETS_H

struct pd_err;

/* Store value under key (letters, digits, '_', '.'), replacing what was there. */
int pd_secret_put(const char *home, const char *key, const char *value, struct pd_err *err);

/* The value under key (heap), or NULL when there is none. */
char *pd_secret_get(const char *home, const char *key);

/* Forget key (nothing when absent). */
void pd_secret_delete(const char *home, const char *key);

/* The store in use, for doctor: "keychain (Secret Service)" or "file (secrets/, 0600)". */
const char *pd_secret_store_name(void);

/* Move the file store's secrets into the keychain; *moved counts them. */
int pd_secret_migrate(const char *home, int *moved, struct pd_err *err);

/* How a secret is shown anywhere: "***". */
#define PD_SECRET_MASK "***"

#endif
