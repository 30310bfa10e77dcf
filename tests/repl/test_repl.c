/* test_repl.c: the REPL as a user meets it, driven through a pseudo-terminal
 * (pty.c): auto-print, multi-line input, completion, history across two
 * sessions, errors, Ctrl-C in a Lua loop and in a long tensor op, help, the
 * magics, -i and exit statuses. Usage: test_repl path/to/tensh. Waits poll
 * the screen with generous timeouts; only the check that a C kernel stopped
 * early compares times, against the same op measured in the same session. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pty.h"

static const char *tensh;
static char tmpdir[256];
static int passed, failed;
static const char *current;
static char why[1024]; /* what a helper saw when it returned 0, for fail_at */
static pty_term *cur_term;
static pty_term term; /* the session under test */

#define T_WAIT 15.0 /* seconds: only a broken REPL gets near this */

static void fail_at(int line, const char *what)
{
    failed++;
    fprintf(stderr, "FAIL %s (line %d): %s\n", current, line, what);
    if (why[0]) fprintf(stderr, "  %s\n", why);
    why[0] = '\0';
    if (cur_term) {
        size_t n = cur_term->len, from = n > 1500 ? n - 1500 : 0;
        fprintf(stderr, "---- screen (last %zu bytes) ----\n%s\n---- end ----\n", n - from,
                cur_term->text + from);
    }
}

#define CHECK(cond)                         \
    do {                                    \
        if (!(cond)) {                      \
            fail_at(__LINE__, #cond);       \
            return;                         \
        }                                   \
    } while (0)

static char *path_in_tmp(const char *name)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", tmpdir, name);
    return b;
}

/* Starts `tensh <args>` with HOME in the temp dir and a history file. */
static int start(pty_term *t, const char *const args[], const char *history, const char *extra_env)
{
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)tensh;
    for (int i = 0; args && args[i] && n < 14; i++) argv[n++] = (char *)args[i];
    argv[n] = NULL;
    static char home[600], hist[600], extra[200];
    snprintf(home, sizeof home, "HOME=%s", tmpdir);
    snprintf(hist, sizeof hist, "TENSH_HISTORY=%s", history ? history : path_in_tmp("history_default"));
    char *env[4] = {home, hist, NULL, NULL};
    if (extra_env) {
        snprintf(extra, sizeof extra, "%s", extra_env);
        env[2] = extra;
    }
    cur_term = t;
    return pty_spawn(t, argv, env);
}

static const char *const quiet[] = {"-q", NULL};

/* Waits for a prompt at the start of a line after the mark. */
static int wait_prompt(pty_term *t, const char *prompt)
{
    double end = pty_now() + T_WAIT;
    size_t from = t->mark;
    while (pty_now() < end) {
        size_t save = t->mark;
        if (!pty_expect(t, prompt, end - pty_now())) return 0;
        size_t at = t->mark - strlen(prompt);
        if (at == from || at == 0 || t->text[at - 1] == '\n') return 1;
        (void)save;
    }
    return 0;
}

/* Types a line, waits for its echo and the next prompt, and returns what
 * was printed in between (a static buffer), or NULL on a timeout. */
static const char *eval(pty_term *t, const char *line)
{
    static char out[65536];
    pty_send(t, line);
    pty_send(t, "\r");
    if (!pty_expect(t, line, T_WAIT) || !pty_expect(t, "\n", T_WAIT)) return NULL;
    size_t start = t->mark;
    if (!wait_prompt(t, "> ")) return NULL;
    size_t end = t->mark - 2;
    size_t n = end - start < sizeof out - 1 ? end - start : sizeof out - 1;
    memcpy(out, t->text + start, n);
    out[n] = '\0';
    return out;
}

static int eq(const char *got, const char *want) { return got && strcmp(got, want) == 0; }
static int has(const char *got, const char *want) { return got && strstr(got, want) != NULL; }

/* start(), then the first prompt. */
static int start_at_prompt(pty_term *t, const char *const args[], const char *history, const char *extra_env)
{
    return start(t, args, history, extra_env) == 0 && wait_prompt(t, "> ");
}

