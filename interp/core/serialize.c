/* serialize.c: what every file format shares: the named tensor list, format
 * detection, the atomic writer (temp file in the same directory, fsync,
 * rename) and checked conversions between raw bytes and tensors. The
 * formats themselves are serialize_st.c (safetensors), serialize_npy.c
 * (.npy/.npz) and serialize_idx.c (IDX); the JSON reader is serialize_json.c. */
#include "serialize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "serialize: the file formats are little-endian and so is the host this code assumes"
#endif

/* ---- the named list ---- */

void tsh_tensor_list_init(tsh_tensor_list *l) { memset(l, 0, sizeof *l); }

void tsh_tensor_list_free(tsh_tensor_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->names[i]);
        tsh_tensor_release(l->ts[i]);
    }
    for (int i = 0; i < l->nmeta; i++) {
        free(l->meta_keys[i]);
        free(l->meta_vals[i]);
    }
    free(l->names);
    free(l->ts);
    free(l->meta_keys);
    free(l->meta_vals);
    memset(l, 0, sizeof *l);
}

/* Grows two parallel pointer arrays to hold one more entry. */
static bool grow2(int n, int *cap, void ***a, void ***b)
{
    if (n < *cap) return true;
    int nc = *cap ? *cap * 2 : 8;
    void **na = realloc(*a, (size_t)nc * sizeof *na);
    if (!na) return false;
    *a = na;
    void **nb = realloc(*b, (size_t)nc * sizeof *nb);
    if (!nb) return false;
    *b = nb;
    *cap = nc;
    return true;
}

tsh_status tsh_tensor_list_add(tsh_tensor_list *l, const char *name, tsh_tensor *t)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return tsh_fail(TSH_ERR_ARG, "duplicate tensor name '%s'", name);
    if (!grow2(l->n, &l->cap, (void ***)&l->names, (void ***)&l->ts))
        return tsh_fail(TSH_ERR_OOM, "out of memory");
    char *s = strdup(name);
    if (!s) return tsh_fail(TSH_ERR_OOM, "out of memory");
    l->names[l->n] = s;
    l->ts[l->n] = tsh_tensor_retain(t);
    l->n++;
    return TSH_OK;
}

tsh_status tsh_tensor_list_add_meta(tsh_tensor_list *l, const char *key, const char *val)
{
    for (int i = 0; i < l->nmeta; i++)
        if (strcmp(l->meta_keys[i], key) == 0)
            return tsh_fail(TSH_ERR_ARG, "duplicate metadata key '%s'", key);
    if (!grow2(l->nmeta, &l->metacap, (void ***)&l->meta_keys, (void ***)&l->meta_vals))
        return tsh_fail(TSH_ERR_OOM, "out of memory");
    char *k = strdup(key), *v = strdup(val);
    if (!k || !v) {
        free(k);
        free(v);
        return tsh_fail(TSH_ERR_OOM, "out of memory");
    }
    l->meta_keys[l->nmeta] = k;
    l->meta_vals[l->nmeta] = v;
    l->nmeta++;
    return TSH_OK;
}

/* ---- formats ---- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

tsh_file_format tsh_format_from_path(const char *path)
{
    if (ends_with(path, ".npy")) return TSH_FMT_NPY;
    if (ends_with(path, ".npz")) return TSH_FMT_NPZ;
    return TSH_FMT_SAFETENSORS;
}

tsh_file_format tsh_format_sniff(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return TSH_FMT_AUTO;
    unsigned char b[8] = {0};
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0) return TSH_FMT_NPY;
    if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0) return TSH_FMT_NPZ;
    if (n >= 4 && memcmp(b, "PK\x05\x06", 4) == 0) return TSH_FMT_NPZ; /* an empty zip */
    return TSH_FMT_AUTO; /* safetensors has no magic: the caller goes by the name */
}

/* ---- the atomic writer ---- */

