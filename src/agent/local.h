/*
 * local.h - the offline provider's planner: a plain-language question about
 * the warehouse turned into one SELECT, deterministically, from the schema
 * and the values in the data - or a plain "I cannot answer that".
 *
 * It knows counts ("how many"), distinct counts, sum/average/minimum/maximum
 * of a column ("total revenue", "average amount"), rankings ("top 5
 * customers by revenue", "which 3 products sold the most"), grouping ("per
 * status", "by city", "for each category"), time buckets ("per month",
 * "yearly"), a year ("in 2024"), filters on values that exist in the data
 * ("completed orders", "customers in Berlin") and listings ("latest 10
 * orders"). Tables are joined along <name>_id columns.
 */
#ifndef PD_AGENT_LOCAL_H
#define PD_AGENT_LOCAL_H

#include <stddef.h>

struct pd_err;

struct ag_col {
    const char *name, *type;
};

struct ag_table {
    const char *schema, *name;
    const struct ag_col *cols;
    size_t ncols;
};

struct ag_schema {
    const struct ag_table *tables;
    size_t n;
};

/*
 * Is text a value of t.column (compared without case)? Returns 1 and the value
 * as stored in *exact (heap), or 0. The planner asks only about text columns.
 */
typedef int (*ag_lookup_fn)(void *arg, const struct ag_table *t, const char *column,
                            const char *text, char **exact);

struct ag_plan {
    char *sql;
    char *explanation;      /* what the SQL computes, in words */
    char *chart, *x, *y;    /* suggested chart (bar, line) and its columns; NULL: none */
};

/*
 * The words and word pairs of question that could be values in the data (not
 * tables, columns or vocabulary), for one lookup query before planning.
 */
struct pd_strv;
void ag_local_candidates(const char *question, const struct ag_schema *s, struct pd_strv *out);

/*
 * Plan question; PD_EINVAL with a message saying what was not understood.
 * previous (NULL: none) is what it follows up, one earlier question per line:
 * all are read as one, a later question's year, limit, time bucket,
 * aggregate and values replacing the earlier ones ("how many orders in 2024"
 * then "and in 2023?").
 */
int ag_local_plan(const char *previous, const char *question, const struct ag_schema *s,
                  ag_lookup_fn lookup, void *arg, struct ag_plan *out, struct pd_err *err);

/* Does question read as a follow-up ("and ...", "what about ...", "only ...")? */
int ag_local_follows_up(const char *question);

void ag_plan_clear(struct ag_plan *p);

#endif
