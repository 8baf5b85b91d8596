/*
 * arrow.c - a sink writing results as an Apache Arrow IPC stream.
 *
 * DuckDB converts each data chunk to the Arrow C data interface
 * (duckdb_to_arrow_schema, duckdb_data_chunk_to_arrow); this file serialises
 * that into the IPC streaming format: a Schema message, one RecordBatch message
 * per chunk, and the end-of-stream marker. Messages are FlatBuffers, built here
 * by a small forward writer (tables, strings, vectors) - enough for Schema and
 * RecordBatch. Bodies are the C interface's buffers, each padded to 8 bytes.
 * ENUM columns are dictionary-encoded (a DictionaryBatch with the ENUM's values
 * before the first RecordBatch), UNION columns are sparse unions, and BIT is
 * written as text of 0s and 1s. UHUGEINT, BIGNUM and TIME WITH TIME ZONE have no
 * Arrow type that keeps them whole, so they are refused with what to cast them to.
 */
#include "warehouse/encode.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The Arrow C data interface (a stable ABI, declared by every producer and consumer). */
struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

#define ARROW_FLAG_NULLABLE 2

/* ---- a forward FlatBuffers writer ------------------------------------------ */

enum fb_kind { FB_NONE, FB_U8, FB_I16, FB_I32, FB_I64, FB_STRING, FB_TABLE, FB_TABLES, FB_STRUCTS };

struct fb_table;

struct fb_field {
    enum fb_kind kind;
    int64_t v;                /* scalars */
    const char *s;            /* FB_STRING */
    struct fb_table *t;       /* FB_TABLE */
    struct fb_table **ts;     /* FB_TABLES */
    const void *raw;          /* FB_STRUCTS: n structs of size bytes, 8-aligned */
    size_t n, size;
    void *owned;              /* freed with the table (raw's storage, when it has to live on) */
};

#define FB_MAX_FIELDS 8
struct fb_table {
    struct fb_field f[FB_MAX_FIELDS];
    int nf;
};

static size_t scalar_size(enum fb_kind k)
{
    return k == FB_U8 ? 1 : k == FB_I16 ? 2 : k == FB_I64 ? 8 : 4;
}

static void pad_to(struct pd_buf *b, size_t align, size_t at)
{
    while ((b->len + at) % align)
        pd_buf_addc(b, 0);
}

static void put_le(struct pd_buf *b, size_t pos, int64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b->ptr[pos + i] = (char)((uint64_t)v >> (8 * i));
}

static void add_le(struct pd_buf *b, int64_t v, size_t n)
{
    char z[8] = {0};
    size_t pos = b->len;
    pd_buf_add(b, z, n);
    put_le(b, pos, v, n);
}

static size_t fb_write_table(struct pd_buf *b, const struct fb_table *t);

/* Write what an offset field points at; returns its position. */
static size_t fb_write_child(struct pd_buf *b, const struct fb_field *f)
{
    size_t at;
    switch (f->kind) {
    case FB_STRING: {
        size_t n = strlen(f->s);
        pad_to(b, 4, 0);
        at = b->len;
        add_le(b, (int64_t)n, 4);
        pd_buf_add(b, f->s, n);
        pd_buf_addc(b, 0);
        return at;
    }
    case FB_TABLE:
        return fb_write_table(b, f->t);
    case FB_TABLES: {
        size_t first;
        pad_to(b, 4, 0);
        at = b->len;
        add_le(b, (int64_t)f->n, 4);
        first = b->len;
        for (size_t i = 0; i < f->n; i++)
            add_le(b, 0, 4);
        for (size_t i = 0; i < f->n; i++) {
            size_t child = fb_write_table(b, f->ts[i]);
            size_t slot = first + 4 * i;
            put_le(b, slot, (int64_t)(child - slot), 4);
        }
        return at;
    }
    case FB_STRUCTS:
        pad_to(b, 8, 4); /* the elements (after the 4-byte length) are 8-aligned */
        at = b->len;
        add_le(b, (int64_t)f->n, 4);
        pd_buf_add(b, f->raw, f->n * f->size);
        return at;
    default:
        return 0;
    }
}

/*
 * A table: its vtable, then the table (soffset to the vtable, fields largest
 * first so each is aligned), then what its offset fields point at, patched in.
 */