/* Types `keys` (Ctrl-D, os.exit(3), quit) and waits for the session to end
 * with `status`. */
static int exits(pty_term *t, const char *keys, int status)
{
    pty_send(t, keys);
    return pty_wait(t, T_WAIT) == status;
}

/* Types a line that leaves the chunk open: the continuation prompt follows. */
static int continues(pty_term *t, const char *line)
{
    pty_send(t, line);
    pty_send(t, "\r");
    return wait_prompt(t, ".. ");
}

/* Ctrl-C at the prompt: readline shows ^C and gives a fresh prompt. */
static int ctrl_c_clears(pty_term *t)
{
    pty_send(t, "\x03");
    return pty_expect(t, "^C\n", T_WAIT) && wait_prompt(t, "> ");
}

/* Runs `line`, which prints `mark` and then runs on; after `settle` seconds
 * Ctrl-C must stop it with "interrupted" and give a prompt back. */
static int interrupts(pty_term *t, const char *line, const char *mark, double settle)
{
    pty_send(t, line);
    pty_send(t, "\r");
    if (!pty_expect(t, mark, T_WAIT)) return 0;
    pty_drain(t, settle);
    pty_send(t, "\x03");
    return pty_expect(t, "interrupted", T_WAIT) && wait_prompt(t, "> ");
}

/* A line typed at the prompt and what it must print: exactly `want`, or
 * (PART) text that contains it. Tables of them end with {NULL}. */
enum { EXACT, PART };
typedef struct exchange {
    const char *line;
    int match;
    const char *want;
} exchange;

/* Evaluates the lines in turn; at the first that prints something else,
 * says which (in `why`) and returns 0. */
static int evals(pty_term *t, const exchange *x)
{
    for (; x->line; x++) {
        const char *got = eval(t, x->line);
        if (x->match == EXACT ? eq(got, x->want) : has(got, x->want)) continue;
        snprintf(why, sizeof why, "`%s` printed \"%.400s\", wanted %s\"%s\"", x->line,
                 got ? got : "(nothing before the timeout)", x->match == EXACT ? "" : "a part ", x->want);
        return 0;
    }
    return 1;
}

/* -- the tests ------------------------------------------------------------- */

static void test_banner(void)
{
    pty_term *t = &term;
    CHECK(start(t, NULL, NULL, NULL) == 0);
    CHECK(pty_expect(t, "tensh 0.", T_WAIT));
    CHECK(pty_expect(t, "Lua 5.4", T_WAIT));
    CHECK(pty_expect(t, "OpenBLAS", T_WAIT));
    CHECK(pty_expect(t, "OpenMP build", T_WAIT));
    CHECK(pty_expect(t, "thread", T_WAIT));
    CHECK(pty_expect(t, "no CUDA device", T_WAIT));
    CHECK(wait_prompt(t, "> "));
    CHECK(exits(t, "\x04", 0)); /* Ctrl-D at an empty prompt exits */
    pty_close(t);

    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    CHECK(strstr(t->text, "OpenBLAS") == NULL);
    CHECK(eq(eval(t, "1 + 1"), "2\n"));
    CHECK(exits(t, "\x04", 0));
    pty_close(t);
    passed++;
}

