/* grad_math.c: backward rules of elementwise math (mathops.c records them).
 * Each rule computes input gradients with front-end ops, in the broadcast
 * shape; the engine sums them down to each input's shape and casts them to
 * its dtype. Non-differentiable ops (comparisons, floor, ...) record nothing. */
#include "grad_math.h"

#include "autograd.h"

/* d(a + alpha*b) = (g, alpha*g); d(a - alpha*b) = (g, -alpha*g) */
static tsh_status add_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    grads[0] = tsh_tensor_retain(g);
    double alpha = n->f[0];
    if (alpha == 1) {
        grads[1] = tsh_tensor_retain(g);
        return TSH_OK;
    }
    tsh_stack_scalar s;
    tsh_scalar v = {.kind = TSH_SCALAR_FLOAT, .f = alpha};
    return tsh_binary(TSH_OP_MUL, g, tsh_stack_scalar_init(&s, &v), NULL, NULL, &grads[1]);
}

/* d(a * b) = (g * b, g * a) */
static tsh_status mul_backward(tsh_node *n, tsh_tensor *g, tsh_tensor **grads)
{
    tsh_tensor *a, *b;
    TSH_TRY(tsh_node_saved(n, 0, &a));
    TSH_TRY(tsh_node_saved(n, 1, &b));
    if (n->next[0]) TSH_TRY(tsh_binary(TSH_OP_MUL, g, b, NULL, NULL, &grads[0]));
    if (n->next[1]) TSH_TRY(tsh_binary(TSH_OP_MUL, g, a, NULL, NULL, &grads[1]));
    return TSH_OK;
}

static double scalar_value(const tsh_scalar *s)
{
    if (!s) return 1;
    return s->kind == TSH_SCALAR_FLOAT ? s->f : (double)s->i;
}

tsh_status tsh_grad_binary(tsh_op op, tsh_tensor *a, tsh_tensor *b, const tsh_scalar *alpha,
                           tsh_tensor *result)
{
    tsh_tensor *ins[2] = {a, b};
    tsh_node *n = NULL;
    switch (op) {
    case TSH_OP_ADD:
    case TSH_OP_SUB:
        TSH_TRY(tsh_node_new(op == TSH_OP_ADD ? "AddBackward0" : "SubBackward0", add_backward, 2, ins, &n));
        n->f[0] = op == TSH_OP_ADD ? scalar_value(alpha) : -scalar_value(alpha);
        break;
    case TSH_OP_MUL:
        TSH_TRY(tsh_node_new("MulBackward0", mul_backward, 2, ins, &n));
        if (tsh_node_save(n, 0, a) != TSH_OK || tsh_node_save(n, 1, b) != TSH_OK) {
            tsh_node_release(n);
            return tsh_fail(TSH_ERR_OOM, "out of memory saving tensors for backward");
        }
        break;
    default:
        return tsh_fail(TSH_ERR_NOTIMPL, "%s: gradients are not implemented yet", tsh_op_infos[op].name);
    }
    return tsh_node_attach(n, result);
}
