/* backend.c: the backend registry and the op dispatcher. This is the one
 * place that knows which backends were built (the single CUDA #if lives
 * here when the CUDA backend lands). */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "autograd.h"

static tsh_backend ref_backend = {
    .name = "ref", .device = TSH_CPU, .alloc = tsh_host_alloc, .free = tsh_host_free, .capacity = tsh_host_mem_total,
};
static tsh_backend cpu_backend = {
    .name = "cpu", .device = TSH_CPU, .alloc = tsh_host_alloc, .free = tsh_host_free, .capacity = tsh_host_mem_total,
};
static const tsh_backend *registry[TSH_DEVICE_TYPE_COUNT];
static int debug_ops = -1;

void tsh_backends_init(void)
{
    static bool done;
    if (done) return;
    done = true;
    tsh_ref_register(ref_backend.kernels);
    tsh_cpu_register(cpu_backend.kernels);
    /* A fast kernel not yet written falls back to nothing: the front end
     * reports it. The ref table is complete by construction (tests/c check). */
    const char *k = getenv("TENSH_KERNELS");
    registry[TSH_CPU] = (k && strcmp(k, "ref") == 0) ? &ref_backend : &cpu_backend;
    const char *d = getenv("TENSH_DEBUG");
    debug_ops = d && *d && strcmp(d, "0") != 0;
}

const tsh_backend *tsh_backend_for(tsh_device_type dev)
{
    if (!registry[TSH_CPU]) tsh_backends_init();
    return dev < TSH_DEVICE_TYPE_COUNT ? registry[dev] : NULL;
}

void tsh_backend_set(const tsh_backend *b) { registry[b->device] = b; }
const tsh_backend *tsh_backend_ref(void) { return &ref_backend; }
const tsh_backend *tsh_backend_cpu(void) { return &cpu_backend; }

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void log_op(tsh_op op, const tsh_backend *b, const tsh_kargs *a, double us, tsh_status st)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "[tensh] %-13s %s", tsh_op_infos[op].name, b->name);
    const tsh_tensor *ts[] = {a->out, a->in[0], a->in[1], a->in[2]};
    const char *tag[] = {" out=", " a=", " b=", " c="};
    for (int i = 0; i < 4 && n < (int)sizeof buf - 64; i++) {
        if (!ts[i]) continue;
        char sh[128];
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s[%s]", tag[i],
                      tsh_dtype_short(ts[i]->dtype),
                      tsh_shape_str(sh, sizeof sh, ts[i]->ndim, ts[i]->shape));
    }
    fprintf(stderr, "%s %.1fus%s\n", buf, us, st == TSH_OK ? "" : " FAILED");
}

tsh_status tsh_dispatch(tsh_op op, const tsh_kargs *a)
{
    const tsh_tensor *t = a->out ? a->out : a->in[0];
    tsh_device_type dev = t ? t->storage->device.type : TSH_CPU;
    const tsh_backend *b = tsh_backend_for(dev);
    const char *dtname = t ? tsh_dtype_name(t->dtype) : "?";
    if (!b)
        return tsh_fail(TSH_ERR_DEVICE, "%s: no backend for device %s", tsh_op_infos[op].name,
                        dev == TSH_CUDA ? "cuda" : "cpu");
    if (!b->kernels[op])
        return tsh_fail(TSH_ERR_NOTIMPL, "%s is not implemented for %s %s",
                        tsh_op_infos[op].name, b->name, dtname);
    /* Writing into a leaf that requires grad, or a view of one, would
     * silently corrupt its gradient; PyTorch refuses it outside no_grad, and
     * so do we. */
    if (a->out && a->out->ag && tsh_grad_enabled())
        TSH_TRY(tsh_ag_check_inplace(a->out, tsh_op_infos[op].name));
    if (a->out) a->out->storage->version++;
    if (a->out2) a->out2->storage->version++;
    tsh_status st;
    if (!debug_ops) {
        st = b->kernels[op](op, a);
    } else {
        double t0 = now_us();
        st = b->kernels[op](op, a);
        log_op(op, b, a, now_us() - t0, st);
    }
    /* a write under no_grad leaves the written tensor's history as it is
     * (PyTorch's semantics): its stamp follows the new version */
    if (a->out && a->out->ag && !tsh_grad_enabled()) tsh_ag_written(a->out);
    return st;
}
