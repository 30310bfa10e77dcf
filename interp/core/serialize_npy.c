/* serialize_npy.c: numpy's .npy (format versions 1.0, 2.0 and 3.0: magic,
 * version, header length, a Python dict literal, raw data) and .npz (a zip
 * of name.npy members; read stored or deflated through zlib, written
 * stored). Fortran-ordered arrays are read into C order. Big-endian
 * ('>f4') files are byte-swapped on read; files are written little-endian. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "serialize.h"

#define NPY_MAX_HEADER (1u << 20)

static const struct { const char *code; tsh_dtype dt; } npy_dtypes[] = {
    {"f4", TSH_F32}, {"f8", TSH_F64}, {"f2", TSH_F16}, {"i8", TSH_I64},
    {"i4", TSH_I32}, {"u1", TSH_U8}, {"b1", TSH_BOOL},
};

/* ---- the header: a Python dict literal ---- */

typedef struct {
    tsh_dtype dt;
    bool swap, fortran;
    int ndim;
    int64_t shape[TSH_MAX_DIMS];
} npy_info;

typedef struct {
    const char *p, *end;
    const char *err;
} lit;

static void lit_ws(lit *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static bool lit_char(lit *s, char c)
{
    lit_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes (numpy never writes any in these
 * keys and dtype codes); copies at most cap-1 bytes. */
static bool lit_string(lit *s, char *out, size_t cap)
{
    lit_ws(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"')) return false;
    char q = *s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != q) {
        if (*s->p == '\\' || n + 1 >= cap) return false;
        out[n++] = *s->p++;
    }
    if (s->p >= s->end) return false;
    s->p++;
    out[n] = 0;
    return true;
}

static bool lit_word(lit *s, const char *w)
{
    lit_ws(s);
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0) return false;
    s->p += n;
    return true;
}

static bool lit_shape(lit *s, npy_info *info)
{
    if (!lit_char(s, '(')) return false;
    info->ndim = 0;
    for (;;) {
        if (lit_char(s, ')')) return true;
        lit_ws(s);
        if (s->p >= s->end || *s->p < '0' || *s->p > '9') return false;
        int64_t v = 0;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (v > (INT64_MAX - 9) / 10) return false;
            v = v * 10 + (*s->p++ - '0');
        }
        if (s->p < s->end && *s->p == 'L') s->p++; /* Python 2 longs */
        if (info->ndim == TSH_MAX_DIMS) {
            s->err = "more dimensions than tensh supports (8)";
            return false;
        }
        info->shape[info->ndim++] = v;
        if (lit_char(s, ',')) continue;
        return lit_char(s, ')');
    }
}

static tsh_status parse_descr(const char *path, const char *d, npy_info *info)
{
    char order = d[0];
    const char *code = d + 1;
    if (order != '<' && order != '>' && order != '|' && order != '=') {
        order = '=';
        code = d;
    }
    for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++)
        if (strcmp(code, npy_dtypes[i].code) == 0) {
            info->dt = npy_dtypes[i].dt;
            info->swap = order == '>' && tsh_dtype_size(info->dt) > 1;
            return TSH_OK;
        }
    return tsh_fail(TSH_ERR_DTYPE, "load: '%s': numpy dtype '%s' is not supported (tensh reads <f4 <f8 <f2 "
                    "<i8 <i4 |u1 |b1, either byte order)", path, d);
}

