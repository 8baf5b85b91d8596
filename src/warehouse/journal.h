/*
 * journal.h - bookkeeping writes gathered and committed together.
 *
 * Query history rows and job records are small INSERTs that every request
 * makes. Committed one by one, each costs a write-ahead-log commit, and
 * commits are serialized: they, not the work, would set the pace of a busy
 * server. Queued here instead, a background thread commits everything queued
 * in one transaction every interval (or at once on pd_journal_flush). A row
 * is visible to other connections once its batch commits: readers that must
 * see every row flush first. A process killed without closing the warehouse
 * loses at most the last interval's rows.
 *
 * At close, when nothing else was written (the WAL is empty), the last rows
 * go to a side file (WAREHOUSE.journal) instead, so that bookkeeping alone
 * never makes DuckDB checkpoint at shutdown; they are committed by the next
 * flush or batch (see journal.c).
 */
#ifndef PD_WAREHOUSE_JOURNAL_H
#define PD_WAREHOUSE_JOURNAL_H

struct pd_journal;
struct pd_warehouse;

struct pd_journal *pd_journal_new(struct pd_warehouse *wh, int interval_ms);

/* Queue one statement (copied). */
void pd_journal_add(struct pd_journal *j, const char *sql);

/* Commit everything queued so far, and what the side file holds, before returning. */
void pd_journal_flush(struct pd_journal *j);

/* Flush, stop the thread, free. */
void pd_journal_free(struct pd_journal *j);

#endif
