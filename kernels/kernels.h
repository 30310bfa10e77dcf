/* kernels.h: registration of kernel families. Each file in kernels/ref and
 * kernels/cpu fills its ops into a backend's table. The contract of each op
 * (what the front end guarantees about shapes, dtypes and strides) is in
 * interp/core/ops.h; kernels only compute and never validate user input. */
#ifndef TSH_KERNELS_H
#define TSH_KERNELS_H

#include "../interp/core/ops.h"

#define TSH_KERNEL_FAMILIES(X) X(copy) X(create) X(elementwise) X(reduce) X(linalg) X(index) X(shape) X(nn) X(optim)

#define TSH_DECLARE_FAMILY(fam)                          \
    void tsh_ref_register_##fam(tsh_kernel_fn *k);       \
    void tsh_cpu_register_##fam(tsh_kernel_fn *k);
TSH_KERNEL_FAMILIES(TSH_DECLARE_FAMILY)
#undef TSH_DECLARE_FAMILY

#endif