/* Parses the header in buf[0..n) (the whole file or a prefix of it). */
static tsh_status npy_parse(const char *path, const unsigned char *buf, size_t n, npy_info *info,
                            size_t *data_off)
{
    if (n < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return tsh_fail(TSH_ERR_IO, "load: '%s' is not a .npy file (bad magic)", path);
    int major = buf[6];
    size_t hlen, start;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (n < 12) return tsh_fail(TSH_ERR_IO, "load: '%s' is truncated in its header", path);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    } else {
        return tsh_fail(TSH_ERR_IO, "load: '%s': .npy format version %d.%d is not supported (1.0, 2.0, 3.0)",
                        path, major, buf[7]);
    }
    if (hlen > NPY_MAX_HEADER || start + hlen > n)
        return tsh_fail(TSH_ERR_IO, "load: '%s': .npy header length %zu runs past the end of the file", path, hlen);
    lit s = {(const char *)buf + start, (const char *)buf + start + hlen, NULL};
    bool have_descr = false, have_order = false, have_shape = false;
    char key[32], descr[32];
    if (!lit_char(&s, '{')) goto bad;
    for (;;) {
        if (lit_char(&s, '}')) break;
        if (!lit_string(&s, key, sizeof key) || !lit_char(&s, ':')) goto bad;
        if (strcmp(key, "descr") == 0) {
            lit_ws(&s);
            if (s.p < s.end && *s.p == '[')
                return tsh_fail(TSH_ERR_DTYPE, "load: '%s': structured numpy dtypes are not supported", path);
            if (!lit_string(&s, descr, sizeof descr)) goto bad;
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (lit_word(&s, "True")) info->fortran = true;
            else if (lit_word(&s, "False")) info->fortran = false;
            else goto bad;
            have_order = true;
        } else if (strcmp(key, "shape") == 0) {
            if (!lit_shape(&s, info)) goto bad;
            have_shape = true;
        } else {
            return tsh_fail(TSH_ERR_IO, "load: '%s': unexpected key '%s' in the .npy header", path, key);
        }
        if (lit_char(&s, ',')) continue;
        if (lit_char(&s, '}')) break;
        goto bad;
    }
    if (!have_descr || !have_order || !have_shape)
        return tsh_fail(TSH_ERR_IO, "load: '%s': the .npy header lacks '%s'", path,
                        !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    TSH_TRY(parse_descr(path, descr, info));
    *data_off = start + hlen;
    return TSH_OK;
bad:
    return tsh_fail(TSH_ERR_IO, "load: '%s': cannot read the .npy header%s%s", path, s.err ? ": " : "",
                    s.err ? s.err : " (expected a dict with descr, fortran_order and shape)");
}

/* A Fortran-ordered array arrives as its transpose in C order: reverse
 * the dims of the C-order tensor read with reversed shape, then copy. */
static tsh_status from_fortran(tsh_tensor **t)
{
    tsh_tensor *in = *t, *v, *c;
    int dims[TSH_MAX_DIMS];
    for (int d = 0; d < in->ndim; d++) dims[d] = in->ndim - 1 - d;
    TSH_TRY(tsh_permute(in, dims, &v));
    tsh_status st = tsh_clone(v, &c);
    tsh_tensor_release(v);
    if (st != TSH_OK) return st;
    tsh_tensor_release(in);
    *t = c;
    return TSH_OK;
}

static void reversed(const npy_info *info, int64_t *shape)
{
    for (int d = 0; d < info->ndim; d++)
        shape[d] = info->fortran ? info->shape[info->ndim - 1 - d] : info->shape[d];
}

static tsh_status npy_check_size(const char *path, const npy_info *info, uint64_t have)
{
    uint64_t need;
    TSH_TRY(tsh_checked_nbytes("load", info->ndim, info->shape, info->dt, &need));
    if (need != have) {
        char sb[128];
        return tsh_fail(TSH_ERR_IO, "load: '%s': shape %s of %s needs %llu bytes of data, the file holds %llu",
                        path, tsh_shape_str(sb, sizeof sb, info->ndim, info->shape), tsh_dtype_name(info->dt),
                        (unsigned long long)need, (unsigned long long)have);
    }
    return TSH_OK;
}

tsh_status tsh_load_npy(const char *path, tsh_tensor **out)
{
    tsh_rfile r;
    TSH_TRY(tsh_rfile_open(&r, "load", path));
    size_t pre = r.size < 12 + NPY_MAX_HEADER ? (size_t)r.size : 12 + NPY_MAX_HEADER;
    unsigned char *buf = malloc(pre ? pre : 1);
    tsh_status st = buf ? tsh_rfile_read(&r, 0, buf, pre) : tsh_fail(TSH_ERR_OOM, "load: out of memory");
    npy_info info = {0};
    size_t off = 0;
    if (st == TSH_OK) st = npy_parse(path, buf, pre, &info, &off);
    free(buf);
    if (st == TSH_OK) st = npy_check_size(path, &info, r.size - off);
    tsh_tensor *t = NULL;
    int64_t shape[TSH_MAX_DIMS];
    reversed(&info, shape);
    if (st == TSH_OK) st = tsh_rfile_tensor(&r, off, info.ndim, shape, info.dt, info.swap, &t);
    tsh_rfile_close(&r);
    if (st == TSH_OK && info.fortran) st = from_fortran(&t);
    if (st != TSH_OK) {
        tsh_tensor_release(t);
        return st;
    }
    *out = t;
    return TSH_OK;
}

static tsh_status npy_from_buffer(const char *path, const unsigned char *buf, size_t n, tsh_tensor **out)
{
    npy_info info = {0};
    size_t off;
    TSH_TRY(npy_parse(path, buf, n, &info, &off));
    TSH_TRY(npy_check_size(path, &info, n - off));
    int64_t shape[TSH_MAX_DIMS];
    reversed(&info, shape);
    tsh_tensor *t;
    TSH_TRY(tsh_tensor_from_bytes(info.ndim, shape, info.dt, buf + off, n - off, info.swap, &t));
    if (info.fortran) {
        tsh_status st = from_fortran(&t);
        if (st != TSH_OK) {
            tsh_tensor_release(t);
            return st;
        }
    }
    *out = t;
    return TSH_OK;
}

/* ---- writing .npy ---- */

/* The header (magic through the newline) for t, padded so that the data
 * starts 64-byte aligned, as numpy does. Returns its length, 0 on error. */
static size_t npy_header(const char *op, tsh_tensor *t, char *h, size_t cap)
{
    const char *code = NULL;
    for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++)
        if (npy_dtypes[i].dt == t->dtype) code = npy_dtypes[i].code;
    if (!code) {
        tsh_fail(TSH_ERR_DTYPE, "%s: numpy has no %s dtype (convert with :float() first)", op,
                 tsh_dtype_name(t->dtype));
        return 0;
    }
    char shape[256];
    size_t k = 0;
    shape[0] = 0;
    for (int d = 0; d < t->ndim; d++)
        k += (size_t)snprintf(shape + k, sizeof shape - k, "%lld,%s", (long long)t->shape[d],
                              d + 1 < t->ndim ? " " : "");
    if (t->ndim > 1) shape[k - 1] = 0; /* "(2, 3)", but "(3,)" for one dim */
    int n = snprintf(h + 10, cap - 10, "{'descr': '%c%s', 'fortran_order': False, 'shape': (%s), }",
                     tsh_dtype_size(t->dtype) == 1 ? '|' : '<', code, shape);
    size_t total = 10 + (size_t)n + 1;
    size_t padded = (total + 63) / 64 * 64;
    if (padded > cap) return 0;
    memset(h + 10 + n, ' ', padded - total);
    h[padded - 1] = '\n';
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    h[8] = (char)((padded - 10) & 0xff);
    h[9] = (char)((padded - 10) >> 8);
    return padded;
}

