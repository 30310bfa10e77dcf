/* cpu/threads.c: one thread pool. OpenBLAS is linked in its OpenMP build, so
 * it and our kernels share libgomp's pool instead of fighting over cores. */
#include <omp.h>

#include "../../interp/core/backend.h"

void openblas_set_num_threads(int n);

void tsh_set_num_threads(int n)
{
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int tsh_get_num_threads(void) { return omp_get_max_threads(); }
