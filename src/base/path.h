/*
 * path.h - file-system paths: joining, creating directories, finding a file
 * upwards from a directory. Returned strings are heap-allocated; the caller frees.
 */
#ifndef PD_PATH_H
#define PD_PATH_H

#include <sys/types.h>

struct pd_err;

/* a + "/" + b (b alone when it is absolute). */
char *pd_path_join(const char *a, const char *b);

/* p made absolute against the current working directory ("-" and absolute paths copied). */
char *pd_path_absolute(const char *p);

/* "~" or "~/x" expanded with $HOME; anything else copied. */
char *pd_path_expand_user(const char *p);

/* The directory part of p ("." when there is none). */
char *pd_path_dirname(const char *p);

/* Create dir and its parents with mode. Returns 0 or PD_EIO with a message naming the path. */
int pd_mkdir_p(const char *dir, mode_t mode, struct pd_err *err);

/*
 * Look for name in start and then in each parent directory. Returns the full
 * path of the first one found, or NULL.
 */
char *pd_path_find_upward(const char *start, const char *name);

/* Remove path and, when it is a directory, everything below it (symlinks are not followed). */
void pd_remove_tree(const char *path);

/* 1 when path exists (any type), else 0. */
int pd_path_exists(const char *path);

/*
 * The folder of data shipped with the program: <the running binary's
 * folder>/../share/<rel> when it holds `probe` (an installed or copied tree),
 * else `built` (the source tree's, compiled in). Heap.
 */
char *pd_path_shipped(const char *rel, const char *probe, const char *built);

/*
 * Write len bytes to path through a temporary file beside it (flushed to disk),
 * then rename it over path: readers see the old or the new file, never a part.
 */
struct pd_err;
int pd_write_file_atomic(const char *path, const char *data, size_t len, struct pd_err *err);

#endif
