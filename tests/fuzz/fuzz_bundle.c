/*
 * fuzz_bundle.c - pipeline bundles as a client uploads them (a JSON object of
 * paths to contents): accepted or refused with a message; an accepted one
 * never holds a path that could leave its folder or clash on another system.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cloud/bundle.h"
#include "fuzz.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *files = json_loadb((const char *)data, size, 0, NULL);
    struct pd_err err = PD_ERR_INIT;
    struct cl_bundle b;
    const char *path;
    json_t *v;
    if (files == NULL)
        return 0;
    if (cl_bundle_check(files, &b, &err) == 0) {
        if (strlen(b.digest) != 64)
            abort();
        json_object_foreach(files, path, v) {
            if (path[0] == '/' || strchr(path, '\\') || strstr(path, "//") ||
                strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0 ||
                strstr(path, "/../") || (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0))
                abort();
        }
    } else if (err.msg[0] == '\0') {
        abort();
    }
    json_decref(files);
    return 0;
}