static void test_autoprint(void)
{
    static const exchange lines[] = {
        {"21 * 2", EXACT, "42\n"},
        {"_", EXACT, "42\n"},
        {"_ + 1", EXACT, "43\n"},
        {"x = 5", EXACT, ""},
        {"nil", EXACT, ""},
        {"_", EXACT, "43\n"}, /* nil did not replace it */
        {"1.5, 'two', nil", EXACT, "1.5\ttwo\tnil\n"},
        {"{1, 2, {a = 1, b = {c = 2}}, 's'}", EXACT, "{1, 2, {a = 1, b = {c = 2}}, \"s\"}\n"},
        {"{[10] = true, ['a b'] = 1, z = 'q\\n'}", EXACT, "{[10] = true, [\"a b\"] = 1, z = \"q\\n\"}\n"},
        {"{{{{{1}}}}}", EXACT, "{{{{...}}}}\n"},
        {"cyc = {}; cyc.self = cyc; cyc.list = {cyc}", EXACT, ""},
        {"cyc", EXACT, "{list = {<cycle>}, self = <cycle>}\n"},
        {"{}", EXACT, "{}\n"},
        {NULL},
    };
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    CHECK(evals(t, lines));
    const char *long_t = eval(t, "(function() local t = {} for i = 1, 150 do t[i] = i end return t end)()");
    CHECK(has(long_t, "... (50 more)"));
    CHECK(has(long_t, "\n  100,\n"));
    CHECK(has(eval(t, "tensor.zeros(2, 3)"), "tensor"));
    /* past the threshold, t:summary() leads when the method exists */
    CHECK(eq(eval(t, "big = tensor.zeros(100, 100)"), ""));
    const char *probe = eval(t, "pcall(function() return big.summary end)");
    CHECK(probe);
    int has_summary = strncmp(probe, "true", 4) == 0;
    char summary[4096] = "";
    if (has_summary) {
        const char *s = eval(t, "big:summary()");
        CHECK(s);
        snprintf(summary, sizeof summary, "%s", s);
    }
    const char *shown = eval(t, "big");
    CHECK(has(shown, "tensor"));
    if (has_summary) CHECK(strncmp(shown, summary, strlen(summary)) == 0);
    pty_close(t);
    passed++;
}

static void test_multiline(void)
{
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    CHECK(continues(t, "function twice(a)"));
    CHECK(continues(t, "return a * 2"));
    CHECK(eq(eval(t, "end"), ""));
    CHECK(eq(eval(t, "twice(21)"), "42\n"));
    CHECK(continues(t, "{1,")); /* an incomplete expression continues too */
    CHECK(eq(eval(t, "2}"), "{1, 2}\n"));
    CHECK(continues(t, "for i = 1, 3 do")); /* an empty line cancels */
    CHECK(eq(eval(t, ""), ""));
    CHECK(eq(eval(t, "3 + 4"), "7\n"));
    CHECK(continues(t, "if true then")); /* so does Ctrl-C */
    pty_send(t, "x = 1");
    CHECK(pty_expect(t, "x = 1", T_WAIT));
    pty_send(t, "\x03");
    CHECK(pty_expect(t, "^C", T_WAIT));
    CHECK(wait_prompt(t, "> "));
    CHECK(eq(eval(t, "x"), "")); /* x = 1 never ran */
    CHECK(eq(eval(t, "5 + 5"), "10\n"));
    pty_close(t);
    passed++;
}

/* Types `text` and presses Tab; readline must insert `suffix`. */
static int completes(pty_term *t, const char *text, const char *suffix)
{
    pty_send(t, text);
    pty_send(t, "\t");
    return pty_expect(t, suffix, T_WAIT);
}

