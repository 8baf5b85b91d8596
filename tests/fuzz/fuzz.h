/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz share: the input as a
 * NUL-terminated string, and a private scratch folder for loaders that read
 * files (the target writes its input there and calls the real loader).
 */
#ifndef PD_FUZZ_H
#define PD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The input as a heap string, cut at its first NUL (as a file reader sees text). */
char *fuzz_text(const uint8_t *data, size_t size);

/* A folder of this process's own, made on the first call (under TMPDIR or /tmp). */
const char *fuzz_dir(void);

/* Write data to DIR/rel, making its folders; the path (heap). Aborts on failure. */
char *fuzz_write(const char *rel, const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
