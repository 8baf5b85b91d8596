/*
 * fuzz_dtoa.c - shortest doubles and floats (base/dtoa.c) on any bit pattern:
 * the text fits its buffer and reads back as the same number.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtoa.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[PD_DTOA_SIZE];
    for (size_t at = 0; at + 8 <= size; at += 8) {
        double d;
        memcpy(&d, data + at, 8);
        if (isfinite(d) && (pd_dtoa(d, buf) >= PD_DTOA_SIZE || strtod(buf, NULL) != d))
            abort();
    }
    for (size_t at = 0; at + 4 <= size; at += 4) {
        float f;
        memcpy(&f, data + at, 4);
        if (isfinite(f) && (pd_ftoa(f, buf) >= PD_DTOA_SIZE || strtof(buf, NULL) != f))
            abort();
    }
    return 0;
}