tsh_status tsh_atomic_open(tsh_atomic_file *af, const char *op, const char *path)
{
    memset(af, 0, sizeof *af);
    af->op = op;
    size_t n = strlen(path);
    if (n == 0) return tsh_fail(TSH_ERR_ARG, "%s: empty file name", op);
    if (path[n - 1] == '/') return tsh_fail(TSH_ERR_ARG, "%s: '%s' names a directory", op, path);
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return tsh_fail(TSH_ERR_IO, "%s: '%s' is a directory", op, path);
    /* The temporary file lives in the target's directory, so that the final
     * rename is atomic (same file system) and never copies. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    static const char suffix[] = ".tensh-save-XXXXXX";
    af->path = strdup(path);
    af->tmp = malloc(dirlen + sizeof suffix);
    if (!af->path || !af->tmp) {
        free(af->path);
        free(af->tmp);
        return tsh_fail(TSH_ERR_OOM, "out of memory");
    }
    memcpy(af->tmp, path, dirlen);
    memcpy(af->tmp + dirlen, suffix, sizeof suffix);
    int fd = mkstemp(af->tmp);
    if (fd < 0) {
        int e = errno;
        free(af->path);
        free(af->tmp);
        af->path = af->tmp = NULL;
        return tsh_fail(TSH_ERR_IO, "%s: cannot create a file in the directory of '%s': %s", op, path,
                        strerror(e));
    }
    /* mkstemp makes the file 0600: give it the mode the old file had, or
     * what open() would have given a new one. */
    mode_t mode;
    if (exists) {
        mode = st.st_mode & 07777;
    } else {
        mode_t um = umask(0);
        umask(um);
        mode = 0666 & ~um;
    }
    if (fchmod(fd, mode) != 0) { /* not fatal: the data is what matters */ }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        int e = errno;
        close(fd);
        unlink(af->tmp);
        free(af->path);
        free(af->tmp);
        af->path = af->tmp = NULL;
        return tsh_fail(TSH_ERR_IO, "%s: cannot open '%s': %s", op, path, strerror(e));
    }
    return TSH_OK;
}

void tsh_atomic_write(tsh_atomic_file *af, const void *p, size_t n)
{
    if (af->err || n == 0) return;
    if (tsh_interrupt_flag) {
        af->err = -1;
        return;
    }
    if (fwrite(p, 1, n, af->f) != n) af->err = errno ? errno : EIO;
    else af->written += (long long)n;
}

void tsh_atomic_abort(tsh_atomic_file *af)
{
    if (af->f) fclose(af->f);
    if (af->tmp) unlink(af->tmp);
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
}

tsh_status tsh_atomic_commit(tsh_atomic_file *af)
{
    if (!af->err && fflush(af->f) != 0) af->err = errno ? errno : EIO;
    if (!af->err && fsync(fileno(af->f)) != 0) af->err = errno ? errno : EIO;
    if (!af->err && tsh_interrupt_flag) af->err = -1;
    if (af->err) {
        int e = af->err;
        const char *op = af->op;
        char *path = strdup(af->path);
        tsh_atomic_abort(af);
        tsh_status st = e == -1
            ? tsh_fail(TSH_ERR_INTERRUPT, "%s: interrupted; '%s' was left as it was", op, path ? path : "?")
            : tsh_fail(TSH_ERR_IO, "%s: writing '%s' failed: %s (the previous file, if any, is unchanged)",
                       op, path ? path : "?", strerror(e));
        free(path);
        return st;
    }
    int cerr = fclose(af->f) != 0 ? errno : 0;
    af->f = NULL;
    if (!cerr && rename(af->tmp, af->path) != 0) cerr = errno;
    if (cerr) {
        const char *op = af->op;
        char *path = strdup(af->path);
        tsh_atomic_abort(af);
        tsh_status st = tsh_fail(TSH_ERR_IO, "%s: cannot write '%s': %s", op, path ? path : "?",
                                 strerror(cerr));
        free(path);
        return st;
    }
    /* Make the rename itself durable. */
    const char *slash = strrchr(af->path, '/');
    if (slash) af->path[slash - af->path + 1] = 0;
    int dfd = open(slash ? af->path : ".", O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
    return TSH_OK;
}

void tsh_atomic_write_tensor(tsh_atomic_file *af, tsh_tensor *t)
{
    if (af->err) return;
    tsh_tensor *c = NULL;
    if (tsh_contiguous(t, &c) != TSH_OK) {
        af->err = ENOMEM;
        return;
    }
    size_t nbytes = (size_t)tsh_numel(c) * tsh_dtype_size(c->dtype);
    const char *p = tsh_data(c);
    /* In chunks, so that Ctrl-C stops a big save between them. */
    const size_t chunk = (size_t)16 << 20;
    for (size_t off = 0; off < nbytes && !af->err; off += chunk)
        tsh_atomic_write(af, p + off, nbytes - off < chunk ? nbytes - off : chunk);
    tsh_tensor_release(c);
}

/* ---- bytes and tensors ---- */

tsh_status tsh_checked_nbytes(const char *op, int ndim, const int64_t *shape, tsh_dtype dt,
                              uint64_t *nbytes)
{
    if (ndim < 0 || ndim > TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_ARG, "%s: %d dimensions (tensors have at most %d)", op, ndim, TSH_MAX_DIMS);
    uint64_t n = tsh_dtype_size(dt);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return tsh_fail(TSH_ERR_ARG, "%s: negative size %lld", op, (long long)shape[i]);
        if (shape[i] > 0 && n > (UINT64_MAX >> 2) / (uint64_t)shape[i])
            return tsh_fail(TSH_ERR_ARG, "%s: shape is too large", op);
        n *= (uint64_t)shape[i];
    }
    if (n > ((uint64_t)1 << 62)) return tsh_fail(TSH_ERR_ARG, "%s: shape is too large", op);
    *nbytes = n;
    return TSH_OK;
}

