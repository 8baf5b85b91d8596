/*
 * fixture.h - what several unit tests start from: a warehouse in a fresh
 * temporary directory, with the sample shop loaded when asked, and the whole
 * directory removed at the end.
 */
#ifndef PD_TEST_FIXTURE_H
#define PD_TEST_FIXTURE_H

struct pd_warehouse;

struct fx_warehouse {
    char dir[64];             /* the temporary directory: /tmp/pd-NAME-XXXXXX */
    struct pd_warehouse *wh;
};

/* Open f->wh in a new directory named after name; 0, or -1 after printing why. */
int fx_warehouse_open(struct fx_warehouse *f, const char *name, int with_shop);

/* Close the warehouse and remove its directory. */
void fx_warehouse_close(struct fx_warehouse *f);

#endif
