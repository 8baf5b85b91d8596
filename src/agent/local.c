/*
 * local.c - the offline planner (see local.h): words are matched to tables,
 * columns, values in the data and a small vocabulary of analytical phrases;
 * the roles found (what to count or add up, what to group by, how to filter,
 * how to rank) become one SELECT with the joins it needs.
 */
#include "agent/local.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/duck.h"
#include "base/err.h"
#include "base/strv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 64
#define MAX_REFS 16
#define MAX_FILTERS 8

enum agg { AGG_NONE, AGG_COUNT, AGG_DISTINCT, AGG_SUM, AGG_AVG, AGG_MIN, AGG_MAX, AGG_MEDIAN,
           AGG_PERCENTILE };

enum ref_kind { REF_TABLE, REF_COLUMN };

struct ref {
    enum ref_kind kind;
    int table, col; /* col: -1 for a table */
    int at;         /* word position */
};

struct filter {
    int table, col;
    char *value;
    int at;         /* word position */
    const char *op; /* NULL: = value (text); else a comparison with a number: >, >=, <, <=,
                       BETWEEN (value AND value2) */
    char *value2;
};

struct question {
    char *w[MAX_WORDS]; /* lower case */
    char *raw[MAX_WORDS];
    int used[MAX_WORDS];
    int n;
    const struct ag_schema *s;
    struct ref refs[MAX_REFS];
    int nrefs;
    struct filter filters[MAX_FILTERS];
    int nfilters;
    enum agg agg;
    int agg_at;       /* where the aggregate word was */
    int money;        /* a money word: the measure is an amount, added up */
    int money_at;
    int rank;         /* 1 highest first, -1 lowest first */
    int best;         /* only the first rank, ties kept ("which X has the highest avg Y") */
    int superlative;  /* a highest (1) or lowest (-1) word that may rank an aggregate */
    long limit;
    int year;
    const char *year_op; /* NULL: in year; else >, >=, <, <=, BETWEEN (year AND year2) */
    int year2;
    const char *bucket;
    int group_at;     /* position of per/by/each, or -1 */
    int listing;
    int share;        /* a percentage of the total: per group, or of the filtered rows */
    int percentile;   /* of AGG_PERCENTILE: 1 to 99 */
    int never_at;     /* position of never/without/no (an anti-join), or -1 */
    const char *having_op; /* "with more than 3 orders", "more than once": rows per entity */
    char *having_n;
    int having_at, having_table; /* the phrase's position; the table counted (-1: a verb's) */
    const char *unsure[2]; /* two names a word matched loosely, equally well: ask */
    int unsure_at;
    int recent;       /* listing newest (1) or oldest (-1) first */
    int turn[MAX_WORDS]; /* which question of a conversation a word is from (0: the first) */
};

/* ---- words -------------------------------------------------------------------- */

static void tokenize(struct question *q, const char *text)
{
    const char *p = text;
    while (*p && q->n < MAX_WORDS) {
        const char *start;
        while (*p && !(isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80 || *p == '_'))
            p++;
        start = p;
        while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80 || *p == '_' ||
                      (*p == '-' && isalpha((unsigned char)p[1]) && p > start) ||
                      (*p == '.' && p > start && isdigit((unsigned char)p[-1]) &&
                       isdigit((unsigned char)p[1]))))
            p++;
        if (p == start)
            break;
        q->raw[q->n] = xstrndup(start, (size_t)(p - start));
        q->w[q->n] = xstrdup(q->raw[q->n]);
        for (char *c = q->w[q->n]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        q->n++;
    }
}

/* The questions of a conversation, one per line of previous, then question. */
static void tokenize_turns(struct question *q, const char *previous, const char *question)
{
    int turn = 0;
    while (previous && *previous) {
        const char *nl = strchr(previous, '\n');
        char *line = nl ? xstrndup(previous, (size_t)(nl - previous)) : xstrdup(previous);
        int from = q->n;
        tokenize(q, line);
        for (int i = from; i < q->n; i++)
            q->turn[i] = turn;
        turn++;
        free(line);
        previous = nl ? nl + 1 : "";
    }
    int from = q->n;
    tokenize(q, question);
    for (int i = from; i < q->n; i++)
        q->turn[i] = turn;
}

/* "categories" -> "category", "statuses" -> "status", "orders" -> "order". */
static char *singular(const char *w)
{
    size_t n = strlen(w);
    if (n > 4 && strcmp(w + n - 3, "ies") == 0)
        return xasprintf("%.*sy", (int)(n - 3), w);
    if (n > 4 && (strcmp(w + n - 4, "uses") == 0 || strcmp(w + n - 4, "sses") == 0 ||
                  strcmp(w + n - 3, "xes") == 0 || strcmp(w + n - 4, "ches") == 0))
        return xstrndup(w, n - 2);
    if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u')
        return xstrndup(w, n - 1);
    return xstrdup(w);
}

static int same_word(const char *a, const char *b)
{
    char *sa = singular(a), *sb = singular(b);
    int eq = strcmp(sa, sb) == 0;
    free(sa);
    free(sb);
    return eq;
}

static int is_one_of(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return 1;
    return 0;
}

static const char *const stopwords[] = {
    "the", "a", "an", "of", "in", "on", "at", "for", "to", "with", "and", "or", "is", "are",
    "was", "were", "be", "been", "do", "does", "did", "what", "which", "who", "whose", "how",
    "many", "much", "me", "my", "our", "we", "all", "there", "that", "have", "has", "had", "from",
    "during", "over", "than", "please", "tell", "give", "get", "find", "i", "want", "know",
    "their", "its", "it", "this", "these", "those", "as", "made", "placed", "bought", "ordered",
    "whole", "overall", "ever", "so", "far", "far", "up", "them", "they", "any", "where", "when",
    "s", "whats", "ones", "one", "were", "by", "per", "each", "every", "time", "across", "out",
    "spent", "spend", "spending", "sold", "received", "got", "generated", "brought", "grouped",
    /* words about the data rather than in it ("how many rows of data") */
    "data", "value", "values", "record", "records", "row", "rows", "entry", "entries",
    /* the lead words of a follow-up ("and in 2023?", "what about completed ones") */
    "about", "only", "instead", "now", "just", "same", "then", "but", "also", "again", "those",
    NULL};

/* ---- the schema ----------------------------------------------------------------- */

static const struct ag_col *col_of(const struct question *q, int t, int c)
{
    return &q->s->tables[t].cols[c];
}

/* Does a scalar type start with one of prefixes? (A list, "VARCHAR[]", is never one.) */
static int type_is(const char *type, const char *const *prefixes)
{
    if (strchr(type, '['))
        return 0;
    for (; *prefixes; prefixes++)
        if (strncmp(type, *prefixes, strlen(*prefixes)) == 0)
            return 1;
    return 0;
}

static int numeric(const char *type)
{
    static const char *const p[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT",
                                    "DOUBLE", "DECIMAL", "REAL", NULL};
    return type_is(type, p);
}

static int temporal(const char *type)
{
    static const char *const p[] = {"DATE", "TIMESTAMP", NULL};
    return type_is(type, p);
}

static int textual(const char *type)
{
    static const char *const p[] = {"VARCHAR", NULL};
    return type_is(type, p);
}

/* The column of table t called name (compared by same), or -1. */
static int find_col_by(const struct question *q, int t, const char *name,
                       int (*same)(const char *, const char *))
{
    const struct ag_table *tb = &q->s->tables[t];
    for (size_t c = 0; c < tb->ncols; c++)
        if (same(tb->cols[c].name, name) == 0)
            return (int)c;
    return -1;
}

static int find_col(const struct question *q, int t, const char *name)
{
    return find_col_by(q, t, name, strcmp);
}

static int find_col_nocase(const struct question *q, int t, const char *name)
{
    return find_col_by(q, t, name, strcasecmp);
}

/* The key column of a table: <singular>_id, or its first column. */
static int key_col(const struct question *q, int t)
{
    char *s = singular(q->s->tables[t].name), *key = xasprintf("%s_id", s);
    int c = find_col(q, t, key);
    free(s);
    free(key);
    return c >= 0 ? c : 0;
}

/* A temporal column of t (the first), or -1. */
static int date_col(const struct question *q, int t)
{
    const struct ag_table *tb = &q->s->tables[t];
    for (size_t c = 0; c < tb->ncols; c++)
        if (temporal(tb->cols[c].type))
            return (int)c;
    return -1;
}

