/* format.c: PyTorch's tensor repr and a lovely-tensors style digest (see
 * format.h). The layout follows torch/_tensor_str.py (1.13) step by step; the
 * Python names are kept in comments so the two can be read side by side.
 * Not here: Lua, parsing of print options (l_print.c), the REPL's policy. */
#include "format.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tsh_printopts tsh_print_options = {4, 1000, 3, 80, -1};
tsh_status (*tsh_format_to_host)(const tsh_tensor *t, tsh_tensor **out) = NULL;

bool tsh_printopts_profile(const char *name, tsh_printopts *o)
{
    tsh_printopts p = *o;
    if (strcmp(name, "default") == 0) p.precision = 4, p.threshold = 1000, p.edgeitems = 3;
    else if (strcmp(name, "short") == 0) p.precision = 2, p.threshold = 1000, p.edgeitems = 2;
    else if (strcmp(name, "full") == 0) p.precision = 4, p.threshold = INFINITY, p.edgeitems = 3;
    else return false;
    p.linewidth = 80;
    *o = p;
    return true;
}

bool tsh_format_is_summarized(const tsh_tensor *t, const tsh_printopts *o)
{
    return (double)tsh_numel(t) > o->threshold;
}

/* ---- a growable string; an allocation failure is remembered, not fatal ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

static void sb_spaces(sbuf *b, int64_t n)
{
    static const char sp[] = "                                ";
    while (n > 0) {
        size_t k = n < 32 ? (size_t)n : 32;
        sb_addn(b, sp, k);
        n -= (int64_t)k;
    }
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char s[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s, sizeof s, fmt, ap);
    va_end(ap);
    if (n > 0) sb_addn(b, s, (size_t)n < sizeof s ? (size_t)n : sizeof s - 1);
}

static tsh_status sb_finish(sbuf *b, char **out, size_t *len)
{
    if (!b->oom && !b->p) sb_addn(b, "", 0);
    if (b->oom) {
        free(b->p);
        return tsh_fail(TSH_ERR_OOM, "print: out of memory building the text");
    }
    *out = b->p;
    if (len) *len = b->len;
    return TSH_OK;
}

/* A tensor whose elements can be read from the host: t itself on the CPU,
 * else a copy made by the device backend's hook. */
static tsh_status host_tensor(const char *what, const tsh_tensor *t, tsh_tensor **out)
{
    if (t->storage->device.type == TSH_CPU) {
        *out = tsh_tensor_retain((tsh_tensor *)t);
        return TSH_OK;
    }
    char dev[32];
    tsh_device_str(t->storage->device, dev, sizeof dev);
    if (!tsh_format_to_host)
        return tsh_fail(TSH_ERR_DEVICE, "%s: cannot read a tensor on %s (no copy to the host in this build)",
                        what, dev);
    return tsh_format_to_host(t, out);
}

/* ---- number to text, as Python's str.format does it ---- */

