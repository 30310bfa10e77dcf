/* ref/optim.c: optimizer updates, one element at a time in double, written
 * as torch.optim documents them. The oracle for cpu/optim.c. */
#include "ref.h"

static tsh_status ref_sgd(tsh_op op, const tsh_kargs *a)
{
    (void)op;
    tsh_tensor *p = a->out, *g = a->in[0], *buf = a->out2;
    double lr = a->f[0], momentum = a->f[1], dampening = a->f[2], wd = a->f[3];
    bool nesterov = a->i[0] & 1, maximize = a->i[0] & 2, first = a->i[0] & 4;
    int64_t n = tsh_numel(p);
    for (int64_t k = 0; k < n; k++) {
        double pv = tsh_ref_get(p, k), d = tsh_ref_get(g, k);
        if (maximize) d = -d;
        if (wd != 0) d += wd * pv;
        if (buf) {
            double b = first ? d : momentum * tsh_ref_get(buf, k) + (1 - dampening) * d;
            tsh_ref_set(buf, k, b);
            b = tsh_ref_get(buf, k); /* rounded to the buffer's dtype, as stored */
            d = nesterov ? d + momentum * b : b;
        }
        tsh_ref_set(p, k, pv - lr * d);
    }
    return TSH_OK;
}

void tsh_ref_register_optim(tsh_kernel_fn *k) { k[TSH_OP_SGD_UPDATE] = ref_sgd; }
