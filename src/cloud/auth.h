/*
 * auth.h - the cryptography of signing in: passwords hashed with argon2id,
 * access tokens as JWTs (HS256, signed and verified here), and opaque tokens
 * (refresh, agent, invitation, device) that are shown once and stored only as
 * their SHA-256.
 */
#ifndef PD_CLOUD_AUTH_H
#define PD_CLOUD_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct pd_err;

#define CL_KEY_BYTES 32

/* Hash a password for storage (argon2id, OWASP's parameters); 0 or PD_EINTERNAL. */
int cl_password_hash(const char *password, char out[128], struct pd_err *err);
/* 1 when password matches a stored hash. A NULL hash spends the same time and is 0. */
int cl_password_check(const char *hash, const char *password);

/* What an access token says. */
struct cl_claims {
    char sub[40];  /* the user's id */
    char jti[40];  /* the token's own id */
    int64_t iat, exp; /* seconds since the epoch */
};

/* Sign claims as a JWT (malloc'd). */
char *cl_jwt_sign(const unsigned char key[CL_KEY_BYTES], const struct cl_claims *c);
/*
 * Verify a JWT at time now: HS256 only (any other alg, "none" included, is
 * refused), a valid signature, exp after now, iat not in the future. 0 with
 * *c, or PD_EAUTH with the reason in err.
 */
int cl_jwt_verify(const unsigned char key[CL_KEY_BYTES], const char *token, int64_t now,
                  struct cl_claims *c, struct pd_err *err);

/* A new opaque token: prefix then 43 characters of base64url randomness. */
#define CL_TOKEN_MAX 64
void cl_token_new(const char *prefix, char out[CL_TOKEN_MAX]);
/* The SHA-256 of a token as a PostgreSQL bytea literal ("\\x..."), for queries. */
#define CL_HASH_TEXT 68
void cl_token_hash(const char *token, char out[CL_HASH_TEXT]);

#endif
