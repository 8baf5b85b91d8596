/*
 * secrets.h - where passwords and tokens live: never in the warehouse or config.
 *
 * The store is the data home's secrets/ folder (0700), one 0600 file per key,
 * written aside and renamed so a crash never leaves half a secret. Values are
 * read back only when a connection opens.
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

/* How a secret is shown anywhere: "***". */
#define PD_SECRET_MASK "***"

#endif