static size_t fb_write_table(struct pd_buf *b, const struct fb_table *t)
{
    size_t vt, tab, inline_size = 4, fpos[FB_MAX_FIELDS] = {0};
    static const size_t order[] = {8, 4, 2, 1};
    size_t cur;

    /* Field positions inside the table. */
    cur = 4;
    for (size_t o = 0; o < 4; o++)
        for (int i = 0; i < t->nf; i++) {
            enum fb_kind k = t->f[i].kind;
            size_t sz = k == FB_NONE ? 0 : (k >= FB_STRING ? 4 : scalar_size(k));
            if (sz != order[o])
                continue;
            fpos[i] = cur;
            cur += sz;
        }
    inline_size = cur;

    /* The vtable, placed so that the table after it starts at 4 mod 8. */
    pad_to(b, 2, 0);
    {
        size_t vt_len = 4 + 2 * (size_t)t->nf;
        while ((b->len + vt_len) % 8 != 4)
            pd_buf_addc(b, 0);
        vt = b->len;
        add_le(b, (int64_t)vt_len, 2);
        add_le(b, (int64_t)inline_size, 2);
        for (int i = 0; i < t->nf; i++)
            add_le(b, t->f[i].kind == FB_NONE ? 0 : (int64_t)fpos[i], 2);
    }
    tab = b->len;
    add_le(b, (int64_t)(tab - vt), 4);
    for (size_t i = 4; i < inline_size; i++)
        pd_buf_addc(b, 0);
    for (int i = 0; i < t->nf; i++)
        if (t->f[i].kind >= FB_U8 && t->f[i].kind <= FB_I64)
            put_le(b, tab + fpos[i], t->f[i].v, scalar_size(t->f[i].kind));
    for (int i = 0; i < t->nf; i++)
        if (t->f[i].kind >= FB_STRING) {
            size_t child = fb_write_child(b, &t->f[i]);
            put_le(b, tab + fpos[i], (int64_t)(child - (tab + fpos[i])), 4);
        }
    return tab;
}

/* Serialise root into out: the root offset, then the tables. */
static void fb_finish(struct pd_buf *out, const struct fb_table *root)
{
    size_t start = out->len, tab;
    add_le(out, 0, 4);
    tab = fb_write_table(out, root);
    put_le(out, start, (int64_t)(tab - start), 4);
}

static struct fb_table *fb_new(void)
{
    return xcalloc(1, sizeof(struct fb_table));
}

static void fb_free(struct fb_table *t)
{
    if (t == NULL)
        return;
    for (int i = 0; i < t->nf; i++) {
        free(t->f[i].owned);
        if (t->f[i].kind == FB_TABLE)
            fb_free(t->f[i].t);
        if (t->f[i].kind == FB_TABLES) {
            for (size_t j = 0; j < t->f[i].n; j++)
                fb_free(t->f[i].ts[j]);
            free(t->f[i].ts);
        }
    }
    free(t);
}

static void fb_set(struct fb_table *t, int slot, struct fb_field f)
{
    t->f[slot] = f;
    if (slot + 1 > t->nf)
        t->nf = slot + 1;
}

#define FB_SCALAR(k_, v_) ((struct fb_field){.kind = (k_), .v = (v_)})

/* ---- Arrow schema ------------------------------------------------------ */

/* Type union tags (Schema.fbs). */
enum {
    T_NULL = 1, T_INT = 2, T_FLOAT = 3, T_BINARY = 4, T_UTF8 = 5, T_BOOL = 6, T_DECIMAL = 7,
    T_DATE = 8, T_TIME = 9, T_TIMESTAMP = 10, T_INTERVAL = 11, T_LIST = 12, T_STRUCT = 13,
    T_UNION = 14, T_FIXED_BINARY = 15, T_FIXED_LIST = 16, T_MAP = 17, T_DURATION = 18, T_LARGE_BINARY = 19,
    T_LARGE_UTF8 = 20, T_LARGE_LIST = 21
};

static int time_unit(char c)
{
    return c == 's' ? 0 : c == 'm' ? 1 : c == 'u' ? 2 : 3;
}

/*
 * The Type table of an Arrow format string. Sets *tag; returns the table (NULL
 * for an unknown format, with err filled).
 */