/* Python writes nan, inf and -inf whatever the sign bit of a nan. */
static int nonfinite_str(char *s, size_t n, double v)
{
    return snprintf(s, n, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

/* "{:.{p}e}" (conv 'e') or "{:.{p}f}" (conv 'f'). */
static int float_str(char *s, size_t n, double v, char conv, int prec)
{
    if (!isfinite(v)) return nonfinite_str(s, n, v);
    int k = conv == 'e' ? snprintf(s, n, "%.*e", prec, v) : snprintf(s, n, "%.*f", prec, v);
    return k < (int)n ? k : (int)n - 1;
}

/* ---- _Formatter: one width and one notation for every printed element ---- */

typedef struct formatter {
    tsh_dtype dt;
    bool floating, int_mode, sci_mode;
    int max_width, precision;
    int64_t count; /* nonzero finite values seen */
    double minabs, maxabs;
    bool stop; /* Ctrl-C seen while scanning */
} formatter;

typedef void (*visit_fn)(formatter *f, const char *p);

/* Long prints (profile 'full') poll Ctrl-C once per row; once seen, it
 * sticks, so the recursion unwinds without more work. */
static bool interrupted(bool *stop)
{
    if (!*stop && tsh_interrupt_flag) *stop = true;
    return *stop;
}

/* Calls fn on every element that will be printed: with edge >= 0, only the
 * first and last `edge` items of each dim longer than 2*edge
 * (get_summarized_data). */
static void visit(const tsh_tensor *t, int d, const char *p, int64_t edge, visit_fn fn, formatter *f)
{
    if (d == t->ndim) {
        fn(f, p);
        return;
    }
    if (d == t->ndim - 1 && interrupted(&f->stop)) return;
    int64_t n = t->shape[d], step = t->stride[d] * (int64_t)tsh_dtype_size(t->dtype);
    bool summ = edge >= 0 && n > 2 * edge;
    for (int64_t i = 0; i < n; i++) {
        if (summ && i == edge) i = n - edge;
        visit(t, d + 1, p + i * step, edge, fn, f);
    }
}

static void scan_float(formatter *f, const char *p)
{
    double v = tsh_load_f64(f->dt, p);
    if (!isfinite(v) || v == 0) return;
    double a = fabs(v);
    if (f->count++ == 0) f->minabs = f->maxabs = a;
    if (a < f->minabs) f->minabs = a;
    if (a > f->maxabs) f->maxabs = a;
    if (v != ceil(v)) f->int_mode = false;
}

static void width_float(formatter *f, const char *p)
{
    double v = tsh_load_f64(f->dt, p);
    if (!isfinite(v) || v == 0) return;
    char s[512];
    int n;
    if (f->sci_mode) n = float_str(s, sizeof s, v, 'e', f->precision);
    else if (f->int_mode) n = float_str(s, sizeof s, v, 'f', 0) + 1; /* room for the "." */
    else n = float_str(s, sizeof s, v, 'f', f->precision);
    if (n > f->max_width) f->max_width = n;
}

static int int_str(char *s, size_t n, tsh_dtype dt, const char *p)
{
    if (dt == TSH_BOOL) return snprintf(s, n, "%s", *p ? "true" : "false");
    return snprintf(s, n, "%lld", (long long)tsh_load_i64(dt, p));
}

static void width_int(formatter *f, const char *p)
{
    char s[32];
    int n = int_str(s, sizeof s, f->dt, p);
    if (n > f->max_width) f->max_width = n;
}

static void formatter_init(formatter *f, const tsh_tensor *t, int64_t edge, const tsh_printopts *o)
{
    *f = (formatter){.dt = t->dtype, .floating = tsh_dtype_is_float(t->dtype), .int_mode = true,
                     .max_width = 1, .precision = o->precision};
    const char *p = tsh_data(t);
    if (!f->floating) {
        visit(t, 0, p, edge, width_int, f);
    } else {
        visit(t, 0, p, edge, scan_float, f);
        if (f->count == 0) return; /* no valid number: PyTorch ignores sci_mode too */
        bool wide = f->maxabs / f->minabs > 1000.0 || f->maxabs > 1.0e8;
        f->sci_mode = f->int_mode ? wide : wide || f->minabs < 1.0e-4;
        visit(t, 0, p, edge, width_float, f);
    }
    if (o->sci_mode >= 0) f->sci_mode = o->sci_mode;
}

/* _Formatter.format: the element right-aligned to max_width. */
static void put_value(sbuf *b, const formatter *f, const char *p)
{
    char s[512];
    int n;
    if (f->floating) {
        double v = tsh_load_f64(f->dt, p);
        if (f->sci_mode) {
            n = float_str(s, sizeof s, v, 'e', f->precision);
        } else if (f->int_mode) {
            n = float_str(s, sizeof s - 1, v, 'f', 0);
            if (isfinite(v)) s[n++] = '.', s[n] = '\0';
        } else {
            n = float_str(s, sizeof s, v, 'f', f->precision);
        }
    } else {
        n = int_str(s, sizeof s, f->dt, p);
    }
    sb_spaces(b, f->max_width - n);
    sb_addn(b, s, (size_t)n);
}

/* ---- _tensor_str_with_formatter and _vector_str ---- */

typedef struct printer {
    sbuf *b;
    const formatter *f;
    const tsh_printopts *o;
    int64_t edge; /* -1: not summarised */
    bool stop;    /* Ctrl-C seen: the text is abandoned */
} printer;

/* The separator before the k-th item (k > 0) of a dim: for vectors ", "
 * with a line break every per_line items; for higher dims "," and dim-1
 * newlines, then the indent of the next level. */
static void item_sep(sbuf *b, int dim, int64_t k, int64_t per_line, int64_t indent)
{
    if (k == 0) return;
    if (dim > 1 || k % per_line == 0) {
        sb_add(b, ",");
        for (int nl = 0; nl < (dim > 1 ? dim - 1 : 1); nl++) sb_add(b, "\n");
        sb_spaces(b, indent + 1);
    } else {
        sb_add(b, ", ");
    }
}

static void tensor_str(printer *pr, const tsh_tensor *t, int d, const char *p, int64_t indent)
{
    sbuf *b = pr->b;
    if (interrupted(&pr->stop)) return;
    int dim = t->ndim - d;
    int64_t n = t->shape[d], step = t->stride[d] * (int64_t)tsh_dtype_size(t->dtype);
    int64_t edge = pr->edge;
    bool summ = edge >= 0 && n > 2 * edge;
    /* _vector_str: element_length counts the ", " after each element, and
     * " ..." fills a place like an element. */
    int64_t per_line = (int64_t)floor((double)(pr->o->linewidth - indent) / (double)(pr->f->max_width + 2));
    if (per_line < 1) per_line = 1;
    int64_t k = 0;
    sb_add(b, "[");
    for (int64_t i = 0; i < n; i++) {
        if (summ && i == edge) {
            item_sep(b, dim, k++, per_line, indent);
            sb_add(b, dim == 1 ? " ..." : "...");
            i = n - edge;
        }
        item_sep(b, dim, k++, per_line, indent);
        if (dim == 1) put_value(b, pr->f, p + i * step);
        else tensor_str(pr, t, d + 1, p + i * step, indent + 1);
    }
    sb_add(b, "]");
}

/* _add_suffixes: each suffix goes on the current line if it fits in
 * linewidth, else on a new line under the opening parenthesis. */
static void add_suffix(sbuf *b, const char *s, int64_t indent, int64_t linewidth, int64_t *last)
{
    int64_t sl = (int64_t)strlen(s);
    if (*last + sl + 2 > linewidth) {
        sb_add(b, ",\n");
        sb_spaces(b, indent);
        *last = indent + sl;
    } else {
        sb_add(b, ", ");
        *last += sl + 2;
    }
    sb_add(b, s);
}

tsh_status tsh_format_tensor(const tsh_tensor *t0, const tsh_printopts *o, const char *const *extra,
                             char **out, size_t *len)
{
    tsh_tensor *t;
    TSH_TRY(host_tensor("print", t0, &t));
    const char *prefix = "tensor(";
    int64_t indent = (int64_t)strlen(prefix);
    char dev[48], dts[40], size[TSH_MAX_DIMS * 24 + 8];
    const char *suffixes[3];
    int ns = 0;
    if (t0->storage->device.type != TSH_CPU) {
        char d[32];
        snprintf(dev, sizeof dev, "device='%s'", tsh_device_str(t0->storage->device, d, sizeof d));
        suffixes[ns++] = dev;
    }
    snprintf(dts, sizeof dts, "dtype=%s", tsh_dtype_name(t->dtype));

    sbuf b = {0};
    sb_add(&b, prefix);
    if (tsh_numel(t) == 0) {
        /* An empty tensor names its shape (unless 1-d) and any dtype but the
         * default: there are no elements to tell int64 from float32. */
        if (t->ndim != 1) {
            int k = snprintf(size, sizeof size, "size=(");
            for (int d = 0; d < t->ndim; d++)
                k += snprintf(size + k, sizeof size - (size_t)k, d ? ", %lld" : "%lld", (long long)t->shape[d]);
            snprintf(size + k, sizeof size - (size_t)k, ")");
            suffixes[ns++] = size;
        }
        if (t->dtype != TSH_DEFAULT_DTYPE) suffixes[ns++] = dts;
        sb_add(&b, "[]");
    } else {
        if (t->dtype != TSH_DEFAULT_DTYPE && t->dtype != TSH_I64 && t->dtype != TSH_BOOL)
            suffixes[ns++] = dts;
        int64_t edge = !tsh_format_is_summarized(t, o) ? -1 : o->edgeitems > 0 ? o->edgeitems : 1;
        formatter f;
        formatter_init(&f, t, edge, o);
        printer pr = {&b, &f, o, edge, f.stop};
        if (t->ndim == 0) put_value(&b, &f, tsh_data(t));
        else tensor_str(&pr, t, 0, tsh_data(t), indent);
        if (pr.stop) {
            tsh_tensor_release(t);
            free(b.p);
            return tsh_fail(TSH_ERR_INTERRUPT, "interrupted");
        }
    }
    tsh_tensor_release(t);

    if (!b.oom) {
        /* last_line_len as PyTorch computes it (2 more than the text
         * after the last newline). */
        int64_t nl = (int64_t)b.len - 1;
        while (nl >= 0 && b.p[nl] != '\n') nl--;
        int64_t last = (int64_t)b.len - nl + 1;
        for (int i = 0; i < ns; i++) add_suffix(&b, suffixes[i], indent, o->linewidth, &last);
        for (int i = 0; extra && extra[i]; i++) add_suffix(&b, extra[i], indent, o->linewidth, &last);
    }
    sb_add(&b, ")");
    return sb_finish(&b, out, len);
}

/* ---- statistics over strided elements ---- */

typedef struct stats_acc {
    tsh_dtype dt;
    int pass; /* 1: counts, extremes, sum; 2: squared deviations */
    tsh_stats *s;
    double sum, ssd;
} stats_acc;

static inline void acc_float(stats_acc *a, double v)
{
    tsh_stats *s = a->s;
    if (a->pass == 2) {
        if (isfinite(v)) a->ssd += (v - s->mean) * (v - s->mean);
        return;
    }
    if (isnan(v)) {
        s->nan++;
    } else if (isinf(v)) {
        if (v > 0) s->posinf++;
        else s->neginf++;
    } else {
        if (s->finite++ == 0) s->min = s->max = v;
        if (v < s->min) s->min = v;
        if (v > s->max) s->max = v;
        if (v == 0) s->zeros++;
        a->sum += v;
    }
}

static inline void acc_int(stats_acc *a, int64_t v)
{
    tsh_stats *s = a->s;
    if (a->pass == 2) {
        double d = (double)v - s->mean;
        a->ssd += d * d;
        return;
    }
    if (s->finite++ == 0) s->imin = s->imax = v;
    if (v < s->imin) s->imin = v;
    if (v > s->imax) s->imax = v;
    if (v == 0) s->zeros++;
    a->sum += (double)v;
}

/* One row of n elements `bs` bytes apart; a typed loop per dtype. */
static void stats_row(stats_acc *a, const char *p, int64_t n, int64_t bs)
{
#define ROW(T, ACC, CONV)                                             \
    for (int64_t i = 0; i < n; i++) ACC(a, CONV(*(const T *)(p + i * bs)))
#define ID(x) (x)
    switch (a->dt) {
    case TSH_F32: ROW(float, acc_float, (double)); break;
    case TSH_F64: ROW(double, acc_float, ID); break;
    case TSH_F16: ROW(uint16_t, acc_float, tsh_f16_to_f32); break;
    case TSH_BF16: ROW(uint16_t, acc_float, tsh_bf16_to_f32); break;
    case TSH_I64: ROW(int64_t, acc_int, ID); break;
    case TSH_I32: ROW(int32_t, acc_int, (int64_t)); break;
    case TSH_U8: ROW(uint8_t, acc_int, (int64_t)); break;
    case TSH_BOOL: ROW(uint8_t, acc_int, 0 != ); break;
    default: break;
    }
#undef ROW
#undef ID
}

/* Walks t row by row, dims merged where the layout allows, so a contiguous
 * tensor is one long row. Polls the interrupt flag between rows. */
static tsh_status for_each_row(const tsh_tensor *t, stats_acc *a)
{
    int64_t es = (int64_t)tsh_dtype_size(t->dtype);
    int64_t sh[TSH_MAX_DIMS], st[TSH_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] == 1) continue;
        if (nd > 0 && st[nd - 1] == t->stride[d] * t->shape[d]) {
            sh[nd - 1] *= t->shape[d];
            st[nd - 1] = t->stride[d];
        } else {
            sh[nd] = t->shape[d];
            st[nd] = t->stride[d];
            nd++;
        }
    }
    const char *base = tsh_data(t);
    if (nd == 0) {
        stats_row(a, base, 1, 0);
        return TSH_OK;
    }
    int64_t idx[TSH_MAX_DIMS] = {0};
    for (;;) {
        const char *p = base;
        for (int d = 0; d < nd - 1; d++) p += idx[d] * st[d] * es;
        stats_row(a, p, sh[nd - 1], st[nd - 1] * es);
        if (tsh_interrupt_flag) return tsh_fail(TSH_ERR_INTERRUPT, "interrupted");
        int d = nd - 2;
        while (d >= 0 && ++idx[d] == sh[d]) idx[d--] = 0;
        if (d < 0) return TSH_OK;
    }
}

