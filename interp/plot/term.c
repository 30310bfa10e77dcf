/* term.c: show() in the terminal through libchafa: what the terminal can
 * draw (chafa's terminal database, from the environment only: we never send
 * a query and wait for a reply), the image encoded as kitty, iTerm2, sixel
 * or coloured Unicode symbols, and tmux's passthrough wrapping, which
 * Debian's chafa 1.12 does not do itself. Sizing is the caller's. */
#include <stdlib.h>
#include <string.h>

#include <chafa.h>

#include "plot.h"

static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

/* The environment as the outer terminal set it: inside tmux, TERM and
 * TERM_PROGRAM describe tmux, while the outer terminal's own variables
 * (KITTY_WINDOW_ID, LC_TERMINAL, WEZTERM_*, VTE_VERSION...) survive. */
static char **outer_env(char **envp)
{
    size_t n = 0;
    while (envp && envp[n]) n++;
    char **out = calloc(n + 2, sizeof *out);
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(envp[i], "TERM=", 5) == 0 || strncmp(envp[i], "TERM_PROGRAM=", 13) == 0) continue;
        out[k++] = envp[i];
    }
    out[k++] = "TERM=xterm-256color";
    out[k] = NULL;
    return out;
}

static void classify(ChafaTermInfo *ti, tsh_plot_term *out)
{
    if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_BEGIN_KITTY_IMMEDIATE_IMAGE_V1))
        out->mode = TSH_PLOT_TERM_KITTY;
    else if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_BEGIN_ITERM2_IMAGE))
        out->mode = TSH_PLOT_TERM_ITERM;
    else if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_BEGIN_SIXELS))
        out->mode = TSH_PLOT_TERM_SIXEL;
    else
        out->mode = TSH_PLOT_TERM_SYMBOLS;
}

/* Hints chafa 1.12's database does not read: terminals that announce
 * themselves by a variable of their own rather than by TERM. */
static void env_hints(char **envp, tsh_plot_term *out)
{
    const char *prog = env_get(envp, "TERM_PROGRAM");
    if (env_get(envp, "KITTY_WINDOW_ID") || (prog && strcmp(prog, "ghostty") == 0))
        out->mode = TSH_PLOT_TERM_KITTY;
    else if ((prog && (strcmp(prog, "WezTerm") == 0 || strcmp(prog, "iTerm.app") == 0)) ||
             env_get(envp, "WEZTERM_PANE"))
        out->mode = TSH_PLOT_TERM_ITERM;
}

void tsh_plot_term_detect(char **envp, tsh_plot_term *out)
{
    ChafaTermDb *db = chafa_term_db_get_default();
    ChafaTermInfo *ti = chafa_term_db_detect(db, envp);
    out->tmux = env_get(envp, "TMUX") != NULL;
    classify(ti, out);
    if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_SET_COLOR_FGBG_DIRECT))
        out->colors = TSH_PLOT_TERM_TRUECOLOR;
    else if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_SET_COLOR_FGBG_256))
        out->colors = TSH_PLOT_TERM_256;
    else if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_SET_COLOR_FGBG_16))
        out->colors = TSH_PLOT_TERM_16;
    else
        out->colors = TSH_PLOT_TERM_MONO;
    chafa_term_info_unref(ti);
    if (out->mode == TSH_PLOT_TERM_SYMBOLS) env_hints(envp, out);
    const char *ct = env_get(envp, "COLORTERM");
    if (ct && (strcmp(ct, "truecolor") == 0 || strcmp(ct, "24bit") == 0))
        out->colors = TSH_PLOT_TERM_TRUECOLOR;
    if (out->tmux && out->mode == TSH_PLOT_TERM_SYMBOLS) {
        char **outer = outer_env(envp);
        if (outer) {
            ChafaTermInfo *oi = chafa_term_db_detect(db, outer);
            classify(oi, out);
            chafa_term_info_unref(oi);
            if (out->mode == TSH_PLOT_TERM_SYMBOLS) env_hints(outer, out);
            free(outer);
        }
    }
}

