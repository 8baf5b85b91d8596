/*
 * fuzz_tzif.c - time zone files as bytes off a disk: read or refused, and a
 * zone that is read answers offsets and local times without reading past
 * its data, for instants before, inside and after its table.
 */
#include <stdlib.h>

#include "base/err.h"
#include "cloud/tz.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t instants[] = {-4000000000LL, 0, 1774744200, 2240524800LL, 4102444800LL};
    struct pd_err err = PD_ERR_INIT;
    struct cl_tz *z;
    if (cl_tz_parse(data, size, &z, &err) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
        int32_t off = cl_tz_offset(z, instants[i]);
        int64_t again;
        if (off < -25 * 3600 || off > 26 * 3600)
            abort();
        (void)cl_tz_to_utc(z, instants[i] + off, &again);
    }
    cl_tz_free(z);
    return 0;
}
