/* lt.h: the auxiliary layer between Lua and the tensor core, in the spirit
 * of lauxlib: checking arguments, pushing tensors, options tables, 1-based
 * dims, help text, and turning core failures into Lua errors. Only files in
 * interp/ include Lua headers. */
#ifndef TSH_LT_H
#define TSH_LT_H

#include <lauxlib.h>
#include <lua.h>

#include "core/front.h"

#define TSHL_TENSOR "tensh.Tensor"

/* -- tensors ------------------------------------------------------------- */
tsh_tensor *tshL_check(lua_State *L, int idx);  /* raises if not a tensor */
tsh_tensor *tshL_test(lua_State *L, int idx);   /* NULL if not a tensor */
/* Pushes t, taking over the caller's reference (t == NULL pushes nil). */
void tshL_push(lua_State *L, tsh_tensor *t);
/* For constructors: pushes the new tensor t, then applies {requires_grad=true}
 * from the options table at opts (nil is fine); returns 1, the result count. */
int tshL_push_new(lua_State *L, tsh_tensor *t, int opts);
/* A tensor, or a Lua number/boolean made into a wrapped 0-dim tensor (a new
 * reference either way; release it). */
tsh_tensor *tshL_check_operand(lua_State *L, int idx);
/* Like tshL_check_operand but converting numbers to `like`'s dtype and device. */
tsh_tensor *tshL_to_tensor_like(lua_State *L, int idx, const tsh_tensor *like);

/* -- errors ------------------------------------------------------------- */
/* Raises the core's last error message as a Lua error. */
int tshL_error(lua_State *L);
/* Evaluates a core call; on out-of-memory runs a full GC, empties the cache
 * and retries once; on failure raises. Cleanup of the caller's locals must
 * happen before: use it where nothing else is held, else check the status. */
#define TSHL_TRY(L, expr)                                             \
    do {                                                              \
        if (tshL_gc_due) tshL_gc_pay(L);                              \
        tsh_status st__ = (expr);                                     \
        if (st__ == TSH_ERR_OOM) {                                    \
            tshL_reclaim(L);                                          \
            st__ = (expr);                                            \
        }                                                             \
        if (st__ != TSH_OK) tshL_error(L);                            \
    } while (0)
void tshL_reclaim(lua_State *L);
/* The collector's step owed for tensors pushed since the last one (see
 * lt.c); TSHL_TRY pays it before the op allocates. */
extern bool tshL_gc_due;
void tshL_gc_pay(lua_State *L);

/* -- arguments ------------------------------------------------------------- */
/* A dim given 1-based or negative (-1 = last), checked against ndim; returns
 * it 0-based. `ndim` 0 is treated as 1 (PyTorch lets dim 1/-1 name a scalar). */
int tshL_checkdim(lua_State *L, int arg, int ndim);
int tshL_optdim(lua_State *L, int arg, int ndim, int def);  /* def returned if nil */
int tshL_todim(lua_State *L, lua_Integer d, int ndim, int arg);
/* A shape from integers at idx.. or a table (or Size) at idx. Returns the
 * index of the first argument after the shape. */
int tshL_check_shape(lua_State *L, int idx, int *ndim, int64_t *shape);
/* Checks that the options table at idx (nil is fine) has only `allowed`
 * keys (NULL-terminated); raises naming an unknown key. */
