/* history.c: the persistent history of the REPL in ~/.tensh_history
 * (TENSH_HISTORY names another file; an empty value turns it off).
 * Each entry is appended to the file as it is entered, so a crash loses
 * nothing and two sessions do not overwrite each other; at start and at
 * exit the file is compacted: duplicates removed (the latest kept) and only
 * the newest TENSH_HISTORY_SIZE entries (default 1000) kept. A multi-line
 * chunk is one entry: newlines are stored as \n and backslashes as \\.
 * Not for the in-memory list's editing: that is readline's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>

#include "internal.h"

static char *path;
static int max_entries = 1000;

/* -- the file format -------------------------------------------------- */

static char *encode(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++) n += (*p == '\n' || *p == '\\') ? 2 : 1;
    char *out = malloc(n + 2), *o = out;
    if (!out) return NULL;
    for (const char *p = s; *p; p++) {
        if (*p == '\n') { *o++ = '\\'; *o++ = 'n'; }
        else if (*p == '\\') { *o++ = '\\'; *o++ = '\\'; }
        else *o++ = *p;
    }
    *o++ = '\n';
    *o = '\0';
    return out;
}

static void decode(char *s) /* in place; also drops the trailing newline */
{
    char *o = s;
    for (char *p = s; *p && *p != '\n'; p++) {
        if (*p == '\\' && p[1] == 'n') { *o++ = '\n'; p++; }
        else if (*p == '\\' && p[1] == '\\') { *o++ = '\\'; p++; }
        else *o++ = *p;
    }
    *o = '\0';
}

/* Reads the file into a malloc'd array of decoded entries, duplicates
 * removed (the latest occurrence kept) and at most max_entries kept. */
static char **load_entries(int *count)
{
    *count = 0;
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char **v = NULL, *line = NULL;
    size_t cap = 0, vcap = 0;
    int n = 0;
    while (getline(&line, &cap, f) >= 0) {
        decode(line);
        if (!*line) continue;
        if (n == (int)vcap) {
            size_t nc = vcap ? vcap * 2 : 256;
            char **nv = realloc(v, nc * sizeof *v);
            if (!nv) break;
            v = nv;
            vcap = nc;
        }
        v[n] = strdup(line);
        if (v[n]) n++;
    }
    free(line);
    fclose(f);
    /* Keep the last occurrence and the newest max_entries: walk from the
     * newest, so the inner loop only sees entries already kept. */
    int w = n;
    for (int i = n - 1; i >= 0; i--) {
        int drop = n - w >= max_entries;
        for (int j = w; j < n && !drop; j++) drop = strcmp(v[i], v[j]) == 0;
        if (drop) free(v[i]);
        else v[--w] = v[i];
    }
    memmove(v, v + w, (size_t)(n - w) * sizeof *v);
    *count = n - w;
    return v;
}

/* Rewrites the file compacted, through a temp file and a rename so an
 * interrupted write never loses the old history. Only regular files:
 * TENSH_HISTORY=/dev/null must stay /dev/null. */
static void compact_file(void)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return;
    int n;
    char **v = load_entries(&n);
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) goto out;
    snprintf(tmp, len + 16, "%s.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) goto out;
    for (int i = 0; i < n; i++) {
        char *e = encode(v[i]);
        if (e) fputs(e, f);
        free(e);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) unlink(tmp);
out:
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
    free(tmp);
}

static void append_file(const char *entry)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    char *e = encode(entry);
    if (e) {
        ssize_t w = write(fd, e, strlen(e)); /* one write: appends do not interleave */
        (void)w;
    }
    free(e);
    close(fd);
}

/* -- the in-memory list (readline's) ------------------------------------ */

static void remove_duplicates_of(const char *entry)
{
    HIST_ENTRY **list = history_list();
    if (!list) return;
    for (int i = history_length - 1; i >= 0; i--) {
        if (list[i] && strcmp(list[i]->line, entry) == 0) {
            HIST_ENTRY *h = remove_history(i);
            if (h) free_history_entry(h);
            list = history_list();
            if (!list) return;
        }
    }
}

void tsh_history_add(const char *entry)
{
    if (!entry || !*entry) return;
    remove_duplicates_of(entry);
    add_history(entry);
    if (path) append_file(entry);
}

void tsh_history_open(void)
{
    using_history();
    const char *size = getenv("TENSH_HISTORY_SIZE");
    if (size && *size) {
        long m = strtol(size, NULL, 10);
        if (m > 0 && m < 1000000) max_entries = (int)m;
    }
    stifle_history(max_entries);
    const char *env = getenv("TENSH_HISTORY");
    if (env) {
        if (!*env) return; /* TENSH_HISTORY= turns persistence off */
        path = strdup(env);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) return;
        size_t n = strlen(home) + 32;
        path = malloc(n);
        if (path) snprintf(path, n, "%s/.tensh_history", home);
    }
    if (!path) return;
    compact_file();
    int n;
    char **v = load_entries(&n);
    for (int i = 0; i < n; i++) {
        add_history(v[i]);
        free(v[i]);
    }
    free(v);
    atexit(tsh_history_close); /* os.exit() leaves through exit() too */
}

void tsh_history_close(void)
{
    if (!path) return;
    compact_file();
    free(path);
    path = NULL;
}
