/* png.c: writes an image canvas as PNG with libpng (which Cairo itself
 * uses) tuned for plots: no per-row filter and zlib level 6. Flat colours
 * and thin lines compress better unfiltered, and the write takes half the
 * time of Cairo's all-filters default. Only encoding lives here. */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>

#include "plot.h"

typedef struct sink {
    tsh_plot_write_fn write;
    void *closure;
} sink;

static void on_write(png_structp p, png_bytep data, png_size_t n)
{
    sink *s = png_get_io_ptr(p);
    if (s->write(s->closure, data, (unsigned int)n) != CAIRO_STATUS_SUCCESS) png_error(p, "write failed");
}

static void on_flush(png_structp p) { (void)p; }

cairo_status_t tsh_plot_write_png(cairo_surface_t *surface, tsh_plot_write_fn write, void *closure)
{
    cairo_surface_flush(surface);
    int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    if (!data || w < 1 || h < 1) return CAIRO_STATUS_INVALID_SIZE;
    png_bytep row = malloc((size_t)w * 4);
    if (!row) return CAIRO_STATUS_NO_MEMORY;
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    if (!p || !info) {
        png_destroy_write_struct(&p, NULL);
        free(row);
        return CAIRO_STATUS_NO_MEMORY;
    }
    sink s = {write, closure};
    if (setjmp(png_jmpbuf(p))) {
        png_destroy_write_struct(&p, &info);
        free(row);
        return CAIRO_STATUS_WRITE_ERROR;
    }
    png_set_write_fn(p, &s, on_write, on_flush);
    png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(p, 6);
    png_set_filter(p, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_write_info(p, info);
    for (int r = 0; r < h; r++) {
        /* Cairo's ARGB32 is premultiplied, native-endian; PNG wants straight RGBA */
        const uint32_t *src = (const uint32_t *)(data + (size_t)r * stride);
        for (int k = 0; k < w; k++) {
            uint32_t px = src[k];
            unsigned a = px >> 24, R = (px >> 16) & 255, G = (px >> 8) & 255, B = px & 255;
            if (a != 0 && a != 255) {
                R = (R * 255 + a / 2) / a, G = (G * 255 + a / 2) / a, B = (B * 255 + a / 2) / a;
            }
            png_bytep o = row + 4 * k;
            o[0] = (png_byte)R, o[1] = (png_byte)G, o[2] = (png_byte)B, o[3] = (png_byte)a;
        }
        png_write_row(p, row);
    }
    png_write_end(p, info);
    png_destroy_write_struct(&p, &info);
    free(row);
    return CAIRO_STATUS_SUCCESS;
}
