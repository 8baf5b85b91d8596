/*
 * diff.c - Myers' diff over lines, printed as unified hunks (see diff.h).
 *
 * The forward search keeps the furthest-reaching x of each diagonal k for
 * every edit count d (only diagonals -d..d, so D² values in all) and walks
 * back from the end to recover the script. Past MAX_EDITS edits the search
 * stops and the files are shown as replaced whole: a diff that long is read as
 * "rewritten" anyway, and the memory stays bounded.
 */
#include "base/diff.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_EDITS 4000

struct line {
    const char *p;
    size_t n;      /* without its newline */
    int newline;   /* it ends with one */
};

struct lines {
    struct line *v;
    size_t n;
};

static void split(const char *text, size_t len, struct lines *out)
{
    size_t cap = 16, start = 0;
    out->v = xmalloc(cap * sizeof(*out->v));
    out->n = 0;
    for (size_t i = 0; text && i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        if (i == len && start == len)
            break;
        if (out->n == cap)
            out->v = xrealloc(out->v, (cap *= 2) * sizeof(*out->v));
        out->v[out->n++] = (struct line){text + start, i - start, i < len};
        start = i + 1;
    }
}

static int same(const struct line *x, const struct line *y)
{
    return x->n == y->n && x->newline == y->newline && memcmp(x->p, y->p, x->n) == 0;
}

enum op { EQ, DEL, INS };

/* The edit script from a to b: ops[], one per line of either, in order. */
static enum op *script(const struct lines *a, const struct lines *b, size_t *nops)
{
    long n = (long)a->n, m = (long)b->n, max = n + m, d, k, x, y;
    long **v = xcalloc((size_t)(max < MAX_EDITS ? max : MAX_EDITS) + 1, sizeof(*v));
    long found = -1;
    enum op *ops;
    size_t len = 0;
    for (d = 0; d <= max && d <= MAX_EDITS && found < 0; d++) {
        long *cur = xmalloc((size_t)(2 * d + 1) * sizeof(long)), *prev = d ? v[d - 1] : NULL;
        v[d] = cur;
        for (k = -d; k <= d; k += 2) {
            if (d == 0)
                x = 0;
            else if (k == -d || (k != d && prev[k - 1 + (d - 1)] < prev[k + 1 + (d - 1)]))
                x = prev[k + 1 + (d - 1)]; /* down: an insertion */
            else
                x = prev[k - 1 + (d - 1)] + 1; /* right: a deletion */
            y = x - k;
            while (x < n && y < m && same(&a->v[x], &b->v[y]))
                x++, y++;
            cur[k + d] = x;
            if (x >= n && y >= m) {
                found = d;
                break;
            }
        }
    }
    ops = xmalloc((size_t)(n + m + 1) * sizeof(*ops));
    if (found < 0) { /* too different: everything out, everything in */
        for (x = 0; x < n; x++)
            ops[len++] = DEL;
        for (y = 0; y < m; y++)
            ops[len++] = INS;
    } else {
        /* Walk back from (n, m), writing the script backwards. */
        long pos = n + m;
        x = n;
        y = m;
        for (d = found; d > 0; d--) {
            long *prev = v[d - 1], pk, px, sx;
            int down;
            k = x - y;
            down = k == -d || (k != d && prev[k - 1 + (d - 1)] < prev[k + 1 + (d - 1)]);
            pk = down ? k + 1 : k - 1;
            px = prev[pk + (d - 1)];
            sx = down ? px : px + 1; /* where the step lands; a snake of equal lines follows */
            while (x > sx)
                ops[--pos] = EQ, x--, y--;
            ops[--pos] = down ? INS : DEL;
            x = px;
            y = px - pk;
        }
        while (x > 0)
            ops[--pos] = EQ, x--, y--;
        len = (size_t)(n + m) - (size_t)pos;
        memmove(ops, ops + pos, len * sizeof(*ops));
    }
    for (d = 0; d <= max && d <= MAX_EDITS && v[d]; d++)
        free(v[d]);
    free(v);
    *nops = len;
    return ops;
}

static void add_line(struct pd_buf *out, char mark, const struct line *l)
{
    pd_buf_addc(out, mark);
    pd_buf_add(out, l->p, l->n);
    pd_buf_addc(out, '\n');
    if (!l->newline)
        pd_buf_adds(out, "\\ No newline at end of file\n");
}

size_t pd_unified_diff(struct pd_buf *out, const char *a, size_t alen, const char *b, size_t blen,
                       const char *name_a, const char *name_b, int context)
{
    struct lines la, lb;
    size_t nops, changed = 0, i = 0;
    enum op *ops;
    split(a, alen, &la);
    split(b, blen, &lb);
    ops = script(&la, &lb, &nops);
    for (size_t j = 0; j < nops; j++)
        changed += ops[j] != EQ;
    if (changed)
        pd_buf_addf(out, "--- %s\n+++ %s\n", a ? name_a : "/dev/null", b ? name_b : "/dev/null");
    /* Each hunk: the changes that lie within 2*context lines of each other. */
    while (changed && i < nops) {
        size_t start, end, ax = 0, by = 0, j, as, bs, an = 0, bn = 0;
        while (i < nops && ops[i] == EQ)
            i++;
        if (i == nops)
            break;
        start = i > (size_t)context ? i - (size_t)context : 0;
        end = i;
        for (j = i; j < nops; j++) {
            if (ops[j] != EQ)
                end = j + 1;
            else if (j - end >= (size_t)(2 * context))
                break;
        }
        end = end + (size_t)context < nops ? end + (size_t)context : nops;
        /* Where the hunk starts in each file. */
        for (j = 0; j < start; j++) {
            ax += ops[j] != INS;
            by += ops[j] != DEL;
        }
        as = ax;
        bs = by;
        for (j = start; j < end; j++) {
            an += ops[j] != INS;
            bn += ops[j] != DEL;
        }
        pd_buf_addf(out, "@@ -%zu", an ? as + 1 : as);
        if (an != 1)
            pd_buf_addf(out, ",%zu", an);
        pd_buf_addf(out, " +%zu", bn ? bs + 1 : bs);
        if (bn != 1)
            pd_buf_addf(out, ",%zu", bn);
        pd_buf_adds(out, " @@\n");
        for (j = start; j < end; j++) {
            if (ops[j] == EQ)
                add_line(out, ' ', &la.v[ax++]), by++;
            else if (ops[j] == DEL)
                add_line(out, '-', &la.v[ax++]);
            else
                add_line(out, '+', &lb.v[by++]);
        }
        i = end;
    }
    free(ops);
    free(la.v);
    free(lb.v);
    return changed;
}