static struct fb_table *type_of(const char *fmt, int *tag, struct pd_err *err)
{
    struct fb_table *t = fb_new();
    static const struct {
        char c;
        int bits, is_signed;
    } ints[] = {{'c', 8, 1}, {'C', 8, 0}, {'s', 16, 1}, {'S', 16, 0},
                {'i', 32, 1}, {'I', 32, 0}, {'l', 64, 1}, {'L', 64, 0}};
    if (fmt[0] && fmt[1] == '\0') {
        for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
            if (fmt[0] == ints[i].c) {
                *tag = T_INT;
                fb_set(t, 0, FB_SCALAR(FB_I32, ints[i].bits));
                fb_set(t, 1, FB_SCALAR(FB_U8, ints[i].is_signed));
                return t;
            }
        switch (fmt[0]) {
        case 'n': *tag = T_NULL; return t;
        case 'b': *tag = T_BOOL; return t;
        case 'e': *tag = T_FLOAT; fb_set(t, 0, FB_SCALAR(FB_I16, 0)); return t;
        case 'f': *tag = T_FLOAT; fb_set(t, 0, FB_SCALAR(FB_I16, 1)); return t;
        case 'g': *tag = T_FLOAT; fb_set(t, 0, FB_SCALAR(FB_I16, 2)); return t;
        case 'z': *tag = T_BINARY; return t;
        case 'Z': *tag = T_LARGE_BINARY; return t;
        case 'u': *tag = T_UTF8; return t;
        case 'U': *tag = T_LARGE_UTF8; return t;
        }
    }
    if (strncmp(fmt, "d:", 2) == 0) {
        int p = 0, s = 0, bits = 128;
        sscanf(fmt + 2, "%d,%d,%d", &p, &s, &bits);
        *tag = T_DECIMAL;
        fb_set(t, 0, FB_SCALAR(FB_I32, p));
        fb_set(t, 1, FB_SCALAR(FB_I32, s));
        fb_set(t, 2, FB_SCALAR(FB_I32, bits));
        return t;
    }
    if (strncmp(fmt, "w:", 2) == 0) {
        *tag = T_FIXED_BINARY;
        fb_set(t, 0, FB_SCALAR(FB_I32, atoi(fmt + 2)));
        return t;
    }
    if (strcmp(fmt, "tdD") == 0 || strcmp(fmt, "tdm") == 0) {
        *tag = T_DATE;
        fb_set(t, 0, FB_SCALAR(FB_I16, fmt[2] == 'D' ? 0 : 1));
        return t;
    }
    if (strncmp(fmt, "tt", 2) == 0 && fmt[2] && !fmt[3]) {
        *tag = T_TIME;
        fb_set(t, 0, FB_SCALAR(FB_I16, time_unit(fmt[2])));
        fb_set(t, 1, FB_SCALAR(FB_I32, fmt[2] == 's' || fmt[2] == 'm' ? 32 : 64));
        return t;
    }
    if (strncmp(fmt, "ts", 2) == 0 && fmt[2] && fmt[3] == ':') {
        *tag = T_TIMESTAMP;
        fb_set(t, 0, FB_SCALAR(FB_I16, time_unit(fmt[2])));
        if (fmt[4])
            fb_set(t, 1, (struct fb_field){.kind = FB_STRING, .s = fmt + 4});
        return t;
    }
    if (strncmp(fmt, "tD", 2) == 0 && fmt[2] && !fmt[3]) {
        *tag = T_DURATION;
        fb_set(t, 0, FB_SCALAR(FB_I16, time_unit(fmt[2])));
        return t;
    }
    if (strcmp(fmt, "tiM") == 0 || strcmp(fmt, "tiD") == 0 || strcmp(fmt, "tin") == 0) {
        *tag = T_INTERVAL;
        fb_set(t, 0, FB_SCALAR(FB_I16, fmt[2] == 'M' ? 0 : fmt[2] == 'D' ? 1 : 2));
        return t;
    }
    if (strcmp(fmt, "+l") == 0) { *tag = T_LIST; return t; }
    if (strcmp(fmt, "+L") == 0) { *tag = T_LARGE_LIST; return t; }
    if (strcmp(fmt, "+s") == 0) { *tag = T_STRUCT; return t; }
    if (strncmp(fmt, "+m", 2) == 0) {
        *tag = T_MAP;
        fb_set(t, 0, FB_SCALAR(FB_U8, 0));
        return t;
    }
    if (strncmp(fmt, "+w:", 3) == 0) {
        *tag = T_FIXED_LIST;
        fb_set(t, 0, FB_SCALAR(FB_I32, atoi(fmt + 3)));
        return t;
    }
    if (strncmp(fmt, "+us:", 4) == 0 || strncmp(fmt, "+ud:", 4) == 0) { /* "+us:0,1,2" */
        int32_t *ids = xcalloc(strlen(fmt), sizeof(int32_t));
        size_t n = 0;
        for (const char *p = fmt + 4; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0))
            ids[n++] = atoi(p);
        *tag = T_UNION;
        fb_set(t, 0, FB_SCALAR(FB_I16, fmt[2] == 'd'));
        fb_set(t, 1, (struct fb_field){.kind = FB_STRUCTS, .raw = ids, .n = n, .size = 4,
                                       .owned = ids});
        return t;
    }
    fb_free(t);
    pd_fail(err, PD_EINVAL, "the Arrow type '%s' cannot be written as an Arrow stream yet", fmt);
    return NULL;
}

