/* format.h: turns tensors into text: PyTorch 1.13's repr (torch/_tensor_str.py)
 * with its print options, and a one-line statistical digest in the style of
 * lovely-tensors. Shared by tostring() in the Lua layer and the REPL's
 * auto-print; knows nothing of Lua and never computes through the kernels
 * (it reads elements directly, so it works on any layout and dtype). */
#ifndef TSH_FORMAT_H
#define TSH_FORMAT_H

#include <stddef.h>

#include "tensor.h"

/* The options of torch.set_printoptions. */
typedef struct tsh_printopts {
    int precision;    /* digits after the point (4) */
    double threshold; /* more elements than this are summarised (1000; INFINITY: never) */
    int edgeitems;    /* items kept at each end of a summarised dim (3); >= 1 */
    int linewidth;    /* characters per line before wrapping (80) */
    int sci_mode;     /* -1 chosen per tensor (PyTorch's None), 0 never, 1 always */
} tsh_printopts;

/* The options tostring() uses; set_printoptions writes here. */
extern tsh_printopts tsh_print_options;

/* Fills o with a named profile: "default", "short" or "full" (as PyTorch).
 * Returns false for an unknown name and leaves o alone. sci_mode is not
 * touched by a profile, as in PyTorch. */
bool tsh_printopts_profile(const char *name, tsh_printopts *o);

/* True when t has more elements than o->threshold: printing shows only the
 * edge items. The REPL leads such prints with the digest. */
bool tsh_format_is_summarized(const tsh_tensor *t, const tsh_printopts *o);

/* The repr of t, exactly as PyTorch 1.13 lays it out, with two deliberate
 * differences: dtypes are named without "torch." (dtype=int32) and booleans
 * print as Lua's true/false. `extra` is a NULL-terminated list of suffixes
 * appended after the device and dtype ("requires_grad=true"); NULL for none.
 * *out is malloc'ed and NUL-terminated; the caller frees it. */
tsh_status tsh_format_tensor(const tsh_tensor *t, const tsh_printopts *o,
                             const char *const *extra, char **out, size_t *len);

/* Statistics over the elements of t, in double, computed directly over its
 * strides (no kernels). min/max/mean/std are over the finite values; std is
 * the unbiased one (NAN below two finite values). */
typedef struct tsh_stats {
    int64_t n;                    /* elements */
    int64_t finite;               /* finite values (all of them for int and bool) */
    int64_t nan, posinf, neginf;  /* non-finite counts (floating dtypes) */
    int64_t zeros;                /* values equal to 0 (false for bool) */
    double min, max, mean, std;
    int64_t imin, imax;           /* exact extremes for integer and bool dtypes */
} tsh_stats;
tsh_status tsh_tensor_stats(const tsh_tensor *t, tsh_stats *s);

/* A one-line digest: shape, dtype, count, bytes, range, mean, std and flags:
 *   tensor[64,1,28,28] f32 n=50176 196KiB x∈[-0.81,2.02] μ=0.003 σ=1.0
 *   tensor[3] f32 12B x∈[1.0,2.0] μ=1.5 σ=0.707 NaN!1
 * *out is malloc'ed; the caller frees it. */
tsh_status tsh_format_summary(const tsh_tensor *t, char **out);

/* A byte count as people read it: "12B", "196KiB", "1.5GiB", "4TiB". */
void tsh_format_bytes(char *s, size_t n, double bytes);

/* How to read a tensor that does not live in host memory: set by a device
 * backend (CUDA) to copy t into a new CPU tensor. NULL: such tensors cannot
 * be printed, and printing says so. */
extern tsh_status (*tsh_format_to_host)(const tsh_tensor *t, tsh_tensor **out);

#endif