static void swap_bytes(void *p, size_t nbytes, size_t es)
{
    unsigned char *b = p;
    for (size_t i = 0; i + es <= nbytes; i += es)
        for (size_t k = 0; k < es / 2; k++) {
            unsigned char c = b[i + k];
            b[i + k] = b[i + es - 1 - k];
            b[i + es - 1 - k] = c;
        }
}

void tsh_fix_loaded(tsh_tensor *t, bool swap)
{
    size_t es = tsh_dtype_size(t->dtype), nbytes = (size_t)tsh_numel(t) * es;
    if (swap && es > 1) swap_bytes(tsh_data(t), nbytes, es);
    if (t->dtype == TSH_BOOL) { /* anything nonzero is true; keep bools 0/1 */
        unsigned char *b = (unsigned char *)tsh_data(t);
        for (size_t i = 0; i < nbytes; i++) b[i] = b[i] != 0;
    }
}

tsh_status tsh_tensor_from_bytes(int ndim, const int64_t *shape, tsh_dtype dt, const void *bytes,
                                 size_t nbytes, bool swap, tsh_tensor **out)
{
    tsh_tensor *t;
    TSH_TRY(tsh_tensor_empty(ndim, shape, dt, tsh_cpu_device(), &t));
    size_t need = (size_t)tsh_numel(t) * tsh_dtype_size(dt);
    if (need != nbytes) {
        tsh_tensor_release(t);
        return tsh_fail(TSH_ERR_ARG, "%zu bytes of data for %zu bytes of tensor", nbytes, need);
    }
    if (nbytes) memcpy(tsh_data(t), bytes, nbytes);
    tsh_fix_loaded(t, swap);
    *out = t;
    return TSH_OK;
}

/* ---- reading with bounds ---- */

tsh_status tsh_rfile_open(tsh_rfile *r, const char *op, const char *path)
{
    memset(r, 0, sizeof *r);
    r->op = op;
    r->path = path;
    r->f = fopen(path, "rb");
    if (!r->f) return tsh_fail(TSH_ERR_IO, "%s: cannot open '%s': %s", op, path, strerror(errno));
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(r->f);
        r->f = NULL;
        return tsh_fail(TSH_ERR_IO, "%s: '%s' is not a regular file", op, path);
    }
    r->size = (uint64_t)st.st_size;
    return TSH_OK;
}

void tsh_rfile_close(tsh_rfile *r)
{
    if (r->f) fclose(r->f);
    r->f = NULL;
}

tsh_status tsh_rfile_read(tsh_rfile *r, uint64_t off, void *dst, size_t n)
{
    if (off > r->size || n > r->size - off)
        return tsh_fail(TSH_ERR_IO, "%s: '%s' is truncated (%llu bytes; needed %llu)", r->op, r->path,
                        (unsigned long long)r->size, (unsigned long long)(off + n));
    if (n == 0) return TSH_OK;
    if (fseeko(r->f, (off_t)off, SEEK_SET) != 0 || fread(dst, 1, n, r->f) != n)
        return tsh_fail(TSH_ERR_IO, "%s: reading '%s' failed: %s", r->op, r->path,
                        ferror(r->f) ? strerror(errno) : "unexpected end of file");
    return TSH_OK;
}

tsh_status tsh_rfile_tensor(tsh_rfile *r, uint64_t off, int ndim, const int64_t *shape, tsh_dtype dt,
                            bool swap, tsh_tensor **out)
{
    uint64_t nbytes;
    TSH_TRY(tsh_checked_nbytes(r->op, ndim, shape, dt, &nbytes));
    /* The size check comes before the allocation: a lying header cannot
     * make us allocate more than the file holds. */
    if (off > r->size || nbytes > r->size - off)
        return tsh_fail(TSH_ERR_IO, "%s: '%s' is truncated (%llu bytes; the data needs %llu)", r->op,
                        r->path, (unsigned long long)r->size, (unsigned long long)(off + nbytes));
    tsh_tensor *t;
    TSH_TRY(tsh_tensor_empty(ndim, shape, dt, tsh_cpu_device(), &t));
    tsh_status st = tsh_rfile_read(r, off, tsh_data(t), (size_t)nbytes);
    if (st != TSH_OK) {
        tsh_tensor_release(t);
        return st;
    }
    tsh_fix_loaded(t, swap);
    *out = t;
    return TSH_OK;
}
