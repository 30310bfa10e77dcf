/* tensor.c: storage and tensor lifetime, views, shape helpers. */
#include "tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "format.h"

/* Bytes of new storage and its two headers (see tsh_take_new_bytes). The
 * headers count too: a tiny tensor's ~500 bytes of C memory are ten times
 * the userdata the collector sees, so it let ~16k dead ones pile up in a
 * loop of c = a + b, a third of them allocated afresh and 8 MB cycling
 * through the caches; counted, it collects every ~2k: 0.31 -> 0.27 us a
 * tiny op. */
static _Atomic int64_t new_bytes;

/* Tensor and storage headers come and go with every op; a small per-thread
 * free list keeps malloc off the path of tiny ops. */
#define HEADER_CACHE 65536
typedef union header { tsh_tensor t; tsh_storage s; union header *next; } header;
static _Thread_local header *free_headers;
static _Thread_local int n_free_headers;

static void *header_alloc(void)
{
    header *h = free_headers;
    if (h) {
        free_headers = h->next;
        n_free_headers--;
        memset(h, 0, sizeof *h);
        return h;
    }
    return calloc(1, sizeof(header));
}

static void header_free(void *p)
{
    if (!p) return;
    if (n_free_headers >= HEADER_CACHE) {
        free(p);
        return;
    }
    header *h = p;
    h->next = free_headers;
    free_headers = h;
    n_free_headers++;
}

int64_t tsh_take_new_bytes(void)
{
    return __atomic_exchange_n(&new_bytes, 0, __ATOMIC_RELAXED);
}

int64_t tsh_shape_numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

int64_t tsh_numel(const tsh_tensor *t) { return tsh_shape_numel(t->ndim, t->shape); }

void tsh_contiguous_strides(int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= shape[i] > 0 ? shape[i] : 1;
    }
}

bool tsh_is_contiguous(const tsh_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] == 0) return true;
        if (t->shape[i] != 1 && t->stride[i] != s) return false;
        s *= t->shape[i];
    }
    return true;
}

char *tsh_data(const tsh_tensor *t)
{
    return (char *)t->storage->data + t->offset * (int64_t)tsh_dtype_size(t->dtype);
}

bool tsh_same_shape(const tsh_tensor *a, const tsh_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

char *tsh_shape_str(char *buf, size_t n, int ndim, const int64_t *shape)
{
    if (ndim == 0) {
        snprintf(buf, n, "scalar");
        return buf;
    }
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? "x%lld" : "%lld", (long long)shape[i]);
    return buf;
}

bool tsh_device_eq(tsh_device a, tsh_device b) { return a.type == b.type && a.index == b.index; }

const char *tsh_device_str(tsh_device d, char *buf, size_t n)
{
    if (d.type == TSH_CPU) snprintf(buf, n, "cpu");
    else snprintf(buf, n, "cuda:%d", d.index);
    return buf;
}

static void storage_release(tsh_storage *s)
{
    if (!s || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
    if (s->release) s->release(s->release_ctx, s->data, s->nbytes);
    else {
        const tsh_backend *b = tsh_backend_for(s->device.type);
        if (b) b->free(s->data, s->nbytes);
    }
    header_free(s);
}

static tsh_status check_shape(int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > TSH_MAX_DIMS)
        return tsh_fail(TSH_ERR_SHAPE, "tensors have at most %d dimensions, %d were given",
                        TSH_MAX_DIMS, ndim);
    /* The product of the non-zero sizes must fit in int64: it bounds every
     * numel, contiguous stride and partial product computed on the shape
     * later, so those need no overflow checks of their own. */
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return tsh_fail(TSH_ERR_SHAPE, "size of dimension %d must be >= 0, got %lld", i + 1,
                            (long long)shape[i]);
        if (shape[i] > 0 && __builtin_mul_overflow(n, shape[i], &n)) {
            char buf[TSH_MAX_DIMS * 21 + 8];
            return tsh_fail(TSH_ERR_SHAPE, "a tensor of shape %s is too large (more than 2^63 elements)",
                            tsh_shape_str(buf, sizeof buf, ndim, shape));
        }
    }
    return TSH_OK;
}

static tsh_tensor *tensor_alloc(int ndim, const int64_t *shape, tsh_dtype dt)
{
    tsh_tensor *t = header_alloc();
    if (!t) return NULL;
    t->refcount = 1;
    t->dtype = dt;
    t->ndim = ndim;
    if (ndim) memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    return t;
}