/*
 * The Field table of s. A dictionary-encoded s (an ENUM) is its values' type
 * with a DictionaryEncoding: ids are given in pre-order from *next_dict, the
 * order arrow_dictionaries writes them in.
 */
static struct fb_table *field_of(const struct ArrowSchema *s, const char *format, int64_t *next_dict,
                                 struct pd_err *err)
{
    const struct ArrowSchema *values = s->dictionary ? s->dictionary : s;
    struct fb_table *f, *type;
    int tag = 0;
    if (s->dictionary && s->dictionary->dictionary) {
        pd_fail(err, PD_EINVAL, "column '%s': a dictionary of dictionaries cannot be written",
                s->name ? s->name : "?");
        return NULL;
    }
    if ((type = type_of(s->dictionary ? values->format : format, &tag, err)) == NULL)
        return NULL;
    f = fb_new();
    fb_set(f, 0, (struct fb_field){.kind = FB_STRING, .s = s->name ? s->name : ""});
    fb_set(f, 1, FB_SCALAR(FB_U8, (s->flags & ARROW_FLAG_NULLABLE) != 0));
    fb_set(f, 2, FB_SCALAR(FB_U8, tag));
    fb_set(f, 3, (struct fb_field){.kind = FB_TABLE, .t = type});
    if (s->dictionary) {
        struct fb_table *enc = fb_new(), *index;
        int index_tag;
        if ((index = type_of(s->format, &index_tag, err)) == NULL) {
            fb_free(enc);
            fb_free(f);
            return NULL;
        }
        fb_set(enc, 0, FB_SCALAR(FB_I64, (*next_dict)++));
        fb_set(enc, 1, (struct fb_field){.kind = FB_TABLE, .t = index});
        fb_set(f, 4, (struct fb_field){.kind = FB_TABLE, .t = enc});
    }
    {
        struct fb_field kids = {.kind = FB_TABLES, .n = (size_t)values->n_children};
        kids.ts = xcalloc(kids.n ? kids.n : 1, sizeof(struct fb_table *));
        for (size_t i = 0; i < kids.n; i++)
            if ((kids.ts[i] = field_of(values->children[i], values->children[i]->format,
                                       next_dict, err)) == NULL) {
                for (size_t j = 0; j < i; j++)
                    fb_free(kids.ts[j]);
                free(kids.ts);
                fb_free(f);
                return NULL;
            }
        fb_set(f, 5, kids);
    }
    return f;
}

/* ---- messages --------------------------------------------------------- */

enum { HDR_SCHEMA = 1, HDR_DICTIONARY_BATCH = 2, HDR_RECORD_BATCH = 3, METADATA_V5 = 4 };

/* Write one encapsulated message: marker, length, metadata (padded), body. */
static int write_message(FILE *out, struct fb_table *header, int header_type,
                         const struct pd_buf *body, struct pd_err *err)
{
    struct fb_table *msg = fb_new();
    struct pd_buf meta = PD_BUF_INIT;
    char prefix[8];
    int rc = 0;

    fb_set(msg, 0, FB_SCALAR(FB_I16, METADATA_V5));
    fb_set(msg, 1, FB_SCALAR(FB_U8, header_type));
    fb_set(msg, 2, (struct fb_field){.kind = FB_TABLE, .t = header});
    fb_set(msg, 3, FB_SCALAR(FB_I64, body ? (int64_t)body->len : 0));
    fb_finish(&meta, msg);
    while (meta.len % 8)
        pd_buf_addc(&meta, 0);
    memcpy(prefix, "\xff\xff\xff\xff", 4);
    for (int i = 0; i < 4; i++)
        prefix[4 + i] = (char)(meta.len >> (8 * i));
    if (fwrite(prefix, 1, 8, out) != 8 || fwrite(meta.ptr, 1, meta.len, out) != meta.len ||
        (body && body->len && fwrite(body->ptr, 1, body->len, out) != body->len))
        rc = pd_fail(err, PD_EIO, "cannot write the Arrow stream: %s", strerror(errno));
    pd_buf_release(&meta);
    fb_free(msg);
    return rc;
}

