/* register.c: fills the ref and cpu backends' kernel tables from every family. */
#include "kernels.h"

#include "../interp/core/backend.h"

void tsh_ref_register(tsh_kernel_fn *k)
{
#define X(fam) tsh_ref_register_##fam(k);
    TSH_KERNEL_FAMILIES(X)
#undef X
}

void tsh_cpu_register(tsh_kernel_fn *k)
{
#define X(fam) tsh_cpu_register_##fam(k);
    TSH_KERNEL_FAMILIES(X)
#undef X
}
