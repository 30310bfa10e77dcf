/* plot.h: the drawing engine under stdlib/plot, in C over Cairo and chafa:
 * canvases (in-memory images, and PNG/SVG/PDF files saved atomically),
 * text in DejaVu Sans, and the per-point work that must not run in Lua
 * (polylines, markers, image colour mapping, histograms, legend placement).
 * It knows nothing of Lua or of figures and axes: interp/lua/l_canvas.c
 * binds it, and stdlib/plot/ decides what to draw where.
 *
 * Coordinates: a canvas is addressed in points (1/72 inch), y down; an image
 * canvas scales points to pixels by dpi/72, so layout is the same at any DPI.
 * Data arrays are contiguous float64; the binding converts tensors. */
#ifndef TSH_PLOT_H
#define TSH_PLOT_H

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* ---- canvases ---------------------------------------------------------- */

typedef enum tsh_plot_kind {
    TSH_PLOT_MEMORY, /* an image surface kept in memory (show, tests) */
    TSH_PLOT_PNG,
    TSH_PLOT_SVG,
    TSH_PLOT_PDF,
} tsh_plot_kind;

typedef struct tsh_plot_canvas {
    tsh_plot_kind kind;
    cairo_surface_t *surface;
    cairo_t *cr;
    double width, height; /* in points */
    double scale;         /* device units per point */
    char *path;           /* file canvases: where the result goes ... */
    char *tmp;            /* ... and the temp file beside it, renamed at the end */
    int fd;               /* the temp file, -1 when closed or none */
    int write_errno;      /* first error from a write, 0 when none */
    int fail_writes;      /* tests: make every write fail as a full disk would */
    int pages;            /* pages begun (PDF) */
} tsh_plot_canvas;

/* An image canvas of w x h pixels, `scale` pixels per point, white-free
 * (transparent until drawn). */
tsh_status tsh_plot_canvas_memory(int w, int h, double scale, tsh_plot_canvas **out);
/* A canvas that will become `path` (kind from the caller: PNG, SVG or PDF),
 * w_pt x h_pt points, rasterised at `dpi` for PNG. The temp file is created
 * now, so an unwritable place fails before any drawing. */
tsh_status tsh_plot_canvas_file(const char *path, tsh_plot_kind kind, double w_pt, double h_pt,
                                double dpi, tsh_plot_canvas **out);
/* PDF: ends the current page and starts one of w_pt x h_pt. */
tsh_status tsh_plot_canvas_next_page(tsh_plot_canvas *c, double w_pt, double h_pt);
/* Writes the file: encode, fsync, rename over `path`. On failure the temp
 * file is removed and any previous file at `path` is untouched. */
tsh_status tsh_plot_canvas_finish(tsh_plot_canvas *c);
/* Gives up a file canvas: removes the temp file (idempotent). */
void tsh_plot_canvas_abort(tsh_plot_canvas *c);
void tsh_plot_canvas_free(tsh_plot_canvas *c); /* aborts if unfinished; NULL is fine */
/* Cairo's stream callback type, for PNG encoding. */
typedef cairo_status_t (*tsh_plot_write_fn)(void *closure, const unsigned char *data, unsigned int len);
/* Encodes an image surface as PNG through write (png.c). */
cairo_status_t tsh_plot_write_png(cairo_surface_t *surface, tsh_plot_write_fn write, void *closure);
/* Reads a PNG as w x h RGBA bytes, not premultiplied (malloc'd; tests). */
tsh_status tsh_plot_read_png(const char *path, int *w, int *h, uint8_t **rgba);

/* ---- text ------------------------------------------------------------------ */

typedef struct tsh_plot_text {
    double size;     /* points */
    int bold;
    double ha;       /* 0 left, 0.5 center, 1 right */
    int va;          /* TSH_PLOT_VA_* */
    double rotation; /* degrees, counter-clockwise */
    int anchor;      /* 1: align, then rotate about (x, y); 0: align the rotated box */
    int draw;        /* 0: only measure */
} tsh_plot_text;

enum { TSH_PLOT_VA_BASELINE, TSH_PLOT_VA_TOP, TSH_PLOT_VA_CENTER, TSH_PLOT_VA_BOTTOM,
       TSH_PLOT_VA_CENTER_BASELINE };

