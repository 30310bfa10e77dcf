/* serialize.h: tensors to and from files: safetensors, numpy's .npy and
 * .npz, and the IDX files of (Fashion-)MNIST. Saves are atomic (a temporary
 * file in the target's directory, fsync, rename); loads validate every size
 * and offset against the file before allocating, so a malformed file gives an
 * error, never a crash or a huge allocation. CPU tensors only, host byte
 * order little-endian. No Lua here: the bindings are interp/lua/l_io.c. */
#ifndef TSH_SERIALIZE_H
#define TSH_SERIALIZE_H

#include <stdio.h>

#include "front.h"

/* A named list of tensors (a state_dict) plus string metadata, as a
 * safetensors or .npz file holds. Names are owned (malloc'd) by the list. */
typedef struct tsh_tensor_list {
    int n, cap;
    char **names;
    tsh_tensor **ts;
    int nmeta, metacap;
    char **meta_keys, **meta_vals;
} tsh_tensor_list;

void tsh_tensor_list_init(tsh_tensor_list *l);
void tsh_tensor_list_free(tsh_tensor_list *l); /* releases the tensors */
/* Appends (name copied, tensor retained). Fails on a duplicate name. */
tsh_status tsh_tensor_list_add(tsh_tensor_list *l, const char *name, tsh_tensor *t);
tsh_status tsh_tensor_list_add_meta(tsh_tensor_list *l, const char *key, const char *val);

typedef enum tsh_file_format {
    TSH_FMT_AUTO = 0,     /* by extension when saving, by content when loading */
    TSH_FMT_SAFETENSORS,
    TSH_FMT_NPY,
    TSH_FMT_NPZ,
} tsh_file_format;

/* The format a file name implies: .npy, .npz, else safetensors. */
tsh_file_format tsh_format_from_path(const char *path);
/* The format a file's first bytes show: NPY or NPZ by their magic, else
 * AUTO (safetensors has no magic number). */
tsh_file_format tsh_format_sniff(const char *path);

/* safetensors: every tensor of the list, with its metadata, in list order. */
tsh_status tsh_save_safetensors(const char *path, const tsh_tensor_list *l);
tsh_status tsh_load_safetensors(const char *path, tsh_tensor_list *out);

/* .npy: one tensor (bfloat16 has no numpy dtype and is refused). */
tsh_status tsh_save_npy(const char *path, tsh_tensor *t);
tsh_status tsh_load_npy(const char *path, tsh_tensor **out);
/* .npz: a zip of name.npy members, written stored, read stored or deflated. */
tsh_status tsh_save_npz(const char *path, const tsh_tensor_list *l);
tsh_status tsh_load_npz(const char *path, tsh_tensor_list *out);

/* IDX (LeCun's MNIST format), gzipped or plain: a tensor of the file's type
 * (ubyte -> uint8, int -> int32, float -> float32, double -> float64) and
 * shape. */
tsh_status tsh_load_idx(const char *path, tsh_tensor **out);

/* ---- shared by the serialize*.c files (not for other callers) ---- */

/* An atomic writer: writes go to a temporary file next to `path`; commit
 * flushes, fsyncs and renames it over `path`; abort removes it. After a
 * failed write every later call is a no-op and commit reports the error. */
typedef struct tsh_atomic_file {
    FILE *f;
    char *path, *tmp;
    const char *op;  /* names the caller in messages ("save") */
    int err;         /* errno of the first failure, or -1 for an interrupt */
    long long written;
} tsh_atomic_file;

tsh_status tsh_atomic_open(tsh_atomic_file *af, const char *op, const char *path);
void tsh_atomic_write(tsh_atomic_file *af, const void *p, size_t n);
tsh_status tsh_atomic_commit(tsh_atomic_file *af);
void tsh_atomic_abort(tsh_atomic_file *af);

/* Writes t's elements in C order (copying a non-contiguous view). */
void tsh_atomic_write_tensor(tsh_atomic_file *af, tsh_tensor *t);

/* A file read at offsets, every read checked against its size. */
typedef struct tsh_rfile {
    FILE *f;
    uint64_t size;
    const char *op, *path;
} tsh_rfile;

tsh_status tsh_rfile_open(tsh_rfile *r, const char *op, const char *path);
void tsh_rfile_close(tsh_rfile *r);
/* n bytes at off; reading past the end is an error naming the file. */
tsh_status tsh_rfile_read(tsh_rfile *r, uint64_t off, void *dst, size_t n);
/* A new tensor read from off (checked against the file size before it is
 * allocated), byte-swapped when `swap`. */
tsh_status tsh_rfile_tensor(tsh_rfile *r, uint64_t off, int ndim, const int64_t *shape, tsh_dtype dt,
                            bool swap, tsh_tensor **out);
/* After raw bytes land in t: byte swap when asked, bools made 0/1. */
void tsh_fix_loaded(tsh_tensor *t, bool swap);
/* A new contiguous CPU tensor holding a copy of raw little-endian bytes
 * (byte-swapped when `swap`); nbytes must equal numel * element size. */
tsh_status tsh_tensor_from_bytes(int ndim, const int64_t *shape, tsh_dtype dt, const void *bytes,
                                 size_t nbytes, bool swap, tsh_tensor **out);
/* numel * element size, failing (naming op) on overflow or a bad shape. */
tsh_status tsh_checked_nbytes(const char *op, int ndim, const int64_t *shape, tsh_dtype dt,
                              uint64_t *nbytes);

#endif