tsh_status tsh_tensor_stats(const tsh_tensor *t0, tsh_stats *s)
{
    *s = (tsh_stats){.n = tsh_numel(t0), .min = NAN, .max = NAN, .mean = NAN, .std = NAN};
    if (s->n == 0) return TSH_OK;
    tsh_tensor *t;
    TSH_TRY(host_tensor("summary", t0, &t));
    stats_acc a = {.dt = t->dtype, .pass = 1, .s = s};
    tsh_status st = for_each_row(t, &a);
    if (st == TSH_OK && s->finite > 0) {
        if (!tsh_dtype_is_float(t->dtype)) s->min = (double)s->imin, s->max = (double)s->imax;
        s->mean = a.sum / (double)s->finite;
        /* Two passes: a sum of squares about the mean does not cancel. */
        a.pass = 2;
        st = for_each_row(t, &a);
        if (s->finite > 1) s->std = sqrt(a.ssd / (double)(s->finite - 1));
    }
    tsh_tensor_release(t);
    return st;
}

/* ---- the digest ---- */

/* Three decimals with trailing zeros dropped (1.0, 2.02, 0.003); powers of
 * ten for very large and very small magnitudes. */
static void digest_num(char *s, size_t n, double v)
{
    double a = fabs(v);
    if (!isfinite(v)) {
        nonfinite_str(s, n, v);
    } else if (v == 0) {
        snprintf(s, n, "0.0");
    } else if (a >= 1e5 || a < 1e-3) {
        snprintf(s, n, "%.2e", v);
    } else {
        snprintf(s, n, "%.3f", v);
        size_t k = strlen(s);
        while (k > 2 && s[k - 1] == '0' && s[k - 2] != '.') s[--k] = '\0';
    }
}

