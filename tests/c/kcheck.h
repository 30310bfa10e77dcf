/* kcheck.h: the harness for checking fast kernels against reference ones.
 * A check runs the same front-end call twice, once with the reference
 * backend serving the CPU and once with the fast one, and compares the
 * results with a tolerance chosen per op and dtype. Inputs come in several
 * layouts (contiguous, transposed, strided slices, broadcast, empty, 0-dim),
 * because fast kernels go wrong on layouts more than on values. */
#ifndef TSH_KCHECK_H
#define TSH_KCHECK_H

#include <stdio.h>

#include "front.h"

typedef enum kc_layout {
    KC_CONTIG,     /* a fresh contiguous tensor */
    KC_TRANSPOSED, /* the last two dims swapped (a non-contiguous view) */
    KC_STRIDED,    /* every other element of a bigger buffer along dim 1 */
    KC_OFFSET,     /* a narrow of a bigger buffer (nonzero storage offset) */
    KC_LAYOUT_COUNT
} kc_layout;

/* Deterministic random numbers for the harness itself. */
void kc_seed(uint64_t s);
double kc_uniform(void);            /* [0, 1) */
int64_t kc_randint(int64_t lo, int64_t hi); /* [lo, hi] */

/* A random shape: ndim in [0, max_ndim], sizes in [1, max_size], with a
 * zero-size dim now and then when allow_empty. */
int kc_rand_shape(int max_ndim, int64_t max_size, int allow_empty, int64_t *shape);

/* A tensor of the given logical shape, dtype and layout, filled with values
 * in [lo, hi] (integers are rounded; bool is 0/1). The caller releases it. */
tsh_tensor *kc_tensor(int ndim, const int64_t *shape, tsh_dtype dt, kc_layout layout, double lo,
                      double hi);

/* Compares two tensors of one shape elementwise: |a-b| <= atol + rtol*|b|,
 * NaN equal to NaN, and integers exactly. Prints the first mismatch with
 * `what` and returns 0 on mismatch, 1 when they agree. */
int kc_compare(const char *what, const tsh_tensor *got, const tsh_tensor *want, double rtol,
               double atol);

/* Serve the CPU device with the reference (1) or the fast (0) kernels. */
void kc_use_ref(int on);

/* Counts and a summary line for main(): "N passed, N failed". */
extern int kc_passed, kc_failed;
#define KC_CHECK(cond, ...)                                                    \
    do {                                                                       \
        if (cond) kc_passed++;                                                 \
        else {                                                                 \
            kc_failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);               \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
        }                                                                      \
    } while (0)
int kc_finish(void); /* prints the summary, returns the exit status */

/* Default tolerances by dtype for a computation of modest depth. */
double kc_rtol(tsh_dtype dt);

#endif
