/* pty.c: the pseudo-terminal driver behind the REPL tests (see pty.h). */
#define _GNU_SOURCE
#include "pty.h"

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double pty_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int pty_spawn(pty_term *t, char *const argv[], char *const env[])
{
    memset(t, 0, sizeof *t);
    t->cap = 1 << 16;
    t->text = malloc(t->cap);
    if (!t->text) return -1;
    t->text[0] = '\0';
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    pid_t pid = forkpty(&t->fd, NULL, NULL, &ws);
    if (pid < 0) return -1;
    if (pid == 0) {
        setenv("TERM", "xterm", 1);
        setenv("INPUTRC", "/dev/null", 1);
        unsetenv("TENSH_DEBUG");
        for (int i = 0; env && env[i]; i++) putenv(env[i]);
        signal(SIGINT, SIG_DFL);
        execv(argv[0], argv);
        _exit(127);
    }
    t->pid = pid;
    return 0;
}

void pty_send(pty_term *t, const char *bytes)
{
    size_t n = strlen(bytes);
    while (n > 0) {
        ssize_t w = write(t->fd, bytes, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        bytes += w;
        n -= (size_t)w;
    }
}

static void put(pty_term *t, char c)
{
    if (t->len + 2 > t->cap) {
        char *g = realloc(t->text, t->cap * 2);
        if (!g) return;
        t->text = g;
        t->cap *= 2;
    }
    t->text[t->len++] = c;
    t->text[t->len] = '\0';
}

/* Drops escape sequences (CSI, OSC, two-byte), CR, BS and BEL. */
static void feed(pty_term *t, const char *buf, ssize_t n)
{
    for (ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        switch (t->esc) {
        case 0:
            if (c == 0x1b) t->esc = 1;
            else if (c != '\r' && c != '\b' && c != 0x07 && c != 0) put(t, (char)c);
            break;
        case 1: t->esc = c == '[' ? 2 : c == ']' ? 3 : 0; break;
        case 2: if (c >= 0x40 && c <= 0x7e) t->esc = 0; break;
        case 3: t->esc = c == 0x07 ? 0 : c == 0x1b ? 4 : 3; break;
        default: t->esc = 0; break;
        }
    }
}

/* Reads what is available within `wait` seconds; 0 at end of output. */
static int pump(pty_term *t, double wait)
{
    struct pollfd p = {.fd = t->fd, .events = POLLIN};
    int ms = wait > 0 ? (int)(wait * 1000) : 0;
    int r = poll(&p, 1, ms);
    if (r <= 0) return 1;
    char buf[4096];
    ssize_t n = read(t->fd, buf, sizeof buf);
    if (n <= 0) return 0; /* EIO: the child closed the terminal */
    feed(t, buf, n);
    return 1;
}

int pty_expect(pty_term *t, const char *needle, double timeout)
{
    double end = pty_now() + timeout;
    for (;;) {
        char *hit = strstr(t->text + t->mark, needle);
        if (hit) {
            t->mark = (size_t)(hit - t->text) + strlen(needle);
            return 1;
        }
        double left = end - pty_now();
        if (left <= 0) return 0;
        if (!pump(t, left > 0.05 ? 0.05 : left)) {
            hit = strstr(t->text + t->mark, needle);
            if (hit) t->mark = (size_t)(hit - t->text) + strlen(needle);
            return hit != NULL;
        }
    }
}

void pty_drain(pty_term *t, double seconds)
{
    double end = pty_now() + seconds;
    while (pty_now() < end && pump(t, 0.02)) {}
}

int pty_wait(pty_term *t, double timeout)
{
    double end = pty_now() + timeout;
    while (!t->exited && pty_now() < end) {
        int st;
        pid_t r = waitpid(t->pid, &st, WNOHANG);
        if (r == t->pid) {
            t->exited = 1;
            t->status = st;
            break;
        }
        pump(t, 0.02);
    }
    if (!t->exited) return -1;
    return WIFEXITED(t->status) ? WEXITSTATUS(t->status) : 128 + WTERMSIG(t->status);
}

void pty_close(pty_term *t)
{
    if (t->pid > 0 && !t->exited) {
        kill(t->pid, SIGKILL);
        waitpid(t->pid, NULL, 0);
    }
    if (t->fd > 0) close(t->fd);
    free(t->text);
    memset(t, 0, sizeof *t);
}

const char *pty_rest(const pty_term *t) { return t->text + t->mark; }