void tsh_format_bytes(char *s, size_t n, double bytes)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int k = 0;
    while (bytes >= 1024 && k < 6) bytes /= 1024, k++;
    if (k == 0 || bytes >= 100 || bytes == floor(bytes)) snprintf(s, n, "%.0f%s", bytes, unit[k]);
    else snprintf(s, n, "%.1f%s", bytes, unit[k]);
}

static void digest_bytes(sbuf *b, double bytes)
{
    char s[32];
    tsh_format_bytes(s, sizeof s, bytes);
    sb_printf(b, " %s", s);
}

static void digest_value(sbuf *b, tsh_dtype dt, double v, int64_t iv)
{
    char s[64];
    if (dt == TSH_BOOL) sb_add(b, iv ? "true" : "false");
    else if (tsh_dtype_is_float(dt)) digest_num(s, sizeof s, v), sb_add(b, s);
    else sb_printf(b, "%lld", (long long)iv);
}

tsh_status tsh_format_summary(const tsh_tensor *t, char **out)
{
    tsh_stats s;
    TSH_TRY(tsh_tensor_stats(t, &s));
    sbuf b = {0};
    char num[64];
    sb_add(&b, "tensor[");
    for (int d = 0; d < t->ndim; d++) sb_printf(&b, d ? ",%lld" : "%lld", (long long)t->shape[d]);
    sb_printf(&b, "] %s", tsh_dtype_short(t->dtype));
    if (t->ndim > 1) sb_printf(&b, " n=%lld", (long long)s.n);
    digest_bytes(&b, (double)s.n * (double)tsh_dtype_size(t->dtype));
    bool fl = tsh_dtype_is_float(t->dtype);
    if (s.n == 0) {
        sb_add(&b, " empty");
    } else if (s.n == 1 && s.finite == 1) {
        sb_add(&b, " x=");
        digest_value(&b, t->dtype, s.min, s.imin);
    } else if (t->dtype == TSH_BOOL) {
        sb_printf(&b, " true=%lld false=%lld", (long long)(s.n - s.zeros), (long long)s.zeros);
    } else if (s.finite > 0 && s.zeros == s.finite) {
        sb_add(&b, " all_zeros");
    } else if (s.finite > 0) {
        sb_add(&b, " x∈[");
        digest_value(&b, t->dtype, s.min, s.imin);
        sb_add(&b, ",");
        digest_value(&b, t->dtype, s.max, s.imax);
        digest_num(num, sizeof num, s.mean);
        sb_printf(&b, "] μ=%s", num);
        if (s.finite > 1) {
            digest_num(num, sizeof num, s.std);
            sb_printf(&b, " σ=%s", num);
        }
    }
    if (fl && s.nan) sb_printf(&b, " NaN!%lld", (long long)s.nan);
    if (fl && s.posinf) sb_printf(&b, " +Inf!%lld", (long long)s.posinf);
    if (fl && s.neginf) sb_printf(&b, " -Inf!%lld", (long long)s.neginf);
    if (t->storage->device.type != TSH_CPU) {
        char dev[32];
        sb_printf(&b, " %s", tsh_device_str(t->storage->device, dev, sizeof dev));
    }
    return sb_finish(&b, out, NULL);
}
