/* batch.c: tsh_take_rows, the DataLoader's batching step (see batch.h).
 * Indices are checked in one pass first; then rows are gathered in
 * parallel with typed inner loops for the common cases (uint8 or float32
 * in, float32 out) and a generic element loop for the rest. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#define TAKE_MAX_CHANNELS 64
#define ROWS_PARALLEL_MIN ((int64_t)1 << 15) /* elements per batch worth threads */

typedef struct {
    tsh_dtype sdt, odt;
    const char *src;
    char *out;
    const int64_t *rows; /* 0-based */
    int64_t nrows, rowlen, chanlen;
    int nchan;
    const float *fs, *fb;
    const double *ds, *db;
} rows_job;

/* The hot loop of Fashion-MNIST batches: also built for AVX2, picked at
 * load time where the CPU has it (the baseline build is x86-64-v2). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void row_u8_f32(const rows_job *j, int64_t base, const unsigned char *restrict s, float *restrict o)
{
    for (int64_t c0 = 0; c0 < j->rowlen; c0 += j->chanlen) {
        int c = j->nchan > 1 ? (int)(((base + c0) / j->chanlen) % j->nchan) : 0;
        float a = j->fs[c], b = j->fb[c];
        for (int64_t i = c0; i < c0 + j->chanlen; i++) o[i] = (float)s[i] * a + b;
    }
}

static void row_f32_f32(const rows_job *j, int64_t base, const float *restrict s, float *restrict o)
{
    for (int64_t c0 = 0; c0 < j->rowlen; c0 += j->chanlen) {
        int c = j->nchan > 1 ? (int)(((base + c0) / j->chanlen) % j->nchan) : 0;
        float a = j->fs[c], b = j->fb[c];
        for (int64_t i = c0; i < c0 + j->chanlen; i++) o[i] = s[i] * a + b;
    }
}

static void row_generic(const rows_job *j, int64_t base, const char *s, char *o)
{
    size_t ses = tsh_dtype_size(j->sdt), oes = tsh_dtype_size(j->odt);
    for (int64_t i = 0; i < j->rowlen; i++) {
        int c = j->nchan > 1 ? (int)(((base + i) / j->chanlen) % j->nchan) : 0;
        double v = tsh_load_f64(j->sdt, s + i * (int64_t)ses);
        tsh_store_f64(j->odt, o + i * (int64_t)oes, v * j->ds[c] + j->db[c]);
    }
}

static void run_rows(const rows_job *j)
{
    size_t ses = tsh_dtype_size(j->sdt), oes = tsh_dtype_size(j->odt);
    int64_t sbytes = j->rowlen * (int64_t)ses, obytes = j->rowlen * (int64_t)oes;
    bool copy = j->nchan == 0;
    #pragma omp parallel for schedule(static) if (j->nrows * j->rowlen > ROWS_PARALLEL_MIN)
    for (int64_t k = 0; k < j->nrows; k++) {
        const char *s = j->src + j->rows[k] * sbytes;
        /* Rows come from random places in a large dataset: fetch the next
         * one while this one is converted, or the loop waits on memory. */
        if (k + 1 < j->nrows && !copy) {
            const char *nx = j->src + j->rows[k + 1] * sbytes;
            for (int64_t b = 0; b < sbytes; b += 64) __builtin_prefetch(nx + b);
        }
        char *o = j->out + k * obytes;
        if (copy) memcpy(o, s, (size_t)sbytes);
        else if (j->sdt == TSH_U8 && j->odt == TSH_F32) row_u8_f32(j, k * j->rowlen, (const unsigned char *)s, (float *)o);
        else if (j->sdt == TSH_F32 && j->odt == TSH_F32) row_f32_f32(j, k * j->rowlen, (const float *)s, (float *)o);
        else row_generic(j, k * j->rowlen, s, o);
    }
}

/* The 0-based rows, checked against n. */
static tsh_status index_rows(const char *op, tsh_tensor *idx, int64_t n, int64_t **rows, int64_t *count)
{
    if (!idx) {
        int64_t *r = malloc((size_t)(n ? n : 1) * sizeof *r);
        if (!r) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", op);
        for (int64_t i = 0; i < n; i++) r[i] = i;
        *rows = r;
        *count = n;
        return TSH_OK;
    }
    if (idx->ndim != 1)
        return tsh_fail(TSH_ERR_SHAPE, "%s: index must be 1-d, got %d dims", op, idx->ndim);
    if (idx->dtype != TSH_I64 && idx->dtype != TSH_I32)
        return tsh_fail(TSH_ERR_DTYPE, "%s: index must be int64 or int32, got %s", op, tsh_dtype_name(idx->dtype));
    if (idx->storage->device.type != TSH_CPU)
        return tsh_fail(TSH_ERR_DEVICE, "%s: index must be on the cpu", op);
    int64_t m = idx->shape[0];
    int64_t *r = malloc((size_t)(m ? m : 1) * sizeof *r);
    if (!r) return tsh_fail(TSH_ERR_OOM, "%s: out of memory", op);
    const char *p = tsh_data(idx);
    size_t es = tsh_dtype_size(idx->dtype);
    for (int64_t k = 0; k < m; k++) {
        const char *q = p + k * idx->stride[0] * (int64_t)es;
        int64_t v = idx->dtype == TSH_I64 ? *(const int64_t *)q : *(const int32_t *)q;
        if (v < 1 || v > n) {
            free(r);
            return tsh_fail(TSH_ERR_INDEX, "%s: index %lld is out of range for %lld rows (indices are 1-based)",
                            op, (long long)v, (long long)n);
        }
        r[k] = v - 1;
    }
    *rows = r;
    *count = m;
    return TSH_OK;
}