/* Draws (or measures) one line of UTF-8 text anchored at (x, y); box gets
 * the bounding box x0, y0, x1, y1 in points. Uses DejaVu Sans. */
void tsh_plot_text_draw(cairo_t *cr, const char *s, double x, double y, const tsh_plot_text *o,
                        double box[4]);

/* ---- data ------------------------------------------------------------------ */

/* Data to canvas: v' = a * v + b per axis, after log10 for a log axis (where
 * values <= 0 are missing). `clip` is a box in points beyond which segments
 * are cut, so far-away points cannot overflow Cairo's fixed-point range. */
typedef struct tsh_plot_tf {
    double ax, bx, ay, by;
    int logx, logy;
    double clip[4]; /* x0, y0, x1, y1 */
} tsh_plot_tf;

/* Appends a polyline through (x[i], y[i]) to the current path: NaN, inf and
 * (on log axes) values <= 0 break the line. Runs of points within a third of
 * a device pixel of a straight line are merged, as matplotlib's path
 * simplification does, so a 100k-point line strokes fast and looks the same.
 * Returns the number of vertices emitted. */
int64_t tsh_plot_polyline(cairo_t *cr, const double *x, const double *y, int64_t n,
                          const tsh_plot_tf *tf, int simplify);
/* Builds and strokes the polyline with the current source and line style.
 * A long, opaque, solid line is stroked in pieces of 64 segments (with
 * round ends where pieces meet), which is many times faster in Cairo and
 * looks the same. Returns the vertices drawn. */
int64_t tsh_plot_polyline_stroke(cairo_t *cr, const double *x, const double *y, int64_t n,
                                 const tsh_plot_tf *tf);
/* Appends the closed polygon x->y1 then back along y2 (fill_between);
 * y2 may be NULL with y2const used instead. Missing points split it. */
void tsh_plot_band(cairo_t *cr, const double *x, const double *y1, const double *y2,
                   double y2const, int64_t n, const tsh_plot_tf *tf, int horizontal);

/* Appends n independent segments (x0[i], y0[i]) -> (x1[i], y1[i]) to the
 * path (error bars), skipping those with a missing end. */
void tsh_plot_segments(cairo_t *cr, const double *x0, const double *y0, const double *x1,
                       const double *y1, int64_t n, const tsh_plot_tf *tf);

typedef enum tsh_plot_marker {
    TSH_PLOT_M_CIRCLE, TSH_PLOT_M_POINT, TSH_PLOT_M_PIXEL, TSH_PLOT_M_SQUARE,
    TSH_PLOT_M_DIAMOND, TSH_PLOT_M_THIN_DIAMOND, TSH_PLOT_M_TRI_UP, TSH_PLOT_M_TRI_DOWN,
    TSH_PLOT_M_TRI_LEFT, TSH_PLOT_M_TRI_RIGHT, TSH_PLOT_M_STAR, TSH_PLOT_M_PENTAGON,
    TSH_PLOT_M_HEXAGON, TSH_PLOT_M_PLUS_FILLED, TSH_PLOT_M_X_FILLED,
    /* line markers: stroked, never filled */
    TSH_PLOT_M_PLUS, TSH_PLOT_M_X, TSH_PLOT_M_VLINE, TSH_PLOT_M_HLINE,
    TSH_PLOT_M_COUNT
} tsh_plot_marker;
#define TSH_PLOT_M_FIRST_LINE TSH_PLOT_M_PLUS

typedef struct tsh_plot_markers {
    tsh_plot_marker shape;
    double size;           /* points; a circle's diameter */
    const double *areas;   /* per point, in points^2 (scatter's s), or NULL */
    double face[4];        /* RGBA; alpha 0 = no fill */
    double edge[4];        /* RGBA; alpha 0 = no edge */
    double edgewidth;      /* points */
    int edge_is_face;      /* each edge takes its point's face colour */
    const double *values;  /* per point, mapped through lut (256 RGB) ... */
    const uint8_t *lut;
    double vmin, vmax, alpha; /* ... with this range and alpha */
    const double *rgba;    /* per point RGBA (n x 4), or NULL */
} tsh_plot_markers;

