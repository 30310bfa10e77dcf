/* serialize_idx.c: LeCun's IDX format, in which (Fashion-)MNIST ships:
 * two zero bytes, a type code, the number of dims, each dim as a big-endian
 * uint32, then the big-endian data. Read through zlib's gzread, which also
 * reads uncompressed files as they are. The data is read into a buffer that
 * grows as bytes arrive (never beyond the declared size), so a header that
 * lies about its size cannot cause a huge allocation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "serialize.h"

static void free_buffer(void *ctx, void *data, size_t nbytes)
{
    (void)ctx;
    (void)nbytes;
    free(data);
}

static tsh_status idx_type(const char *path, int code, tsh_dtype *dt)
{
    switch (code) {
    case 0x08: *dt = TSH_U8; return TSH_OK;
    case 0x0C: *dt = TSH_I32; return TSH_OK;
    case 0x0D: *dt = TSH_F32; return TSH_OK;
    case 0x0E: *dt = TSH_F64; return TSH_OK;
    case 0x09:
    case 0x0B:
        return tsh_fail(TSH_ERR_DTYPE, "read_idx: '%s': IDX type 0x%02X (%s) is not supported (ubyte, int, "
                        "float and double are)", path, code, code == 0x09 ? "signed byte" : "short");
    default:
        return tsh_fail(TSH_ERR_IO, "read_idx: '%s' is not an IDX file: unknown type code 0x%02X", path, code);
    }
}

/* Reads exactly n bytes unless the file ends; returns the count or -1. */
static long long gz_read_full(gzFile g, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        unsigned step = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(g, p + got, step);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long long)got;
}

tsh_status tsh_load_idx(const char *path, tsh_tensor **out)
{
    const char *op = "read_idx";
    gzFile g = gzopen(path, "rb");
    if (!g) return tsh_fail(TSH_ERR_IO, "%s: cannot open '%s': %s", op, path, errno ? strerror(errno) : "error");
    gzbuffer(g, 1 << 17);
    unsigned char head[4 + 4 * TSH_MAX_DIMS];
    tsh_status st = TSH_OK;
    tsh_dtype dt = TSH_U8;
    int ndim = 0;
    int64_t shape[TSH_MAX_DIMS];
    unsigned char *buf = NULL;
    uint64_t need = 0, have = 0;
    long long r = gz_read_full(g, head, 4);
    if (r < 0) {
        int zerr;
        st = tsh_fail(TSH_ERR_IO, "%s: '%s': %s", op, path, gzerror(g, &zerr));
        goto done;
    }
    if (r < 4 || head[0] != 0 || head[1] != 0) {
        st = tsh_fail(TSH_ERR_IO, "%s: '%s' is not an IDX file (bad magic number)", op, path);
        goto done;
    }
    st = idx_type(path, head[2], &dt);
    if (st != TSH_OK) goto done;
    ndim = head[3];
    if (ndim < 1 || ndim > TSH_MAX_DIMS) {
        st = tsh_fail(TSH_ERR_IO, "%s: '%s': %d dimensions in the header (expected 1..%d)", op, path, ndim,
                      TSH_MAX_DIMS);
        goto done;
    }
    if (gz_read_full(g, head + 4, 4 * (size_t)ndim) != 4 * ndim) {
        st = tsh_fail(TSH_ERR_IO, "%s: '%s' is truncated in its header", op, path);
        goto done;
    }
    for (int d = 0; d < ndim; d++) {
        const unsigned char *p = head + 4 + 4 * d;
        shape[d] = (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    }
    st = tsh_checked_nbytes(op, ndim, shape, dt, &need);
    if (st != TSH_OK) goto done;
    /* Grow the buffer as data arrives: at most twice what the file holds. */
    size_t cap = 0;
    for (;;) {
        if (have == cap) {
            if (have > need) break;
            size_t nc = cap ? cap * 2 : (size_t)1 << 20;
            if (nc > need + 1) nc = (size_t)need + 1; /* one byte more shows trailing data */
            unsigned char *nb = realloc(buf, nc ? nc : 1);
            if (!nb) {
                st = tsh_fail(TSH_ERR_OOM, "%s: out of memory reading '%s'", op, path);
                goto done;
            }
            buf = nb;
            cap = nc;
            if (have == cap) break;
        }
        long long k = gz_read_full(g, buf + have, cap - have);
        if (k < 0) {
            int zerr;
            st = tsh_fail(TSH_ERR_IO, "%s: '%s': %s", op, path, gzerror(g, &zerr));
            goto done;
        }
        have += (uint64_t)k;
        if (have < cap) break; /* end of file */
        if (tsh_interrupt_flag) {
            st = tsh_fail(TSH_ERR_INTERRUPT, "%s: interrupted", op);
            goto done;
        }
    }
    if (have != need) {
        char sb[128];
        st = tsh_fail(TSH_ERR_IO, "%s: '%s': the header declares %s %s (%llu bytes of data) but the file holds "
                      "%s%llu bytes", op, path, tsh_shape_str(sb, sizeof sb, ndim, shape), tsh_dtype_name(dt),
                      (unsigned long long)need, have > need ? "more than " : "", (unsigned long long)(have > need ? need : have));
        goto done;
    }
    {
        tsh_tensor *t;
        st = tsh_tensor_wrap(buf, need ? (size_t)need : 1, ndim, shape, dt, free_buffer, NULL, &t);
        if (st != TSH_OK) goto done;
        buf = NULL; /* owned by the tensor now */
        /* IDX is big-endian */
        size_t es = tsh_dtype_size(dt);
        if (es > 1) {
            unsigned char *b = (unsigned char *)tsh_data(t);
            for (uint64_t i = 0; i + es <= need; i += es)
                for (size_t k = 0; k < es / 2; k++) {
                    unsigned char c = b[i + k];
                    b[i + k] = b[i + es - 1 - k];
                    b[i + es - 1 - k] = c;
                }
        }
        *out = t;
    }
done:
    free(buf);
    gzclose(g);
    return st;
}
