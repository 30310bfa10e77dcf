/* autograd.h: reverse-mode automatic differentiation in the core, with
 * PyTorch's semantics. A tensor produced by an op on inputs that require a
 * gradient gets a grad_fn: a node that knows the op's backward rule, holds
 * the tensors the rule needs, and points at the nodes of the inputs. Leaves
 * (tensors made by the user with requires_grad) get an accumulate node that
 * adds into their .grad. backward() walks the graph once in topological
 * order, summing gradients per node, then drops the tape.
 *
 * Backward rules are written with front-end tensor ops, so they run on any
 * backend; they run with grad mode off (no double backward yet).
 * Not here: the per-op rules (grad_*.c, next to each family's front end). */
#ifndef TSH_AUTOGRAD_H
#define TSH_AUTOGRAD_H

#include "tensor.h"

#define TSH_NODE_MAX_IN 4
#define TSH_NODE_MAX_SAVED 4

typedef struct tsh_node tsh_node;

/* Computes the gradients of the node's inputs from the gradient of its
 * output. grads[i] is set (a new reference) or left NULL for no gradient;
 * it may have the broadcast shape: the engine sums it down to the input's
 * shape and casts it to the input's dtype. */
typedef tsh_status (*tsh_backward_fn)(tsh_node *n, tsh_tensor *grad, tsh_tensor **grads);

struct tsh_node {
    int refcount;
    const char *name;               /* "MulBackward0", as PyTorch prints */
    tsh_backward_fn backward;
    int n_in;
    tsh_node *next[TSH_NODE_MAX_IN];  /* the input's node; NULL: no grad needed */
    /* the inputs' shapes and dtypes, to reduce and cast gradients */
    int in_ndim[TSH_NODE_MAX_IN];
    int64_t in_shape[TSH_NODE_MAX_IN][TSH_MAX_DIMS];
    tsh_dtype in_dtype[TSH_NODE_MAX_IN];
    /* tensors the rule needs, with their storage version at save time */
    tsh_tensor *saved[TSH_NODE_MAX_SAVED];
    uint64_t saved_version[TSH_NODE_MAX_SAVED];
    bool released;                  /* saved tensors dropped after backward */
    bool grad_private;              /* during backward: g has no other reference, so a rule
                                     * may write its result into it (relu's does) */
    /* slot + 1 where tsh_node_attach saves the output (as a detached alias,
     * so that the node does not keep its own output alive); 0: none */
    int save_output;
    double f[4];                    /* scalar parameters of the op */
    int64_t i[TSH_MAX_DIMS + 4];    /* integer parameters (dims, sizes) */
    int out_ndim;                   /* the output's shape */
    int64_t out_shape[TSH_MAX_DIMS];
    tsh_dtype out_dtype;
    /* accumulate nodes only: the leaf whose .grad receives the gradient */
    tsh_tensor *leaf;
    /* a non-leaf output that asked for retain_grad() (weak) */
    tsh_tensor *retain;
    /* engine scratch */
    tsh_tensor *buffer;
    tsh_node *gc_next;              /* release worklist (no recursion on deep graphs) */
    int deps;
    unsigned mark;
    /* rule-owned data beyond f/i/saved (a view's geometry, an inner node),
     * freed with the node by ctx_free */
    void *ctx;
    void (*ctx_free)(void *ctx);
};

/* Per-tensor autograd state (t->ag); NULL for a plain tensor. */
typedef struct tsh_autograd {
    bool requires_grad;  /* leaves: set by the user; non-leaves: has grad_fn */
    bool retains_grad;
    tsh_tensor *grad;
    tsh_node *grad_fn;   /* owned reference; NULL for leaves */
    tsh_node *acc;       /* leaves: their accumulate node (weak; cleared when it dies) */
    /* Views made while grad mode is on (grad_view.h): the tensor whose
     * storage they view (never itself such a view) and, as a reference, its
     * grad_fn when the view was made. An in-place write through any view
     * changes the base's grad_fn; a view whose base_fn no longer matches
     * rebuilds its own grad_fn from the base's when next used. */
    struct tsh_tensor *base;
    tsh_node *base_fn;
    /* non-leaves: the storage version when grad_fn was attached. A later
     * write that no node recorded (through another view of the storage)
     * makes grad_fn stale: using the tensor in a recorded op is refused. */
    uint64_t version;
} tsh_autograd;