tsh_status tsh_save_npy(const char *path, tsh_tensor *t)
{
    if (t->storage->device.type != TSH_CPU)
        return tsh_fail(TSH_ERR_DEVICE, "save: the tensor is not on the cpu (move it with :cpu())");
    char h[512];
    size_t hn = npy_header("save", t, h, sizeof h);
    if (!hn) return TSH_ERR_DTYPE;
    tsh_atomic_file af;
    TSH_TRY(tsh_atomic_open(&af, "save", path));
    tsh_atomic_write(&af, h, hn);
    tsh_atomic_write_tensor(&af, t);
    return tsh_atomic_commit(&af);
}

/* ---- .npz: the zip container ---- */

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static void wr16(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void wr32(unsigned char *p, uint32_t v) { wr16(p, v & 0xffff); wr16(p + 2, v >> 16); }

#define NPZ_BAD(...) tsh_fail(TSH_ERR_IO, "load: '%s' is not a valid .npz file: " __VA_ARGS__)

/* Finds the central directory: its offset, size and entry count. */
static tsh_status zip_find_cd(tsh_rfile *r, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count)
{
    const char *path = r->path;
    size_t tail = r->size < 65557 ? (size_t)r->size : 65557;
    if (tail < 22) return NPZ_BAD("too short", path);
    unsigned char *b = malloc(tail);
    if (!b) return tsh_fail(TSH_ERR_OOM, "load: out of memory");
    tsh_status st = tsh_rfile_read(r, r->size - tail, b, tail);
    long e = -1;
    for (long i = (long)tail - 22; st == TSH_OK && i >= 0 && e < 0; i--)
        if (memcmp(b + i, "PK\x05\x06", 4) == 0) e = i;
    if (st == TSH_OK && e < 0) st = NPZ_BAD("no end of central directory", path);
    if (st == TSH_OK) {
        *count = rd16(b + e + 10);
        *cd_size = rd32(b + e + 12);
        *cd_off = rd32(b + e + 16);
        uint64_t eocd = r->size - tail + (uint64_t)e;
        if ((*count == 0xffff || *cd_size == 0xffffffffu || *cd_off == 0xffffffffu) && eocd >= 20) {
            unsigned char loc[20], z[56];
            st = tsh_rfile_read(r, eocd - 20, loc, 20);
            if (st == TSH_OK && memcmp(loc, "PK\x06\x07", 4) == 0) {
                st = tsh_rfile_read(r, rd64(loc + 8), z, 56);
                if (st == TSH_OK && memcmp(z, "PK\x06\x06", 4) != 0) st = NPZ_BAD("bad zip64 record", path);
                if (st == TSH_OK) {
                    *count = rd64(z + 32);
                    *cd_size = rd64(z + 40);
                    *cd_off = rd64(z + 48);
                }
            }
        }
    }
    free(b);
    if (st == TSH_OK && (*cd_off > r->size || *cd_size > r->size - *cd_off))
        st = NPZ_BAD("the central directory lies outside the file", path);
    return st;
}

/* Reads (and inflates) one member into a new buffer of usize bytes and
 * checks its CRC. */
static tsh_status zip_member(tsh_rfile *r, const char *name, unsigned method, uint32_t crc, uint64_t csize,
                             uint64_t usize, uint64_t lh_off, unsigned char **out)
{
    const char *path = r->path;
    unsigned char lh[30];
    TSH_TRY(tsh_rfile_read(r, lh_off, lh, 30));
    if (memcmp(lh, "PK\x03\x04", 4) != 0) return NPZ_BAD("member '%s' has a bad local header", path, name);
    uint64_t data = lh_off + 30 + rd16(lh + 26) + rd16(lh + 28);
    if (data > r->size || csize > r->size - data) return NPZ_BAD("member '%s' is truncated", path, name);
    /* Before anything is read: the buffers below are sized for these two. */
    if (method != 0 && method != 8)
        return tsh_fail(TSH_ERR_IO, "load: '%s': member '%s' uses zip compression method %u (tensh reads stored "
                        "and deflated members)", path, name, method);
    /* Deflate expands at most ~1032:1; a larger claim is a lie, refused
     * before anything is allocated. */
    if ((method == 0 && usize != csize) || (method == 8 && usize > csize * 1032 + 1024))
        return NPZ_BAD("member '%s' claims %llu bytes from %llu", path, name, (unsigned long long)usize,
                       (unsigned long long)csize);
    unsigned char *ubuf = malloc(usize ? usize : 1);
    unsigned char *cbuf = method == 8 ? malloc(csize ? csize : 1) : ubuf;
    if (!ubuf || !cbuf) {
        free(ubuf);
        if (cbuf != ubuf) free(cbuf);
        return tsh_fail(TSH_ERR_OOM, "load: out of memory");
    }
    tsh_status st = tsh_rfile_read(r, data, cbuf, csize);
    if (st == TSH_OK && method == 8) {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        int zr = inflateInit2(&zs, -15);
        if (zr == Z_OK) {
            uint64_t done_in = 0, done_out = 0;
            do { /* uInt is 32 bits: feed at most 1 GiB a step */
                uint64_t in_left = csize - done_in, out_left = usize - done_out;
                zs.next_in = cbuf + done_in;
                zs.avail_in = (uInt)(in_left < (1u << 30) ? in_left : (1u << 30));
                zs.next_out = ubuf + done_out;
                zs.avail_out = (uInt)(out_left < (1u << 30) ? out_left : (1u << 30));
                uInt ai = zs.avail_in, ao = zs.avail_out;
                zr = inflate(&zs, Z_NO_FLUSH);
                done_in += ai - zs.avail_in;
                done_out += ao - zs.avail_out;
                if (zr == Z_OK && ai == zs.avail_in && ao == zs.avail_out) zr = Z_DATA_ERROR;
            } while (zr == Z_OK);
            inflateEnd(&zs);
            if (zr != Z_STREAM_END || done_out != usize) zr = Z_DATA_ERROR;
        }
        if (zr != Z_STREAM_END) st = NPZ_BAD("member '%s' does not inflate to its size", path, name);
    }
    if (cbuf != ubuf) free(cbuf);
    if (st == TSH_OK) {
        uLong c = crc32(0L, Z_NULL, 0);
        for (uint64_t o = 0; o < usize; o += 1u << 30)
            c = crc32(c, ubuf + o, (uInt)(usize - o < (1u << 30) ? usize - o : (1u << 30)));
        if ((uint32_t)c != crc) st = NPZ_BAD("member '%s' fails its CRC check", path, name);
    }
    if (st != TSH_OK) {
        free(ubuf);
        return st;
    }
    *out = ubuf;
    return TSH_OK;
}

/* Walks the central directory, loading every member. */
static tsh_status npz_entries(tsh_rfile *r, const unsigned char *cd, uint64_t cd_size, uint64_t count,
                              tsh_tensor_list *out)
{
    const char *path = r->path;
    uint64_t p = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (cd_size - p < 46 || memcmp(cd + p, "PK\x01\x02", 4) != 0)
            return NPZ_BAD("bad central directory entry %llu", path, (unsigned long long)i + 1);
        const unsigned char *e = cd + p;
        unsigned flags = rd16(e + 8), method = rd16(e + 10);
        uint32_t crc = rd32(e + 16);
        uint64_t csize = rd32(e + 20), usize = rd32(e + 24), lh = rd32(e + 42);
        size_t nlen = rd16(e + 28), xlen = rd16(e + 30), clen = rd16(e + 32);
        if (cd_size - p < 46 + nlen + xlen + clen)
            return NPZ_BAD("bad central directory entry %llu", path, (unsigned long long)i + 1);
        char name[1024];
        if (nlen >= sizeof name || nlen == 0) return NPZ_BAD("member name of %zu bytes", path, nlen);
        memcpy(name, e + 46, nlen);
        name[nlen] = 0;
        if (strlen(name) != nlen) return NPZ_BAD("a member name holds a NUL byte", path);
        /* zip64 sizes and offset, for the fields that overflowed */
        const unsigned char *x = e + 46 + nlen, *xend = x + xlen;
        while (xend - x >= 4) {
            unsigned id = rd16(x), sz = rd16(x + 2);
            if ((size_t)(xend - x - 4) < sz) break;
            if (id == 1) {
                const unsigned char *f = x + 4, *fend = f + sz;
                if (usize == 0xffffffffu && fend - f >= 8) { usize = rd64(f); f += 8; }
                if (csize == 0xffffffffu && fend - f >= 8) { csize = rd64(f); f += 8; }
                if (lh == 0xffffffffu && fend - f >= 8) { lh = rd64(f); f += 8; }
            }
            x += 4 + sz;
        }
        p += 46 + nlen + xlen + clen;
        if (flags & 1) return tsh_fail(TSH_ERR_IO, "load: '%s': member '%s' is encrypted", path, name);
        if (nlen < 4 || strcmp(name + nlen - 4, ".npy") != 0)
            return tsh_fail(TSH_ERR_IO, "load: '%s': member '%s' is not a .npy array", path, name);
        unsigned char *buf = NULL;
        TSH_TRY(zip_member(r, name, method, crc, csize, usize, lh, &buf));
        tsh_tensor *t = NULL;
        char where[1200];
        snprintf(where, sizeof where, "%s:%s", path, name);
        tsh_status st = npy_from_buffer(where, buf, usize, &t);
        free(buf);
        if (st != TSH_OK) return st;
        name[nlen - 4] = 0;
        st = tsh_tensor_list_add(out, name, t);
        tsh_tensor_release(t);
        if (st != TSH_OK) return tsh_fail(TSH_ERR_IO, "load: '%s': array '%s' appears twice", path, name);
        TSH_TRY(tsh_check_interrupt());
    }
    return TSH_OK;
}

