/* image.c: imshow's pixel work: maps a float64 image (through a colour map,
 * or as RGB/RGBA) into a Cairo image and paints it over a box, choosing the
 * filter the way matplotlib's "antialiased" interpolation does. Limits,
 * aspect and colour bars are decided in stdlib/plot. */
#include <math.h>

#include "plot.h"

static inline uint8_t to_byte(double v, int bytes)
{
    if (!bytes) v *= 255.0;
    if (!(v > 0)) return 0; /* also NaN */
    if (v >= 255) return 255;
    return (uint8_t)(v + 0.5);
}

/* Fills surface s (ARGB32, premultiplied) from the image. */
static void fill_pixels(cairo_surface_t *s, const tsh_plot_image *im)
{
    uint8_t *base = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    double span = im->vmax - im->vmin;
    unsigned alpha = (unsigned)(fmin(fmax(im->alpha, 0), 1) * 255 + 0.5);
    for (int r = 0; r < im->h; r++) {
        uint32_t *row = (uint32_t *)(base + (size_t)r * stride);
        const double *src = im->data + (size_t)r * im->w * im->c;
        for (int k = 0; k < im->w; k++, src += im->c) {
            unsigned R, G, B, A = alpha;
            if (im->c == 1) {
                double v = src[0];
                if (isnan(v)) {
                    row[k] = 0; /* missing: transparent, as matplotlib's "bad" colour */
                    continue;
                }
                double t = span > 0 ? (v - im->vmin) / span : 0.5;
                int i = t <= 0 ? 0 : t >= 1 ? 255 : (int)(t * 256);
                if (i > 255) i = 255;
                R = im->lut[3 * i], G = im->lut[3 * i + 1], B = im->lut[3 * i + 2];
            } else {
                R = to_byte(src[0], im->bytes);
                G = to_byte(src[1], im->bytes);
                B = to_byte(src[2], im->bytes);
                if (im->c == 4) A = (to_byte(src[3], im->bytes) * alpha + 127) / 255;
            }
            R = (R * A + 127) / 255, G = (G * A + 127) / 255, B = (B * A + 127) / 255;
            row[k] = (A << 24) | (R << 16) | (G << 8) | B;
        }
    }
    cairo_surface_mark_dirty(s);
}

tsh_status tsh_plot_image_draw(cairo_t *cr, const tsh_plot_image *im, double x0, double y0,
                               double x1, double y1)
{
    if (im->h < 1 || im->w < 1) return TSH_OK;
    if (im->h > 32767 || im->w > 32767)
        return tsh_fail(TSH_ERR_ARG, "imshow: an image of %dx%d pixels is too large (at most 32767 a side)",
                        im->h, im->w);
    if (!(x1 != x0 && y1 != y0 && isfinite(x0 + x1 + y0 + y1))) return TSH_OK;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, im->w, im->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return tsh_fail(TSH_ERR_OOM, "imshow: cannot allocate a %dx%d image", im->h, im->w);
    }
    fill_pixels(s, im);
    cairo_pattern_t *p = cairo_pattern_create_for_surface(s);
    double sx = (x1 - x0) / im->w, sy = (y1 - y0) / im->h;
    cairo_matrix_t m;
    cairo_matrix_init(&m, 1 / sx, 0, 0, 1 / sy, -x0 / sx, -y0 / sy);
    cairo_pattern_set_matrix(p, &m);
    cairo_pattern_set_extend(p, CAIRO_EXTEND_PAD);
    cairo_filter_t f = CAIRO_FILTER_NEAREST;
    if (im->interp == TSH_PLOT_INTERP_BILINEAR) {
        f = CAIRO_FILTER_BILINEAR;
    } else if (im->interp == TSH_PLOT_INTERP_AUTO) {
        /* device pixels per image pixel: nearest from 3x up, else smooth */
        double dx = sx, dy = 0, ex = 0, ey = sy;
        cairo_user_to_device_distance(cr, &dx, &dy);
        cairo_user_to_device_distance(cr, &ex, &ey);
        if (fmin(hypot(dx, dy), hypot(ex, ey)) < 3) f = CAIRO_FILTER_GOOD;
    }
    cairo_pattern_set_filter(p, f);
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_rectangle(cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0), fabs(y1 - y0));
    cairo_set_source(cr, p);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_pattern_destroy(p);
    cairo_surface_destroy(s);
    return TSH_OK;
}
