/* canvas.c: Cairo surfaces for the plot module, the atomic file save behind
 * savefig (temp file beside the target, fsync, rename) and text in DejaVu
 * Sans. What to draw is decided in stdlib/plot; this file only owns the
 * surfaces and files, and never leaves a half-written file under a user's name. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "plot.h"

#define FONT_FAMILY "DejaVu Sans"

static void set_font_options(cairo_t *cr)
{
    /* Unhinted metrics: text measures the same at every DPI, so a layout
     * made in points holds for PNG at any resolution, SVG and PDF alike. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

static tsh_status setup_context(tsh_plot_canvas *c)
{
    c->cr = cairo_create(c->surface);
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS)
        return tsh_fail(TSH_ERR_OOM, "plot: cannot create a drawing context (%s)",
                        cairo_status_to_string(cairo_status(c->cr)));
    cairo_scale(c->cr, c->scale, c->scale);
    set_font_options(c->cr);
    return TSH_OK;
}

tsh_status tsh_plot_canvas_memory(int w, int h, double scale, tsh_plot_canvas **out)
{
    *out = NULL;
    if (w < 1 || h < 1 || w > 32767 || h > 32767)
        return tsh_fail(TSH_ERR_ARG, "plot: image size %dx%d pixels is out of range (1..32767)", w, h);
    tsh_plot_canvas *c = calloc(1, sizeof *c);
    if (!c) return tsh_fail(TSH_ERR_OOM, "plot: out of memory");
    c->kind = TSH_PLOT_MEMORY;
    c->fd = -1;
    c->scale = scale;
    c->width = w / scale;
    c->height = h / scale;
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    tsh_status st = TSH_OK;
    if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS)
        st = tsh_fail(TSH_ERR_OOM, "plot: cannot allocate a %dx%d image", w, h);
    else
        st = setup_context(c);
    if (st != TSH_OK) {
        tsh_plot_canvas_free(c);
        return st;
    }
    *out = c;
    return TSH_OK;
}

/* Cairo's stream callback: writes everything or records the first error. */
static cairo_status_t write_fd(void *closure, const unsigned char *data, unsigned int len)
{
    tsh_plot_canvas *c = closure;
    if (c->write_errno) return CAIRO_STATUS_WRITE_ERROR;
    if (c->fail_writes) {
        c->write_errno = ENOSPC;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    while (len > 0) {
        ssize_t k = write(c->fd, data, len);
        if (k < 0) {
            if (errno == EINTR) continue;
            c->write_errno = errno;
            return CAIRO_STATUS_WRITE_ERROR;
        }
        data += k;
        len -= (unsigned int)k;
    }
    return CAIRO_STATUS_SUCCESS;
}

static const char *kind_name(tsh_plot_kind k)
{
    return k == TSH_PLOT_PNG ? "PNG" : k == TSH_PLOT_SVG ? "SVG" : k == TSH_PLOT_PDF ? "PDF" : "image";
}

/* Creates the temp file "<dir>/.<name>.XXXXXX" beside path, readable as a
 * file created with open(2) would be (mkstemp makes it 0600). */
static tsh_status open_temp(tsh_plot_canvas *c, const char *path)
{
    size_t n = strlen(path);
    c->path = malloc(n + 1);
    c->tmp = malloc(n + 16);
    if (!c->path || !c->tmp) return tsh_fail(TSH_ERR_OOM, "savefig: out of memory");
    memcpy(c->path, path, n + 1);
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    snprintf(c->tmp, n + 16, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
    c->fd = mkstemp(c->tmp);
    if (c->fd < 0) {
        int e = errno;
        c->tmp[0] = '\0';
        return tsh_fail(TSH_ERR_IO, "savefig: cannot write '%s': %s", path, strerror(e));
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(c->fd, 0666 & ~mask) != 0) { /* not fatal: the file is still ours */ }
    return TSH_OK;
}

tsh_status tsh_plot_canvas_file(const char *path, tsh_plot_kind kind, double w_pt, double h_pt,
                                double dpi, tsh_plot_canvas **out)
{
    *out = NULL;
    if (!(w_pt > 0 && h_pt > 0 && w_pt < 1e6 && h_pt < 1e6))
        return tsh_fail(TSH_ERR_ARG, "savefig: figure size %gx%g points is out of range", w_pt, h_pt);
    double scale = kind == TSH_PLOT_PNG ? dpi / 72.0 : 1.0;
    double wpx = ceil(w_pt * scale - 1e-6), hpx = ceil(h_pt * scale - 1e-6);
    if (kind == TSH_PLOT_PNG && !(dpi > 0 && wpx <= 32767 && hpx <= 32767))
        return tsh_fail(TSH_ERR_ARG, "savefig: %gx%g pixels at dpi %g is too large (at most 32767 a side)",
                        wpx, hpx, dpi);
    tsh_plot_canvas *c = calloc(1, sizeof *c);
    if (!c) return tsh_fail(TSH_ERR_OOM, "savefig: out of memory");
    c->kind = kind;
    c->fd = -1;
    c->scale = scale;
    c->width = w_pt;
    c->height = h_pt;
    tsh_status st = open_temp(c, path);
    if (st == TSH_OK) {
        if (kind == TSH_PLOT_PNG)
            c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)wpx, (int)hpx);
        else if (kind == TSH_PLOT_SVG)
            c->surface = cairo_svg_surface_create_for_stream(write_fd, c, w_pt, h_pt);
        else
            c->surface = cairo_pdf_surface_create_for_stream(write_fd, c, w_pt, h_pt);
        if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS)
            st = tsh_fail(TSH_ERR_OOM, "savefig: cannot create a %s surface (%s)", kind_name(kind),
                          cairo_status_to_string(cairo_surface_status(c->surface)));
        else if (kind == TSH_PLOT_PDF)
            cairo_pdf_surface_set_metadata(c->surface, CAIRO_PDF_METADATA_CREATOR, "tensh plot");
    }
    if (st == TSH_OK) st = setup_context(c);
    if (st != TSH_OK) {
        tsh_plot_canvas_free(c);
        return st;
    }
    c->pages = 1;
    *out = c;
    return TSH_OK;
}

