/*
 * journal.h - bookkeeping rows gathered and committed together.
 *
 * Query history rows, job records and agent events are small appends that
 * every request makes. Committed one by one, each costs a write-ahead-log
 * commit, and commits are serialized: they, not the work, would set the pace
 * of a busy server. Queued here instead, a background thread appends
 * everything queued (DuckDB's appender: no SQL to parse or plan) in one
 * transaction every interval, or at once on pd_journal_flush. A row is visible
 * to other connections once its batch commits: readers that must see every
 * row flush first. A process killed without closing the warehouse loses at
 * most the last interval's rows.
 *
 * At close, when nothing else was written (the WAL is empty), the last rows
 * go to a side file (WAREHOUSE.journal) instead, so that bookkeeping alone
 * never makes DuckDB checkpoint at shutdown; they are committed by the next
 * flush or batch (see journal.c).
 */
#ifndef PD_WAREHOUSE_JOURNAL_H
#define PD_WAREHOUSE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

struct pd_journal;
struct pd_warehouse;

/* One value of a row. An integer goes into a TIMESTAMPTZ column as milliseconds since 1970. */
struct pd_jcell {
    enum { PD_JNULL, PD_JTEXT, PD_JINT, PD_JDOUBLE } kind;
    const char *text;
    int64_t i;
    double d;
};

#define PD_JCELL_TEXT(s) ((s) ? (struct pd_jcell){.kind = PD_JTEXT, .text = (s)} \
                              : (struct pd_jcell){.kind = PD_JNULL})
#define PD_JCELL_INT(v) ((struct pd_jcell){.kind = PD_JINT, .i = (v)})
#define PD_JCELL_DOUBLE(v) ((struct pd_jcell){.kind = PD_JDOUBLE, .d = (v)})
#define PD_JCELL_NULL ((struct pd_jcell){.kind = PD_JNULL})

struct pd_journal *pd_journal_new(struct pd_warehouse *wh, int interval_ms);

/*
 * Queue a row (copied) for table _pluto.TABLE: its columns in order; columns
 * past the last cell get their default.
 */
void pd_journal_add_row(struct pd_journal *j, const char *table, const struct pd_jcell *cells,
                        size_t n);

/* Commit everything queued so far, and what the side file holds, before returning. */
void pd_journal_flush(struct pd_journal *j);

/* Flush, stop the thread, free. */
void pd_journal_free(struct pd_journal *j);

#endif
