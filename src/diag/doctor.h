/*
 * doctor.h - health checks of the installation and the data home.
 */
#ifndef PD_DOCTOR_H
#define PD_DOCTOR_H

#include <stddef.h>

struct pd_config;

enum pd_check_status { PD_CHECK_OK, PD_CHECK_WARN, PD_CHECK_FAIL };

struct pd_check {
    const char *name;
    enum pd_check_status status;
    char detail[512];
};

#define PD_DOCTOR_MAX_CHECKS 16

/*
 * Run every check. cfg may hold a configuration that failed to load (then
 * config_error says why and the config check fails). Fills checks, returns how many.
 */
size_t pd_doctor_run(const struct pd_config *cfg, const char *config_error,
                     struct pd_check *checks);

/* "ok", "warn", "fail". */
const char *pd_check_status_name(enum pd_check_status s);

#endif
