/* serialize_json.c: the strict JSON reader behind safetensors headers.
 * Recursive descent over a bounded buffer: every read checks the end, depth
 * is limited, numbers are checked for int64 overflow, strings are decoded
 * (\uXXXX with surrogate pairs to UTF-8) and raw control bytes refused. */
#include "serialize_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

typedef struct {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
    bool failed;
} parser;

static void fail(parser *ps, const char *what)
{
    if (ps->failed) return;
    ps->failed = true;
    if (ps->p >= ps->end)
        snprintf(ps->err, ps->errlen, "unexpected end (%s) at byte %ld", what, (long)(ps->p - ps->start));
    else
        snprintf(ps->err, ps->errlen, "%s at byte %ld", what, (long)(ps->p - ps->start));
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

void tsh_json_free(tsh_json *j)
{
    while (j) {
        tsh_json *next = j->next;
        tsh_json_free(j->child);
        free(j->str);
        free(j->key);
        free(j);
        j = next;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(parser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4) return false;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(ps->p[k]);
        if (h < 0) return false;
        v = v * 16 + (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* At an opening quote: decodes the string into a new buffer. An escape
 * never produces more bytes than it takes, so the raw length bounds it. */
static char *parse_string(parser *ps, size_t *len)
{
    ps->p++; /* the quote */
    const char *q = ps->p;
    while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    if (q >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(q - ps->p) + 1), *o = out;
    if (!out) {
        fail(ps, "out of memory");
        return NULL;
    }
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            fail(ps, "control character in string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(ps, &cp)) goto bad_escape;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a high surrogate: a low one must follow */
                unsigned lo;
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') goto bad_escape;
                ps->p += 2;
                if (!read_hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) goto bad_escape;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad_escape;
            }
            o += put_utf8(o, cp);
            break;
        }
        default:
        bad_escape:
            fail(ps, "bad escape in string");
            free(out);
            return NULL;
        }
    }
    ps->p++; /* the closing quote */
    *o = 0;
    *len = (size_t)(o - out);
    return out;
}

static void parse_number(parser *ps, tsh_json *j)
{
    const char *s = ps->p;
    bool neg = false, frac = false;
    if (ps->p < ps->end && *ps->p == '-') { neg = true; ps->p++; }
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') { fail(ps, "bad number"); return; }
    if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9') {
        fail(ps, "leading zero in number");
        return;
    }
    uint64_t mag = 0;
    bool overflow = false;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        unsigned d = (unsigned)(*ps->p++ - '0');
        if (mag > (UINT64_MAX - d) / 10) overflow = true;
        else mag = mag * 10 + d;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        frac = true;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') { fail(ps, "bad number"); return; }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        frac = true;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') { fail(ps, "bad number"); return; }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    char buf[64];
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof buf) n = sizeof buf - 1; /* only the double needs the text */
    memcpy(buf, s, n);
    buf[n] = 0;
    j->type = TSH_JSON_NUM;
    j->num = strtod(buf, NULL);
    if (!frac && !overflow && (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX)) {
        j->is_int = true;
        j->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    }
}

static bool literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return false;
    ps->p += n;
    return true;
}

static tsh_json *parse_value(parser *ps, int depth);

/* Parses the items or members after '[' or '{' into j's child list. */
static void parse_container(parser *ps, tsh_json *j, int depth, bool obj)
{
    char close = obj ? '}' : ']';
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return;
    }
    tsh_json **tail = &j->child;
    for (;;) {
        char *key = NULL;
        size_t keylen = 0;
        skip_ws(ps);
        if (obj) {
            if (ps->p >= ps->end || *ps->p != '"') { fail(ps, "expected a string key"); return; }
            key = parse_string(ps, &keylen);
            if (!key) return;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') { free(key); fail(ps, "expected ':'"); return; }
            ps->p++;
        }
        tsh_json *v = parse_value(ps, depth + 1);
        if (!v) { free(key); return; }
        v->key = key;
        v->keylen = keylen;
        *tail = v;
        tail = &v->next;
        j->n++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == close) { ps->p++; return; }
        fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return;
    }
}

static tsh_json *parse_value(parser *ps, int depth)
{
    if (depth > JSON_MAX_DEPTH) { fail(ps, "nested too deep"); return NULL; }
    skip_ws(ps);
    if (ps->p >= ps->end) { fail(ps, "unexpected end"); return NULL; }
    tsh_json *j = calloc(1, sizeof *j);
    if (!j) { fail(ps, "out of memory"); return NULL; }
    char c = *ps->p;
    if (c == '{' || c == '[') {
        j->type = c == '{' ? TSH_JSON_OBJ : TSH_JSON_ARR;
        parse_container(ps, j, depth, c == '{');
    } else if (c == '"') {
        j->type = TSH_JSON_STR;
        j->str = parse_string(ps, &j->len);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        parse_number(ps, j);
    } else if (literal(ps, "true")) {
        j->type = TSH_JSON_BOOL;
        j->b = true;
    } else if (literal(ps, "false")) {
        j->type = TSH_JSON_BOOL;
    } else if (literal(ps, "null")) {
        j->type = TSH_JSON_NULL;
    } else {
        fail(ps, "unexpected character");
    }
    if (ps->failed) {
        tsh_json_free(j);
        return NULL;
    }
    return j;
}

tsh_json *tsh_json_parse(const char *text, size_t n, char *err, size_t errlen)
{
    parser ps = {text, text + n, text, err, errlen, false};
    if (errlen) err[0] = 0;
    tsh_json *j = parse_value(&ps, 0);
    if (!j) return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        fail(&ps, "trailing characters after the JSON value");
        tsh_json_free(j);
        return NULL;
    }
    return j;
}

tsh_json *tsh_json_get(const tsh_json *obj, const char *key)
{
    if (!obj || obj->type != TSH_JSON_OBJ) return NULL;
    size_t n = strlen(key);
    for (tsh_json *c = obj->child; c; c = c->next)
        if (c->keylen == n && memcmp(c->key, key, n) == 0) return c;
    return NULL;
}

const char *tsh_json_type_name(tsh_json_type t)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
    return names[t];
}
