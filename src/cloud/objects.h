/*
 * objects.h - where artifacts' bytes live (reports, log files, snapshots):
 * never in PostgreSQL. Clients PUT and GET them directly with pre-signed
 * URLs that expire; the server only signs, and checks an upload's size and
 * SHA-256 before it lists the artifact.
 *
 * Two stores with one contract, so a client cannot tell them apart:
 * - S3 (or any S3 API): URLs signed with AWS Signature Version 4 in the query
 *   string (computed here); the server reads an object back through libcurl's
 *   SigV4 to check it.
 * - local: files under the data directory, served by pluto-cloud itself at
 *   /api/v1/objects/KEY behind an HMAC of method, key and expiry.
 */
#ifndef PD_CLOUD_OBJECTS_H
#define PD_CLOUD_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

struct pd_err;
struct cl_objects;

struct cl_objects_opts {
    const char *dir;          /* local: the folder of objects */
    const unsigned char *key; /* local: 32 bytes that sign URLs (shared by every server) */
    const char *s3_endpoint;  /* S3: "http://127.0.0.1:5000" or "https://s3.eu-west-1.amazonaws.com" */
    const char *s3_bucket, *s3_region, *s3_access_key, *s3_secret_key;
};

int cl_objects_open(struct cl_objects **out, const struct cl_objects_opts *o, struct pd_err *err);
void cl_objects_close(struct cl_objects *s);

/* "s3" or "local". */
const char *cl_objects_kind(const struct cl_objects *s);

/*
 * A URL for method ("PUT" or "GET") of key, valid for expires_s seconds from
 * now (malloc'd); a local one starts with base_url (how clients reach us).
 */
char *cl_objects_presign(struct cl_objects *s, const char *base_url, const char *method,
                         const char *key, int expires_s, int64_t now);

/* The size and SHA-256 (hex) of a stored object: 0, PD_ENOTFOUND, or PD_EUNAVAIL. */
int cl_objects_stat(struct cl_objects *s, const char *key, int64_t *size, char sha256[65],
                    struct pd_err *err);

/*
 * The bytes of a stored object into out, at most max of them: 0, PD_ETOOBIG
 * for a larger one, PD_ENOTFOUND, or PD_EUNAVAIL.
 */
struct pd_buf;
int cl_objects_read(struct cl_objects *s, const char *key, size_t max, struct pd_buf *out,
                    struct pd_err *err);

/*
 * The local store's side of its URLs: 0 when method, key, expires and sig are
 * a URL this store signed that has not expired, else PD_EDENIED saying which.
 */
int cl_objects_local_check(struct cl_objects *s, const char *method, const char *key,
                           const char *expires, const char *sig, int64_t now, struct pd_err *err);
/* The local store's file of key (malloc'd), NULL for the S3 store. */
char *cl_objects_local_path(struct cl_objects *s, const char *key);

/*
 * SigV4 of an S3 request in the query string (exposed for tests): the URL of
 * method on bucket/key at endpoint, signed at time now (seconds) for expires_s.
 */
char *cl_s3_presign(const char *endpoint, const char *bucket, const char *region,
                    const char *access_key, const char *secret_key, const char *method,
                    const char *key, int expires_s, int64_t now);

#endif
