/* l_optim.c: the "tensh.optimf" module, fused optimizer updates for the
 * optimizers of stdlib/optim (which fall back to tensor ops where these do
 * not apply: non-contiguous parameters, float16). */
#include "core/optim.h"
#include "lt.h"

static const char *const sgd_opts[] = {"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize",
                                       "first", NULL};

static int f_sgd_update(lua_State *L)
{
    tsh_tensor *p = tshL_check(L, 1), *g = tshL_check(L, 2);
    tsh_tensor *buf = lua_isnoneornil(L, 3) ? NULL : tshL_check(L, 3);
    luaL_checktype(L, 4, LUA_TTABLE);
    tshL_check_options(L, 4, "sgd_update", sgd_opts);
    tsh_sgd_opts o = {tshL_opt_number(L, 4, "lr", 0), tshL_opt_number(L, 4, "momentum", 0),
                      tshL_opt_number(L, 4, "dampening", 0), tshL_opt_number(L, 4, "weight_decay", 0),
                      tshL_opt_bool(L, 4, "nesterov", 0), tshL_opt_bool(L, 4, "maximize", 0),
                      tshL_opt_bool(L, 4, "first", 0)};
    TSHL_TRY(L, tsh_sgd_update(p, g, buf, &o));
    return 0;
}

static int open_optimf(lua_State *L)
{
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, f_sgd_update);
    tshL_sethelp(L, -1,
                 "optimf.sgd_update(p, grad, buf, {lr=, momentum=0, dampening=0, weight_decay=0, nesterov=false, "
                 "maximize=false, first=false})\n"
                 "One torch.optim.SGD step for parameter p, in place and in one pass; buf (nil without momentum) "
                 "is the momentum buffer, updated in place (first=true: it starts as the gradient). p and buf "
                 "contiguous float32/float64, grad of p's shape and dtype. optim.SGD calls it.\n"
                 "  local p, buf = tensor{1.0, 2.0}, tensor.zeros(2)\n"
                 "  require('tensh.optimf').sgd_update(p, tensor{0.5, 0.5}, buf, {lr = 0.1, momentum = 0.9, first = true})\n"
                 "  -- p is now {0.95, 1.95}, buf {0.5, 0.5}");
    lua_setfield(L, -2, "sgd_update");
    return 1;
}

void tshL_open_optimf(lua_State *L)
{
    tshL_preload(L, "tensh.optimf", open_optimf);
}