/* The amount-like column of the schema: named amount, else *total*, else *price*. */
static int money_col(const struct question *q, int *table)
{
    static const char *const names[] = {"amount", "total", "price", "revenue", NULL};
    for (const char *const *n = names; *n; n++)
        for (size_t t = 0; t < q->s->n; t++)
            for (size_t c = 0; c < q->s->tables[t].ncols; c++)
                if (strstr(q->s->tables[t].cols[c].name, *n) &&
                    numeric(q->s->tables[t].cols[c].type)) {
                    *table = (int)t;
                    return (int)c;
                }
    return -1;
}

/* ---- recognising words ------------------------------------------------------------ */

static void add_ref(struct question *q, enum ref_kind kind, int t, int c, int at)
{
    if (q->nrefs < MAX_REFS)
        q->refs[q->nrefs++] = (struct ref){kind, t, c, at};
}

/*
 * The words of a name in lower case, one per '\0'-ended part: split at '_',
 * '-', spaces and where lower case turns upper ("Miles_per_Gallon" -> miles
 * per gallon, "tempMax" -> temp max). Returns the count of parts.
 */
static int name_words(const char *name, char *out, size_t size)
{
    size_t o = 0;
    int n = 0, in_word = 0;
    for (const char *p = name; *p && o + 2 < size; p++) {
        unsigned char c = (unsigned char)*p;
        int sep = c == '_' || c == '-' || c == ' ';
        int hump = in_word && isupper(c) && islower((unsigned char)p[-1]);
        if ((sep || hump) && in_word) {
            out[o++] = '\0';
            in_word = 0;
        }
        if (sep)
            continue;
        out[o++] = (char)tolower(c);
        if (!in_word)
            n++;
        in_word = 1;
    }
    out[o] = '\0';
    return n;
}

/* The parts of name_words run together ("Miles_per_Gallon" -> "milespergallon"). */
static void joined(const char *parts, int n, char *out, size_t size)
{
    size_t o = 0;
    for (int k = 0; k < n; k++, parts += strlen(parts) + 1)
        for (const char *c = parts; *c && o + 1 < size; c++)
            out[o++] = *c;
    out[o] = '\0';
}

/* Levenshtein distance of a and b, stopping early past max (then max + 1). */
static int edit_distance(const char *a, const char *b, int max)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[64], best;
    if (la >= 63 || lb >= 63 || (la > lb ? la - lb : lb - la) > (size_t)max)
        return max + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        best = row[0];
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j], v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            diag = up;
            row[j] = v;
            if (v < best)
                best = v;
        }
        if (best > max)
            return max + 1;
    }
    return row[lb];
}

/* Words people use for what a name says in other words (both singular). */
static const char *const synonyms[][2] = {
    {"auto", "car"},          {"automobile", "car"},  {"vehicle", "car"},
    {"nation", "country"},    {"rainfall", "precipitation"}, {"rain", "precipitation"},
    {"client", "customer"},   {"buyer", "customer"},  {"people", "population"},
    {"cost", "price"},        {"item", "product"},    {"staff", "employee"},
    {"worker", "employee"},   {"income", "revenue"},  {"town", "city"},
    {"kind", "type"},         {"sort", "type"},       {"salary", "wage"},
};

/*
 * Is a question word close to a name's word without being it: an
 * abbreviation either way ("pop" / "population", "temperature" / "temp"), a
 * typo ("horsepowr"), or a synonym ("autos" / cars)?
 */
static int near(const char *w, const char *part)
{
    char *sw = singular(w), *sp = singular(part);
    size_t lw = strlen(sw), lp = strlen(sp);
    int yes = 0;
    if (lw >= 3 && lp >= 3)
        yes = strncmp(sw, sp, lw < lp ? lw : lp) == 0;
    if (!yes && lw >= 5 && lp >= 5)
        yes = edit_distance(sw, sp, lw >= 9 ? 2 : 1) <= (lw >= 9 ? 2 : 1);
    for (size_t k = 0; !yes && k < sizeof(synonyms) / sizeof(synonyms[0]); k++)
        yes = (strcmp(sw, synonyms[k][0]) == 0 && strcmp(sp, synonyms[k][1]) == 0) ||
              (strcmp(sw, synonyms[k][1]) == 0 && strcmp(sp, synonyms[k][0]) == 0);
    free(sw);
    free(sp);
    return yes;
}

/* May word i match a name loosely? Not a stopword, a number or a vocabulary word. */
static int loose_ok(const struct question *q, int i)
{
    return !is_one_of(q->w[i], stopwords) && !isdigit((unsigned char)q->w[i][0]);
}

/*
 * Do words at i.. spell name, in any case, as its words ("miles per gallon")
 * or as one ("tempmax", "temp_max")? Loosely, also its words' abbreviations,
 * typos and synonyms (near), or its initials ("mpg"). Returns how many words,
 * or 0.
 */
static int spells(const struct question *q, int i, const char *name, int loose)
{
    char parts[256], whole[256], word[256];
    const char *part = parts;
    int n = name_words(name, parts, sizeof(parts));
    if (n == 0 || i >= q->n || q->used[i] || (loose && !loose_ok(q, i)))
        return 0;
    if (loose && n > 1 && (int)strlen(q->w[i]) == n) { /* initials */
        int k = 0;
        for (const char *p2 = parts; k < n && q->w[i][k] == *p2; k++, p2 += strlen(p2) + 1)
            ;
        if (k == n)
            return 1;
    }
    if (n > 1) {
        size_t o = 0;
        for (const char *c = q->w[i]; *c && o + 1 < sizeof(word); c++)
            if (*c != '_' && *c != '-')
                word[o++] = *c;
        word[o] = '\0';
        joined(parts, n, whole, sizeof(whole));
        if (same_word(word, whole))
            return 1;
    }
    if (i + n > q->n)
        return loose && n > 1 && near(q->w[i], parts) ? 1 : 0;
    for (int k = 0; k < n; k++, part += strlen(part) + 1)
        if (q->used[i + k] ||
            !(same_word(q->w[i + k], part) || (loose && loose_ok(q, i + k) && near(q->w[i + k], part))))
            return loose && n > 1 && near(q->w[i], parts) ? 1 : 0; /* "temperature": temp_max */
    return n;
}

/* A name of several words none of which asks for an aggregate ("Miles_per_Gallon", not
   "total_amount"): claimed before the vocabulary reads its words ("per"). */
static int plain_long_name(const char *name)
{
    static const char *const agg_words[] = {"count", "number", "total", "sum", "average", "avg",
                                            "mean", "min", "max", "minimum", "maximum", "top",
                                            NULL};
    char parts[256];
    const char *part = parts;
    int n = name_words(name, parts, sizeof(parts));
    for (int k = 0; k < n; k++, part += strlen(part) + 1)
        if (is_one_of(part, agg_words))
            return 0;
    return n >= 2;
}

/*
 * Words that spell a table or column become references (only_long: only
 * plain_long_name ones; loose: spelled loosely, for words nothing spells
 * exactly).
 */
static void match_names(struct question *q, int only_long, int loose)
{
    for (int i = 0; i < q->n; i++) {
        int best = 0, bt = -1, bc = -1;
        const char *rival = NULL; /* another name as good as the best (loose only) */
        if (q->used[i])
            continue;
        for (size_t t = 0; t < q->s->n; t++) {
            int k = only_long && !plain_long_name(q->s->tables[t].name)
                        ? 0
                        : spells(q, i, q->s->tables[t].name, loose);
            /* a table beats a column of the same words ("orders", the table, over an
               analysis's column called orders) */
            if (k > best || (k == best && k > 0 && bc >= 0)) {
                best = k;
                bt = (int)t;
                bc = -1;
            }
            for (size_t c = 0; c < q->s->tables[t].ncols; c++) {
                int kc = only_long && !plain_long_name(q->s->tables[t].cols[c].name)
                             ? 0
                             : spells(q, i, q->s->tables[t].cols[c].name, loose);
                if (kc > best) {
                    best = kc;
                    bt = (int)t;
                    bc = (int)c;
                    rival = NULL;
                } else if (loose && kc > 0 && kc == best && bc >= 0 &&
                           strcasecmp(q->s->tables[t].cols[c].name, col_of(q, bt, bc)->name) != 0) {
                    rival = q->s->tables[t].cols[c].name;
                }
            }
        }
        if (best == 0)
            continue;
        if (rival && !q->unsure[0]) {
            q->unsure[0] = col_of(q, bt, bc)->name;
            q->unsure[1] = rival;
            q->unsure_at = i;
        }
        add_ref(q, bc < 0 ? REF_TABLE : REF_COLUMN, bt, bc, i);
        for (int k = 0; k < best; k++)
            q->used[i + k] = 1;
        i += best - 1;
    }
}