/* Grad mode (thread-local): ops record only when it is on (the default). */
bool tsh_grad_enabled(void);
void tsh_set_grad_enabled(bool on);

/* A tensor's flags. */
bool tsh_requires_grad(const tsh_tensor *t);
bool tsh_is_leaf(const tsh_tensor *t);
tsh_status tsh_set_requires_grad(tsh_tensor *t, bool on);
tsh_tensor *tsh_grad(const tsh_tensor *t);          /* borrowed; NULL if none */
tsh_status tsh_set_grad(tsh_tensor *t, tsh_tensor *g); /* g may be NULL */
tsh_status tsh_retain_grad(tsh_tensor *t);
tsh_node *tsh_grad_fn(const tsh_tensor *t);         /* borrowed */
/* A new tensor sharing t's data, outside the graph. */
tsh_status tsh_detach(tsh_tensor *t, tsh_tensor **out);

/* t's autograd state, made on first use; NULL when out of memory. */
tsh_autograd *tsh_ag_state(tsh_tensor *t);

/* For op front ends. Call tsh_ag_needed first: when it is false nothing is
 * recorded and the op costs nothing extra. */
bool tsh_ag_needed(int n, tsh_tensor *const *inputs);
/* A node for an op on n inputs (each may be NULL, e.g. a Lua number). */
tsh_status tsh_node_new(const char *name, tsh_backward_fn bw, int n, tsh_tensor *const *inputs,
                        tsh_node **out);
/* The same without the check for inputs changed by an unrecorded write:
 * for views (which read no values; they answer for their base) and the
 * in-place machinery of grad_view.c. */
tsh_status tsh_node_new_unchecked(const char *name, tsh_backward_fn bw, int n, tsh_tensor *const *inputs,
                                  tsh_node **out);
/* Saves t for backward (a new reference, or a copy of a wrapped Lua number;
 * the version is checked when the rule reads it back). On failure release
 * the node. */
tsh_status tsh_node_save(tsh_node *n, int slot, tsh_tensor *t);
/* Makes n the grad_fn of out (takes over the caller's reference to n; on
 * failure n is released). Saves out into slot save_output - 1 if set.
 * Call it after the last write into out: it stamps out's storage version,
 * and a later write that no node records makes out refuse to be an input
 * of a recorded op (see tsh_autograd.version). */
tsh_status tsh_node_attach(tsh_node *n, tsh_tensor *out);
void tsh_node_release(tsh_node *n);
/* Checks a saved tensor was not changed in place since it was saved. */
tsh_status tsh_node_saved(tsh_node *n, int slot, tsh_tensor **t);

/* In-place ops: refuse to write a leaf that requires grad, or a view of one
 * (its base, or its history walked back to a leaf sharing its storage), as
 * PyTorch does (grad mode on only). tsh_dispatch checks every write. */
tsh_status tsh_ag_check_inplace(tsh_tensor *t, const char *opname);
/* After an in-place write that recorded nothing (grad mode off): t's
 * history stays as it is (PyTorch's no_grad semantics), so refresh its
 * version stamp, and its base's for a view. tsh_dispatch calls it for every
 * write under no_grad. */
void tsh_ag_written(tsh_tensor *t);
void tsh_bump_version(tsh_tensor *t);

/* Runs backward from `root` with gradient `grad` (NULL: root must have one
 * element; the gradient is 1). retain_graph keeps the saved tensors. */
tsh_status tsh_backward(tsh_tensor *root, tsh_tensor *grad, bool retain_graph);

/* Sums g down to the given shape (undoing broadcasting); a new reference. */
tsh_status tsh_sum_to_shape(tsh_tensor *g, int ndim, const int64_t *shape, tsh_tensor **out);

#endif
