/* tensor.h: refcounted storage and the strided tensor view over it.
 * A tensor is (storage, offset, shape, strides, dtype); views share storage.
 * Offsets and strides count elements, not bytes. Shapes are stored outermost
 * first; the C core is 0-based and only the Lua layer speaks 1-based.
 * This layer allocates and describes; it does not compute. */
#ifndef TSH_TENSOR_H
#define TSH_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "dtype.h"
#include "status.h"

#define TSH_MAX_DIMS 8

typedef enum tsh_device_type { TSH_CPU = 0, TSH_CUDA = 1, TSH_DEVICE_TYPE_COUNT } tsh_device_type;

typedef struct tsh_device {
    tsh_device_type type;
    int index;
} tsh_device;

typedef struct tsh_storage {
    int refcount;
    void *data;
    size_t nbytes;
    tsh_device device;
    /* Releases `data`; NULL means the device's backend allocator. Lets
     * storage wrap memory it does not own (a mapped file, a Lua string). */
    void (*release)(void *ctx, void *data, size_t nbytes);
    void *release_ctx;
    /* Bumped by every kernel that writes here; autograd compares it with
     * the version a saved tensor had, to refuse stale gradients. */
    uint64_t version;
} tsh_storage;

struct tsh_autograd; /* issue 5: owned by the autograd layer */

typedef struct tsh_tensor {
    int refcount;
    tsh_dtype dtype;
    int ndim;
    tsh_storage *storage;
    int64_t offset;
    int64_t shape[TSH_MAX_DIMS];
    int64_t stride[TSH_MAX_DIMS];
    /* A 0-dim tensor made from a Lua number: it takes part in type
     * promotion with lower priority, as PyTorch's wrapped numbers do. */
    bool wrapped;
    struct tsh_autograd *ag;
} tsh_tensor;

/* Allocation: a new contiguous tensor with uninitialised data. */
tsh_status tsh_tensor_empty(int ndim, const int64_t *shape, tsh_dtype dt, tsh_device dev,
                            tsh_tensor **out);
/* A new contiguous tensor of the same shape, dtype and device as `like`. */
tsh_status tsh_tensor_empty_like(const tsh_tensor *like, tsh_dtype dt, tsh_tensor **out);
/* A new view over t's storage (storage refcount taken). */
tsh_status tsh_tensor_view(const tsh_tensor *t, int ndim, const int64_t *shape,
                           const int64_t *stride, int64_t offset, tsh_tensor **out);
/* Wraps foreign memory; `release` is called when the storage dies. */
tsh_status tsh_tensor_wrap(void *data, size_t nbytes, int ndim, const int64_t *shape,
                           tsh_dtype dt, void (*release)(void *, void *, size_t), void *ctx,
                           tsh_tensor **out);

tsh_tensor *tsh_tensor_retain(tsh_tensor *t);
void tsh_tensor_release(tsh_tensor *t); /* NULL is fine */

int64_t tsh_numel(const tsh_tensor *t);
int64_t tsh_shape_numel(int ndim, const int64_t *shape);
bool tsh_is_contiguous(const tsh_tensor *t);
void tsh_contiguous_strides(int ndim, const int64_t *shape, int64_t *stride);
/* Address of element 0 of the view (storage data + offset). */
char *tsh_data(const tsh_tensor *t);
bool tsh_same_shape(const tsh_tensor *a, const tsh_tensor *b);
/* Writes "3x4" ("scalar" for 0-dim) into buf and returns buf. */
char *tsh_shape_str(char *buf, size_t n, int ndim, const int64_t *shape);

bool tsh_device_eq(tsh_device a, tsh_device b);
const char *tsh_device_str(tsh_device d, char *buf, size_t n); /* "cpu", "cuda:0" */

/* Bytes held by storage (and headers) created since the last call; the Lua
 * layer feeds it to the garbage collector so loops do not grow unbounded. */
int64_t tsh_take_new_bytes(void);



/* Set by the autograd layer to free its per-tensor state. */
extern void (*tsh_autograd_free_hook)(struct tsh_autograd *);
#endif