static int by_position(const void *a, const void *b)
{
    return ((const struct ref *)a)->at - ((const struct ref *)b)->at;
}

/* References in the order of the question's words (the loose pass adds its own last). */
static void sort_refs(struct question *q)
{
    qsort(q->refs, (size_t)q->nrefs, sizeof(q->refs[0]), by_position);
}

/* Move column ref f to table t when t has a column of the same name; 1 if it did. */
static int move_to(struct question *q, struct ref *f, int t)
{
    int c;
    if (t == f->table || (c = find_col_nocase(q, t, col_of(q, f->table, f->col)->name)) < 0)
        return 0;
    f->table = t;
    f->col = c;
    return 1;
}

/*
 * A column that several tables have belongs to the table the question names
 * ("distinct countries in gapminder": gapminder's country, not another's),
 * else to the table of the question's other columns ("highest mpg per
 * origin": the origin of the cars whose mpg it is).
 */
static void prefer_named_tables(struct question *q)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < q->nrefs; i++) {
            struct ref *f = &q->refs[i];
            int named = 0;
            if (f->kind != REF_COLUMN)
                continue;
            for (int k = 0; k < q->nrefs; k++)
                named |= q->refs[k].kind == REF_TABLE && q->refs[k].table == f->table;
            if (named)
                continue;
            for (int k = 0; k < q->nrefs; k++)
                if (k != i && (q->refs[k].kind == REF_TABLE) == (pass == 0) &&
                    move_to(q, f, q->refs[k].table))
                    break;
        }
}

static int word_is(struct question *q, int i, const char *const *list)
{
    return i >= 0 && i < q->n && !q->used[i] && is_one_of(q->w[i], list);
}

/* A year: a whole number from 1900 to 2100. */
static int is_year(const char *w)
{
    char *end;
    long y = strtol(w, &end, 10);
    return *end == '\0' && end != w && y >= 1900 && y <= 2100;
}

/* The words of a table's name spelled at i, the table in *t (0: none). */
static int names_table(const struct question *q, int i, int *t)
{
    int k;
    for (size_t tt = 0; tt < q->s->n; tt++)
        if ((k = spells(q, i, q->s->tables[tt].name, 0)) > 0) {
            *t = (int)tt;
            return k;
        }
    return 0;
}

/* A numeric column spelled at i: its table and column and length in words (0: none). */
static int numeric_column_at(const struct question *q, int i, int *t, int *c)
{
    for (size_t tt = 0; tt < q->s->n; tt++)
        for (size_t cc = 0; cc < q->s->tables[tt].ncols; cc++) {
            int k;
            if (numeric(q->s->tables[tt].cols[cc].type) &&
                (k = spells(q, i, q->s->tables[tt].cols[cc].name, 0)) > 0) {
                *t = (int)tt;
                *c = (int)cc;
                return k;
            }
        }
    return 0;
}

/*
 * A number followed by a numeric column's name ("cars with 6 cylinders") is a
 * filter on that column: 1 when it was read as one.
 */
static int number_of_column(struct question *q, int i)
{
    int t, c, k;
    if (q->nfilters >= MAX_FILTERS || (k = numeric_column_at(q, i + 1, &t, &c)) == 0)
        return 0;
    q->filters[q->nfilters++] = (struct filter){t, c, xstrdup(q->w[i]), i, NULL, NULL};
    for (int j = i; j <= i + k; j++)
        q->used[j] = 1;
    return 1;
}

static void match_vocabulary(struct question *q)
{
    static const char *const count_w[] = {"count", "number", NULL};
    static const char *const distinct_w[] = {"distinct", "unique", "different", NULL};
    static const char *const sum_w[] = {"total", "sum", NULL};
    static const char *const avg_w[] = {"average", "avg", "mean", NULL};
    static const char *const min_w[] = {"minimum", "min", "lowest", "smallest", "cheapest",
                                        "earliest", NULL};
    static const char *const max_w[] = {"maximum", "max", "highest", "largest", "biggest",
                                        "priciest", NULL};
    static const char *const money_w[] = {"revenue", "sales", "money", "turnover", "income",
                                          "spent", "spend", "spending", "amount", "amounts", NULL};
    static const char *const rank_desc[] = {"top", "most", "best", NULL};
    static const char *const rank_asc[] = {"bottom", "least", "fewest", "worst", NULL};
    static const char *const group_w[] = {"per", "by", "each", "every", NULL};
    static const char *const list_w[] = {"list", "show", "display", NULL};
    static const char *const never_w[] = {"never", "without", "no", NULL};
    static const char *const share_w[] = {"share", "percentage", "percent", "proportion",
                                          "fraction", "pct", NULL};
    static const char *const recent_w[] = {"latest", "newest", "recent", "last", NULL};
    static const char *const old_w[] = {"oldest", "first", NULL};
    static const struct {
        const char *word, *bucket;
    } buckets[] = {{"day", "day"},         {"daily", "day"},       {"week", "week"},
                   {"weekly", "week"},     {"month", "month"},     {"monthly", "month"},
                   {"quarter", "quarter"}, {"quarterly", "quarter"}, {"year", "year"},
                   {"yearly", "year"},     {"annual", "year"},     {"annually", "year"},
                   {"days", "day"},        {"weeks", "week"},      {"months", "month"},
                   {"quarters", "quarter"}, {"years", "year"}};

    for (int i = 0; i < q->n; i++) {
        const char *w = q->w[i];
        char *end;
        long num = strtol(w, &end, 10);
        if (q->used[i])
            continue;
        if (*end == '\0' && end != w) {
            int ranked = i > 0 && (is_one_of(q->w[i - 1], rank_desc) ||
                                   is_one_of(q->w[i - 1], rank_asc));
            if (!ranked && number_of_column(q, i))
                continue; /* "6 cylinders": a filter */
            if (is_year(w) && !ranked)
                q->year = (int)num;
            else
                q->limit = num;
            q->used[i] = 1;
        } else if (strcmp(w, "how") == 0 && i + 1 < q->n && strcmp(q->w[i + 1], "many") == 0) {
            q->agg = AGG_COUNT;
            q->agg_at = i;
            q->used[i] = q->used[i + 1] = 1;
        } else if (word_is(q, i, count_w)) {
            q->agg = q->agg == AGG_DISTINCT ? AGG_DISTINCT : AGG_COUNT;
            q->agg_at = i;
            q->used[i] = 1;
        } else if (word_is(q, i, distinct_w)) {
            q->agg = AGG_DISTINCT;
            q->agg_at = i;
            q->used[i] = 1;
        } else if (word_is(q, i, min_w) || word_is(q, i, max_w)) {
            q->superlative = word_is(q, i, max_w) ? 1 : -1;
            if (q->agg == AGG_NONE || q->agg == AGG_MIN || q->agg == AGG_MAX) {
                q->agg = q->superlative > 0 ? AGG_MAX : AGG_MIN;
                q->agg_at = i;
            }
            q->used[i] = 1;
        } else if (strcmp(w, "median") == 0) {
            q->agg = AGG_MEDIAN;
            q->agg_at = i;
            q->used[i] = 1;
        } else if (num > 0 && num < 100 && i + 1 < q->n && strcmp(q->w[i + 1], "percentile") == 0 &&
                   (!strcmp(end, "th") || !strcmp(end, "st") || !strcmp(end, "nd") ||
                    !strcmp(end, "rd"))) {
            q->agg = AGG_PERCENTILE; /* "90th percentile" */
            q->percentile = (int)num;
            q->agg_at = i;
            q->used[i] = q->used[i + 1] = 1;
        } else if (word_is(q, i, sum_w) || word_is(q, i, avg_w)) {
            q->agg = word_is(q, i, sum_w) ? AGG_SUM : AGG_AVG;
            q->agg_at = i;
            q->used[i] = 1;
        } else if (word_is(q, i, money_w)) {
            q->money = 1;
            q->money_at = i;
            q->used[i] = 1;
        } else if (word_is(q, i, rank_desc) || word_is(q, i, rank_asc)) {
            q->rank = word_is(q, i, rank_desc) ? 1 : -1;
            q->used[i] = 1;
        } else if (word_is(q, i, group_w)) {
            if (q->group_at < 0)
                q->group_at = i;
            q->used[i] = 1;
        } else if (word_is(q, i, never_w)) {
            if (q->never_at < 0)
                q->never_at = i;
            q->used[i] = 1;
        } else if (word_is(q, i, share_w)) {
            q->share = 1;
            q->used[i] = 1;
        } else if (word_is(q, i, list_w)) {
            q->listing = 1;
            q->used[i] = 1;
        } else if (word_is(q, i, recent_w) || word_is(q, i, old_w)) {
            q->recent = word_is(q, i, recent_w) ? 1 : -1;
            q->used[i] = 1;
        } else {
            for (size_t b = 0; b < sizeof(buckets) / sizeof(buckets[0]); b++)
                if (strcmp(w, buckets[b].word) == 0 &&
                    (q->group_at == i - 1 || strstr(w, "ly") || (i > 0 && strcmp(q->w[i - 1], "each") == 0))) {
                    q->bucket = buckets[b].bucket;
                    q->used[i] = 1;
                }
        }
    }
}

