/*
 * dynlib.h - shared libraries loaded when first used (dlopen), so that a
 * command that needs no PostgreSQL, MySQL, HTTP client, keychain, HTTP server
 * or line editor does not pay for loading them and all they pull in: about
 * half of the libraries of a cold start, ~10 ms of `pluto-duck sql`.
 *
 * A library is a table of function pointers, one per name, filled by dlsym on
 * the first pd_dynlib_load (once per process, from any thread). Each wrapper
 * declares its table from an X-macro list of the functions it calls, so that
 * the table and the names it is filled from cannot disagree:
 *
 *   #define PD_PQ_FUNCS(X) X(PQexec) X(PQclear) ...
 *   PD_DYNLIB_TABLE(pd_pq, PD_PQ_FUNCS);    (a header: struct pd_pq and extern pd_pq)
 *   PD_DYNLIB_DEFINE(pd_pq, PD_PQ_FUNCS, PD_SONAME_PQ, "libpq5");   (one .c file)
 *
 * and callers write pd_pq.PQexec(...) after pd_pq_load(err) succeeded.
 */
#ifndef PD_DYNLIB_H
#define PD_DYNLIB_H

#include <pthread.h>
#include <stddef.h>

struct pd_err;

struct pd_dynlib {
    const char *soname;       /* the file dlopen looks for: "libpq.so.5" */
    const char *package;      /* the Debian package that has it: "libpq5" */
    const char *const *names; /* the functions, in the order of table */
    size_t n;
    void **table;             /* n function pointers */
    pthread_once_t once;
    int rc;                   /* of the load: 0 or PD_EUNAVAIL */
    char error[512];
};

/* Load lib and fill its table (the first call; later calls say how it went). */
int pd_dynlib_load(struct pd_dynlib *lib, struct pd_err *err);

#define PD_DYNLIB_MEMBER_(f) __typeof__(f) *f;
#define PD_DYNLIB_NAME_(f) #f,

/* struct NAME { a pointer per function }, the table, and NAME_load(). */
#define PD_DYNLIB_TABLE(name, FUNCS)                                           \
    struct name {                                                              \
        FUNCS(PD_DYNLIB_MEMBER_)                                               \
    };                                                                         \
    extern struct name name;                                                   \
    int name##_load(struct pd_err *err)

#define PD_DYNLIB_DEFINE(name, FUNCS, soname, package)                         \
    struct name name;                                                          \
    static const char *const name##_names[] = {FUNCS(PD_DYNLIB_NAME_)};        \
    static struct pd_dynlib name##_lib = {                                     \
        soname, package, name##_names,                                         \
        sizeof(name##_names) / sizeof(name##_names[0]), (void **)&name,        \
        PTHREAD_ONCE_INIT, 0, {0}};                                            \
    int name##_load(struct pd_err *err)                                        \
    {                                                                          \
        return pd_dynlib_load(&name##_lib, err);                               \
    }

#endif