/* ---- record batches ------------------------------------------------------ */

struct batch {
    struct pd_buf nodes;   /* FieldNode structs: length, null_count */
    struct pd_buf buffers; /* Buffer structs: offset, length */
    struct pd_buf body;
};

static void add_buffer(struct batch *bt, const void *data, size_t n)
{
    int64_t entry[2] = {(int64_t)bt->body.len, (int64_t)n};
    pd_buf_add(&bt->buffers, entry, sizeof(entry));
    if (n)
        pd_buf_add(&bt->body, data, n);
    while (bt->body.len % 8)
        pd_buf_addc(&bt->body, 0);
}

static int64_t count_nulls(const uint8_t *bits, int64_t n)
{
    int64_t nulls = 0;
    for (int64_t i = 0; i < n; i++)
        nulls += !((bits[i >> 3] >> (i & 7)) & 1);
    return nulls;
}

/* Byte width of a fixed-width format's values (0: not fixed width). */
static size_t fixed_width(const char *fmt)
{
    if (fmt[0] && !fmt[1])
        switch (fmt[0]) {
        case 'c': case 'C': return 1;
        case 's': case 'S': case 'e': return 2;
        case 'i': case 'I': case 'f': return 4;
        case 'l': case 'L': case 'g': return 8;
        }
    if (strncmp(fmt, "d:", 2) == 0) {
        int p, s, bits = 128;
        sscanf(fmt + 2, "%d,%d,%d", &p, &s, &bits);
        return (size_t)bits / 8;
    }
    if (strncmp(fmt, "w:", 2) == 0)
        return (size_t)atoi(fmt + 2);
    if (strcmp(fmt, "tdD") == 0 || strcmp(fmt, "tts") == 0 || strcmp(fmt, "ttm") == 0 ||
        strcmp(fmt, "tiM") == 0)
        return 4;
    if (strcmp(fmt, "tdm") == 0 || strcmp(fmt, "ttu") == 0 || strcmp(fmt, "ttn") == 0 ||
        strncmp(fmt, "ts", 2) == 0 || strncmp(fmt, "tD", 2) == 0 || strcmp(fmt, "tiD") == 0)
        return 8;
    if (strcmp(fmt, "tin") == 0)
        return 16;
    return 0;
}

/*
 * DuckDB's BIT values (a byte of padding bits, then the bits, first bit
 * highest) as UTF-8 text of '0' and '1': offsets and data for a Utf8 array.
 */
static void bits_as_text(const struct ArrowArray *a, struct pd_buf *offsets, struct pd_buf *text)
{
    const int32_t *off = a->buffers[1];
    const uint8_t *data = a->buffers[2], *valid = a->buffers[0];
    int32_t at = 0;
    pd_buf_add(offsets, &at, 4);
    for (int64_t i = 0; i < a->length; i++) {
        int32_t from = off[i], to = off[i + 1];
        if ((!valid || (valid[i >> 3] >> (i & 7)) & 1) && to > from) {
            int pad = data[from];
            for (int64_t bit = pad; bit < (int64_t)(to - from - 1) * 8; bit++)
                pd_buf_addc(text, (data[from + 1 + bit / 8] >> (7 - bit % 8)) & 1 ? '1' : '0');
        }
        at = (int32_t)text->len;
        pd_buf_add(offsets, &at, 4);
    }
}

/*
 * Add an array's node and buffers, then its children's (pre-order, as IPC
 * wants). A dictionary-encoded array is its indices (format is theirs);
 * text_bits: a BIT column, written as Utf8.
 */
