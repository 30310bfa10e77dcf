/* magic.c: the REPL's own commands, which are not Lua: `%time stmt` (one
 * run, wall and CPU time), `%timeit [-n N] [-r R] stmt` (repeated runs,
 * min and median per loop, the loop count found the way IPython and
 * Python's timeit.autorange do), `!cmd` (a shell command) and `?x` (help).
 * Each runs under tsh_docall, so Ctrl-C stops it like any statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <lauxlib.h>

#include "internal.h"
#include "repl.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(int which) /* 0: user, 1: system; all threads */
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct timeval tv = which ? ru.ru_stime : ru.ru_utime;
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* "1.23 s", "45.6 ms", "789 µs", "12.3 ns": three significant digits. */
static const char *fmt_time(char *buf, size_t n, double s)
{
    static const char *const unit[] = {"s", "ms", "µs", "ns"};
    if (s <= 0) {
        snprintf(buf, n, "0 s");
        return buf;
    }
    int u = 0;
    while (u < 3 && s < 1.0) {
        s *= 1000;
        u++;
    }
    snprintf(buf, n, "%.*f %s", s >= 100 ? 0 : s >= 10 ? 1 : 2, s, unit[u]);
    return buf;
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

/* Compiles a one-line statement for the magics; reports and returns 0 on
 * failure. */
static int compile_line(lua_State *L, const char *src, int *is_expr)
{
    int st = tsh_repl_compile(L, src, strlen(src), is_expr);
    if (st == LUA_OK) return 1;
    if (st == -1) lua_pushliteral(L, "incomplete statement (a magic takes one line)");
    tsh_repl_report(L);
    return 0;
}

static void magic_time(lua_State *L, const char *src)
{
    int is_expr;
    if (!*src) {
        fputs("usage: %time <statement or expression>\n", stderr);
        return;
    }
    if (!compile_line(L, src, &is_expr)) return;
    int base = lua_gettop(L) - 1;
    double u0 = cpu_seconds(0), s0 = cpu_seconds(1), t0 = now();
    int st = tsh_docall(L, 0, LUA_MULTRET);
    double wall = now() - t0, user = cpu_seconds(0) - u0, sys = cpu_seconds(1) - s0;
    if (st != LUA_OK) {
        tsh_repl_report(L);
        lua_settop(L, base);
        return;
    }
    char a[32], b[32], c[32], d[32];
    printf("CPU times: user %s, sys %s, total %s\nWall time: %s\n", fmt_time(a, sizeof a, user),
           fmt_time(b, sizeof b, sys), fmt_time(c, sizeof c, user + sys), fmt_time(d, sizeof d, wall));
    fflush(stdout);
    int n = lua_gettop(L) - base;
    if (n > 0) tsh_autoprint(L, n);
    lua_settop(L, base);
}

/* Runs the loop function at the stack top `loops` times; returns the
 * seconds taken, or -1 after reporting an error (or an interrupt). */
static double run_loops(lua_State *L, long loops)
{
    lua_pushvalue(L, -1);
    lua_pushinteger(L, loops);
    double t0 = now();
    int st = tsh_docall(L, 1, 0);
    double t = now() - t0;
    if (st != LUA_OK) {
        tsh_repl_report(L);
        return -1;
    }
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void magic_timeit(lua_State *L, const char *src)
{
    long number = 0, repeat = 0;
    while (*src == '-' && (src[1] == 'n' || src[1] == 'r')) {
        char opt = src[1];
        char *end;
        long v = strtol(src + 2, &end, 10);
        if (v <= 0 || end == src + 2) {
            fprintf(stderr, "%%timeit: -%c takes a positive count\n", opt);
            return;
        }
        if (opt == 'n') number = v;
        else repeat = v;
        src = skip_space(end);
    }
    if (!*src) {
        fputs("usage: %timeit [-n loops] [-r runs] <statement or expression>\n", stderr);
        return;
    }
    int is_expr;
    if (!compile_line(L, src, &is_expr)) return; /* checks the syntax */
    lua_pop(L, 1);
    lua_pushfstring(L, "local n__ = ... for i__ = 1, n__ do %s%s\nend", is_expr ? "local _ = " : "", src);
    if (luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=stdin") != LUA_OK) {
        lua_remove(L, -2);
        tsh_repl_report(L);
        return;
    }
    lua_remove(L, -2);
    enum { MAX_RUNS = 100 };
    double samples[MAX_RUNS];
    int nsamples = 0;
    double t;
    if (number == 0) { /* 1, 2, 5, 10, 20, 50, ... loops until a run takes 0.2 s */
        for (long k = 1;; k *= 10) {
            static const int steps[] = {1, 2, 5};
            for (int s = 0; s < 3 && number == 0; s++) {
                t = run_loops(L, k * steps[s]);
                if (t < 0) goto out;
                if (t >= 0.2 || k * steps[s] >= 1000000000L) number = k * steps[s];
            }
            if (number) break;
        }
        samples[nsamples++] = t / (double)number; /* the last calibration run counts */
    } else {
        t = run_loops(L, number);
        if (t < 0) goto out;
        samples[nsamples++] = t / (double)number;
    }
    if (repeat == 0) { /* 7 runs, fewer (but 3) when each takes seconds */
        repeat = 7;
        if (t * repeat > 10.0) repeat = t > 0 ? (long)(10.0 / t) : 7;
        if (repeat < 3) repeat = 3;
    }
    if (repeat > MAX_RUNS) repeat = MAX_RUNS;
    while (nsamples < repeat) {
        t = run_loops(L, number);
        if (t < 0) goto out;
        samples[nsamples++] = t / (double)number;
    }
    qsort(samples, (size_t)nsamples, sizeof samples[0], cmp_double);
    double median = nsamples % 2 ? samples[nsamples / 2]
                                 : (samples[nsamples / 2 - 1] + samples[nsamples / 2]) / 2;
    char a[32], b[32];
    printf("%s min, %s median per loop (%d runs, %ld loop%s each)\n", fmt_time(a, sizeof a, samples[0]),
           fmt_time(b, sizeof b, median), nsamples, number, number == 1 ? "" : "s");
    fflush(stdout);
out:
    lua_pop(L, 1);
}

static int shell_call(lua_State *L) /* protected, so Ctrl-C is armed */
{
    const char *cmd = lua_tostring(L, 1);
    fflush(stdout);
    fflush(stderr);
    int st = system(cmd);
    if (st == -1) perror("tensh: !");
    else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) fprintf(stderr, "[exit status %d]\n", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) fprintf(stderr, "[killed by signal %d]\n", WTERMSIG(st));
    return 0;
}

/* ?x: help on the value of x; `?t:reshape` means t.reshape; a name that
 * is nil is looked up by name (help "zeros"). */
static void show_help(lua_State *L, const char *expr)
{
    int top = lua_gettop(L);
    lua_getglobal(L, "help");
    if (!*expr) {
        if (tsh_docall(L, 0, 0) != LUA_OK) tsh_repl_report(L);
        lua_settop(L, top);
        return;
    }
    char *src = strdup(expr);
    if (!src) return;
    size_t n = strlen(src);
    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\t' || src[n - 1] == '?')) src[--n] = '\0';
    char *colon = strrchr(src, ':');
    if (colon && colon[1] && !strchr(colon, '(')) *colon = '.';
    int ok = 0;
    lua_pushfstring(L, "return (%s)", src);
    int st = luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=stdin");
    lua_remove(L, -2);
    if (st == LUA_OK) {
        ok = tsh_docall(L, 0, 1) == LUA_OK;
        if (!ok) tsh_repl_report(L);
    } else {
        tsh_repl_report(L); /* ?x takes an expression */
    }
    if (ok) {
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushstring(L, src);
        }
        if (tsh_docall(L, 1, 0) != LUA_OK) tsh_repl_report(L);
    }
    free(src);
    lua_settop(L, top);
}

int tsh_magic_line(lua_State *L, const char *line)
{
    line = skip_space(line);
    if (line[0] == '?') {
        show_help(L, skip_space(line + 1));
        return 1;
    }
    if (line[0] == '!') {
        lua_pushcfunction(L, shell_call);
        lua_pushstring(L, skip_space(line + 1));
        if (tsh_docall(L, 1, 0) != LUA_OK) tsh_repl_report(L);
        return 1;
    }
    if (line[0] != '%') return 0;
    const char *name = line + 1, *end = name;
    while ((*end >= 'a' && *end <= 'z')) end++;
    size_t n = (size_t)(end - name);
    if (n == 4 && strncmp(name, "time", 4) == 0) magic_time(L, skip_space(end));
    else if (n == 6 && strncmp(name, "timeit", 6) == 0) magic_timeit(L, skip_space(end));
    else fprintf(stderr, "unknown command %%%.*s (there are %%time and %%timeit)\n", (int)n, name);
    return 1;
}
