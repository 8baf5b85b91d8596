/*
 * fuzz_cron.c - cron expressions as a schedule's author types them: each is
 * parsed or refused with a message; one that parses yields, in UTC, Berlin
 * and Lord Howe (a 30-minute change), instants that only move forward.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cloud/cron.h"
#include "cloud/tz.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cl_tz *zones[3];
    static const char *const names[] = {"UTC", "Europe/Berlin", "Australia/Lord_Howe"};
    /* 2026-03-29 00:30Z (Berlin's spring night), 2026-10-24 23:30Z (its autumn one), 1970. */
    static const int64_t afters[] = {1774744200, 1792884600, 0};
    struct pd_err err = PD_ERR_INIT;
    struct cl_cron c;
    char *text = fuzz_text(data, size > 200 ? 200 : size);
    if (zones[0] == NULL)
        for (int i = 0; i < 3; i++)
            if (cl_tz_load(names[i], &zones[i], &err) != 0)
                abort();
    if (cl_cron_parse(text, &c, &err) != 0) {
        if (err.code != PD_EFIELD || err.msg[0] == '\0')
            abort();
        free(text);
        return 0;
    }
    for (int z = 0; z < 3; z++)
        for (int a = 0; a < 3; a++) {
            int64_t t = afters[a];
            for (int k = 0; k < 3; k++) {
                int64_t next = cl_cron_next(&c, zones[z], t);
                if (next < 0)
                    break;
                if (next <= t)
                    abort();
                t = next;
            }
        }
    free(text);
    return 0;
}
