/*
 * bundle.h - a pipeline's files as they travel: a JSON object of relative
 * paths to text. Checked before anything is stored (paths that could escape a
 * folder or clash on another system, too many files, too many bytes, no
 * project inside) and reduced to a digest of its canonical form, so identical
 * content is recognised whoever uploads it.
 */
#ifndef PD_CLOUD_BUNDLE_H
#define PD_CLOUD_BUNDLE_H

#include <jansson.h>

struct pd_err;

#define CL_BUNDLE_MAX_FILES 2000
#define CL_BUNDLE_MAX_BYTES (5u << 20)
#define CL_BUNDLE_MAX_PATH 255

struct cl_bundle {
    const json_t *files;  /* borrowed: {path: content} */
    const char *kind;     /* "duckpipe" or "dbt" */
    char digest[65];      /* sha256 (hex) of the canonical form */
    size_t size;          /* bytes of content */
    size_t count;
};

/*
 * Check files and fill b: PD_EINVAL naming the bad path, PD_ETOOBIG past the
 * limits. The canonical form is the files sorted by path, each as path, NUL,
 * its length in decimal, NUL, its content.
 */
int cl_bundle_check(const json_t *files, struct cl_bundle *b, struct pd_err *err);

/* The SHA-256 of text, as 64 hex digits. */
void cl_sha256_hex(const char *text, size_t n, char out[65]);

#endif
