/*
 * id.c - UUIDv7 (RFC 9562): 48-bit Unix ms, version 7, 74 random bits from getrandom.
 */
#include "base/id.h"

#include "base/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

char *pd_uuid7(char *out)
{
    uint8_t b[16];
    uint64_t ms = (uint64_t)pd_now_ms();

    if (getrandom(b + 6, 10, 0) != 10) {
        for (int i = 6; i < 16; i++) /* getrandom cannot fail for 10 bytes on Linux >= 3.17 */
            b[i] = (uint8_t)random();
    }
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0f));
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
    snprintf(out, PD_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return out;
}
