/*
 * auth.c - passwords, JWTs and opaque tokens (see auth.h).
 */
#include "cloud/auth.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* argon2id with t=2 and 19 MiB: OWASP's recommendation, ~50 ms here. */
#define PW_OPS 2
#define PW_MEM (19u << 20)

int cl_password_hash(const char *password, char out[128], struct pd_err *err)
{
    if (crypto_pwhash_str_alg(out, password, strlen(password), PW_OPS, PW_MEM,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return pd_fail(err, PD_EINTERNAL, "cannot hash the password (out of memory?)");
    return 0;
}

int cl_password_check(const char *hash, const char *password)
{
    static char dummy[crypto_pwhash_STRBYTES];
    if (hash == NULL || *hash == '\0') {
        /* An unknown account costs what a known one does: no timing tells them apart. */
        if (dummy[0] == '\0' &&
            crypto_pwhash_str_alg(dummy, "x", 1, PW_OPS, PW_MEM, crypto_pwhash_ALG_ARGON2ID13) != 0)
            return 0;
        if (crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0)
            return 0; /* "x" itself: still no account */
        return 0;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* ---- JWT ------------------------------------------------------------------ */

static void b64url_add(struct pd_buf *b, const void *data, size_t n)
{
    size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *text = xmalloc(cap);
    sodium_bin2base64(text, cap, data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    pd_buf_adds(b, text);
    free(text);
}

static void hmac(const unsigned char key[CL_KEY_BYTES], const char *data, size_t n,
                 unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, CL_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)data, n);
    crypto_auth_hmacsha256_final(&st, mac);
}

char *cl_jwt_sign(const unsigned char key[CL_KEY_BYTES], const struct cl_claims *c)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    struct pd_buf b = PD_BUF_INIT;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char payload[256];
    int n = snprintf(payload, sizeof(payload),
                     "{\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"%s\",\"iss\":\"pluto-cloud\"}",
                     c->sub, (long long)c->iat, (long long)c->exp, c->jti);
    b64url_add(&b, header, sizeof(header) - 1);
    pd_buf_addc(&b, '.');
    b64url_add(&b, payload, (size_t)n);
    hmac(key, b.ptr, b.len, mac);
    pd_buf_addc(&b, '.');
    b64url_add(&b, mac, sizeof(mac));
    return pd_buf_detach(&b, NULL);
}

/* Decode one base64url part into a NUL-terminated buffer; the length or -1. */
static long b64url_decode(const char *part, size_t n, unsigned char *out, size_t cap)
{
    size_t len = 0;
    if (sodium_base642bin(out, cap - 1, part, n, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    out[len] = '\0';
    return (long)len;
}

static int claim_string(json_t *payload, const char *name, char *out, size_t size)
{
    const char *v = json_string_value(json_object_get(payload, name));
    if (v == NULL || strlen(v) >= size)
        return -1;
    strcpy(out, v);
    return 0;
}

int cl_jwt_verify(const unsigned char key[CL_KEY_BYTES], const char *token, int64_t now,
                  struct cl_claims *c, struct pd_err *err)
{
    const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    unsigned char part[512], mac[crypto_auth_hmacsha256_BYTES], sig[64];
    json_t *header, *payload;
    int ok;
    if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') || strlen(token) > 1024)
        return pd_fail(err, PD_EAUTH, "the access token is not a JWT");
    if (b64url_decode(token, (size_t)(dot1 - token), part, sizeof(part)) < 0 ||
        (header = json_loads((const char *)part, JSON_REJECT_DUPLICATES, NULL)) == NULL)
        return pd_fail(err, PD_EAUTH, "the access token's header is malformed");
    ok = json_is_string(json_object_get(header, "alg")) &&
         strcmp(json_string_value(json_object_get(header, "alg")), "HS256") == 0;
    json_decref(header);
    if (!ok)
        return pd_fail(err, PD_EAUTH, "the access token is not signed with HS256");
    hmac(key, token, (size_t)(dot2 - token), mac);
    if (b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig)) != (long)sizeof(mac) ||
        crypto_verify_32(sig, mac) != 0)
        return pd_fail(err, PD_EAUTH, "the access token's signature is not valid");
    if (b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), part, sizeof(part)) < 0 ||
        (payload = json_loads((const char *)part, JSON_REJECT_DUPLICATES, NULL)) == NULL)
        return pd_fail(err, PD_EAUTH, "the access token's claims are malformed");
    memset(c, 0, sizeof(*c));
    ok = claim_string(payload, "sub", c->sub, sizeof(c->sub)) == 0 &&
         claim_string(payload, "jti", c->jti, sizeof(c->jti)) == 0 &&
         json_is_integer(json_object_get(payload, "iat")) &&
         json_is_integer(json_object_get(payload, "exp"));
    c->iat = json_integer_value(json_object_get(payload, "iat"));
    c->exp = json_integer_value(json_object_get(payload, "exp"));
    json_decref(payload);
    if (!ok)
        return pd_fail(err, PD_EAUTH, "the access token lacks sub, jti, iat or exp");
    if (c->exp <= now)
        return pd_fail(err, PD_EAUTH, "the access token has expired: refresh it");
    if (c->iat > now + 60)
        return pd_fail(err, PD_EAUTH, "the access token was issued in the future");
    return 0;
}

/* ---- opaque tokens ---------------------------------------------------------- */

void cl_token_new(const char *prefix, char out[CL_TOKEN_MAX])
{
    unsigned char raw[32];
    size_t n = strlen(prefix);
    randombytes_buf(raw, sizeof(raw));
    memcpy(out, prefix, n);
    sodium_bin2base64(out + n, CL_TOKEN_MAX - n, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

void cl_token_hash(const char *token, char out[CL_HASH_TEXT])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, CL_HASH_TEXT - 2, h, sizeof(h));
}