tsh_status tsh_plot_canvas_next_page(tsh_plot_canvas *c, double w_pt, double h_pt)
{
    if (c->kind != TSH_PLOT_PDF || !c->cr)
        return tsh_fail(TSH_ERR_ARG, "plot: only an open PDF has pages");
    cairo_show_page(c->cr);
    cairo_pdf_surface_set_size(c->surface, w_pt, h_pt);
    c->width = w_pt;
    c->height = h_pt;
    c->pages++;
    return TSH_OK;
}

/* fsync of the directory, so the rename itself survives a crash. */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

tsh_status tsh_plot_canvas_finish(tsh_plot_canvas *c)
{
    if (c->fd < 0) return tsh_fail(TSH_ERR_ARG, "savefig: the file was already written or abandoned");
    cairo_status_t cs;
    if (c->kind == TSH_PLOT_PNG) {
        cairo_surface_flush(c->surface);
        cs = tsh_plot_write_png(c->surface, write_fd, c);
    } else {
        cairo_destroy(c->cr);
        c->cr = NULL;
        cairo_surface_finish(c->surface);
        cs = cairo_surface_status(c->surface);
    }
    tsh_status st = TSH_OK;
    if (c->write_errno)
        st = tsh_fail(TSH_ERR_IO, "savefig: cannot write '%s': %s", c->path, strerror(c->write_errno));
    else if (cs != CAIRO_STATUS_SUCCESS)
        st = tsh_fail(TSH_ERR_IO, "savefig: cannot write '%s' as %s: %s", c->path, kind_name(c->kind),
                      cairo_status_to_string(cs));
    else if (fsync(c->fd) != 0 && errno != EINVAL)
        st = tsh_fail(TSH_ERR_IO, "savefig: cannot write '%s': %s", c->path, strerror(errno));
    if (st != TSH_OK) {
        tsh_plot_canvas_abort(c);
        return st;
    }
    int fd = c->fd;
    c->fd = -1;
    if (close(fd) != 0) {
        int e = errno;
        unlink(c->tmp);
        return tsh_fail(TSH_ERR_IO, "savefig: cannot write '%s': %s", c->path, strerror(e));
    }
    if (rename(c->tmp, c->path) != 0) {
        int e = errno;
        unlink(c->tmp);
        return tsh_fail(TSH_ERR_IO, "savefig: cannot replace '%s': %s", c->path, strerror(e));
    }
    c->tmp[0] = '\0';
    sync_dir(c->path);
    return TSH_OK;
}

void tsh_plot_canvas_abort(tsh_plot_canvas *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->tmp && c->tmp[0]) {
        unlink(c->tmp);
        c->tmp[0] = '\0';
    }
}

void tsh_plot_canvas_free(tsh_plot_canvas *c)
{
    if (!c) return;
    /* The fd is closed before Cairo may flush into it on destruction. */
    if (c->fd >= 0) c->fail_writes = 1;
    if (c->cr) cairo_destroy(c->cr);
    if (c->surface) cairo_surface_destroy(c->surface);
    tsh_plot_canvas_abort(c);
    free(c->path);
    free(c->tmp);
    free(c);
}