static void test_completion(void)
{
    /* Tab completes `text` with `suffix`; `rest` finishes the line, which
     * must print `want`. A row without text is a plain line. */
    static const struct {
        const char *text, *suffix, *rest, *want;
    } steps[] = {
        {NULL, NULL, "x = tensor.zeros(2, 3)", ""},
        {"x:resh", "ape", "(3, 2):size(1)", "3\n"},
        {"x.sh", "ape", "[2]", "3\n"},
        {"pri", "nt", "('ok')", "ok\n"},
        {"string.up", "per", "('abc')", "ABC\n"},
        {NULL, NULL, "s = 'abc'", ""},
        {"s:rev", "erse", "()", "cba\n"},
        {NULL, NULL, "mymod = {alpha = 1, beta = {gamma = 2}}", ""},
    };
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    /* two candidates: Tab inserts the common part, Tab again lists them */
    pty_send(t, "tensor.ze\t");
    CHECK(pty_expect(t, "ros", T_WAIT));
    pty_send(t, "\t");
    CHECK(pty_expect(t, "zeros_like", T_WAIT));
    CHECK(eq(eval(t, "(2, 3):numel()"), "6\n"));
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (steps[i].text) CHECK(completes(t, steps[i].text, steps[i].suffix));
        CHECK(eq(eval(t, steps[i].rest), steps[i].want));
    }
    CHECK(completes(t, "mymod.be", "ta"));
    CHECK(completes(t, ".ga", "mma"));
    CHECK(eq(eval(t, ""), "2\n"));
    CHECK(completes(t, "local function f() whi", "le"));
    CHECK(ctrl_c_clears(t));
    pty_close(t);

    /* the lazy globals of stdlib/tensh.lua complete (nn is the real one) */
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    CHECK(completes(t, "n", "nn"));
    CHECK(ctrl_c_clears(t));
    CHECK(completes(t, "nn.Con", "v2d"));
    CHECK(eq(eval(t, "(1, 6, 5).out_channels"), "6\n"));
    pty_close(t);
    passed++;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_history(void)
{
    static const exchange first[] = {
        {"hist_a = 1", EXACT, ""},
        {"hist_b = 2", EXACT, ""},
        {"hist_a = 1", EXACT, ""},
        {NULL},
    };
    static const exchange five[] = {
        {"l1 = 1", EXACT, ""}, {"l2 = 2", EXACT, ""}, {"l3 = 3", EXACT, ""},
        {"l4 = 4", EXACT, ""}, {"l5 = 5", EXACT, ""}, {NULL},
    };
    const char *file = path_in_tmp("history_two_sessions");
    unlink(file);
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, file, NULL));
    CHECK(evals(t, first));
    CHECK(continues(t, "function hf()"));
    CHECK(continues(t, "return 7"));
    CHECK(eq(eval(t, "end"), ""));
    CHECK(exits(t, "\x04", 0));
    pty_close(t);
    /* de-duplicated (the latest kept), a multi-line chunk on one line */
    CHECK(eq(read_file(file), "hist_b = 2\nhist_a = 1\nfunction hf()\\nreturn 7\\nend\n"));

    CHECK(start_at_prompt(t, quiet, file, NULL));
    pty_send(t, "\x1b[A"); /* Up: the newest entry, the whole function */
    CHECK(pty_expect(t, "return 7", T_WAIT));
    pty_send(t, "\x1b[A");
    CHECK(pty_expect(t, "hist_a = 1", T_WAIT));
    pty_send(t, "\x1b[A");
    CHECK(pty_expect(t, "b = 2", T_WAIT)); /* readline redraws only what changed */
    pty_send(t, "\r");
    CHECK(wait_prompt(t, "> "));
    CHECK(eq(eval(t, "hist_b"), "2\n"));
    CHECK(eq(eval(t, "hist_a"), "")); /* nil: a fresh session */
    CHECK(exits(t, "\x04", 0));
    pty_close(t);

    /* bounded: TENSH_HISTORY_SIZE keeps the newest entries */
    const char *small = path_in_tmp("history_bounded");
    unlink(small);
    CHECK(start_at_prompt(t, quiet, small, "TENSH_HISTORY_SIZE=3"));
    CHECK(evals(t, five));
    CHECK(exits(t, "\x04", 0));
    pty_close(t);
    CHECK(eq(read_file(small), "l3 = 3\nl4 = 4\nl5 = 5\n"));
    passed++;
}

static void test_errors(void)
{
    static const exchange before[] = {
        {"y = 3", EXACT, ""},
        {"error('boom')", EXACT, "stdin:1: boom\n"},
        {"y", EXACT, "3\n"},
        {"function h() error('deep') end", EXACT, ""},
        {NULL},
    };
    static const exchange after[] = {
        {"1 +* 2", PART, "unexpected symbol near '*'"},
        {"x = = 2", PART, "unexpected symbol near '='"},
        {"tensor.zeros('a')", PART, "bad argument #1"},
        {"error({})", PART, "error object is a table value"},
        {"error(setmetatable({}, {__tostring = function() return 'custom' end}))", PART, "custom"},
        {"nosuch.field", PART, "attempt to index a nil value (global 'nosuch')"},
        {"y + 1", EXACT, "4\n"},
        {NULL},
    };
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    CHECK(evals(t, before));
    const char *e = eval(t, "h()");
    CHECK(has(e, "stdin:1: deep"));
    CHECK(has(e, "in function 'h'"));
    CHECK(evals(t, after));
    pty_close(t);
    passed++;
}

