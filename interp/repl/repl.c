/* repl.c: the interactive loop, in the shape of lua.c's doREPL: read a line,
 * try it as `return <line>` so expressions print, continue on a `..` prompt
 * while the chunk is incomplete (its parse error ends at <eof>), run it
 * under tsh_docall and show its values or its error. Also the banner.
 * Not here: line editing (input.c), completion, history, printing, and
 * the %/!/? commands (magic.c). */
#include "repl.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "internal.h"

/* -- compiling input ---------------------------------------------------- */

static int ends_at_eof(lua_State *L)
{
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    static const char mark[] = "<eof>";
    return msg && len >= sizeof mark - 1 && strcmp(msg + len - (sizeof mark - 1), mark) == 0;
}

/* True when a syntax error blames the first token of src, which means the
 * statement form never got going and the expression form's error is the
 * one that points at the real mistake (`1 +* 2`). */
static int blames_first_token(const char *msg, const char *src)
{
    while (*src == ' ' || *src == '\t' || *src == '\n') src++;
    size_t n = 0;
    while (src[n] && (strchr("_.", src[n]) || (src[n] >= '0' && src[n] <= '9') ||
                      (src[n] >= 'a' && src[n] <= 'z') || (src[n] >= 'A' && src[n] <= 'Z')))
        n++;
    if (n == 0 && src[0]) n = 1;
    char want[80];
    snprintf(want, sizeof want, "near '%.*s'", (int)(n < 60 ? n : 60), src);
    size_t wl = strlen(want), ml = strlen(msg);
    return ml >= wl && strcmp(msg + ml - wl, want) == 0;
}

int tsh_repl_compile(lua_State *L, const char *src, size_t len, int *is_expr)
{
    lua_pushliteral(L, "return ");
    lua_pushlstring(L, src, len);
    lua_concat(L, 2);
    size_t rlen;
    const char *ret = lua_tolstring(L, -1, &rlen);
    int st = luaL_loadbuffer(L, ret, rlen, "=stdin");
    lua_remove(L, -2);
    if (st == LUA_OK) {
        *is_expr = 1;
        return LUA_OK;
    }
    int expr_incomplete = ends_at_eof(L);
    st = luaL_loadbuffer(L, src, len, "=stdin");
    if (st == LUA_OK) {
        lua_remove(L, -2);
        *is_expr = 0;
        return LUA_OK;
    }
    if (expr_incomplete || ends_at_eof(L)) {
        lua_pop(L, 2);
        return -1;
    }
    const char *stmt_msg = lua_tostring(L, -1);
    if (stmt_msg && blames_first_token(stmt_msg, src)) lua_pop(L, 1);
    else lua_remove(L, -2);
    return LUA_ERRSYNTAX;
}

/* -- running and reporting --------------------------------------------- */

/* Frames that say nothing the message does not: the REPL's own chunk, the
 * C entry, and the error/assert call itself. */
static int is_noise_frame(const char *line, size_t len)
{
    static const char *const noise[] = {
        "\t[C]: in ?", "\t[C]: in function 'error'", "\t[C]: in function 'assert'", "\t(...tail calls...)",
    };
    for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++)
        if (len == strlen(noise[i]) && memcmp(line, noise[i], len) == 0) return 1;
    static const char main_chunk[] = ": in main chunk";
    return len > sizeof main_chunk && strncmp(line, "\tstdin:", 7) == 0 &&
           memcmp(line + len - (sizeof main_chunk - 1), main_chunk, sizeof main_chunk - 1) == 0;
}

