/* serialize_st.c: the safetensors format (as published with the Python
 * package): an 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
 *  "__metadata__": {string: string}}, then the raw little-endian data, each
 * tensor's bytes at data_offsets from the end of the header. The reader
 * checks what the reference implementation checks: known dtypes, sizes that
 * match the offsets, offsets that tile the data with no gap or overlap. */
#include <stdlib.h>
#include <string.h>

#include "serialize.h"
#include "serialize_json.h"

#define ST_MAX_HEADER 100000000ull /* the reference reader's limit */

static const struct { const char *name; tsh_dtype dt; } st_dtypes[] = {
    {"F32", TSH_F32}, {"F64", TSH_F64}, {"F16", TSH_F16}, {"BF16", TSH_BF16},
    {"I64", TSH_I64}, {"I32", TSH_I32}, {"U8", TSH_U8}, {"BOOL", TSH_BOOL},
};

static const char *st_dtype_name(tsh_dtype dt)
{
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (st_dtypes[i].dt == dt) return st_dtypes[i].name;
    return NULL;
}

/* ---- writing ---- */

typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) { b->oom = true; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_fmt_u64(sbuf *b, unsigned long long v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%llu", v);
    sb_add(b, t, (size_t)n);
}

/* A JSON string literal: quotes, backslashes and control bytes escaped;
 * other bytes (UTF-8) as they are. */
static void sb_json_string(sbuf *b, const char *s)
{
    sb_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_add(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            sb_add(b, e, 6);
        } else {
            sb_add(b, (const char *)&c, 1);
        }
    }
    sb_add(b, "\"", 1);
}

tsh_status tsh_save_safetensors(const char *path, const tsh_tensor_list *l)
{
    const char *op = "save";
    for (int i = 0; i < l->n; i++) {
        tsh_tensor *t = l->ts[i];
        if (t->storage->device.type != TSH_CPU)
            return tsh_fail(TSH_ERR_DEVICE, "%s: tensor '%s' is not on the cpu (move it with :cpu())", op,
                            l->names[i]);
        if (!st_dtype_name(t->dtype))
            return tsh_fail(TSH_ERR_DTYPE, "%s: tensor '%s' has dtype %s, which safetensors cannot hold", op,
                            l->names[i], tsh_dtype_name(t->dtype));
        if (strcmp(l->names[i], "__metadata__") == 0)
            return tsh_fail(TSH_ERR_ARG, "%s: '__metadata__' is reserved in safetensors and cannot name a tensor", op);
    }
    sbuf b = {0};
    sb_str(&b, "{");
    if (l->nmeta) {
        sb_str(&b, "\"__metadata__\":{");
        for (int i = 0; i < l->nmeta; i++) {
            if (i) sb_str(&b, ",");
            sb_json_string(&b, l->meta_keys[i]);
            sb_str(&b, ":");
            sb_json_string(&b, l->meta_vals[i]);
        }
        sb_str(&b, "}");
    }
    unsigned long long off = 0;
    for (int i = 0; i < l->n; i++) {
        tsh_tensor *t = l->ts[i];
        if (i || l->nmeta) sb_str(&b, ",");
        sb_json_string(&b, l->names[i]);
        sb_str(&b, ":{\"dtype\":\"");
        sb_str(&b, st_dtype_name(t->dtype));
        sb_str(&b, "\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            if (d) sb_str(&b, ",");
            sb_fmt_u64(&b, (unsigned long long)t->shape[d]);
        }
        unsigned long long nb = (unsigned long long)tsh_numel(t) * tsh_dtype_size(t->dtype);
        sb_str(&b, "],\"data_offsets\":[");
        sb_fmt_u64(&b, off);
        sb_str(&b, ",");
        sb_fmt_u64(&b, off + nb);
        sb_str(&b, "]}");
        off += nb;
    }
    sb_str(&b, "}");
    /* Pad with spaces so the data starts 8-byte aligned, as the reference
     * writer does (a reader may then map the file and use it in place). */
    while (!b.oom && b.n % 8) sb_str(&b, " ");
    if (b.oom) {
        free(b.p);
        return tsh_fail(TSH_ERR_OOM, "%s: out of memory", op);
    }
    tsh_atomic_file af;
    tsh_status st = tsh_atomic_open(&af, op, path);
    if (st != TSH_OK) {
        free(b.p);
        return st;
    }
    unsigned char len8[8];
    for (int k = 0; k < 8; k++) len8[k] = (unsigned char)((uint64_t)b.n >> (8 * k));
    tsh_atomic_write(&af, len8, 8);
    tsh_atomic_write(&af, b.p, b.n);
    free(b.p);
    for (int i = 0; i < l->n; i++) tsh_atomic_write_tensor(&af, l->ts[i]);
    return tsh_atomic_commit(&af);
}

/* ---- reading ---- */

typedef struct {
    const tsh_json *entry;
    uint64_t begin, end;
} st_span;

