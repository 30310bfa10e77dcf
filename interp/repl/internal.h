/* internal.h: what the files of the REPL share with each other (main.c
 * sees only repl.h). Every function here runs on the main thread, outside
 * any Lua call unless it says otherwise. */
#ifndef TSH_REPL_INTERNAL_H
#define TSH_REPL_INTERNAL_H

#include <stddef.h>

#include <lua.h>

/* -- input.c: one line from readline, or from a plain stream ------------- */
typedef enum tsh_read {
    TSH_READ_LINE,   /* *line holds a malloc'd line without its newline */
    TSH_READ_EOF,    /* Ctrl-D, or the end of a piped stdin */
    TSH_READ_CANCEL, /* Ctrl-C: the line was discarded */
} tsh_read;
/* Sets up readline (tty) or the plain reader; completion reads L. */
void tsh_input_open(lua_State *L, int use_readline);
tsh_read tsh_input_read(const char *prompt, char **line);
void tsh_input_close(void);

/* -- history.c: ~/.tensh_history, de-duplicated and bounded -------------- */
void tsh_history_open(void);
void tsh_history_add(const char *entry); /* may hold newlines */
void tsh_history_close(void);

/* -- complete.c: Tab completion over the live Lua state ------------------ */
void tsh_complete_open(lua_State *L);
/* The candidates for `text` (the word being completed) after `prefix`
 * (the line before it) as a NULL-terminated malloc'd array of malloc'd
 * strings, or NULL (readline takes them through complete.c's glue). */
char **tsh_complete_candidates(lua_State *L, const char *prefix, const char *text);

/* -- autoprint.c: showing values --------------------------------------- */
/* Prints the n values on top of the stack the way the REPL shows results,
 * sets `_`, and pops them. Runs Lua (tostring), so it is protected. */
void tsh_autoprint(lua_State *L, int n);
/* Pushes the display form of the value at idx (strings quoted, tables as
 * listings). Raises on errors in __tostring; call it protected. */
void tsh_format_value(lua_State *L, int idx, int width);

/* -- repl.c ------------------------------------------------------------ */
/* Compiles an input chunk: `return <src>` first, then <src>. Returns
 * LUA_OK with the function pushed; LUA_ERRSYNTAX with the message pushed;
 * or -1 (nothing pushed) when the chunk is incomplete. *is_expr tells
 * which form compiled. */
int tsh_repl_compile(lua_State *L, const char *src, size_t len, int *is_expr);
/* Runs the function on top of the stack, shows its results (show != 0) or
 * its error; returns the Lua status. */
int tsh_repl_exec(lua_State *L, int show);
/* Prints an error message (with its short traceback) from the stack top. */
void tsh_repl_report(lua_State *L);
int tsh_terminal_width(void);

/* -- magic.c: %time, %timeit, !cmd, ?x ----------------------------------- */
/* Handles a line that starts with %, ! or ?; returns 0 when it is not one. */
int tsh_magic_line(lua_State *L, const char *line);

#endif