void tshL_check_options(lua_State *L, int idx, const char *fname, const char *const *allowed);
/* Typed getters for an options table (nil idx or missing key gives def). */
tsh_dtype tshL_opt_dtype(lua_State *L, int idx, const char *key, tsh_dtype def);
tsh_device tshL_opt_device(lua_State *L, int idx, const char *key, tsh_device def);
lua_Number tshL_opt_number(lua_State *L, int idx, const char *key, lua_Number def);
lua_Integer tshL_opt_integer(lua_State *L, int idx, const char *key, lua_Integer def);
int tshL_opt_bool(lua_State *L, int idx, const char *key, int def);
tsh_dtype tshL_check_dtype(lua_State *L, int arg);   /* "float32", "int64", ... */
tsh_device tshL_check_device(lua_State *L, int arg); /* "cpu", "cuda", "cuda:1" */
/* True when the value at idx is a table that holds options (no [1]). */
int tshL_is_options(lua_State *L, int idx);
/* Pushes a Size (a table with __tostring) for a shape. */
void tshL_push_size(lua_State *L, int ndim, const int64_t *shape);

/* -- registration and help ------------------------------------------------ */
enum { TSHL_FUNC = 1, TSHL_METHOD = 2, TSHL_BOTH = 3 };
typedef struct tshL_Reg {
    const char *name;
    lua_CFunction fn;
    int where;        /* TSHL_FUNC: tensor.name; TSHL_METHOD: t:name(); both */
    const char *help; /* first line: the call; then what it does; then an example */
} tshL_Reg;
/* Registers into the `tensor` module table and the Tensor methods table. */
void tshL_register(lua_State *L, const tshL_Reg *regs);
/* Records help text for the value at idx (a function or table). */
void tshL_sethelp(lua_State *L, int idx, const char *text);
/* package.preload[name] = open: the module is built on its first require. */
void tshL_preload(lua_State *L, const char *name, lua_CFunction open);
/* Pushes the help text of the value at idx, or nil. */
void tshL_gethelp(lua_State *L, int idx);
/* Pushes the module table / methods table. */
void tshL_push_module(lua_State *L);
void tshL_push_methods(lua_State *L);

/* -- module families: each binding file opens its part ------------------- */
void tshL_open_tensor(lua_State *L);   /* l_tensor.c: metatables, views, conversions */
void tshL_open_create(lua_State *L);   /* l_create.c: construction and random */
void tshL_open_math(lua_State *L);     /* l_math.c: elementwise and operators */
void tshL_open_reduce(lua_State *L);   /* l_reduce.c: reductions, softmax, sort */
void tshL_open_linalg(lua_State *L);   /* l_linalg.c: matmul family, shape ops */
void tshL_open_index(lua_State *L);    /* l_index.c: indexing and selection */
void tshL_open_print(lua_State *L);    /* l_print.c: printing and printoptions */
void tshL_open_help(lua_State *L);     /* help.c: the global help() */
void tshL_open_autograd(lua_State *L); /* l_autograd.c: requires_grad, backward, no_grad */
/* The autograd fields of a tensor (grad, requires_grad, grad_fn, is_leaf):
 * push or set the field and return 1, or return 0 for another key. */
int tshL_autograd_get(lua_State *L, tsh_tensor *t, const char *k);
int tshL_autograd_set(lua_State *L, tsh_tensor *t, const char *k);
/* Applies {requires_grad=true} from the options table at opts to t. */
void tshL_apply_requires_grad(lua_State *L, int opts, tsh_tensor *t);
void tshL_open_io(lua_State *L);       /* l_io.c: save, load, read_idx, take_rows */
void tshL_open_nnf(lua_State *L);      /* l_nnf.c: package.preload["tensh.nnf"] (nn.functional) */
void tshL_warm_up_ops(lua_State *L);  /* init.c: run the common ops once, before user code */
void tshL_use_allocator(lua_State *L); /* lalloc.c: small-block lists for this state */
void tshL_open_optimf(lua_State *L);   /* l_optim.c: package.preload["tensh.optimf"] (fused updates) */
/* t[k] and t[k] = v for non-string keys (l_index.c). */
int tshL_index_get(lua_State *L);
int tshL_index_set(lua_State *L);
/* tostring(t) (l_print.c). */
int tshL_tostring(lua_State *L);

/* Opens every module into L (init.c); returns 0 or raises. */
int luaopen_tensh(lua_State *L);

#endif