static int span_cmp(const void *a, const void *b)
{
    const st_span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* Checks one tensor entry; fills dt, shape and the span. */
static tsh_status check_entry(const char *path, const tsh_json *e, uint64_t datasize, tsh_dtype *dt,
                              int *ndim, int64_t *shape, st_span *span)
{
    const char *op = "load";
    const char *name = e->key;
    if (e->type != TSH_JSON_OBJ)
        return tsh_fail(TSH_ERR_IO, "%s: '%s': entry '%s' is a %s, expected an object", op, path, name,
                        tsh_json_type_name(e->type));
    const tsh_json *jd = tsh_json_get(e, "dtype"), *js = tsh_json_get(e, "shape"),
                   *jo = tsh_json_get(e, "data_offsets");
    if (!jd || !js || !jo)
        return tsh_fail(TSH_ERR_IO, "%s: '%s': entry '%s' lacks '%s'", op, path, name,
                        !jd ? "dtype" : !js ? "shape" : "data_offsets");
    if (jd->type != TSH_JSON_STR)
        return tsh_fail(TSH_ERR_IO, "%s: '%s': tensor '%s': dtype must be a string", op, path, name);
    bool found = false;
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0] && !found; i++)
        if (strcmp(jd->str, st_dtypes[i].name) == 0) {
            *dt = st_dtypes[i].dt;
            found = true;
        }
    if (!found) {
        static const char *const known[] = {"I8", "I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0",
                                            "F6_E2M3", "F6_E3M2", "F4", "C64", "E8M0"};
        bool valid = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) valid |= strcmp(jd->str, known[i]) == 0;
        return tsh_fail(TSH_ERR_DTYPE, "%s: '%s': tensor '%s' has %s dtype '%.40s' (tensh reads F32, F64, "
                        "F16, BF16, I64, I32, U8 and BOOL)", op, path, name,
                        valid ? "the unsupported" : "an unknown", jd->str);
    }
    if (js->type != TSH_JSON_ARR)
        return tsh_fail(TSH_ERR_IO, "%s: '%s': tensor '%s': shape must be an array", op, path, name);
    if (js->n > TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_IO, "%s: '%s': tensor '%s' has %d dimensions (at most %d)", op, path, name,
                        js->n, TSH_MAX_DIMS);
    *ndim = 0;
    for (const tsh_json *c = js->child; c; c = c->next) {
        if (c->type != TSH_JSON_NUM || !c->is_int || c->i < 0)
            return tsh_fail(TSH_ERR_IO, "%s: '%s': tensor '%s': shape entries must be integers >= 0", op, path,
                            name);
        shape[(*ndim)++] = c->i;
    }
    if (jo->type != TSH_JSON_ARR || jo->n != 2 || jo->child->type != TSH_JSON_NUM ||
        jo->child->next->type != TSH_JSON_NUM || !jo->child->is_int || !jo->child->next->is_int ||
        jo->child->i < 0 || jo->child->next->i < 0)
        return tsh_fail(TSH_ERR_IO, "%s: '%s': tensor '%s': data_offsets must be two integers >= 0", op, path,
                        name);
    uint64_t b = (uint64_t)jo->child->i, en = (uint64_t)jo->child->next->i;
    if (b > en || en > datasize)
        return tsh_fail(TSH_ERR_IO, "%s: '%s': tensor '%s': data_offsets [%llu, %llu] are out of range "
                        "(the data has %llu bytes)", op, path, name, (unsigned long long)b,
                        (unsigned long long)en, (unsigned long long)datasize);
    uint64_t nbytes;
    TSH_TRY(tsh_checked_nbytes(op, *ndim, shape, *dt, &nbytes));
    if (nbytes != en - b) {
        char sb[128];
        return tsh_fail(TSH_ERR_IO, "%s: '%s': tensor '%s': shape %s of %s needs %llu bytes, data_offsets "
                        "give %llu", op, path, name, tsh_shape_str(sb, sizeof sb, *ndim, shape), jd->str,
                        (unsigned long long)nbytes, (unsigned long long)(en - b));
    }
    span->entry = e;
    span->begin = b;
    span->end = en;
    return TSH_OK;
}

static tsh_status load_metadata(const char *path, const tsh_json *m, tsh_tensor_list *out)
{
    if (m->type != TSH_JSON_OBJ)
        return tsh_fail(TSH_ERR_IO, "load: '%s': __metadata__ must be an object of strings", path);
    for (const tsh_json *c = m->child; c; c = c->next) {
        if (c->type != TSH_JSON_STR)
            return tsh_fail(TSH_ERR_IO, "load: '%s': __metadata__ value '%s' is a %s, expected a string", path,
                            c->key, tsh_json_type_name(c->type));
        TSH_TRY(tsh_tensor_list_add_meta(out, c->key, c->str));
    }
    return TSH_OK;
}