/* A number word ("100", "3.5"): 1 when w is one. */
static int is_number(const char *w)
{
    char *end;
    if (!isdigit((unsigned char)*w))
        return 0;
    strtod(w, &end);
    return *end == '\0';
}

/* A comparison phrase at i: its operator and its length in words, or NULL. */
static const char *comparison_at(const struct question *q, int i, int *len)
{
    static const struct {
        const char *words, *op;
    } phrases[] = {
        {"more than", ">"},   {"greater than", ">"}, {"larger than", ">"}, {"higher than", ">"},
        {"over", ">"},        {"above", ">"},        {"exceeding", ">"},   {"at least", ">="},
        {"less than", "<"},   {"fewer than", "<"},   {"lower than", "<"},  {"smaller than", "<"},
        {"under", "<"},       {"below", "<"},        {"at most", "<="},    {"between", "BETWEEN"},
    };
    for (size_t p = 0; p < sizeof(phrases) / sizeof(phrases[0]); p++) {
        const char *w = phrases[p].words, *sp = strchr(w, ' ');
        size_t first = sp ? (size_t)(sp - w) : strlen(w);
        if (i >= q->n || q->used[i] || strlen(q->w[i]) != first || strncmp(q->w[i], w, first) != 0)
            continue;
        if (sp && (i + 1 >= q->n || q->used[i + 1] || strcmp(q->w[i + 1], sp + 1) != 0))
            continue;
        *len = sp ? 2 : 1;
        return phrases[p].op;
    }
    return NULL;
}


/*
 * Years compared: "since 2023", "after 2022", "before 2024", "between 2022
 * and 2024" (with no column named after). 1 when read at i.
 */
static int years_at(struct question *q, int i)
{
    static const struct {
        const char *word, *op;
    } time_words[] = {{"since", ">="}, {"after", ">"}, {"before", "<"}, {"between", "BETWEEN"}};
    if (q->year_op || q->used[i] || i + 1 >= q->n || !is_year(q->w[i + 1]))
        return 0;
    for (size_t k = 0; k < sizeof(time_words) / sizeof(time_words[0]); k++) {
        int t, c, last = i + 1;
        if (strcmp(q->w[i], time_words[k].word) != 0)
            continue;
        if (strcmp(time_words[k].op, "BETWEEN") == 0) {
            if (i + 3 >= q->n || strcmp(q->w[i + 2], "and") != 0 || !is_year(q->w[i + 3]) ||
                numeric_column_at(q, i + 4, &t, &c) > 0)
                return 0;
            q->year2 = atoi(q->w[i + 3]);
            last = i + 3;
        }
        q->year = atoi(q->w[i + 1]);
        q->year_op = time_words[k].op;
        for (int w = i; w <= last; w++)
            q->used[w] = 1;
        return 1;
    }
    return 0;
}

/*
 * Comparisons with numbers become filters: "more than 100 horsepower",
 * "horsepower of at least 100", "cylinders between 4 and 6"; with no column
 * named, an amount ("orders over 100"). Read before the vocabulary, which
 * would take "least" for a ranking and the number for a limit.
 */
static void match_comparisons(struct question *q)
{
    for (int i = 0; i < q->n && q->nfilters < MAX_FILTERS; i++) {
        int len, t = -1, c = -1, k, from = i, to, num;
        const char *op = comparison_at(q, i, &len);
        if (years_at(q, i))
            continue;
        if (op && i + len < q->n && !q->having_op && strcmp(op, "BETWEEN") != 0 &&
            (strcmp(q->w[i + len], "once") == 0 || strcmp(q->w[i + len], "twice") == 0)) {
            q->having_op = op; /* "ordered more than once" */
            q->having_n = xstrdup(strcmp(q->w[i + len], "once") == 0 ? "1" : "2");
            q->having_at = i;
            for (int w = i; w <= i + len; w++)
                q->used[w] = 1;
            i += len;
            continue;
        }
        if (!op || i + len >= q->n || !is_number(q->w[i + len]))
            continue;
        num = i + len;
        to = num;
        if (strcmp(op, "BETWEEN") == 0) {
            if (num + 2 >= q->n || strcmp(q->w[num + 1], "and") != 0 || !is_number(q->w[num + 2]))
                continue;
            to = num + 2;
        }
        /* "customers with more than 3 orders" counts rows per customer: not a filter */
        if (!q->having_op && strcmp(op, "BETWEEN") != 0 &&
            (k = names_table(q, to + 1, &q->having_table)) > 0) {
            q->having_op = op;
            q->having_n = xstrdup(q->w[num]);
            q->having_at = i;
            for (int w = i; w <= to + k; w++)
                q->used[w] = 1;
            i = to + k;
            continue;
        }
        /* the column after the number, or one ending just before the phrase ("of" or "is"
           between), or else an amount */
        if ((k = numeric_column_at(q, to + 1, &t, &c)) > 0) {
            to += k;
        } else {
            int b = i - 1;
            while (b >= 0 && !q->used[b] && (strcmp(q->w[b], "of") == 0 || strcmp(q->w[b], "is") == 0))
                b--;
            for (int start = b; start >= 0 && start >= b - 3 && from == i; start--)
                if ((k = numeric_column_at(q, start, &t, &c)) > 0 && start + k - 1 == b)
                    from = start;
            if (from == i && (c = money_col(q, &t)) < 0)
                continue;
        }
        q->filters[q->nfilters++] = (struct filter){
            t, c, xstrdup(q->w[num]), from, op,
            strcmp(op, "BETWEEN") == 0 ? xstrdup(q->w[num + 2]) : NULL};
        for (int w = from; w <= to; w++)
            q->used[w] = 1;
        i = to;
    }
}

/*
 * "which origin has the highest average horsepower": a superlative beside
 * another aggregate ranks it; asked with "which" and no number, only the
 * first place is wanted (all of it, when tied).
 */
static void match_ranking(struct question *q)
{
    int which = q->n > 0 && (strcmp(q->w[0], "which") == 0 || strcmp(q->w[0], "what") == 0);
    if (q->superlative && q->agg != AGG_MIN && q->agg != AGG_MAX && q->agg != AGG_NONE &&
        !q->rank)
        q->rank = q->superlative;
    if (which && q->rank && !q->limit)
        q->best = 1;
}

/* Words that are values in the data become filters: two words first ("New York"), then one. */
static void match_values(struct question *q, ag_lookup_fn lookup, void *arg)
{
    for (int len = 2; len >= 1; len--)
        for (int i = 0; i + len <= q->n; i++) {
            struct pd_buf text = PD_BUF_INIT;
            int skip = 0;
            for (int k = 0; k < len; k++)
                skip |= q->used[i + k] || is_one_of(q->w[i + k], stopwords);
            if (skip || strlen(q->w[i]) < 2)
                continue;
            for (int k = 0; k < len; k++)
                pd_buf_addf(&text, "%s%s", k ? " " : "", q->raw[i + k]);
            for (size_t t = 0; t < q->s->n && q->nfilters < MAX_FILTERS; t++) {
                const struct ag_table *tb = &q->s->tables[t];
                for (size_t c = 0; c < tb->ncols; c++) {
                    char *exact = NULL;
                    if (!textual(tb->cols[c].type) || !lookup(arg, tb, tb->cols[c].name, text.ptr, &exact))
                        continue;
                    q->filters[q->nfilters++] = (struct filter){(int)t, (int)c, exact, i, NULL, NULL};
                    for (int k = 0; k < len; k++)
                        q->used[i + k] = 1;
                    t = q->s->n; /* one column per value */
                    break;
                }
            }
            pd_buf_release(&text);
        }
}