void tsh_repl_report(lua_State *L)
{
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    if (!msg) {
        msg = "(error object is not a string)";
        len = strlen(msg);
    }
    static const char tbmark[] = "\nstack traceback:\n";
    const char *tb = strstr(msg, tbmark);
    size_t mlen = tb ? (size_t)(tb - msg) : len;
    fflush(stdout);
    if (tsh_repl_interrupted() && mlen >= 11 && memcmp(msg + mlen - 11, "interrupted", 11) == 0)
        fputs(isatty(STDERR_FILENO) ? "\ninterrupted\n" : "interrupted\n", stderr); /* after the ^C echo */
    else
        fprintf(stderr, "%.*s\n", (int)mlen, msg);
    if (tb) {
        /* A short traceback: only when some frame adds information, at most
         * ten of them. */
        const char *frames = tb + sizeof tbmark - 1, *p = frames;
        int useful = 0;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (!is_noise_frame(p, l)) useful++;
            p += l + (e != NULL);
        }
        if (useful > 0) {
            fputs("stack traceback:\n", stderr);
            int shown = 0;
            for (p = frames; *p;) {
                const char *e = strchr(p, '\n');
                size_t l = e ? (size_t)(e - p) : strlen(p);
                if (!(l == 10 && memcmp(p, "\t[C]: in ?", 10) == 0) &&
                    !(l == 19 && memcmp(p, "\t(...tail calls...)", 19) == 0)) {
                    if (shown++ == 10) {
                        fputs("\t...\n", stderr);
                        break;
                    }
                    fprintf(stderr, "%.*s\n", (int)l, p);
                }
                p += l + (e != NULL);
            }
        }
    }
    fflush(stderr);
    lua_pop(L, 1);
}

int tsh_repl_exec(lua_State *L, int show)
{
    int base = lua_gettop(L) - 1;
    int st = tsh_docall(L, 0, LUA_MULTRET);
    if (st == LUA_OK) {
        int n = lua_gettop(L) - base;
        if (show && n > 0) tsh_autoprint(L, n);
    } else {
        tsh_repl_report(L);
    }
    lua_settop(L, base);
    return st;
}

/* -- the banner ----------------------------------------------------------- */

/* From OpenBLAS itself (the kernels link it); for the banner only. */
char *openblas_get_config(void);
char *openblas_get_corename(void);
int openblas_get_parallel(void);

void tsh_repl_print_version(void)
{
    printf("tensh %s (%s)\n", TENSH_VERSION, LUA_RELEASE);
    fflush(stdout);
}

static void print_banner(lua_State *L)
{
    printf("tensh %s (%s): tensors in Lua with PyTorch semantics\n", TENSH_VERSION, LUA_RELEASE);
    /* "OpenBLAS 0.3.21 DYNAMIC_ARCH ...": the second word is the version */
    char version[32] = "?";
    const char *cfg = openblas_get_config();
    if (cfg && sscanf(cfg, "OpenBLAS %31s", version) != 1) snprintf(version, sizeof version, "?");
    int par = openblas_get_parallel();
    const char *build = par == 2 ? "OpenMP build" : par == 1 ? "pthreads build" : "sequential build";
    long threads = 0;
    int top = lua_gettop(L);
    if (lua_getglobal(L, "tensor") == LUA_TTABLE && lua_getfield(L, -1, "get_num_threads") == LUA_TFUNCTION &&
        lua_pcall(L, 0, 1, 0) == LUA_OK)
        threads = (long)lua_tointeger(L, -1);
    lua_settop(L, top);
    printf("BLAS: OpenBLAS %s (%s, %s kernels); %ld thread%s\n", version, build, openblas_get_corename(),
           threads, threads == 1 ? "" : "s");
    /* The cuda module, once it exists, says what devices there are. */
    int devices = 0;
    if (lua_getglobal(L, "cuda") == LUA_TTABLE && lua_getfield(L, -1, "device_count") == LUA_TFUNCTION &&
        lua_pcall(L, 0, 1, 0) == LUA_OK)
        devices = (int)lua_tointeger(L, -1);
    lua_settop(L, top);
    if (devices > 0) printf("CUDA: %d device%s\n", devices, devices == 1 ? "" : "s");
    else puts("no CUDA device");
    puts("help() for help, ?x for help on x, Tab completes, Ctrl-D exits");
    fflush(stdout);
}