tsh_status tsh_tensor_empty(int ndim, const int64_t *shape, tsh_dtype dt, tsh_device dev,
                            tsh_tensor **out)
{
    TSH_TRY(check_shape(ndim, shape));
    const tsh_backend *b = tsh_backend_for(dev.type);
    if (!b) return tsh_fail(TSH_ERR_DEVICE, "device %s is not available", dev.type == TSH_CUDA ? "cuda" : "cpu");
    int64_t n = tsh_shape_numel(ndim, shape);
    size_t es = tsh_dtype_size(dt);
    if (n > (int64_t)(INT64_MAX / 2 / (int64_t)es))
        return tsh_fail(TSH_ERR_OOM, "tensor of %lld elements is too large", (long long)n);
    size_t nbytes = (size_t)n * es;
    tsh_tensor *t = tensor_alloc(ndim, shape, dt);
    tsh_storage *s = header_alloc();
    void *data = (t && s) ? b->alloc(nbytes) : NULL;
    if (!data) {
        header_free(t);
        header_free(s);
        char size[32], have[32];
        tsh_format_bytes(size, sizeof size, (double)nbytes);
        if (b->capacity && nbytes > b->capacity()) {
            tsh_format_bytes(have, sizeof have, (double)b->capacity());
            return tsh_fail(TSH_ERR_OOM, "out of memory: a %s tensor of %lld elements takes %s, more than the "
                            "machine's %s (RAM and swap)", tsh_dtype_name(dt), (long long)n, size, have);
        }
        return tsh_fail(TSH_ERR_OOM, "out of memory: a %s tensor of %lld elements takes %s", tsh_dtype_name(dt),
                        (long long)n, size);
    }
    s->refcount = 1;
    s->data = data;
    s->nbytes = nbytes;
    s->device = dev;
    t->storage = s;
    tsh_contiguous_strides(ndim, shape, t->stride);
    __atomic_add_fetch(&new_bytes, (int64_t)(nbytes + 2 * sizeof(header)), __ATOMIC_RELAXED);
    *out = t;
    return TSH_OK;
}

tsh_status tsh_tensor_empty_like(const tsh_tensor *like, tsh_dtype dt, tsh_tensor **out)
{
    return tsh_tensor_empty(like->ndim, like->shape, dt, like->storage->device, out);
}

tsh_status tsh_tensor_view(const tsh_tensor *base, int ndim, const int64_t *shape,
                           const int64_t *stride, int64_t offset, tsh_tensor **out)
{
    TSH_TRY(check_shape(ndim, shape));
    tsh_tensor *t = tensor_alloc(ndim, shape, base->dtype);
    if (!t) return tsh_fail(TSH_ERR_OOM, "out of memory");
    if (ndim) memcpy(t->stride, stride, (size_t)ndim * sizeof *stride);
    t->offset = offset;
    t->storage = base->storage;
    __atomic_add_fetch(&t->storage->refcount, 1, __ATOMIC_RELAXED);
    *out = t;
    return TSH_OK;
}

tsh_status tsh_tensor_wrap(void *data, size_t nbytes, int ndim, const int64_t *shape,
                           tsh_dtype dt, void (*release)(void *, void *, size_t), void *ctx,
                           tsh_tensor **out)
{
    TSH_TRY(check_shape(ndim, shape));
    if ((size_t)tsh_shape_numel(ndim, shape) * tsh_dtype_size(dt) > nbytes)
        return tsh_fail(TSH_ERR_SHAPE, "wrapped buffer of %zu bytes is too small", nbytes);
    tsh_tensor *t = tensor_alloc(ndim, shape, dt);
    tsh_storage *s = header_alloc();
    if (!t || !s) {
        header_free(t);
        header_free(s);
        return tsh_fail(TSH_ERR_OOM, "out of memory");
    }
    *s = (tsh_storage){.refcount = 1, .data = data, .nbytes = nbytes,
                       .device = {TSH_CPU, 0}, .release = release, .release_ctx = ctx};
    t->storage = s;
    tsh_contiguous_strides(ndim, shape, t->stride);
    *out = t;
    return TSH_OK;
}

tsh_tensor *tsh_tensor_retain(tsh_tensor *t)
{
    if (t) __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
    return t;
}

/* Set by the autograd layer (issue 5) to free its per-tensor state. */
void (*tsh_autograd_free_hook)(struct tsh_autograd *) = NULL;

void tsh_tensor_release(tsh_tensor *t)
{
    if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
    if (t->ag && tsh_autograd_free_hook) tsh_autograd_free_hook(t->ag);
    storage_release(t->storage);
    header_free(t);
}