/*
 * A follow-up's value replaces an earlier question's value of the same column
 * ("completed orders in 2024" then "what about cancelled ones?").
 * Single-valued parts (year, limit, time bucket, aggregate) already go to the
 * later word.
 */
static void follow_up_filters(struct question *q)
{
    int kept = 0;
    for (int i = 0; i < q->nfilters; i++) {
        const struct filter *f = &q->filters[i];
        int replaced = 0;
        for (int k = 0; k < q->nfilters; k++)
            replaced |= q->turn[q->filters[k].at] > q->turn[f->at] &&
                        q->filters[k].table == f->table && q->filters[k].col == f->col;
        if (replaced) {
            free(f->value);
            free(f->value2);
        } else
            q->filters[kept++] = *f;
    }
    q->nfilters = kept;
}

/* ---- roles --------------------------------------------------------------------- */

struct roles {
    enum agg agg;
    int mt, mc;       /* measure table/column (mc -1: none) */
    int ct;           /* counted table (-1: none) */
    int gt, gc;       /* group table/column (gc -1: the table's entity; gt -1: none) */
    const char *bucket;
    int base;         /* the table rows come from */
};

static int ref_numeric(const struct question *q, const struct ref *r)
{
    return r->kind == REF_COLUMN && numeric(col_of(q, r->table, r->col)->type) &&
           !strstr(col_of(q, r->table, r->col)->name, "_id");
}

static int ref_temporal(const struct question *q, const struct ref *r)
{
    return r->kind == REF_COLUMN && temporal(col_of(q, r->table, r->col)->type);
}

static int decide(struct question *q, struct roles *r, struct pd_err *err)
{
    const struct ref *group = NULL, *measure = NULL, *entity = NULL, *second = NULL;
    memset(r, 0, sizeof(*r));
    r->mt = r->mc = r->ct = r->gt = r->gc = -1;
    r->agg = q->agg;
    r->bucket = q->bucket;

    /* "which cylinders have ...": what "which" asks for is what is ranked */
    if (q->rank && q->nrefs > 0 && q->refs[0].at == 1 && q->refs[0].kind == REF_COLUMN &&
        strcmp(q->w[0], "which") == 0)
        group = &q->refs[0];
    /* the ref right after per/by/each is the group, unless it is the measure ("by revenue");
       a count has no measure ("cars per cylinder count") */
    for (int i = group ? 1 : 0; i < q->nrefs; i++) {
        const struct ref *f = &q->refs[i];
        if (!group && q->group_at >= 0 && f->at > q->group_at && !r->bucket &&
            (!ref_numeric(q, f) || (q->agg == AGG_COUNT && f->kind == REF_COLUMN && !q->rank)))
            group = f;
        else if (!measure && (ref_numeric(q, f) || (ref_temporal(q, f) && (q->agg == AGG_MIN || q->agg == AGG_MAX))))
            measure = f;
        else if (!entity && f->kind == REF_TABLE)
            entity = f;
        else if (!second && f->kind == REF_TABLE)
            second = f;
        else if (!group && f->kind == REF_COLUMN && !ref_numeric(q, f) &&
                 (q->rank || q->agg == AGG_DISTINCT || q->agg == AGG_COUNT))
            group = f; /* "which city has the most orders", "how many distinct cities" */
    }
    if (!measure && q->money) {
        int t, c = money_col(q, &t);
        if (c >= 0) {
            r->mt = t;
            r->mc = c;
        }
    } else if (measure) {
        r->mt = measure->table;
        r->mc = measure->col;
    }
    if (r->agg == AGG_NONE && q->share) /* "share of revenue", "percentage of orders" */
        r->agg = r->mc >= 0 ? AGG_SUM : AGG_COUNT;
    if (q->agg == AGG_DISTINCT) {
        /* "how many distinct cities": the column; "distinct customers": the entity's key */
        const struct ref *d = group ? group : entity;
        if (!d)
            return pd_fail(err, PD_EINVAL, "I cannot tell what to count distinct values of");
        r->mt = d->table;
        r->mc = d->kind == REF_COLUMN ? d->col : key_col(q, d->table);
        if (d == group)
            group = NULL;
        else
            entity = second;
    }
    /* rankings: "top 5 customers by revenue", "which 3 cities have the most orders" */
    if (q->rank || (q->limit && (entity || group) && !q->listing && !q->recent && (r->mc >= 0 || second))) {
        if (!group && entity) {
            group = entity;
            entity = second;
        }
        if (r->mc >= 0 && r->agg == AGG_NONE)
            r->agg = AGG_SUM;
        if (r->mc < 0 && r->agg == AGG_NONE) {
            r->agg = AGG_COUNT;
            if (entity)
                r->ct = entity->table;
        }
        if (!q->rank)
            q->rank = 1;
        if (!q->limit && !q->best)
            q->limit = 10;
    }
    if (group) {
        r->gt = group->table;
        r->gc = group->kind == REF_COLUMN ? group->col : -1;
    }
    if (r->agg == AGG_NONE && r->mc >= 0 && (q->money || group || r->bucket))
        r->agg = AGG_SUM; /* "revenue per month" */
    if (r->agg == AGG_NONE && !q->listing && !q->recent && entity && (group || r->bucket))
        r->agg = AGG_COUNT; /* "orders per month" */
    if (r->agg == AGG_COUNT && r->ct < 0 && entity)
        r->ct = entity->table;
    if ((r->agg == AGG_SUM || r->agg == AGG_AVG || r->agg == AGG_MIN || r->agg == AGG_MAX ||
         r->agg == AGG_MEDIAN || r->agg == AGG_PERCENTILE) &&
        r->mc < 0) {
        if (q->money) {
            int t, c = money_col(q, &t);
            r->mt = t;
            r->mc = c;
        }
        if (r->mc < 0)
            return pd_fail(err, PD_EINVAL, "I cannot tell which number to %s (name a column)",
                           r->agg == AGG_SUM ? "add up" : "use");
    }
    if (r->agg == AGG_COUNT && r->ct < 0) {
        if (r->gt >= 0 && r->gc < 0 && second)
            r->ct = second->table;
        else if (r->gt >= 0 && r->gc >= 0 && !entity)
            r->ct = r->gt; /* "how many per status": rows of the status's table */
        if (r->ct < 0 && r->gt < 0)
            return pd_fail(err, PD_EINVAL, "I cannot tell what to count (name a table)");
        if (r->ct < 0)
            r->ct = r->gt;
    }
    if (r->agg == AGG_NONE) {
        if (!(q->listing || q->recent || q->limit) || !entity)
            return pd_fail(err, PD_EINVAL,
                           "I did not understand what to compute: ask for a count, a total, an "
                           "average, a top N or a list of a table");
        r->ct = entity->table;
    }
    r->base = r->mc >= 0 && r->agg != AGG_COUNT ? r->mt : r->ct >= 0 ? r->ct : r->mt;
    if (r->agg == AGG_DISTINCT && r->ct >= 0)
        r->base = r->ct;
    if (r->agg == AGG_DISTINCT && r->ct < 0)
        r->base = r->mt;
    if (r->base < 0)
        r->base = r->gt;
    return 0;
}

/* ---- joins --------------------------------------------------------------------- */

/* Are tables a and b joined by a shared <name>_id column? Gives that column's name. */
static const char *link(const struct question *q, int a, int b)
{
    const struct ag_table *ta = &q->s->tables[a], *tb = &q->s->tables[b];
    for (size_t c = 0; c < ta->ncols; c++) {
        const char *name = ta->cols[c].name;
        size_t n = strlen(name);
        if (n < 4 || strcmp(name + n - 3, "_id") != 0 || find_col(q, b, name) < 0)
            continue;
        if (key_col(q, a) == (int)c || key_col(q, b) == find_col(q, b, name))
            return name;
    }
    (void)tb;
    return NULL;
}

