/*
 * sweep.h - the scheduler's clock work, done by every pluto-cloud process in
 * turn (each schedule is taken with FOR UPDATE SKIP LOCKED, so several
 * processes on one database never record an occurrence twice):
 *
 * - record the occurrences of each schedule that have come due;
 * - an occurrence that no agent claimed within its grace period is missed:
 *   with catch_up none it is recorded skipped ("no agent online"); with
 *   latest the newest missed one stays open for the next agent that polls
 *   (older ones are skipped); with all, the newest catch_up_max do.
 */
#ifndef PD_CLOUD_SWEEP_H
#define PD_CLOUD_SWEEP_H

#include <stdint.h>

struct cl_store;
struct cl_sweeper;
struct pd_err;

/* One sweep at time now (seconds): 0 or the store's error. */
int cl_sweep(struct cl_store *s, int64_t now, struct pd_err *err);

/* A thread sweeping every interval_s seconds until cl_sweeper_stop. */
struct cl_sweeper *cl_sweeper_start(struct cl_store *s, double interval_s);
void cl_sweeper_stop(struct cl_sweeper *w);

/* The next n instants of cron in zone after `after`, as RFC 3339 text in a JSON array. */
struct json_t;
struct json_t *cl_schedule_preview(const char *cron, const char *zone, int64_t after, int n);

#endif
