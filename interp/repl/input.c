/* input.c: reading one line at the prompt. On a terminal it is GNU readline
 * through its callback interface, so that Ctrl-C can discard the line from
 * our own loop instead of longjmp-ing out of readline; on a pipe (tensh -i
 * < file) it is a plain getline with the prompt printed. Not for running
 * code: SIGINT here only cancels input (call.c handles it while Lua runs). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include <readline/readline.h>

#include "internal.h"

static int use_rl;
static volatile sig_atomic_t prompt_sigint;
static pthread_t input_thread; /* the main thread, which waits in pselect */

/* A process-directed SIGINT may land on any thread that does not block it
 * (an OpenMP worker): the flag alone would leave the main thread asleep in
 * pselect, so the signal is passed on to it (pending until pselect). */
static void on_prompt_sigint(int sig)
{
    prompt_sigint = 1;
    if (!pthread_equal(pthread_self(), input_thread)) pthread_kill(input_thread, sig);
}

/* Readline hands a finished line (or NULL at Ctrl-D) to this handler. */
static char *line_result;
static int line_done;

static void on_line(char *line)
{
    line_result = line;
    line_done = 1;
    rl_callback_handler_remove();
}

void tsh_input_open(lua_State *L, int use_readline)
{
    use_rl = use_readline;
    input_thread = pthread_self();
    if (!use_rl) return;
    rl_readline_name = "tensh"; /* for $if tensh in ~/.inputrc */
    rl_catch_signals = 0;       /* SIGINT is ours; readline keeps SIGWINCH */
    /* Tab completes the common part, a second Tab lists the candidates (as
     * in IPython); set before ~/.inputrc is read, which can change it. */
    rl_variable_bind("show-all-if-unmodified", "on");
    tsh_complete_open(L);
    tsh_history_open();
}

void tsh_input_close(void)
{
    if (use_rl) tsh_history_close();
}

/* Readline's line is thrown away after a Ctrl-C: the terminal shows ^C and
 * the next prompt starts on a fresh line. */
static void cancel_readline(void)
{
    rl_point = rl_end; /* ^C goes after the whole line, as in bash */
    rl_redisplay();
    fputs("^C\n", rl_outstream);
    fflush(rl_outstream);
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_callback_handler_remove();
}

static tsh_read read_readline(const char *prompt, char **line)
{
    /* SIGINT is blocked except inside pselect, so a Ctrl-C can never slip in
     * between the check of the flag and the wait. */
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prompt_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);

    prompt_sigint = 0;
    line_done = 0;
    line_result = NULL;
    rl_callback_handler_install(prompt, on_line);
    tsh_read r = TSH_READ_LINE;
    int fd = fileno(rl_instream ? rl_instream : stdin);
    while (!line_done) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fd, &fds);
        int n = pselect(fd + 1, &fds, NULL, NULL, NULL, &orig);
        if (prompt_sigint) {
            cancel_readline();
            r = TSH_READ_CANCEL;
            break;
        }
        if (n < 0) {
            if (errno == EINTR) { /* SIGWINCH: readline resizes and redraws now */
                if (rl_pending_signal()) rl_check_signals();
                continue;
            }
            rl_callback_handler_remove();
            r = TSH_READ_EOF;
            break;
        }
        if (n > 0) rl_callback_read_char();
    }
    sigaction(SIGINT, &old, NULL);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    if (r != TSH_READ_LINE) return r;
    if (!line_result) {
        fputc('\n', rl_outstream); /* Ctrl-D leaves the cursor after the prompt */
        return TSH_READ_EOF;
    }
    *line = line_result;
    return TSH_READ_LINE;
}

static tsh_read read_plain(const char *prompt, char **line)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prompt_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old); /* no SA_RESTART: getline returns EINTR */
    prompt_sigint = 0;
    fputs(prompt, stdout);
    fflush(stdout);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getline(&buf, &cap, stdin);
    sigaction(SIGINT, &old, NULL);
    if (n < 0) {
        free(buf);
        if (prompt_sigint || errno == EINTR) {
            clearerr(stdin);
            fputc('\n', stdout);
            return TSH_READ_CANCEL;
        }
        fputc('\n', stdout); /* end the prompt's line, as lua.c does */
        return TSH_READ_EOF;
    }
    if (n > 0 && buf[n - 1] == '\n') buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '\r') buf[--n] = '\0';
    *line = buf;
    return TSH_READ_LINE;
}

tsh_read tsh_input_read(const char *prompt, char **line)
{
    *line = NULL;
    return use_rl ? read_readline(prompt, line) : read_plain(prompt, line);
}
