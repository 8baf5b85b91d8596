/*
 * init.h - the service behind `pluto-duck init`: lay out the data home, create
 * the warehouse (migrated) and load the sample shop.
 */
#ifndef PD_INIT_H
#define PD_INIT_H

struct pd_config;
struct pd_err;

struct pd_init_report {
    int created_warehouse; /* the warehouse file is new */
    int loaded_sample;     /* the shop tables were loaded now */
    int schema_version;
};

/* Idempotent: what exists is kept. with_sample = 0 skips the shop. */
int pd_init_home(const struct pd_config *cfg, int with_sample, struct pd_init_report *report,
                 struct pd_err *err);

#endif