static int add_array(struct batch *bt, const struct ArrowSchema *s, const struct ArrowArray *a,
                     int text_bits, struct pd_err *err)
{
    const char *fmt = s->format;
    int64_t n = a->length, nulls = a->null_count, node[2];
    size_t bitmap = (size_t)((n + 7) / 8), w;

    if (a->offset != 0)
        return pd_fail(err, PD_EINTERNAL, "Arrow array with an offset (not produced by DuckDB)");
    if (strncmp(fmt, "+u", 2) == 0) { /* unions have no validity bitmap: type ids first */
        node[0] = n;
        node[1] = 0;
        pd_buf_add(&bt->nodes, node, sizeof(node));
        add_buffer(bt, a->buffers[0], (size_t)n);
        if (fmt[2] == 'd')
            add_buffer(bt, a->buffers[1], (size_t)n * 4);
        for (int64_t i = 0; i < a->n_children; i++) {
            int rc = add_array(bt, s->children[i], a->children[i], 0, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (strcmp(fmt, "n") == 0) {
        node[0] = n;
        node[1] = n;
        pd_buf_add(&bt->nodes, node, sizeof(node));
        return 0;
    }
    if (nulls < 0)
        nulls = a->buffers[0] ? count_nulls(a->buffers[0], n) : 0;
    node[0] = n;
    node[1] = nulls;
    pd_buf_add(&bt->nodes, node, sizeof(node));
    add_buffer(bt, a->buffers[0], a->buffers[0] ? bitmap : 0);

    if (text_bits) {
        struct pd_buf offsets = PD_BUF_INIT, text = PD_BUF_INIT;
        bits_as_text(a, &offsets, &text);
        add_buffer(bt, offsets.ptr, offsets.len);
        add_buffer(bt, text.ptr, text.len);
        pd_buf_release(&offsets);
        pd_buf_release(&text);
    } else if (strcmp(fmt, "b") == 0) {
        add_buffer(bt, a->buffers[1], bitmap);
    } else if ((w = fixed_width(fmt)) != 0) {
        add_buffer(bt, a->buffers[1], (size_t)n * w);
    } else if (strcmp(fmt, "u") == 0 || strcmp(fmt, "z") == 0) {
        const int32_t *off = a->buffers[1];
        add_buffer(bt, off, (size_t)(n + 1) * 4);
        add_buffer(bt, a->buffers[2], n ? (size_t)off[n] : 0);
    } else if (strcmp(fmt, "U") == 0 || strcmp(fmt, "Z") == 0) {
        const int64_t *off = a->buffers[1];
        add_buffer(bt, off, (size_t)(n + 1) * 8);
        add_buffer(bt, a->buffers[2], n ? (size_t)off[n] : 0);
    } else if (strcmp(fmt, "+l") == 0 || strncmp(fmt, "+m", 2) == 0) {
        add_buffer(bt, a->buffers[1], (size_t)(n + 1) * 4);
    } else if (strcmp(fmt, "+L") == 0) {
        add_buffer(bt, a->buffers[1], (size_t)(n + 1) * 8);
    } else if (strcmp(fmt, "+s") != 0 && strncmp(fmt, "+w:", 3) != 0) {
        return pd_fail(err, PD_EINVAL, "the Arrow type '%s' cannot be written yet", fmt);
    }
    for (int64_t i = 0; i < a->n_children; i++) {
        int rc = add_array(bt, s->children[i], a->children[i], 0, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the sink --------------------------------------------------------- */

struct arrow_sink {
    struct pd_sink sink;
    FILE *out;
    const struct pd_columns *cols;
    duckdb_arrow_options options;
    struct ArrowSchema schema;
    int have_schema;
    int *text_bits;       /* per column: a BIT column, written as Utf8 */
    int dictionaries_out; /* the DictionaryBatches went before the first RecordBatch */
};

/*
 * Refuse the types Arrow cannot carry whole (at any depth), and say which
 * top-level columns are BIT (written as text; a nested BIT is refused).
 */
static int check_type(duckdb_logical_type t, const char *column, int top, int *is_bits,
                      struct pd_err *err)
{
    duckdb_type id = duckdb_get_type_id(t);
    idx_t n = 0;
    int rc = 0;
    if (id == DUCKDB_TYPE_UHUGEINT)
        return pd_fail(err, PD_EINVAL,
                       "column '%s' is UHUGEINT, which Arrow has no type for: cast it to HUGEINT "
                       "(up to 2^127-1) or VARCHAR for Arrow output",
                       column);
    if (id == DUCKDB_TYPE_TIME_TZ)
        return pd_fail(err, PD_EINVAL,
                       "column '%s' is TIME WITH TIME ZONE: Arrow's times have no offset, so it "
                       "would change; cast it to TIME (the local time), VARCHAR, or a TIMESTAMPTZ",
                       column);
    if (id == DUCKDB_TYPE_BIGNUM)
        return pd_fail(err, PD_EINVAL,
                       "column '%s' is BIGNUM, which Arrow has no type for: cast it to VARCHAR, "
                       "or to HUGEINT or DECIMAL(38,s) when it fits, for Arrow output",
                       column);
    if (id == DUCKDB_TYPE_BIT) {
        if (!top)
            return pd_fail(err, PD_EINVAL,
                           "column '%s' holds a BIT inside a nested type: cast it to VARCHAR for "
                           "Arrow output", column);
        *is_bits = 1;
        return 0;
    }
    if (id == DUCKDB_TYPE_LIST || id == DUCKDB_TYPE_ARRAY) {
        duckdb_logical_type c = id == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(t)
                                                       : duckdb_array_type_child_type(t);
        rc = check_type(c, column, 0, is_bits, err);
        duckdb_destroy_logical_type(&c);
        return rc;
    }
    if (id == DUCKDB_TYPE_MAP) {
        duckdb_logical_type k = duckdb_map_type_key_type(t), v = duckdb_map_type_value_type(t);
        rc = check_type(k, column, 0, is_bits, err);
        if (rc == 0)
            rc = check_type(v, column, 0, is_bits, err);
        duckdb_destroy_logical_type(&k);
        duckdb_destroy_logical_type(&v);
        return rc;
    }
    if (id == DUCKDB_TYPE_STRUCT)
        n = duckdb_struct_type_child_count(t);
    else if (id == DUCKDB_TYPE_UNION)
        n = duckdb_union_type_member_count(t);
    for (idx_t i = 0; i < n && rc == 0; i++) {
        duckdb_logical_type c = id == DUCKDB_TYPE_STRUCT ? duckdb_struct_type_child_type(t, i)
                                                         : duckdb_union_type_member_type(t, i);
        rc = check_type(c, column, 0, is_bits, err);
        duckdb_destroy_logical_type(&c);
    }
    return rc;
}

/* The RecordBatch table of a batch of length rows. */
static struct fb_table *record_batch(const struct batch *bt, int64_t length)
{
    struct fb_table *rb = fb_new();
    fb_set(rb, 0, FB_SCALAR(FB_I64, length));
    fb_set(rb, 1, (struct fb_field){.kind = FB_STRUCTS, .raw = bt->nodes.ptr,
                                    .n = bt->nodes.len / 16, .size = 16});
    fb_set(rb, 2, (struct fb_field){.kind = FB_STRUCTS, .raw = bt->buffers.ptr,
                                    .n = bt->buffers.len / 16, .size = 16});
    return rb;
}

static void batch_release(struct batch *bt)
{
    pd_buf_release(&bt->nodes);
    pd_buf_release(&bt->buffers);
    pd_buf_release(&bt->body);
}

/*
 * A DictionaryBatch for every dictionary-encoded array under (s, a), in the
 * pre-order field_of numbered them in. An ENUM's dictionary is all its
 * values, the same in every chunk, so the first chunk's is written once.
 */
static int write_dictionaries(FILE *out, const struct ArrowSchema *s, const struct ArrowArray *a,
                              int64_t *next_id, struct pd_err *err)
{
    int rc = 0;
    if (s->dictionary) {
        struct batch bt = {PD_BUF_INIT, PD_BUF_INIT, PD_BUF_INIT};
        struct fb_table *db;
        if (a->dictionary == NULL)
            return pd_fail(err, PD_EINTERNAL, "a dictionary-encoded Arrow array without values");
        if ((rc = add_array(&bt, s->dictionary, a->dictionary, 0, err)) == 0) {
            db = fb_new();
            fb_set(db, 0, FB_SCALAR(FB_I64, (*next_id)++));
            fb_set(db, 1, (struct fb_field){.kind = FB_TABLE, .t = record_batch(&bt, a->dictionary->length)});
            rc = write_message(out, db, HDR_DICTIONARY_BATCH, &bt.body, err);
        }
        batch_release(&bt);
        return rc;
    }
    for (int64_t i = 0; i < s->n_children && rc == 0; i++)
        rc = write_dictionaries(out, s->children[i], a->children[i], next_id, err);
    return rc;
}

static int error_data(duckdb_error_data e, struct pd_err *err)
{
    int rc = 0;
    if (e && duckdb_error_data_has_error(e))
        rc = pd_fail(err, PD_EINTERNAL, "Arrow conversion: %s", duckdb_error_data_message(e));
    if (e)
        duckdb_destroy_error_data(&e);
    return rc;
}

static int arrow_begin(struct pd_sink *s, const struct pd_columns *cols, struct pd_err *err)
{
    struct arrow_sink *as = (struct arrow_sink *)s;
    duckdb_logical_type *types;
    struct fb_table *schema;
    struct fb_field fields = {.kind = FB_TABLES};
    int64_t dict_ids = 0;
    int rc;

    as->cols = cols;
    if (cols->kind != DUCKDB_RESULT_TYPE_QUERY_RESULT || cols->result == NULL)
        return 0;
    as->options = duckdb_result_get_arrow_options(cols->result);
    types = xcalloc(cols->n ? cols->n : 1, sizeof(*types));
    as->text_bits = xcalloc(cols->n ? cols->n : 1, sizeof(int));
    rc = 0;
    for (idx_t i = 0; i < cols->n; i++) {
        types[i] = duckdb_column_logical_type(cols->result, i);
        if (rc == 0)
            rc = check_type(types[i], cols->names[i], 1, &as->text_bits[i], err);
    }
    if (rc == 0)
        rc = error_data(duckdb_to_arrow_schema(as->options, types, cols->names, cols->n,
                                               &as->schema),
                        err);
    for (idx_t i = 0; i < cols->n; i++)
        duckdb_destroy_logical_type(&types[i]);
    free(types);
    if (rc)
        return rc;
    as->have_schema = 1;

    fields.n = (size_t)as->schema.n_children;
    fields.ts = xcalloc(fields.n ? fields.n : 1, sizeof(struct fb_table *));
    schema = fb_new();
    fb_set(schema, 0, FB_SCALAR(FB_I16, 0)); /* little endian */
    for (size_t i = 0; i < fields.n && rc == 0; i++) {
        const struct ArrowSchema *c = as->schema.children[i];
        if ((fields.ts[i] = field_of(c, as->text_bits[i] ? "u" : c->format, &dict_ids, err)) == NULL)
            rc = err->code;
    }
    if (rc) {
        for (size_t i = 0; i < fields.n; i++)
            fb_free(fields.ts[i]);
        free(fields.ts);
        fb_free(schema);
        return rc;
    }
    fb_set(schema, 1, fields);
    /* write_message frees the Message table, which owns schema. */
    return write_message(as->out, schema, HDR_SCHEMA, NULL, err);
}

static int arrow_rows(struct pd_sink *s, duckdb_data_chunk chunk, idx_t n, struct pd_err *err)
{
    struct arrow_sink *as = (struct arrow_sink *)s;
    struct ArrowArray array;
    struct batch bt = {PD_BUF_INIT, PD_BUF_INIT, PD_BUF_INIT};
    struct fb_table *rb;
    int rc;

    if (!as->have_schema)
        return 0;
    if (n != duckdb_data_chunk_get_size(chunk))
        duckdb_data_chunk_set_size(chunk, n); /* a row limit cut the chunk */
    memset(&array, 0, sizeof(array));
    if ((rc = error_data(duckdb_data_chunk_to_arrow(as->options, chunk, &array), err)) != 0)
        return rc;
    if (!as->dictionaries_out) {
        int64_t id = 0;
        for (int64_t i = 0; i < array.n_children && rc == 0; i++)
            rc = write_dictionaries(as->out, as->schema.children[i], array.children[i], &id, err);
        as->dictionaries_out = 1;
    }
    for (int64_t i = 0; i < array.n_children && rc == 0; i++)
        rc = add_array(&bt, as->schema.children[i], array.children[i], as->text_bits[i], err);
    if (rc == 0) {
        rb = record_batch(&bt, array.length);
        rc = write_message(as->out, rb, HDR_RECORD_BATCH, &bt.body, err);
    }
    if (array.release)
        array.release(&array);
    batch_release(&bt);
    return rc;
}

static int arrow_end(struct pd_sink *s, const struct pd_result_end *end, struct pd_err *err)
{
    struct arrow_sink *as = (struct arrow_sink *)s;
    static const char eos[8] = {'\xff', '\xff', '\xff', '\xff', 0, 0, 0, 0};
    (void)end;
    if (!as->have_schema)
        return 0;
    if (fwrite(eos, 1, sizeof(eos), as->out) != sizeof(eos) || fflush(as->out) != 0)
        return pd_fail(err, PD_EIO, "cannot write the Arrow stream: %s", strerror(errno));
    return 0;
}

static void arrow_free(struct pd_sink *s)
{
    struct arrow_sink *as = (struct arrow_sink *)s;
    if (as->have_schema && as->schema.release)
        as->schema.release(&as->schema);
    if (as->options)
        duckdb_destroy_arrow_options(&as->options);
    free(as->text_bits);
    free(as);
}

struct pd_sink *pd_sink_new_arrow(FILE *out)
{
    struct arrow_sink *as = xcalloc(1, sizeof(*as));
    as->sink.begin = arrow_begin;
    as->sink.rows = arrow_rows;
    as->sink.end = arrow_end;
    as->sink.free = arrow_free;
    as->out = out;
    return &as->sink;
}