tsh_status tsh_plot_read_png(const char *path, int *w, int *h, uint8_t **rgba)
{
    *rgba = NULL;
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    cairo_status_t cs = cairo_surface_status(s);
    if (cs != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return tsh_fail(TSH_ERR_IO, "read_png: cannot read '%s': %s", path, cairo_status_to_string(cs));
    }
    cairo_surface_flush(s);
    int W = cairo_image_surface_get_width(s), H = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    cairo_format_t fmt = cairo_image_surface_get_format(s);
    const uint8_t *src = cairo_image_surface_get_data(s);
    uint8_t *dst = malloc((size_t)W * H * 4 + 1);
    if (!dst) {
        cairo_surface_destroy(s);
        return tsh_fail(TSH_ERR_OOM, "read_png: out of memory");
    }
    for (int r = 0; r < H; r++) {
        const uint32_t *row = (const uint32_t *)(src + (size_t)r * stride);
        for (int k = 0; k < W; k++) {
            uint32_t p = row[k];
            unsigned a = fmt == CAIRO_FORMAT_ARGB32 ? p >> 24 : 255;
            unsigned rgb[3] = {(p >> 16) & 255, (p >> 8) & 255, p & 255};
            uint8_t *o = dst + ((size_t)r * W + k) * 4;
            for (int j = 0; j < 3; j++)
                o[j] = (uint8_t)(a == 0 ? 0 : a == 255 ? rgb[j] : (rgb[j] * 255 + a / 2) / a);
            o[3] = (uint8_t)a;
        }
    }
    cairo_surface_destroy(s);
    *w = W;
    *h = H;
    *rgba = dst;
    return TSH_OK;
}

/* ---- text ------------------------------------------------------------------ */

void tsh_plot_text_draw(cairo_t *cr, const char *s, double x, double y, const tsh_plot_text *o,
                        double box[4])
{
    cairo_save(cr);
    cairo_select_font_face(cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL,
                           o->bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, o->size);
    cairo_text_extents_t te, lp;
    cairo_text_extents(cr, s, &te);
    /* The line box is at least as tall as "lp", as matplotlib's is, so
     * labels with and without descenders line up. */
    cairo_text_extents(cr, "lp", &lp);
    double asc = fmax(-te.y_bearing, -lp.y_bearing);
    double desc = fmax(te.height + te.y_bearing, lp.height + lp.y_bearing);
    double w = te.x_advance;
    /* offsets of the baseline origin from the anchor, in the text's frame (y down) */
    double dx = -o->ha * w, dy;
    switch (o->va) {
    case TSH_PLOT_VA_TOP: dy = asc; break;
    case TSH_PLOT_VA_BOTTOM: dy = -desc; break;
    case TSH_PLOT_VA_CENTER: dy = (asc - desc) / 2; break;
    case TSH_PLOT_VA_CENTER_BASELINE: dy = asc / 2; break;
    default: dy = 0; break;
    }
    double th = -o->rotation * M_PI / 180.0, c = cos(th), sn = sin(th);
    /* corners of the unaligned box relative to the baseline origin */
    double cx[4] = {0, w, w, 0}, cy[4] = {-asc, -asc, desc, desc};
    if (!o->anchor && o->rotation != 0) {
        /* matplotlib's default mode: rotate first, then align the rotated box */
        double mnx = 1e300, mxx = -1e300, mny = 1e300, mxy = -1e300;
        for (int k = 0; k < 4; k++) {
            double rx = c * cx[k] - sn * cy[k], ry = sn * cx[k] + c * cy[k];
            mnx = fmin(mnx, rx), mxx = fmax(mxx, rx), mny = fmin(mny, ry), mxy = fmax(mxy, ry);
        }
        double ox = -(mnx + o->ha * (mxx - mnx)), oy;
        switch (o->va) {
        case TSH_PLOT_VA_TOP: oy = -mny; break;
        case TSH_PLOT_VA_BOTTOM: oy = -mxy; break;
        default: oy = -(mny + mxy) / 2; break;
        }
        /* express the shift in the text frame (inverse rotation) */
        dx = c * ox + sn * oy;
        dy = -sn * ox + c * oy;
    }
    double mnx = 1e300, mxx = -1e300, mny = 1e300, mxy = -1e300;
    for (int k = 0; k < 4; k++) {
        double px = cx[k] + dx, py = cy[k] + dy;
        double rx = x + c * px - sn * py, ry = y + sn * px + c * py;
        mnx = fmin(mnx, rx), mxx = fmax(mxx, rx), mny = fmin(mny, ry), mxy = fmax(mxy, ry);
    }
    box[0] = mnx, box[1] = mny, box[2] = mxx, box[3] = mxy;
    if (o->draw && s[0]) {
        cairo_translate(cr, x, y);
        cairo_rotate(cr, th);
        cairo_move_to(cr, dx, dy);
        cairo_show_text(cr, s);
        cairo_new_path(cr); /* show_text leaves a current point behind */
    }
    cairo_restore(cr);
}