static tsh_status load_entries(tsh_rfile *r, const tsh_json *h, uint64_t data0, tsh_tensor_list *out)
{
    const char *path = r->path;
    uint64_t datasize = r->size - data0;
    int n = 0;
    for (const tsh_json *c = h->child; c; c = c->next) {
        if (strlen(c->key) != c->keylen)
            return tsh_fail(TSH_ERR_IO, "load: '%s': a tensor name holds a NUL byte", path);
        if (strcmp(c->key, "__metadata__") == 0) TSH_TRY(load_metadata(path, c, out));
        else n++;
    }
    st_span *spans = calloc((size_t)(n ? n : 1), sizeof *spans);
    if (!spans) return tsh_fail(TSH_ERR_OOM, "load: out of memory");
    int k = 0;
    tsh_status st = TSH_OK;
    tsh_dtype dt;
    int ndim;
    int64_t shape[TSH_MAX_DIMS];
    for (const tsh_json *c = h->child; c && st == TSH_OK; c = c->next)
        if (strcmp(c->key, "__metadata__") != 0) st = check_entry(path, c, datasize, &dt, &ndim, shape, &spans[k++]);
    /* The data must be tiled exactly: no gaps, no overlaps, nothing after. */
    if (st == TSH_OK) {
        qsort(spans, (size_t)n, sizeof *spans, span_cmp);
        uint64_t pos = 0;
        for (int i = 0; i < n && st == TSH_OK; i++) {
            if (spans[i].begin != pos)
                st = tsh_fail(TSH_ERR_IO, "load: '%s': tensor '%s': data_offsets [%llu, %llu] %s", path,
                              spans[i].entry->key, (unsigned long long)spans[i].begin,
                              (unsigned long long)spans[i].end,
                              spans[i].begin < pos ? "overlap another tensor" : "leave a gap before them");
            pos = spans[i].end;
        }
        if (st == TSH_OK && pos != datasize)
            st = tsh_fail(TSH_ERR_IO, "load: '%s': the header describes %llu bytes of data, the file holds %llu",
                          path, (unsigned long long)pos, (unsigned long long)datasize);
    }
    free(spans);
    for (const tsh_json *c = h->child; c && st == TSH_OK; c = c->next) {
        if (strcmp(c->key, "__metadata__") == 0) continue;
        st_span sp;
        st = check_entry(path, c, datasize, &dt, &ndim, shape, &sp);
        tsh_tensor *t = NULL;
        if (st == TSH_OK) st = tsh_rfile_tensor(r, data0 + sp.begin, ndim, shape, dt, false, &t);
        if (st == TSH_OK) {
            st = tsh_tensor_list_add(out, c->key, t);
            if (st != TSH_OK) st = tsh_fail(TSH_ERR_IO, "load: '%s': tensor '%s' appears twice", path, c->key);
        }
        tsh_tensor_release(t);
        if (st == TSH_OK) st = tsh_check_interrupt();
    }
    return st;
}

tsh_status tsh_load_safetensors(const char *path, tsh_tensor_list *out)
{
    tsh_rfile r;
    TSH_TRY(tsh_rfile_open(&r, "load", path));
    tsh_tensor_list_init(out);
    unsigned char len8[8];
    tsh_status st = TSH_OK;
    if (r.size < 8) {
        st = tsh_fail(TSH_ERR_IO, "load: '%s' is not a safetensors file (%llu bytes, too short for the header "
                      "length)", path, (unsigned long long)r.size);
        goto done;
    }
    st = tsh_rfile_read(&r, 0, len8, 8);
    if (st != TSH_OK) goto done;
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++) hlen |= (uint64_t)len8[k] << (8 * k);
    if (hlen > ST_MAX_HEADER || hlen > r.size - 8) {
        st = tsh_fail(TSH_ERR_IO, "load: '%s' is not a valid safetensors file: header length %llu is larger "
                      "than %s (%llu bytes)", path, (unsigned long long)hlen,
                      hlen > r.size - 8 ? "the file" : "the format allows",
                      (unsigned long long)(hlen > r.size - 8 ? r.size : ST_MAX_HEADER));
        goto done;
    }
    char *text = malloc(hlen ? hlen : 1);
    if (!text) {
        st = tsh_fail(TSH_ERR_OOM, "load: out of memory");
        goto done;
    }
    st = tsh_rfile_read(&r, 8, text, hlen);
    if (st == TSH_OK && (hlen == 0 || text[0] != '{'))
        st = tsh_fail(TSH_ERR_IO, "load: '%s' is not a valid safetensors file: the header is not a JSON object",
                      path);
    tsh_json *h = NULL;
    if (st == TSH_OK) {
        char err[160];
        h = tsh_json_parse(text, hlen, err, sizeof err);
        if (!h) st = tsh_fail(TSH_ERR_IO, "load: '%s' is not a valid safetensors file: header JSON: %s", path, err);
        else if (h->type != TSH_JSON_OBJ)
            st = tsh_fail(TSH_ERR_IO, "load: '%s': the header is a %s, expected an object", path,
                          tsh_json_type_name(h->type));
    }
    free(text);
    if (st == TSH_OK) st = load_entries(&r, h, 8 + hlen, out);
    tsh_json_free(h);
done:
    tsh_rfile_close(&r);
    if (st != TSH_OK) tsh_tensor_list_free(out);
    return st;
}