static void test_interrupt_loop(void)
{
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    CHECK(eq(eval(t, "k = 0"), ""));
    /* each loop prints a mark first: a Ctrl-C after it lands in the loop */
    CHECK(interrupts(t, "print('spin' .. 1); while true do k = k + 1 end", "\nspin1\n", 0.1));
    CHECK(eq(eval(t, "k > 0"), "true\n"));
    CHECK(interrupts(t, "print('spin' .. 2); while true do end", "\nspin2\n", 0.1));
    CHECK(eq(eval(t, "1 + 2"), "3\n"));
    /* %timeit runs protected too */
    CHECK(interrupts(t, "%timeit print('spin' .. 3) while true do end", "\nspin3\n", 0.1));
    /* a shell command gets the Ctrl-C, the session does not die */
    pty_send(t, "!echo sleep''ing; sleep 20\r");
    CHECK(pty_expect(t, "\nsleeping\n", T_WAIT));
    pty_drain(t, 0.1);
    double t0 = pty_now();
    pty_send(t, "\x03");
    CHECK(wait_prompt(t, "> "));
    CHECK(pty_now() - t0 < 10);
    CHECK(eq(eval(t, "k > 0"), "true\n"));
    pty_close(t);
    passed++;
}

/* Ctrl-C inside one long C kernel: the copy of a big transposed tensor
 * polls the core's interrupt flag between chunks, so it stops well before
 * it would have finished. The size is calibrated in the session. */
static void test_interrupt_kernel(void)
{
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    const char *timing = "t0 = tensor.perf_counter(); y = big:t():contiguous(); "
                         "print(string.format('took %.3f', tensor.perf_counter() - t0))";
    CHECK(eq(eval(t, "big = tensor.zeros(4096, 4096); y = big:t():contiguous()"), ""));
    const char *out = eval(t, timing);
    double took = 0;
    CHECK(out && sscanf(out, "took %lf", &took) == 1);
    /* aim at ~2 s, at most 2^28 elements (1 GiB) */
    long rows = 4096;
    while (took < 2.0 && rows < 65536) {
        rows *= 2;
        took *= 2;
    }
    char make[160];
    snprintf(make, sizeof make, "big = nil; y = nil; collectgarbage(); big = tensor.zeros(%ld, 4096)", rows);
    CHECK(eq(eval(t, make), ""));
    out = eval(t, timing);
    CHECK(out && sscanf(out, "took %lf", &took) == 1);

    pty_send(t, "print('go'); y = big:t():contiguous(); print('fin' .. 'ished')\r");
    CHECK(pty_expect(t, "\ngo\n", T_WAIT));
    pty_drain(t, 0.05);
    double t0 = pty_now();
    pty_send(t, "\x03");
    CHECK(pty_expect(t, "interrupted", T_WAIT));
    double stopped = pty_now() - t0;
    CHECK(wait_prompt(t, "> "));
    CHECK(strstr(t->text, "finished") == NULL);
    fprintf(stderr, "kernel interrupt: the op takes %.2f s, stopped %.3f s after Ctrl-C\n", took, stopped);
    if (took >= 0.8) CHECK(stopped < took / 2);
    CHECK(eq(eval(t, "1 + 1"), "2\n"));

    /* many ops in a Lua loop: either the kernel or the hook stops it */
    CHECK(interrupts(t, "print('clon' .. 'ing'); for i = 1, 10000 do y = big:clone() end", "\ncloning\n", 0.3));
    CHECK(eq(eval(t, "big:dim()"), "2\n"));
    pty_close(t);
    passed++;
}

static void test_prompt_keys(void)
{
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    pty_send(t, "abc");
    CHECK(pty_expect(t, "abc", T_WAIT));
    CHECK(ctrl_c_clears(t)); /* Ctrl-C clears the line */
    CHECK(eq(eval(t, "1"), "1\n"));
    CHECK(ctrl_c_clears(t)); /* at an empty prompt too */
    CHECK(eq(eval(t, "2"), "2\n"));
    CHECK(exits(t, "os.exit(3)\r", 3));
    pty_close(t);

    CHECK(start_at_prompt(t, quiet, NULL, NULL)); /* `quit` leaves, unless it is a global */
    CHECK(eq(eval(t, "exit = 1"), ""));
    CHECK(eq(eval(t, "exit"), "1\n"));
    CHECK(exits(t, "quit\r", 0));
    pty_close(t);
    passed++;
}

