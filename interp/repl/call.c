/* call.c: running Lua code in a protected call with a traceback handler and
 * Ctrl-C armed, as lua.c's docall does, for scripts and the REPL alike.
 * Not for the prompt: while readline waits, Ctrl-C only cancels the line
 * (input.c installs its own handler for that). */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "core/status.h"
#include "repl.h"

/* The state running under tsh_docall (NULL when none) and what Ctrl-C did. */
static lua_State *volatile running;
static volatile sig_atomic_t presses, warned;
static struct timespec first_press;
static pthread_t main_thread;
static volatile sig_atomic_t have_main_thread;
/* What SIGINT did before the call: SIG_DFL in scripts, a no-op in the REPL. */
static struct sigaction before;

/* The hook that a SIGINT installs: it stops Lua at its next call, return
 * or instruction. The message is what the REPL shows. */
static void lstop(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted");
}

static double since_first_press(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
    return (double)(now.tv_sec - first_press.tv_sec) + (now.tv_nsec - first_press.tv_nsec) / 1e9;
}

/* SIGINT while Lua runs. C kernels poll tsh_interrupt_flag between chunks
 * and fail with "interrupted"; Lua code stops through the hook. Only the
 * main thread touches the Lua state: a signal that lands on an OpenMP
 * worker is forwarded. A C call that polls nothing (a long BLAS call) cannot
 * be stopped: after a second, one more Ctrl-C warns and the next one quits,
 * so a hung session can still be left. */
static void on_sigint(int sig)
{
    tsh_interrupt_flag = 1;
    if (have_main_thread && !pthread_equal(pthread_self(), main_thread)) {
        pthread_kill(main_thread, sig);
        return;
    }
    if (presses++ == 0) {
        clock_gettime(CLOCK_MONOTONIC, &first_press);
    } else if (since_first_press() > 1.0) {
        if (!warned) {
            static const char msg[] = "\ntensh: still inside a C call; press Ctrl-C again to quit\n";
            warned = 1;
            ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
            (void)w;
        } else {
            signal(sig, SIG_DFL);
            raise(sig);
        }
    }
    lua_State *L = running;
    if (L) lua_sethook(L, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void tsh_repl_arm_interrupt(lua_State *L)
{
    if (!have_main_thread) {
        main_thread = pthread_self();
        have_main_thread = 1;
    }
    presses = 0;
    warned = 0;
    tsh_interrupt_flag = 0;
    running = L;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking read returns on Ctrl-C */
    sigaction(SIGINT, &sa, &before);
}

void tsh_repl_disarm_interrupt(lua_State *L)
{
    sigaction(SIGINT, &before, NULL);
    running = NULL;
    /* A Ctrl-C that came as the call returned must not stop the next one;
     * a hook the user set with debug.sethook stays. */
    if (lua_gethook(L) == lstop) lua_sethook(L, NULL, 0, 0);
    tsh_interrupt_flag = 0;
}

int tsh_repl_interrupted(void) { return presses > 0; }

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int tsh_docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    tsh_repl_arm_interrupt(L);
    int status = lua_pcall(L, narg, nres, base);
    tsh_repl_disarm_interrupt(L);
    lua_remove(L, base);
    return status;
}
