/*
 * runner.h - the local schedule runner: it polls Pluto Cloud for the
 * workspace's due occurrences (a conditional GET every poll interval plus up
 * to as much again of jitter, so many machines do not poll in step), claims
 * one at a time, runs it at the pipeline version the schedule pins, and
 * reports through the outbox.
 *
 * A claim is made online (it is what keeps two agents from running one
 * occurrence); everything after it - the run record, its end, its log lines
 * and report - is written to the warehouse with the outbox rows that report
 * it, in one transaction, and delivered by the sender. Occurrences the
 * server offers to catch up (missed while this app was off, as the
 * schedule's catch_up policy keeps them) are run at start like any other and
 * counted in a notice. An occurrence is skipped, with the reason, when the
 * schedule's previous run still runs here or a live source it reads does not
 * answer.
 */
#ifndef PD_SYNC_RUNNER_H
#define PD_SYNC_RUNNER_H

#include <jansson.h>

struct pd_config;
struct pd_err;
struct pd_warehouse;
struct pd_outbox_sender;

struct pd_runner_opts {
    struct pd_warehouse *wh;
    const struct pd_config *cfg;
    const char *home;
    double poll_s;                   /* the interval (cloud.poll_interval; tests: 1) */
    struct pd_outbox_sender *sender; /* woken when rows are queued (may be NULL) */
};

struct pd_runner;

/* Start polling and running; NULL (with err) when nobody is signed in or no workspace is used. */
struct pd_runner *pd_runner_start(const struct pd_runner_opts *o, struct pd_err *err);
/* Stop: a run under way is cancelled and reported so. */
void pd_runner_stop(struct pd_runner *r);

/*
 * What it is doing, for `cloud status` and the web UI: {polling, last_poll_at,
 * offline_since?, last_error?, running?: {run_id, schedule_id, project},
 * runs, skipped, notices: [{at, text}]}.
 */
json_t *pd_runner_status(struct pd_runner *r);

#endif