static void test_help_and_magic(void)
{
    static const exchange magics[] = {
        {"%timeit -n 5 -r 3 math.sqrt(2)", PART, "(3 runs, 5 loops each)"},
        {"%timeit", PART, "usage: %timeit"},
        {"%timeit error('in timeit')", PART, "in timeit"},
        {"%nope", PART, "unknown command %nope"},
        {"!echo shell-$((40 + 2))", PART, "shell-42"},
        {"!exit 3", PART, "[exit status 3]"},
        {"=1 + 1", EXACT, "2\n"},
        {NULL},
    };
    pty_term *t = &term;
    CHECK(start_at_prompt(t, quiet, NULL, NULL));
    CHECK(has(eval(t, "help(tensor.zeros)"), "tensor.zeros(size"));
    CHECK(eq(eval(t, "x = tensor.zeros(2)"), ""));
    /* ?x is help(x): the same text (help's own texts are tested elsewhere) */
    static const char *const pairs[][2] = {
        {"?tensor.ones", "help(tensor.ones)"}, {"?", "help()"}, {"?x:clone", "help(x.clone)"},
        {"?x", "help(x)"}, {"? tensor.zeros ", "help(tensor.zeros)"}, {"?zeros", "help('zeros')"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char a[8192];
        const char *got = eval(t, pairs[i][0]);
        CHECK(got && strlen(got) > 10 && strlen(got) < sizeof a);
        snprintf(a, sizeof a, "%s", got);
        CHECK(eq(eval(t, pairs[i][1]), a));
    }
    CHECK(has(eval(t, "?tensor.ones"), "tensor.ones(size"));
    CHECK(has(eval(t, "?1 +"), "unexpected symbol"));
    const char *tm = eval(t, "%time 6 * 7");
    CHECK(has(tm, "Wall time: "));
    CHECK(has(tm, "\n42\n"));
    CHECK(has(eval(t, "%time z = 1"), "CPU times: user"));
    const char *ti = eval(t, "%timeit 1 + 1");
    CHECK(has(ti, " min, "));
    CHECK(has(ti, " median per loop (7 runs, "));
    CHECK(evals(t, magics));
    pty_close(t);
    passed++;
}

static void test_script_then_repl(void)
{
    const char *script = path_in_tmp("init.lua");
    FILE *f = fopen(script, "w");
    CHECK(f);
    fputs("from_script = 'yes'\n", f);
    fclose(f);
    const char *args[] = {"-q", "-i", script, NULL};
    pty_term *t = &term;
    CHECK(start_at_prompt(t, args, NULL, NULL));
    CHECK(eq(eval(t, "from_script"), "yes\n"));
    CHECK(exits(t, "\x04", 0));
    pty_close(t);
    passed++;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s path/to/tensh\n", argv[0]);
        return 2;
    }
    tensh = argv[1];
    snprintf(tmpdir, sizeof tmpdir, "%s/tensh_repl_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    struct { const char *name; void (*fn)(void); } tests[] = {
        {"banner", test_banner},
        {"autoprint", test_autoprint},
        {"multiline", test_multiline},
        {"completion", test_completion},
        {"history", test_history},
        {"errors", test_errors},
        {"interrupt_loop", test_interrupt_loop},
        {"interrupt_kernel", test_interrupt_kernel},
        {"prompt_keys", test_prompt_keys},
        {"help_and_magic", test_help_and_magic},
        {"script_then_repl", test_script_then_repl},
    };
    const char *only = argc > 2 ? argv[2] : NULL;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (only && strcmp(only, tests[i].name) != 0) continue;
        current = tests[i].name;
        cur_term = NULL;
        tests[i].fn();
        pty_close(&term);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