tsh_status tsh_take_rows(tsh_tensor *src, tsh_tensor *idx, tsh_dtype dt, int nchan, const double *scale,
                         const double *shift, tsh_tensor **out)
{
    const char *op = "take_rows";
    if (src->storage->device.type != TSH_CPU)
        return tsh_fail(TSH_ERR_DEVICE, "%s: the source must be on the cpu (datasets live in host memory)", op);
    if (src->ndim < 1) return tsh_fail(TSH_ERR_SHAPE, "%s: the source must have at least 1 dim, got a scalar", op);
    if (nchan > 0 && !tsh_dtype_is_float(dt))
        return tsh_fail(TSH_ERR_DTYPE, "%s: scale and shift need a floating output dtype, got %s", op,
                        tsh_dtype_name(dt));
    if (nchan > TAKE_MAX_CHANNELS)
        return tsh_fail(TSH_ERR_ARG, "%s: at most %d per-channel values, got %d", op, TAKE_MAX_CHANNELS, nchan);
    if (nchan > 1 && (src->ndim < 3 || src->shape[src->ndim - 3] != nchan)) {
        char sb[128];
        return tsh_fail(TSH_ERR_SHAPE, "%s: %d per-channel values need rows of shape Cx...xHxW with C = %d at "
                        "dim -3, got rows of a %s tensor", op, nchan, nchan,
                        tsh_shape_str(sb, sizeof sb, src->ndim, src->shape));
    }
    int64_t *rows = NULL, count = 0;
    TSH_TRY(index_rows(op, idx, src->shape[0], &rows, &count));
    tsh_tensor *c = NULL, *o = NULL;
    /* The channel of an element is (its position in out / (H*W)) mod C:
     * right whether out's dim -3 is inside a row or is the row dim itself.
     * Without an affine map, a dtype change is a copy then a cast. */
    tsh_dtype gdt = nchan == 0 ? src->dtype : dt;
    int64_t shape[TSH_MAX_DIMS];
    memcpy(shape, src->shape, sizeof shape);
    shape[0] = count;
    tsh_status st = tsh_contiguous(src, &c);
    if (st == TSH_OK) st = tsh_tensor_empty(src->ndim, shape, gdt, src->storage->device, &o);
    float fs[TAKE_MAX_CHANNELS], fb[TAKE_MAX_CHANNELS];
    double *ds = NULL, *db = NULL;
    if (st == TSH_OK && nchan > 0) {
        ds = malloc((size_t)nchan * sizeof *ds);
        db = malloc((size_t)nchan * sizeof *db);
        if (!ds || !db) st = tsh_fail(TSH_ERR_OOM, "%s: out of memory", op);
        for (int i = 0; st == TSH_OK && i < nchan; i++) {
            ds[i] = scale[i];
            db[i] = shift[i];
            fs[i] = (float)scale[i];
            fb[i] = (float)shift[i];
        }
    }
    if (st == TSH_OK) {
        int64_t rowlen = src->shape[0] ? tsh_numel(src) / src->shape[0] : tsh_shape_numel(src->ndim - 1, src->shape + 1);
        int64_t chanlen = nchan > 1 ? src->shape[src->ndim - 2] * src->shape[src->ndim - 1] : (rowlen ? rowlen : 1);
        rows_job j = {src->dtype, gdt, tsh_data(c), tsh_data(o), rows, count, rowlen, chanlen ? chanlen : 1,
                      nchan, fs, fb, ds, db};
        if (rowlen > 0 && count > 0) run_rows(&j);
    }
    free(rows);
    free(ds);
    free(db);
    tsh_tensor_release(c);
    if (st == TSH_OK && gdt != dt) {
        tsh_tensor *cast;
        st = tsh_to_dtype(o, dt, &cast);
        tsh_tensor_release(o);
        o = st == TSH_OK ? cast : NULL;
    }
    if (st != TSH_OK) {
        tsh_tensor_release(o);
        return st;
    }
    *out = o;
    return TSH_OK;
}
