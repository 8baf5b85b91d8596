/*
 * csv_error.c - the physical line of a CSV record DuckDB names (see csv_error.h).
 */
#include "query/csv_error.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text after "label" up to the end of its line (heap), or NULL. */
static char *field(const char *msg, const char *label)
{
    const char *p = strstr(msg, label);
    if (!p)
        return NULL;
    p += strlen(label);
    return xstrndup(p, strcspn(p, "\n"));
}

/* The quote or escape character DuckDB says it used: '"' unless it names another. */
static int char_of(const char *msg, const char *label, int fallback)
{
    char *v = field(msg, label);
    int c = fallback;
    if (v && v[0] && v[0] != '(' && (v[1] == ' ' || v[1] == '\0'))
        c = (unsigned char)v[0];
    else if (v && !strncmp(v, "(empty)", 7))
        c = -1;
    free(v);
    return c;
}

/*
 * The physical line (1-based) on which record `record` (1-based, the header
 * being record 1) of path starts, reading quoted fields as one record; 0 when
 * the file ends first or cannot be read.
 */
static long long physical_line(const char *path, long long record, int quote, int escape)
{
    FILE *f = fopen(path, "rb");
    long long line = 1, rec = 1;
    int c, in_quote = 0, prev = 0;

    if (!f)
        return 0;
    while (rec < record && (c = getc(f)) != EOF) {
        if (in_quote && escape >= 0 && escape != quote && c == escape) {
            int next = getc(f);
            if (next == '\n')
                line++;
            prev = next;
            continue;
        }
        if (quote >= 0 && c == quote)
            in_quote = !in_quote;
        if (c == '\n' || (c == '\r' && (prev = getc(f), ungetc(prev, f), prev != '\n'))) {
            line++;
            if (!in_quote)
                rec++;
        }
        prev = c;
    }
    fclose(f);
    return rec == record ? line : 0;
}

char *pd_csv_error_physical_line(const char *msg)
{
    static const char tag[] = "CSV Error on Line: ";
    const char *at = strstr(msg, tag);
    char *file, *out = NULL;
    long long record, line;

    if (!at || !(file = field(msg, "  file = ")))
        return NULL;
    record = strtoll(at + sizeof(tag) - 1, NULL, 10);
    size_t n = strlen(file);
    if (record > 1 && !(n > 3 && !strcmp(file + n - 3, ".gz")) &&
        !(n > 4 && !strcmp(file + n - 4, ".zst"))) {
        int quote = char_of(msg, "  quote = ", '"');
        line = physical_line(file, record, quote, char_of(msg, "  escape = ", quote));
        if (line > 0 && line != record) {
            struct pd_buf b = PD_BUF_INIT;
            size_t digits = strspn(at + sizeof(tag) - 1, "0123456789");
            pd_buf_add(&b, msg, (size_t)(at - msg) + sizeof(tag) - 1);
            pd_buf_addf(&b, "%lld (record %lld, counting a quoted field across lines as one)",
                        line, record);
            pd_buf_adds(&b, at + sizeof(tag) - 1 + digits);
            out = pd_buf_detach(&b, NULL);
        }
    }
    free(file);
    return out;
}
