/*
 * diff.h - line diffs in the unified format (what `git diff` and `diff -u`
 * print), by Myers' O(ND) algorithm. Used to show how two versions of a
 * pipeline's files differ.
 */
#ifndef PD_DIFF_H
#define PD_DIFF_H

#include <stddef.h>

struct pd_buf;

/*
 * Append to out the unified diff of texts a and b (either may be NULL: the
 * file is absent, shown as /dev/null) with `context` lines around each change,
 * headed "--- name_a" / "+++ name_b". Nothing is appended when they are equal.
 * Returns the number of changed lines (deleted plus inserted).
 */
size_t pd_unified_diff(struct pd_buf *out, const char *a, size_t alen, const char *b, size_t blen,
                       const char *name_a, const char *name_b, int context);

#endif