/* -- the loop ------------------------------------------------------------- */

static const char *prompt(lua_State *L, int first)
{
    static char buf[256];
    const char *def = first ? "> " : ".. ";
    if (lua_getglobal(L, first ? "_PROMPT" : "_PROMPT2") == LUA_TSTRING)
        snprintf(buf, sizeof buf, "%s", lua_tostring(L, -1));
    else
        snprintf(buf, sizeof buf, "%s", def);
    lua_pop(L, 1);
    return buf;
}

static int is_blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    return *s == '\0';
}

enum { INPUT_EOF, INPUT_NONE, INPUT_CHUNK };

/* `exit`, `quit`, `exit()` or `quit()` leave, as in IPython, unless the
 * name is a global of the user's. */
static int is_exit_word(lua_State *L, const char *p)
{
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) n--;
    if (n >= 2 && p[n - 2] == '(' && p[n - 1] == ')') n -= 2;
    if (n != 4 || (strncmp(p, "exit", 4) != 0 && strncmp(p, "quit", 4) != 0)) return 0;
    char name[5];
    memcpy(name, p, 4);
    name[4] = '\0';
    int is_nil = lua_getglobal(L, name) == LUA_TNIL;
    lua_pop(L, 1);
    return is_nil;
}

/* Reads one input: a magic line (run here), or a complete chunk (pushed
 * compiled). A chunk is read over several lines while it is incomplete;
 * an empty line, Ctrl-C or Ctrl-D on a `..` line cancels it. */
static int read_input(lua_State *L)
{
    char *line;
    tsh_read r = tsh_input_read(prompt(L, 1), &line);
    if (r == TSH_READ_EOF) return INPUT_EOF;
    if (r == TSH_READ_CANCEL) return INPUT_NONE;
    if (is_blank(line)) {
        free(line);
        return INPUT_NONE;
    }
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (is_exit_word(L, p)) {
        free(line);
        return INPUT_EOF;
    }
    if (*p == '%' || *p == '!' || *p == '?') {
        tsh_history_add(line);
        tsh_magic_line(L, p);
        free(line);
        return INPUT_NONE;
    }
    if (*p == '=') *(char *)p = ' '; /* Lua 5.1's `=expr` */
    char *chunk = line;
    for (;;) {
        int is_expr;
        int st = tsh_repl_compile(L, chunk, strlen(chunk), &is_expr);
        if (st != -1) {
            tsh_history_add(chunk);
            free(chunk);
            if (st == LUA_OK) return INPUT_CHUNK;
            tsh_repl_report(L);
            return INPUT_NONE;
        }
        char *more = NULL;
        r = tsh_input_read(prompt(L, 0), &more);
        if (r != TSH_READ_LINE || is_blank(more)) {
            tsh_history_add(chunk); /* to recall and fix */
            free(chunk);
            free(more);
            return INPUT_NONE;
        }
        size_t a = strlen(chunk), b = strlen(more);
        char *joined = realloc(chunk, a + b + 2);
        if (!joined) {
            free(chunk);
            free(more);
            return INPUT_NONE;
        }
        joined[a] = '\n';
        memcpy(joined + a + 1, more, b + 1);
        free(more);
        chunk = joined;
    }
}

static void ignore_sigint(int sig) { (void)sig; }

void tsh_repl_run(lua_State *L, int quiet)
{
    /* Between statements Ctrl-C does nothing (a handler, not SIG_IGN, so
     * that commands started from Lua still get the default). */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ignore_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    tsh_input_open(L, isatty(STDIN_FILENO));
    if (!quiet) print_banner(L);
    int top = lua_gettop(L);
    for (;;) {
        int r = read_input(L);
        if (r == INPUT_EOF) break;
        if (r == INPUT_CHUNK) tsh_repl_exec(L, 1);
        lua_settop(L, top);
    }
    tsh_input_close();
    sigaction(SIGINT, &old, NULL);
}
