/* pty.h: a small expect-like driver for testing the REPL as a user meets it:
 * tensh runs on a pseudo-terminal (forkpty), the test types bytes and waits,
 * with a timeout, for text to appear on the screen. The screen is the output
 * stream with escape sequences and carriage returns removed, which is
 * enough to find what readline echoed and what tensh printed. */
#ifndef TSH_TEST_PTY_H
#define TSH_TEST_PTY_H

#include <stddef.h>
#include <sys/types.h>

typedef struct pty_term {
    int fd;
    pid_t pid;
    char *text;   /* everything shown so far, cleaned, NUL-terminated */
    size_t len, cap;
    size_t mark;  /* expect() searches from here and moves it past a match */
    int esc;      /* state of the escape-sequence filter */
    int exited, status;
} pty_term;

/* Starts argv on a new 80x24 terminal with extra environment entries
 * ("NAME=value", NULL-terminated; may be NULL). Returns 0 on success. */
int pty_spawn(pty_term *t, char *const argv[], char *const env[]);
void pty_send(pty_term *t, const char *bytes);
/* Waits up to `timeout` seconds for `needle` after the mark; on success
 * moves the mark past it and returns 1. */
int pty_expect(pty_term *t, const char *needle, double timeout);
/* Reads whatever arrives for `seconds`. */
void pty_drain(pty_term *t, double seconds);
/* Waits for the process to end; returns its exit status or -1. */
int pty_wait(pty_term *t, double timeout);
void pty_close(pty_term *t);
/* The text after the mark (for checks that something did NOT appear). */
const char *pty_rest(const pty_term *t);
double pty_now(void);

#endif