/* Tables to join so that base reaches every needed one; order of joining in path[]. */
static int join_path(const struct question *q, int base, const int *need, int nneed, int *path,
                     int *from, int *npath)
{
    int prev[64], seen[64] = {0}, queue[64], qh = 0, qt = 0;
    int n = (int)q->s->n;
    *npath = 0;
    if (n > 64)
        return -1;
    seen[base] = 1;
    prev[base] = -1;
    queue[qt++] = base;
    while (qh < qt) {
        int a = queue[qh++];
        for (int b = 0; b < n; b++)
            if (!seen[b] && link(q, a, b)) {
                seen[b] = 1;
                prev[b] = a;
                queue[qt++] = b;
            }
    }
    int in[64] = {0};
    in[base] = 1;
    for (int i = 0; i < nneed; i++) {
        int t = need[i], chain[64], k = 0;
        if (t < 0 || in[t])
            continue;
        if (!seen[t])
            return -1;
        for (int x = t; x != -1 && !in[x]; x = prev[x])
            chain[k++] = x;
        while (k > 0) {
            int x = chain[--k];
            in[x] = 1;
            path[*npath] = x;
            from[*npath] = prev[x];
            (*npath)++;
        }
    }
    return 0;
}

/* ---- SQL ------------------------------------------------------------------------- */

static void table_ref(struct pd_buf *b, const struct question *q, int t)
{
    const struct ag_table *tb = &q->s->tables[t];
    pd_sql_ident(b, tb->schema);
    pd_buf_addc(b, '.');
    pd_sql_ident(b, tb->name);
    pd_buf_adds(b, " AS ");
    pd_sql_ident(b, tb->name);
}

static void column(struct pd_buf *b, const struct question *q, int t, int c)
{
    pd_sql_ident(b, q->s->tables[t].name);
    pd_buf_addc(b, '.');
    pd_sql_ident(b, col_of(q, t, c)->name);
}

static const char *agg_name(enum agg a)
{
    static const char *const names[] = {"",        "count",   "distinct", "total", "average",
                                        "minimum", "maximum", "median",   "percentile"};
    return names[a];
}

/* Filter i's condition. */
static void filter_sql(struct pd_buf *b, const struct question *q, int i)
{
    const struct filter *f = &q->filters[i];
    column(b, q, f->table, f->col);
    if (f->op == NULL) {
        pd_buf_adds(b, " = ");
        pd_sql_literal(b, f->value);
    } else if (f->value2) { /* numbers (is_number): written as they are */
        pd_buf_addf(b, " BETWEEN %s AND %s", f->value, f->value2);
    } else {
        pd_buf_addf(b, " %s %s", f->op, f->value);
    }
}

static int build(struct question *q, const struct roles *r, struct ag_plan *out,
                 struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT, what = PD_BUF_INIT, value = PD_BUF_INIT, alias = PD_BUF_INIT;
    int need[MAX_FILTERS + 4], nneed = 0, path[64], from[64], npath, dc = -1, dt = r->base;
    int name_col = -1, key = -1, share_of_rows;

    need[nneed++] = r->gt;
    need[nneed++] = r->mt;
    need[nneed++] = r->ct;
    for (int i = 0; i < q->nfilters; i++)
        need[nneed++] = q->filters[i].table;
    if (q->year || r->bucket || q->recent) {
        dc = date_col(q, dt);
        for (int t = 0; dc < 0 && t < (int)q->s->n; t++)
            if ((dc = date_col(q, t)) >= 0)
                dt = t;
        if (dc < 0)
            return pd_fail(err, PD_EINVAL, "there is no date column to use for that");
        need[nneed++] = dt;
    }
    if (join_path(q, r->base, need, nneed, path, from, &npath) != 0)
        return pd_fail(err, PD_EINVAL, "I cannot tell how %s relates to the other tables",
                       q->s->tables[r->base].name);
    /* Joining a parent to its children repeats the parent's rows: sums would count them twice. */
    for (int i = 0; i < npath && r->agg != AGG_COUNT && r->agg != AGG_DISTINCT; i++)
        if (find_col(q, from[i], link(q, from[i], path[i])) == key_col(q, from[i]))
            return pd_fail(err, PD_EINVAL,
                           "I cannot answer that offline without counting %s rows twice (each "
                           "has several %s): ask about %s directly",
                           q->s->tables[from[i]].name, q->s->tables[path[i]].name,
                           q->s->tables[path[i]].name);

    /* the value */
    switch (r->agg) {
    case AGG_COUNT:
        if (r->ct >= 0 && r->ct != r->base && r->gt >= 0) {
            pd_buf_adds(&value, "count(DISTINCT ");
            column(&value, q, r->ct, key_col(q, r->ct));
            pd_buf_addc(&value, ')');
        } else {
            pd_buf_adds(&value, "count(*)");
        }
        pd_buf_addf(&alias, "%s", r->ct >= 0 ? q->s->tables[r->ct].name : "count");
        break;
    case AGG_DISTINCT:
        pd_buf_adds(&value, "count(DISTINCT ");
        column(&value, q, r->mt, r->mc);
        pd_buf_addc(&value, ')');
        pd_buf_addf(&alias, "distinct_%s", col_of(q, r->mt, r->mc)->name);
        break;
    case AGG_SUM:
    case AGG_AVG:
    case AGG_MIN:
    case AGG_MAX:
        pd_buf_adds(&value, r->agg == AGG_AVG   ? "avg("
                            : r->agg == AGG_SUM ? "sum("
                            : r->agg == AGG_MIN ? "min("
                                                : "max(");
        column(&value, q, r->mt, r->mc);
        pd_buf_addc(&value, ')'); /* rounded for display only (the answer's words) */
        pd_buf_addf(&alias, "%s_%s", agg_name(r->agg), col_of(q, r->mt, r->mc)->name);
        break;
    case AGG_MEDIAN:
    case AGG_PERCENTILE:
        pd_buf_adds(&value, "quantile_cont(");
        column(&value, q, r->mt, r->mc);
        if (r->agg == AGG_MEDIAN)
            pd_buf_adds(&value, ", 0.5)");
        else
            pd_buf_addf(&value, ", 0.%02d)", q->percentile);
        if (r->agg == AGG_MEDIAN)
            pd_buf_addf(&alias, "median_%s", col_of(q, r->mt, r->mc)->name);
        else
            pd_buf_addf(&alias, "p%d_%s", q->percentile, col_of(q, r->mt, r->mc)->name);
        break;
    case AGG_NONE:
        break;
    }
    /* a percentage: of each group in the total, or of the filtered rows in all */
    share_of_rows = q->share && !r->bucket && r->gt < 0;
    if (q->share) {
        struct pd_buf pct = PD_BUF_INIT;
        if ((r->agg != AGG_COUNT && r->agg != AGG_SUM) || (share_of_rows && q->nfilters == 0)) {
            pd_buf_release(&value);
            pd_buf_release(&alias);
            return pd_fail(err, PD_EINVAL,
                           "I can give the percentage of a count or a total, per group or of the "
                           "rows that match a value: say of what");
        }
        pd_buf_addf(&pct, "100.0 * %s", value.ptr);
        if (share_of_rows) {
            pd_buf_adds(&pct, " FILTER (WHERE ");
            for (int i = 0; i < q->nfilters; i++) {
                pd_buf_adds(&pct, i ? " AND " : "");
                filter_sql(&pct, q, i);
            }
            pd_buf_addf(&pct, ") / %s", value.ptr);
        } else {
            pd_buf_addf(&pct, " / sum(%s) OVER ()", value.ptr);
        }
        pd_buf_release(&value);
        value = pct;
        pd_buf_reset(&alias);
        pd_buf_adds(&alias, "percent");
    }

    pd_buf_adds(&b, "SELECT ");
    if (r->agg == AGG_NONE) {
        pd_sql_ident(&b, q->s->tables[r->base].name);
        pd_buf_adds(&b, ".*");
    } else {
        if (r->bucket) {
            pd_buf_addf(&b, "date_trunc('%s', ", r->bucket);
            column(&b, q, dt, dc);
            pd_buf_addf(&b, ")::DATE AS %s, ", r->bucket);
        } else if (r->gt >= 0 && r->gc >= 0) {
            column(&b, q, r->gt, r->gc);
            pd_buf_adds(&b, ", ");
        } else if (r->gt >= 0) {
            key = key_col(q, r->gt);
            name_col = find_col(q, r->gt, "name");
            column(&b, q, r->gt, name_col >= 0 ? name_col : key);
            pd_buf_adds(&b, ", ");
        }
        pd_buf_addf(&b, "%s AS ", value.ptr);
        pd_sql_ident(&b, alias.ptr);
    }
    pd_buf_adds(&b, " FROM ");
    table_ref(&b, q, r->base);
    for (int i = 0; i < npath; i++) {
        const char *on = link(q, from[i], path[i]);
        pd_buf_adds(&b, " JOIN ");
        table_ref(&b, q, path[i]);
        pd_buf_adds(&b, " ON ");
        column(&b, q, path[i], find_col(q, path[i], on));
        pd_buf_adds(&b, " = ");
        column(&b, q, from[i], find_col(q, from[i], on));
    }
    for (int i = share_of_rows ? q->nfilters : 0; i < q->nfilters || q->year; i++) {
        pd_buf_adds(&b, i && !(share_of_rows && i == q->nfilters) ? " AND " : " WHERE ");
        if (i == q->nfilters) {
            pd_buf_adds(&b, "year(");
            column(&b, q, dt, dc);
            if (q->year_op && strcmp(q->year_op, "BETWEEN") == 0)
                pd_buf_addf(&b, ") BETWEEN %d AND %d", q->year, q->year2);
            else
                pd_buf_addf(&b, ") %s %d", q->year_op ? q->year_op : "=", q->year);
            break;
        }
        filter_sql(&b, q, i);
    }
    if (r->agg != AGG_NONE && (r->bucket || r->gt >= 0)) {
        pd_buf_adds(&b, " GROUP BY ");
        if (r->bucket || r->gc >= 0) {
            pd_buf_adds(&b, "1");
        } else {
            column(&b, q, r->gt, key);
            if (name_col >= 0) {
                pd_buf_adds(&b, ", ");
                column(&b, q, r->gt, name_col);
            }
        }
        if (q->best && !r->bucket)
            pd_buf_addf(&b, " QUALIFY rank() OVER (ORDER BY %s %s) = 1", value.ptr,
                        q->rank < 0 ? "ASC" : "DESC");
        if (r->bucket)
            pd_buf_adds(&b, " ORDER BY 1");
        else
            pd_buf_addf(&b, " ORDER BY 2 %s, 1", q->rank < 0 ? "ASC" : "DESC");
    } else if (r->agg == AGG_NONE && q->recent) {
        pd_buf_adds(&b, " ORDER BY ");
        column(&b, q, dt, dc);
        pd_buf_adds(&b, q->recent > 0 ? " DESC, 1 DESC" : " ASC, 1 ASC");
    }
    if (q->limit || r->agg == AGG_NONE)
        pd_buf_addf(&b, " LIMIT %ld", q->limit ? q->limit : 100);

    /* words and a chart */
    if (r->agg == AGG_NONE)
        pd_buf_addf(&what, "rows of %s", q->s->tables[r->base].name);
    else {
        char *per = r->bucket ? xstrdup(r->bucket)
                    : r->gt >= 0 ? (r->gc >= 0 ? xstrdup(col_of(q, r->gt, r->gc)->name)
                                               : singular(q->s->tables[r->gt].name))
                                 : NULL;
        if (q->share)
            pd_buf_adds(&what, "percentage of the ");
        if (r->agg == AGG_COUNT)
            pd_buf_addf(&what, "number of %s", r->ct >= 0 ? q->s->tables[r->ct].name : "rows");
        else if (r->agg == AGG_DISTINCT)
            pd_buf_addf(&what, "number of distinct %s", col_of(q, r->mt, r->mc)->name);
        else if (r->agg == AGG_PERCENTILE)
            pd_buf_addf(&what, "%dth percentile of %s", q->percentile, col_of(q, r->mt, r->mc)->name);
        else
            pd_buf_addf(&what, "%s %s", agg_name(r->agg), col_of(q, r->mt, r->mc)->name);
        pd_buf_addf(&what, "%s%s", per ? " per " : "", per ? per : "");
        free(per);
    }
    for (int i = 0; i < q->nfilters; i++) {
        const struct filter *f = &q->filters[i];
        pd_buf_addf(&what, "%s%s %s %s", i ? ", " : " where ", col_of(q, f->table, f->col)->name,
                    f->value2 ? "between" : f->op ? f->op : "=", f->value);
        if (f->value2)
            pd_buf_addf(&what, " and %s", f->value2);
    }
    if (q->year && q->year_op && strcmp(q->year_op, "BETWEEN") == 0)
        pd_buf_addf(&what, "%s from %d to %d", q->nfilters ? "," : "", q->year, q->year2);
    else if (q->year)
        pd_buf_addf(&what, "%s %s %d", q->nfilters ? "," : "",
                    !q->year_op                   ? "in"
                    : !strcmp(q->year_op, ">=")   ? "since"
                    : !strcmp(q->year_op, ">")    ? "after"
                                                  : "before",
                    q->year);
    out->sql = pd_buf_detach(&b, NULL);
    out->explanation = pd_buf_detach(&what, NULL);
    if (r->agg != AGG_NONE && (r->bucket || r->gt >= 0)) {
        out->chart = xstrdup(r->bucket ? "line" : "bar");
        out->x = xstrdup(r->bucket ? r->bucket
                         : r->gc >= 0 ? col_of(q, r->gt, r->gc)->name
                                      : col_of(q, r->gt, name_col >= 0 ? name_col : key)->name);
        out->y = xstrdup(alias.ptr);
    }
    pd_buf_release(&value);
    pd_buf_release(&alias);
    return 0;
}