tsh_status tsh_load_npz(const char *path, tsh_tensor_list *out)
{
    tsh_rfile r;
    TSH_TRY(tsh_rfile_open(&r, "load", path));
    tsh_tensor_list_init(out);
    uint64_t cd_off = 0, cd_size = 0, count = 0;
    unsigned char *cd = NULL;
    tsh_status st = zip_find_cd(&r, &cd_off, &cd_size, &count);
    if (st == TSH_OK && count > cd_size / 46 + 1) st = NPZ_BAD("entry count %llu does not fit the directory", path,
                                                               (unsigned long long)count);
    if (st == TSH_OK) {
        cd = malloc(cd_size ? cd_size : 1);
        st = cd ? tsh_rfile_read(&r, cd_off, cd, cd_size) : tsh_fail(TSH_ERR_OOM, "load: out of memory");
    }
    if (st == TSH_OK) st = npz_entries(&r, cd, cd_size, count, out);
    free(cd);
    tsh_rfile_close(&r);
    if (st != TSH_OK) tsh_tensor_list_free(out);
    return st;
}

/* The CRC-32 of t's bytes in C order (needed before its local header). */
static tsh_status tensor_crc(tsh_tensor *t, uint32_t *crc)
{
    tsh_tensor *c;
    TSH_TRY(tsh_contiguous(t, &c));
    uint64_t n = (uint64_t)tsh_numel(c) * tsh_dtype_size(c->dtype);
    const unsigned char *p = (const unsigned char *)tsh_data(c);
    uLong v = crc32(0L, Z_NULL, 0);
    for (uint64_t o = 0; o < n; o += 1u << 30) v = crc32(v, p + o, (uInt)(n - o < (1u << 30) ? n - o : (1u << 30)));
    tsh_tensor_release(c);
    *crc = (uint32_t)v;
    return TSH_OK;
}

