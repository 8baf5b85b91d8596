/*
 * fuzz_yaml.c - the flat YAML reader (base/yaml_simple.c) against libfyaml on
 * any text: whatever the small reader accepts, libfyaml reads as the same JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/yaml.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    json_t *simple, *full;
    struct pd_err err = PD_ERR_INIT;
    memcpy(text, data, size);
    text[size] = '\0';
    simple = pd_yaml_load_simple(text);
    /* libfyaml's path refuses what is not UTF-8 before it reads: both skip that */
    if (simple && strlen(text) == size && pd_utf8_valid_prefix(text, size) == size) {
        full = pd_yaml_load_libfyaml(text, "fuzz", &err);
        if (full == NULL || !json_equal(simple, full))
            abort(); /* accepted, but read differently */
        json_decref(full);
    }
    json_decref(simple);
    free(text);
    return 0;
}