static void question_free(struct question *q)
{
    for (int i = 0; i < q->n; i++) {
        free(q->w[i]);
        free(q->raw[i]);
    }
    for (int i = 0; i < q->nfilters; i++) {
        free(q->filters[i].value);
        free(q->filters[i].value2);
    }
    free(q->having_n);
}

void ag_local_candidates(const char *question, const struct ag_schema *s, struct pd_strv *out)
{
    struct question q = {.s = s, .group_at = -1, .never_at = -1, .having_table = -1};
    tokenize(&q, question);
    match_names(&q, 1, 0);
    match_vocabulary(&q);
    match_names(&q, 0, 0);
    for (int len = 2; len >= 1; len--)
        for (int i = 0; i + len <= q.n; i++) {
            int skip = strlen(q.w[i]) < 2;
            for (int k = 0; k < len; k++)
                skip |= q.used[i + k] || is_one_of(q.w[i + k], stopwords);
            if (!skip)
                pd_strv_pushf(out, "%s%s%s", q.raw[i], len > 1 ? " " : "", len > 1 ? q.raw[i + 1] : "");
        }
    question_free(&q);
}

static int refers_to(const struct question *q, int t, int entity)
{
    const char *on = t == entity ? NULL : link(q, t, entity);
    return on && find_col(q, entity, on) == key_col(q, entity);
}

/*
 * The table an entity's rows are counted or missed in, from the words after
 * position after: a table named there ("customers without orders"), one a
 * verb there stands for ("never ordered": orders), or else the only table
 * that refers to the entity ("products never sold": order_items). -1 when
 * none is clear.
 */
static int related_table(const struct question *q, int entity, int after)
{
    int only = -1, children = 0;
    for (int i = 0; i < q->nrefs; i++)
        if (q->refs[i].kind == REF_TABLE && q->refs[i].at > after && q->refs[i].table != entity)
            return q->refs[i].table;
    for (int i = after + 1; i < q->n; i++) {
        char stem[64];
        size_t n = strlen(q->w[i]);
        snprintf(stem, sizeof(stem), "%s", q->w[i]);
        if (n > 5 && strcmp(stem + n - 2, "ed") == 0)
            stem[n - 2] = '\0';
        else if (n > 6 && strcmp(stem + n - 3, "ing") == 0)
            stem[n - 3] = '\0';
        if (strlen(stem) < 4)
            continue;
        for (size_t t = 0; t < q->s->n; t++)
            if (refers_to(q, (int)t, entity) &&
                strncmp(q->s->tables[t].name, stem, strlen(stem)) == 0)
                return (int)t;
    }
    for (size_t t = 0; t < q->s->n; t++)
        if (refers_to(q, (int)t, entity)) {
            only = (int)t;
            children++;
        }
    return children == 1 ? only : -1;
}

/* "customers who never ordered", "how many products were never sold": rows of the entity
   that no row of another table refers to. */