tsh_status tsh_save_npz(const char *path, const tsh_tensor_list *l)
{
    const char *op = "save";
    if (l->n > 0xfffe) return tsh_fail(TSH_ERR_ARG, "%s: .npz holds at most 65534 arrays here", op);
    uint64_t total = 0;
    for (int i = 0; i < l->n; i++) {
        tsh_tensor *t = l->ts[i];
        if (t->storage->device.type != TSH_CPU)
            return tsh_fail(TSH_ERR_DEVICE, "%s: tensor '%s' is not on the cpu (move it with :cpu())", op, l->names[i]);
        char h[512];
        if (!npy_header(op, t, h, sizeof h))
            return tsh_fail(TSH_ERR_DTYPE, "%s: tensor '%s': numpy has no %s dtype (convert with :float() first)",
                            op, l->names[i], tsh_dtype_name(t->dtype));
        if (strlen(l->names[i]) + 4 >= 1024) return tsh_fail(TSH_ERR_ARG, "%s: name '%.40s...' is too long", op, l->names[i]);
        total += 30 + 46 + 2 * (strlen(l->names[i]) + 4) + 512 + (uint64_t)tsh_numel(t) * tsh_dtype_size(t->dtype);
    }
    if (total >= 0xffffffffu)
        return tsh_fail(TSH_ERR_ARG, "%s: .npz files over 4 GiB are not supported (save as .safetensors)", op);
    uint32_t *crcs = calloc((size_t)(l->n ? l->n : 1), sizeof *crcs);
    uint32_t *offs = calloc((size_t)(l->n ? l->n : 1), sizeof *offs);
    uint32_t *sizes = calloc((size_t)(l->n ? l->n : 1), sizeof *sizes);
    if (!crcs || !offs || !sizes) {
        free(crcs); free(offs); free(sizes);
        return tsh_fail(TSH_ERR_OOM, "%s: out of memory", op);
    }
    tsh_atomic_file af;
    tsh_status st = tsh_atomic_open(&af, op, path);
    if (st != TSH_OK) {
        free(crcs); free(offs); free(sizes);
        return st;
    }
    for (int i = 0; i < l->n && st == TSH_OK; i++) {
        tsh_tensor *t = l->ts[i];
        char h[512];
        size_t hn = npy_header(op, t, h, sizeof h);
        uint32_t dcrc;
        st = tensor_crc(t, &dcrc);
        if (st != TSH_OK) break;
        /* crc32 of header then data, combined without a second pass */
        uint64_t dn = (uint64_t)tsh_numel(t) * tsh_dtype_size(t->dtype);
        uLong hc = crc32(0L, (const Bytef *)h, (uInt)hn);
        crcs[i] = (uint32_t)crc32_combine(hc, dcrc, (z_off_t)dn);
        sizes[i] = (uint32_t)(hn + dn);
        offs[i] = (uint32_t)af.written;
        size_t nlen = strlen(l->names[i]) + 4;
        unsigned char lh[30] = {'P', 'K', 3, 4};
        wr16(lh + 4, 20);                 /* version needed */
        wr16(lh + 12, 0x21);              /* 1980-01-01 */
        wr32(lh + 14, crcs[i]);
        wr32(lh + 18, sizes[i]);
        wr32(lh + 22, sizes[i]);
        wr16(lh + 26, (uint32_t)nlen);
        tsh_atomic_write(&af, lh, 30);
        tsh_atomic_write(&af, l->names[i], nlen - 4);
        tsh_atomic_write(&af, ".npy", 4);
        tsh_atomic_write(&af, h, hn);
        tsh_atomic_write_tensor(&af, t);
    }
    uint32_t cd_off = (uint32_t)af.written;
    for (int i = 0; i < l->n && st == TSH_OK; i++) {
        size_t nlen = strlen(l->names[i]) + 4;
        unsigned char ce[46] = {'P', 'K', 1, 2};
        wr16(ce + 4, 20);                 /* made by */
        wr16(ce + 6, 20);                 /* version needed */
        wr16(ce + 14, 0x21);
        wr32(ce + 16, crcs[i]);
        wr32(ce + 20, sizes[i]);
        wr32(ce + 24, sizes[i]);
        wr16(ce + 28, (uint32_t)nlen);
        wr32(ce + 38, 0644u << 16);       /* external attributes: a plain file */
        wr32(ce + 42, offs[i]);
        tsh_atomic_write(&af, ce, 46);
        tsh_atomic_write(&af, l->names[i], nlen - 4);
        tsh_atomic_write(&af, ".npy", 4);
    }
    unsigned char eocd[22] = {'P', 'K', 5, 6};
    wr16(eocd + 8, (uint32_t)l->n);
    wr16(eocd + 10, (uint32_t)l->n);
    wr32(eocd + 12, (uint32_t)af.written - cd_off);
    wr32(eocd + 16, cd_off);
    tsh_atomic_write(&af, eocd, 22);
    free(crcs);
    free(offs);
    free(sizes);
    if (st != TSH_OK) {
        tsh_atomic_abort(&af);
        return st;
    }
    return tsh_atomic_commit(&af);
}
