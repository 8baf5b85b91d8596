/*
 * dynlib.c - load a shared library on first use and fill its table of
 * functions (see dynlib.h).
 */
#include "base/dynlib.h"

#include "base/err.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* pthread_once takes no argument: the library being loaded, per thread. */
static __thread struct pd_dynlib *loading;

static void load_once(void)
{
    struct pd_dynlib *lib = loading;
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(lib->error, sizeof(lib->error),
                 "%s is not installed (%s): install the package %s", lib->soname, dlerror(),
                 lib->package);
        lib->rc = PD_EUNAVAIL;
        return;
    }
    for (size_t i = 0; i < lib->n; i++) {
        void *f = dlsym(h, lib->names[i]);
        if (f == NULL) {
            snprintf(lib->error, sizeof(lib->error),
                     "%s has no function %s: it is older than this program needs (update the "
                     "package %s)", lib->soname, lib->names[i], lib->package);
            lib->rc = PD_EUNAVAIL;
            memset(lib->table, 0, lib->n * sizeof(void *));
            return; /* the library stays loaded: unloading what may have run is not safe */
        }
        lib->table[i] = f;
    }
}

int pd_dynlib_load(struct pd_dynlib *lib, struct pd_err *err)
{
    loading = lib;
    pthread_once(&lib->once, load_once);
    if (lib->rc)
        return pd_fail(err, lib->rc, "%s", lib->error);
    return 0;
}
