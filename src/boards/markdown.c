/*
 * markdown.c - the Markdown of board notes as HTML: headings, paragraphs,
 * bullet and numbered lists, fenced code, and inline code, bold, italics and
 * links. Every character of the text is escaped; links only to http(s),
 * mailto or relative addresses.
 */
#include "boards/internal.h"

#include "base/buf.h"

#include <string.h>

void board_html_escape(struct pd_buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': pd_buf_adds(out, "&amp;"); break;
        case '<': pd_buf_adds(out, "&lt;"); break;
        case '>': pd_buf_adds(out, "&gt;"); break;
        case '"': pd_buf_adds(out, "&quot;"); break;
        case '\'': pd_buf_adds(out, "&#39;"); break;
        default: pd_buf_addc(out, *s);
        }
    }
}

static void escape_n(struct pd_buf *out, const char *s, size_t n)
{
    struct pd_buf t = PD_BUF_INIT;
    pd_buf_add(&t, s, n);
    board_html_escape(out, t.ptr);
    pd_buf_release(&t);
}

static int safe_url(const char *u, size_t n)
{
    if (n >= 7 && strncmp(u, "http://", 7) == 0)
        return 1;
    if ((n >= 8 && strncmp(u, "https://", 8) == 0) || (n >= 7 && strncmp(u, "mailto:", 7) == 0))
        return 1;
    /* relative: no scheme before the first '/', '?' or '#' */
    for (size_t i = 0; i < n; i++) {
        if (u[i] == ':')
            return 0;
        if (u[i] == '/' || u[i] == '?' || u[i] == '#')
            return 1;
    }
    return 1;
}

/* Inline markup of s[0..n). */
static void inline_html(struct pd_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *rest = s + i, *end;
        size_t left = n - i;
        if (*rest == '`' && (end = memchr(rest + 1, '`', left - 1)) != NULL) {
            pd_buf_adds(out, "<code>");
            escape_n(out, rest + 1, (size_t)(end - rest - 1));
            pd_buf_adds(out, "</code>");
            i += (size_t)(end - rest) + 1;
            continue;
        }
        if (left > 4 && strncmp(rest, "**", 2) == 0) {
            const char *close = NULL;
            for (size_t k = 2; k + 1 < left; k++)
                if (rest[k] == '*' && rest[k + 1] == '*') {
                    close = rest + k;
                    break;
                }
            if (close && close > rest + 2) {
                pd_buf_adds(out, "<strong>");
                inline_html(out, rest + 2, (size_t)(close - rest - 2));
                pd_buf_adds(out, "</strong>");
                i += (size_t)(close - rest) + 2;
                continue;
            }
        }
        if ((*rest == '*' || *rest == '_') && left > 2 && rest[1] != ' ' &&
            (end = memchr(rest + 1, *rest, left - 1)) != NULL && end > rest + 1) {
            pd_buf_adds(out, "<em>");
            inline_html(out, rest + 1, (size_t)(end - rest - 1));
            pd_buf_adds(out, "</em>");
            i += (size_t)(end - rest) + 1;
            continue;
        }
        if (*rest == '[') {
            const char *mid = memchr(rest, ']', left), *close;
            if (mid && (size_t)(mid - rest) + 1 < left && mid[1] == '(' &&
                (close = memchr(mid, ')', left - (size_t)(mid - rest))) != NULL &&
                safe_url(mid + 2, (size_t)(close - mid - 2))) {
                pd_buf_adds(out, "<a href=\"");
                escape_n(out, mid + 2, (size_t)(close - mid - 2));
                pd_buf_adds(out, "\">");
                inline_html(out, rest + 1, (size_t)(mid - rest - 1));
                pd_buf_adds(out, "</a>");
                i += (size_t)(close - rest) + 1;
                continue;
            }
        }
        escape_n(out, rest, 1);
        i++;
    }
}

enum block { NONE, PARA, UL, OL, CODE };

static void close_block(struct pd_buf *out, enum block *b)
{
    static const char *const ends[] = {"", "</p>\n", "</ul>\n", "</ol>\n", "</code></pre>\n"};
    pd_buf_adds(out, ends[*b]);
    *b = NONE;
}

/* The length of a "1. " marker at s, or 0. */
static size_t ordered_marker(const char *s)
{
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    return i > 0 && s[i] == '.' && s[i + 1] == ' ' ? i + 2 : 0;
}

void board_markdown_html(struct pd_buf *out, const char *md)
{
    enum block b = NONE;
    const char *line = md;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line), lead = 0, h = 0, om;
        while (len && line[len - 1] == '\r')
            len--;
        if (strncmp(line, "```", 3) == 0) {
            if (b == CODE) {
                close_block(out, &b);
            } else {
                close_block(out, &b);
                pd_buf_adds(out, "<pre><code>");
                b = CODE;
            }
        } else if (b == CODE) {
            escape_n(out, line, len);
            pd_buf_addc(out, '\n');
        } else {
            while (lead < len && line[lead] == ' ')
                lead++;
            while (lead + h < len && line[lead + h] == '#' && h < 7)
                h++;
            om = ordered_marker(line + lead);
            if (lead == len) {
                close_block(out, &b);
            } else if (h >= 1 && h <= 6 && lead + h < len && line[lead + h] == ' ') {
                close_block(out, &b);
                pd_buf_addf(out, "<h%zu>", h + 2 > 6 ? 6 : h + 2);
                inline_html(out, line + lead + h + 1, len - lead - h - 1);
                pd_buf_addf(out, "</h%zu>\n", h + 2 > 6 ? 6 : h + 2);
            } else if (len - lead > 2 && (line[lead] == '-' || line[lead] == '*') &&
                       line[lead + 1] == ' ') {
                if (b != UL) {
                    close_block(out, &b);
                    pd_buf_adds(out, "<ul>\n");
                    b = UL;
                }
                pd_buf_adds(out, "<li>");
                inline_html(out, line + lead + 2, len - lead - 2);
                pd_buf_adds(out, "</li>\n");
            } else if (om && len - lead > om) {
                if (b != OL) {
                    close_block(out, &b);
                    pd_buf_adds(out, "<ol>\n");
                    b = OL;
                }
                pd_buf_adds(out, "<li>");
                inline_html(out, line + lead + om, len - lead - om);
                pd_buf_adds(out, "</li>\n");
            } else {
                if (b != PARA) {
                    close_block(out, &b);
                    pd_buf_adds(out, "<p>");
                    b = PARA;
                } else {
                    pd_buf_addc(out, '\n');
                }
                inline_html(out, line + lead, len - lead);
            }
        }
        line = nl ? nl + 1 : line + len;
        if (!nl)
            break;
    }
    close_block(out, &b);
}