/* Draws a marker at every point that is not missing. Returns how many. */
int64_t tsh_plot_markers_draw(cairo_t *cr, const double *x, const double *y, int64_t n,
                              const tsh_plot_tf *tf, const tsh_plot_markers *m);
/* Appends the outline of one marker centred at (cx, cy) to the path. */
void tsh_plot_marker_path(cairo_t *cr, tsh_plot_marker shape, double cx, double cy, double size);

/* For each of nrect boxes (x0, y0, x1, y1 in points), adds to bad[k] the
 * number of points inside it plus the number of segments crossing it: the
 * legend's "best" placement takes the box with the least. */
void tsh_plot_count_in_rects(const double *x, const double *y, int64_t n, const tsh_plot_tf *tf,
                             int lines, int nrect, const double *rects, double *bad);

/* Finite min and max of v (positive values only when `positive`); returns
 * the count of values that qualified (0: min and max untouched). */
int64_t tsh_plot_minmax(const double *v, int64_t n, int positive, double *lo, double *hi);

/* Counts (or sums weights) of v into nbins bins between sorted edges
 * (nbins + 1 of them); the last bin includes its right edge, as numpy does.
 * Values outside or missing are skipped. */
void tsh_plot_histogram(const double *v, const double *w, int64_t n, const double *edges,
                        int nbins, double *counts);

/* ---- images --------------------------------------------------------------- */

typedef enum tsh_plot_interp {
    TSH_PLOT_INTERP_AUTO,     /* nearest when magnifying 3x or more, else smooth */
    TSH_PLOT_INTERP_NEAREST,
    TSH_PLOT_INTERP_BILINEAR,
} tsh_plot_interp;

typedef struct tsh_plot_image {
    const double *data;   /* h x w x c, c = 1 (mapped), 3 (RGB) or 4 (RGBA) */
    int h, w, c;
    int bytes;            /* RGB(A) given as 0..255 rather than 0..1 */
    const uint8_t *lut;   /* c == 1: 256 RGB entries */
    double vmin, vmax;    /* c == 1: the range the lut spans */
    double alpha;
    tsh_plot_interp interp;
} tsh_plot_image;

/* Draws the image so that its pixel grid fills the box with corners
 * (x0, y0) (first row, first column) and (x1, y1); x1 < x0 or y1 < y0
 * flips it. Missing values are transparent. */
tsh_status tsh_plot_image_draw(cairo_t *cr, const tsh_plot_image *im, double x0, double y0,
                               double x1, double y1);

/* ---- the terminal ---------------------------------------------------------- */

typedef enum tsh_plot_term_mode {
    TSH_PLOT_TERM_SYMBOLS, TSH_PLOT_TERM_SIXEL, TSH_PLOT_TERM_KITTY, TSH_PLOT_TERM_ITERM,
} tsh_plot_term_mode;

typedef enum tsh_plot_term_colors {
    TSH_PLOT_TERM_TRUECOLOR, TSH_PLOT_TERM_256, TSH_PLOT_TERM_16, TSH_PLOT_TERM_MONO,
} tsh_plot_term_colors;

typedef struct tsh_plot_term {
    tsh_plot_term_mode mode;
    tsh_plot_term_colors colors;
    int tmux; /* wrap graphics sequences in tmux's DCS passthrough */
} tsh_plot_term;

/* What the terminal described by envp (NAME=value strings, NULL-ended) can
 * draw, from chafa's terminal database; never asks the terminal itself. */
void tsh_plot_term_detect(char **envp, tsh_plot_term *out);
/* Encodes a w x h image (Cairo ARGB32, premultiplied) into `cols` x `rows`
 * cells of cell_w x cell_h pixels; *out is malloc'd and ends in a newline. */
tsh_status tsh_plot_term_encode(const tsh_plot_term *t, const uint8_t *argb, int w, int h,
                                int stride, int cols, int rows, int cell_w, int cell_h,
                                char **out, size_t *len);
/* Wraps every DCS, APC and OSC sequence of s for tmux (ESC doubled inside
 * "ESC P tmux; ... ESC \"); malloc'd result. */
char *tsh_plot_tmux_wrap(const char *s, size_t n, size_t *outlen);

#endif