static int build_anti(struct question *q, struct ag_plan *out, struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT;
    int entity = -1, absent, key;
    const char *on;
    for (int i = 0; i < q->nrefs && entity < 0; i++)
        if (q->refs[i].kind == REF_TABLE && q->refs[i].at < q->never_at)
            entity = q->refs[i].table;
    if (entity < 0 || (absent = related_table(q, entity, q->never_at)) < 0 ||
        !(on = link(q, absent, entity)) || find_col(q, entity, on) != key_col(q, entity))
        return pd_fail(err, PD_EINVAL,
                       "I cannot tell which rows are missing: name both tables (\"customers "
                       "without orders\")");
    for (int i = 0; i < q->nfilters; i++)
        if (q->filters[i].table != entity)
            return pd_fail(err, PD_EINVAL, "I can only filter the %s themselves here",
                           q->s->tables[entity].name);
    key = key_col(q, entity);
    pd_buf_adds(&b, "SELECT ");
    if (q->agg == AGG_COUNT) {
        pd_buf_adds(&b, "count(*) AS ");
        pd_sql_ident(&b, q->s->tables[entity].name);
    } else {
        pd_sql_ident(&b, q->s->tables[entity].name);
        pd_buf_adds(&b, ".*");
    }
    pd_buf_adds(&b, " FROM ");
    table_ref(&b, q, entity);
    pd_buf_adds(&b, " WHERE NOT EXISTS (SELECT 1 FROM ");
    table_ref(&b, q, absent);
    pd_buf_adds(&b, " WHERE ");
    column(&b, q, absent, find_col(q, absent, on));
    pd_buf_adds(&b, " = ");
    column(&b, q, entity, key);
    pd_buf_addc(&b, ')');
    for (int i = 0; i < q->nfilters; i++) {
        pd_buf_adds(&b, " AND ");
        filter_sql(&b, q, i);
    }
    if (q->agg != AGG_COUNT) {
        pd_buf_adds(&b, " ORDER BY ");
        column(&b, q, entity, key);
        pd_buf_addf(&b, " LIMIT %ld", q->limit ? q->limit : 100);
    }
    out->sql = pd_buf_detach(&b, NULL);
    out->explanation = xasprintf("%s%s with no %s", q->agg == AGG_COUNT ? "number of " : "",
                                 q->s->tables[entity].name, q->s->tables[absent].name);
    return 0;
}

/*
 * "customers with more than 3 orders", "how many customers ordered more than
 * once": the entity's rows counted in a table that refers to it, kept by the
 * count (HAVING); listed with their counts, or counted themselves.
 */
static int build_having(struct question *q, struct pd_buf *b, int *entity_out, int *child_out,
                        struct pd_err *err)
{
    int entity = -1, child = q->having_table, key, name_col, entity_at = -1;
    const char *on;
    for (int i = 0; i < q->nrefs && entity < 0; i++)
        if (q->refs[i].kind == REF_TABLE && q->refs[i].at < q->having_at) {
            entity = q->refs[i].table;
            entity_at = q->refs[i].at;
        }
    if (entity >= 0 && child < 0)
        child = related_table(q, entity, entity_at);
    if (entity < 0 || child < 0 || child == entity || !(on = link(q, child, entity)) ||
        find_col(q, entity, on) != key_col(q, entity))
        return pd_fail(err, PD_EINVAL,
                       "I cannot tell what to count per what: name both tables (\"customers "
                       "with more than 3 orders\")");
    for (int i = 0; i < q->nfilters; i++)
        if (q->filters[i].table != child && q->filters[i].table != entity)
            return pd_fail(err, PD_EINVAL, "I can only filter the %s or the %s here",
                           q->s->tables[entity].name, q->s->tables[child].name);
    *entity_out = entity;
    *child_out = child;
    key = key_col(q, entity);
    name_col = find_col(q, entity, "name");
    if (q->agg == AGG_COUNT)
        pd_buf_adds(b, "SELECT count(*) AS n FROM (");
    pd_buf_adds(b, "SELECT ");
    column(b, q, entity, name_col >= 0 ? name_col : key);
    pd_buf_adds(b, ", count(*) AS ");
    pd_sql_ident(b, q->s->tables[child].name);
    pd_buf_adds(b, " FROM ");
    table_ref(b, q, entity);
    pd_buf_adds(b, " JOIN ");
    table_ref(b, q, child);
    pd_buf_adds(b, " ON ");
    column(b, q, child, find_col(q, child, on));
    pd_buf_adds(b, " = ");
    column(b, q, entity, key);
    for (int i = 0; i < q->nfilters; i++) {
        pd_buf_adds(b, i ? " AND " : " WHERE ");
        filter_sql(b, q, i);
    }
    pd_buf_adds(b, " GROUP BY ");
    column(b, q, entity, key);
    if (name_col >= 0) {
        pd_buf_adds(b, ", ");
        column(b, q, entity, name_col);
    }
    pd_buf_addf(b, " HAVING count(*) %s %s", q->having_op, q->having_n);
    if (q->agg == AGG_COUNT)
        pd_buf_adds(b, ") AS per_entity");
    else
        pd_buf_adds(b, " ORDER BY 2 DESC, 1");
    return 0;
}

static int plan_having(struct question *q, struct ag_plan *out, struct pd_err *err)
{
    struct pd_buf b = PD_BUF_INIT;
    int entity = 0, child = 0, rc = build_having(q, &b, &entity, &child, err);
    if (rc) {
        pd_buf_release(&b);
        return rc;
    }
    out->sql = pd_buf_detach(&b, NULL);
    const char *op = q->having_op;
    out->explanation = xasprintf("%s%s with %s %s %s", q->agg == AGG_COUNT ? "number of " : "",
                                 q->s->tables[entity].name,
                                 !strcmp(op, ">")    ? "more than"
                                 : !strcmp(op, ">=") ? "at least"
                                 : !strcmp(op, "<")  ? "fewer than"
                                                     : "at most",
                                 q->having_n, q->s->tables[child].name);
    return 0;
}

int ag_local_plan(const char *previous, const char *question, const struct ag_schema *s,
                  ag_lookup_fn lookup, void *arg, struct ag_plan *out, struct pd_err *err)
{
    struct question q = {.s = s, .group_at = -1, .never_at = -1, .having_table = -1};
    struct roles r;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    tokenize_turns(&q, previous, question);
    match_comparisons(&q);
    match_names(&q, 1, 0);
    match_vocabulary(&q);
    match_ranking(&q);
    match_names(&q, 0, 0);
    match_values(&q, lookup, arg);
    match_names(&q, 0, 1); /* what is neither a name nor a value: a name spelled loosely */
    sort_refs(&q);
    prefer_named_tables(&q);
    follow_up_filters(&q);
    for (int i = 0; i < q.n && rc == 0; i++)
        if (!q.used[i] && !is_one_of(q.w[i], stopwords) && strlen(q.w[i]) > 1)
            rc = pd_fail(err, PD_EINVAL,
                         "I cannot answer that offline: I do not know what '%s' refers to here "
                         "(it is not a table, a column or a value in the data)",
                         q.raw[i]);
    if (rc == 0 && q.n == 0)
        rc = pd_fail(err, PD_EINVAL, "ask a question about the data");
    if (rc == 0 && q.unsure[0])
        rc = pd_fail(err, PD_EINVAL, "By '%s', do you mean %s or %s? Ask again with the name.",
                     q.raw[q.unsure_at], q.unsure[0], q.unsure[1]);
    if (rc == 0 && q.never_at >= 0)
        rc = build_anti(&q, out, err);
    else if (rc == 0 && q.having_op)
        rc = plan_having(&q, out, err);
    else if (rc == 0 && (rc = decide(&q, &r, err)) == 0)
        rc = build(&q, &r, out, err);
    question_free(&q);
    if (rc)
        ag_plan_clear(out);
    return rc;
}

void ag_plan_clear(struct ag_plan *p)
{
    free(p->sql);
    free(p->explanation);
    free(p->chart);
    free(p->x);
    free(p->y);
    memset(p, 0, sizeof(*p));
}

int ag_local_follows_up(const char *question)
{
    static const char *const leads[] = {"and",  "what about", "how about", "only", "now",
                                        "but",  "same",       "instead",   "also", "then",
                                        "just", "what if",    "and what",  NULL};
    while (*question == ' ' || *question == '.' || *question == '-')
        question++;
    for (const char *const *l = leads; *l; l++) {
        size_t n = strlen(*l);
        if (strncasecmp(question, *l, n) == 0 && !isalnum((unsigned char)question[n]))
            return 1;
    }
    return 0;
}