char *tsh_plot_tmux_wrap(const char *s, size_t n, size_t *outlen)
{
    /* worst case every byte is an ESC (doubled), plus a header and trailer
     * per sequence: 2n + 10 per possible sequence start bounds it loosely */
    size_t cap = 2 * n + 16 * (n / 2 + 1) + 1;
    char *out = malloc(cap);
    if (!out) return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        if (s[i] == '\033' && i + 1 < n && (s[i + 1] == 'P' || s[i + 1] == '_' || s[i + 1] == ']')) {
            size_t end = i + 2, stop = 0;
            while (end < n) {
                if (s[end] == '\a') { stop = end + 1; break; }
                if (s[end] == '\033' && end + 1 < n && s[end + 1] == '\\') { stop = end + 2; break; }
                end++;
            }
            if (!stop) stop = n;
            memcpy(out + o, "\033Ptmux;", 7), o += 7;
            for (size_t k = i; k < stop; k++) {
                if (s[k] == '\033') out[o++] = '\033';
                out[o++] = s[k];
            }
            memcpy(out + o, "\033\\", 2), o += 2;
            i = stop;
        } else {
            out[o++] = s[i++];
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static const ChafaPixelMode pixel_modes[] = {
    [TSH_PLOT_TERM_SYMBOLS] = CHAFA_PIXEL_MODE_SYMBOLS,
    [TSH_PLOT_TERM_SIXEL] = CHAFA_PIXEL_MODE_SIXELS,
    [TSH_PLOT_TERM_KITTY] = CHAFA_PIXEL_MODE_KITTY,
    [TSH_PLOT_TERM_ITERM] = CHAFA_PIXEL_MODE_ITERM2,
};
static const ChafaCanvasMode canvas_modes[] = {
    [TSH_PLOT_TERM_TRUECOLOR] = CHAFA_CANVAS_MODE_TRUECOLOR,
    [TSH_PLOT_TERM_256] = CHAFA_CANVAS_MODE_INDEXED_240,
    [TSH_PLOT_TERM_16] = CHAFA_CANVAS_MODE_INDEXED_16,
    [TSH_PLOT_TERM_MONO] = CHAFA_CANVAS_MODE_FGBG,
};

tsh_status tsh_plot_term_encode(const tsh_plot_term *t, const uint8_t *argb, int w, int h,
                                int stride, int cols, int rows, int cell_w, int cell_h,
                                char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (cols < 1 || rows < 1 || cell_w < 1 || cell_h < 1)
        return tsh_fail(TSH_ERR_ARG, "show: a terminal of %dx%d cells cannot show a figure", cols, rows);
    ChafaSymbolMap *sm = chafa_symbol_map_new();
    /* chafa's own default set: blocks, borders and spaces, minus wide and
     * inverted glyphs that terminals render unevenly */
    chafa_symbol_map_add_by_tags(sm, CHAFA_SYMBOL_TAG_BLOCK | CHAFA_SYMBOL_TAG_BORDER |
                                         CHAFA_SYMBOL_TAG_SPACE | CHAFA_SYMBOL_TAG_SEXTANT);
    chafa_symbol_map_remove_by_tags(sm, CHAFA_SYMBOL_TAG_WIDE | CHAFA_SYMBOL_TAG_INVERTED);
    ChafaCanvasConfig *cfg = chafa_canvas_config_new();
    chafa_canvas_config_set_geometry(cfg, cols, rows);
    chafa_canvas_config_set_cell_geometry(cfg, cell_w, cell_h);
    chafa_canvas_config_set_pixel_mode(cfg, pixel_modes[t->mode]);
    chafa_canvas_config_set_canvas_mode(cfg, canvas_modes[t->colors]);
    chafa_canvas_config_set_symbol_map(cfg, sm);
    ChafaCanvas *cv = chafa_canvas_new(cfg);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    ChafaPixelType pt = CHAFA_PIXEL_BGRA8_PREMULTIPLIED;
#else
    ChafaPixelType pt = CHAFA_PIXEL_ARGB8_PREMULTIPLIED;
#endif
    chafa_canvas_draw_all_pixels(cv, pt, argb, w, h, stride);
    /* The fallback entry knows every protocol's sequences, so a mode the
     * user forces prints even where detection found less. */
    ChafaTermDb *db = chafa_term_db_get_default();
    ChafaTermInfo *ti = chafa_term_db_get_fallback_info(db);
    GString *gs = chafa_canvas_print(cv, ti);
    chafa_term_info_unref(ti);
    chafa_canvas_unref(cv);
    chafa_canvas_config_unref(cfg);
    chafa_symbol_map_unref(sm);

    /* attributes reset and a newline, so the prompt starts clean below */
    g_string_append(gs, "\033[0m\n");
    tsh_status st = TSH_OK;
    if (t->tmux && t->mode != TSH_PLOT_TERM_SYMBOLS) {
        *out = tsh_plot_tmux_wrap(gs->str, gs->len, len);
        if (!*out) st = tsh_fail(TSH_ERR_OOM, "show: out of memory");
    } else {
        *out = malloc(gs->len + 1);
        if (*out) {
            memcpy(*out, gs->str, gs->len + 1);
            *len = gs->len;
        } else {
            st = tsh_fail(TSH_ERR_OOM, "show: out of memory");
        }
    }
    g_string_free(gs, TRUE);
    return st;
}
