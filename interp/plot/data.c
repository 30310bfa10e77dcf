/* data.c: the per-point work of the plot module: polylines (with path
 * simplification and clipping), filled bands, markers, the legend's
 * "where does it hide least" count, data ranges and histogram binning.
 * Everything takes contiguous float64 arrays and a data-to-canvas transform;
 * nothing here decides layout or style. */
#include <math.h>
#include <stdlib.h>

#include "plot.h"

/* Data to canvas; 0 when the point is missing (NaN, inf, <= 0 on log). */
static inline int tf_apply(const tsh_plot_tf *tf, double x, double y, double *X, double *Y)
{
    if (tf->logx) x = x > 0 ? log10(x) : NAN;
    if (tf->logy) y = y > 0 ? log10(y) : NAN;
    *X = tf->ax * x + tf->bx;
    *Y = tf->ay * y + tf->by;
    return isfinite(*X) && isfinite(*Y);
}

static inline int inside(const double *b, double x, double y)
{
    return x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];
}

/* Liang-Barsky: the parameter range [t0, t1] of p + t d inside box b. */
static int clip_segment(const double *b, double x0, double y0, double x1, double y1, double *t0,
                        double *t1)
{
    double dx = x1 - x0, dy = y1 - y0;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {x0 - b[0], b[2] - x0, y0 - b[1], b[3] - y0};
    double lo = 0, hi = 1;
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0) {
            if (q[k] < 0) return 0;
        } else {
            double r = q[k] / p[k];
            if (p[k] < 0) {
                if (r > hi) return 0;
                if (r > lo) lo = r;
            } else {
                if (r < lo) return 0;
                if (r < hi) hi = r;
            }
        }
    }
    *t0 = lo;
    *t1 = hi;
    return 1;
}

/* ---- polylines ------------------------------------------------------------ */

/* Turns a stream of vertices into path segments, cut to the clip box. */
typedef struct emitter {
    cairo_t *cr;
    const double *box;
    int have, pen;  /* a previous vertex; the path's current point is at it */
    double px, py;
    int64_t count;
    int chunk, inchunk; /* stroke every `chunk` segments (0: never) */
} emitter;

/* Strokes the path so far and goes on from its end: Cairo's stroker slows
 * down sharply on one long self-crossing path (a noisy 100k-point line),
 * and opaque pieces drawn one after another look the same. */
static void em_segment_done(emitter *e, double x, double y)
{
    if (e->chunk && ++e->inchunk >= e->chunk) {
        cairo_stroke(e->cr);
        cairo_move_to(e->cr, x, y);
        e->inchunk = 0;
    }
}

static void em_vertex(emitter *e, double x, double y)
{
    e->count++;
    if (!e->have) {
        e->have = 1;
        e->pen = inside(e->box, x, y);
        if (e->pen) cairo_move_to(e->cr, x, y);
    } else if (e->pen && inside(e->box, x, y)) {
        cairo_line_to(e->cr, x, y);
        em_segment_done(e, x, y);
    } else {
        double t0, t1, dx = x - e->px, dy = y - e->py;
        if (clip_segment(e->box, e->px, e->py, x, y, &t0, &t1)) {
            if (t0 > 0 || !e->pen) cairo_move_to(e->cr, e->px + t0 * dx, e->py + t0 * dy);
            cairo_line_to(e->cr, e->px + t1 * dx, e->py + t1 * dy);
            e->pen = t1 >= 1;
            em_segment_done(e, e->px + t1 * dx, e->py + t1 * dy);
        } else {
            e->pen = 0;
        }
    }
    e->px = x;
    e->py = y;
}

static void em_break(emitter *e) { e->have = e->pen = 0; }

/* Merges runs of points that lie within `tol` of a line through the last
 * emitted vertex O: only the run's extremes along that line (and its last
 * point, where the next segment starts) are emitted. */
typedef struct simplifier {
    emitter *e;
    double tol;
    int origin, run, pending; /* O is set; a run has a direction; a near point waits */
    double ox, oy, ux, uy;
    double fwd, fx, fy, back, bx, by, lx, ly;
} simplifier;

static void sp_start_run(simplifier *s, double x, double y)
{
    double dx = x - s->ox, dy = y - s->oy, len = hypot(dx, dy);
    s->lx = x;
    s->ly = y;
    if (len < s->tol) { /* too close to O to give a direction yet */
        s->pending = 1;
        return;
    }
    s->pending = 0;
    s->run = 1;
    s->ux = dx / len;
    s->uy = dy / len;
    s->fwd = len, s->fx = x, s->fy = y;
    s->back = 0, s->bx = s->ox, s->by = s->oy;
}

static void sp_flush(simplifier *s)
{
    if (s->run) {
        em_vertex(s->e, s->fx, s->fy);
        if (s->back < 0) em_vertex(s->e, s->bx, s->by);
        if ((s->lx != s->fx || s->ly != s->fy) && (s->back >= 0 || s->lx != s->bx || s->ly != s->by))
            em_vertex(s->e, s->lx, s->ly);
    } else if (s->pending) {
        em_vertex(s->e, s->lx, s->ly);
    }
    s->run = s->pending = 0;
    s->ox = s->lx;
    s->oy = s->ly;
}

static void sp_point(simplifier *s, double x, double y)
{
    if (!s->origin) {
        s->origin = 1;
        s->ox = s->lx = x;
        s->oy = s->ly = y;
        em_vertex(s->e, x, y);
        return;
    }
    if (!s->run) {
        sp_start_run(s, x, y);
        return;
    }
    double vx = x - s->ox, vy = y - s->oy;
    if (fabs(s->ux * vy - s->uy * vx) <= s->tol) {
        double proj = s->ux * vx + s->uy * vy;
        if (proj > s->fwd) s->fwd = proj, s->fx = x, s->fy = y;
        if (proj < s->back) s->back = proj, s->bx = x, s->by = y;
        s->lx = x;
        s->ly = y;
        return;
    }
    sp_flush(s);
    sp_start_run(s, x, y);
}

static void sp_break(simplifier *s)
{
    if (s->origin) sp_flush(s);
    s->origin = s->run = s->pending = 0;
    em_break(s->e);
}

static int64_t polyline(cairo_t *cr, const double *x, const double *y, int64_t n, const tsh_plot_tf *tf,
                        int simplify, int chunk)
{
    emitter e = {.cr = cr, .box = tf->clip, .chunk = chunk};
    /* a third of a device pixel, in user units */
    double ux = 1, uy = 0;
    cairo_user_to_device_distance(cr, &ux, &uy);
    double px = hypot(ux, uy);
    simplifier s = {.e = &e, .tol = (px > 0 ? 1.0 / px : 1.0) / 3.0};
    for (int64_t i = 0; i < n; i++) {
        double X, Y;
        if (!tf_apply(tf, x[i], y[i], &X, &Y)) {
            if (simplify) sp_break(&s);
            else em_break(&e);
            continue;
        }
        if (simplify) sp_point(&s, X, Y);
        else em_vertex(&e, X, Y);
    }
    if (simplify) sp_break(&s);
    return e.count;
}

int64_t tsh_plot_polyline(cairo_t *cr, const double *x, const double *y, int64_t n,
                          const tsh_plot_tf *tf, int simplify)
{
    return polyline(cr, x, y, n, tf, simplify, 0);
}

int64_t tsh_plot_polyline_stroke(cairo_t *cr, const double *x, const double *y, int64_t n,
                                 const tsh_plot_tf *tf)
{
    double r, g, b, a = 0;
    cairo_pattern_t *src = cairo_get_source(cr);
    int opaque = cairo_pattern_get_type(src) == CAIRO_PATTERN_TYPE_SOLID &&
                 cairo_pattern_get_rgba(src, &r, &g, &b, &a) == CAIRO_STATUS_SUCCESS && a >= 1.0;
    /* pieces only where they cannot show: opaque, solid, and long */
    int chunk = opaque && cairo_get_dash_count(cr) == 0 && n > 512 ? 64 : 0;
    cairo_line_cap_t cap = cairo_get_line_cap(cr);
    if (chunk) cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND); /* the joints between pieces */
    cairo_new_path(cr);
    int64_t count = polyline(cr, x, y, n, tf, 1, chunk);
    cairo_stroke(cr);
    cairo_set_line_cap(cr, cap);
    return count;
}

void tsh_plot_segments(cairo_t *cr, const double *x0, const double *y0, const double *x1,
                       const double *y1, int64_t n, const tsh_plot_tf *tf)
{
    emitter e = {.cr = cr, .box = tf->clip};
    for (int64_t i = 0; i < n; i++) {
        double X0, Y0, X1, Y1;
        if (!tf_apply(tf, x0[i], y0[i], &X0, &Y0) || !tf_apply(tf, x1[i], y1[i], &X1, &Y1)) continue;
        em_break(&e);
        em_vertex(&e, X0, Y0);
        em_vertex(&e, X1, Y1);
    }
}

/* Keeps polygon vertices inside Cairo's fixed-point range; the band's
 * vertices are near the view in any sane zoom, so clamping suffices. */
static double clampc(double v, double lo, double hi)
{
    const double far = 1e6;
    return v < lo - far ? lo - far : v > hi + far ? hi + far : v;
}

void tsh_plot_band(cairo_t *cr, const double *x, const double *y1, const double *y2,
                   double y2const, int64_t n, const tsh_plot_tf *tf, int horizontal)
{
    const double *b = tf->clip;
    int64_t i = 0;
    while (i < n) {
        /* one contiguous run of complete points */
        double X, Y;
        int64_t start = i;
        while (i < n) {
            double v2 = y2 ? y2[i] : y2const;
            double u = horizontal ? y1[i] : x[i], w1 = horizontal ? x[i] : y1[i];
            double u2 = horizontal ? v2 : x[i], w2 = horizontal ? x[i] : v2;
            if (!tf_apply(tf, u, w1, &X, &Y) || !tf_apply(tf, u2, w2, &X, &Y)) break;
            i++;
        }
        if (i - start >= 2) {
            for (int64_t k = start; k < i; k++) {
                double u = horizontal ? y1[k] : x[k], w = horizontal ? x[k] : y1[k];
                tf_apply(tf, u, w, &X, &Y);
                X = clampc(X, b[0], b[2]), Y = clampc(Y, b[1], b[3]);
                if (k == start) cairo_move_to(cr, X, Y);
                else cairo_line_to(cr, X, Y);
            }
            for (int64_t k = i - 1; k >= start; k--) {
                double v2 = y2 ? y2[k] : y2const;
                double u = horizontal ? v2 : x[k], w = horizontal ? x[k] : v2;
                tf_apply(tf, u, w, &X, &Y);
                cairo_line_to(cr, clampc(X, b[0], b[2]), clampc(Y, b[1], b[3]));
            }
            cairo_close_path(cr);
        }
        if (i == start) i++; /* skip the missing point */
    }
}

/* ---- markers ---------------------------------------------------------------- */

static void polygon(cairo_t *cr, double cx, double cy, const double *pts, int n, double scale)
{
    for (int k = 0; k < n; k++) {
        double px = cx + pts[2 * k] * scale, py = cy - pts[2 * k + 1] * scale;
        if (k == 0) cairo_move_to(cr, px, py);
        else cairo_line_to(cr, px, py);
    }
    cairo_close_path(cr);
}

static void regular(cairo_t *cr, double cx, double cy, int n, double r, double inner)
{
    /* a regular polygon (inner == 0) or star with a vertex straight up */
    int m = inner > 0 ? 2 * n : n;
    for (int k = 0; k < m; k++) {
        double a = M_PI / 2 + 2 * M_PI * k / m, rr = (inner > 0 && (k & 1)) ? r * inner : r;
        double px = cx + rr * cos(a), py = cy - rr * sin(a);
        if (k == 0) cairo_move_to(cr, px, py);
        else cairo_line_to(cr, px, py);
    }
    cairo_close_path(cr);
}

void tsh_plot_marker_path(cairo_t *cr, tsh_plot_marker shape, double cx, double cy, double size)
{
    double h = size / 2;
    static const double tri_up[] = {0, 1, -1, -1, 1, -1};
    static const double tri_down[] = {0, -1, -1, 1, 1, 1};
    static const double tri_left[] = {-1, 0, 1, -1, 1, 1};
    static const double tri_right[] = {1, 0, -1, 1, -1, -1};
    static const double plus_f[] = {-1, -3, 1, -3, 1, -1, 3, -1, 3, 1, 1, 1,
                                    1, 3, -1, 3, -1, 1, -3, 1, -3, -1, -1, -1};
    static const double x_f[] = {-3, -2, -2, -3, 0, -1, 2, -3, 3, -2, 1, 0,
                                 3, 2, 2, 3, 0, 1, -2, 3, -3, 2, -1, 0};
    switch (shape) {
    case TSH_PLOT_M_CIRCLE:
        cairo_new_sub_path(cr);
        cairo_arc(cr, cx, cy, h, 0, 2 * M_PI);
        cairo_close_path(cr);
        break;
    case TSH_PLOT_M_POINT:
        cairo_new_sub_path(cr);
        cairo_arc(cr, cx, cy, h / 2, 0, 2 * M_PI);
        cairo_close_path(cr);
        break;
    case TSH_PLOT_M_PIXEL: {
        double ux = 1, uy = 1;
        cairo_device_to_user_distance(cr, &ux, &uy);
        cairo_rectangle(cr, cx - ux / 2, cy - uy / 2, ux, uy);
        break;
    }
    case TSH_PLOT_M_SQUARE: cairo_rectangle(cr, cx - h, cy - h, size, size); break;
    case TSH_PLOT_M_DIAMOND: {
        double d = h * M_SQRT2;
        double pts[] = {0, d, d, 0, 0, -d, -d, 0};
        polygon(cr, cx, cy, pts, 4, 1);
        break;
    }
    case TSH_PLOT_M_THIN_DIAMOND: {
        double d = h * M_SQRT2;
        double pts[] = {0, d, 0.6 * d, 0, 0, -d, -0.6 * d, 0};
        polygon(cr, cx, cy, pts, 4, 1);
        break;
    }
    case TSH_PLOT_M_TRI_UP: polygon(cr, cx, cy, tri_up, 3, h); break;
    case TSH_PLOT_M_TRI_DOWN: polygon(cr, cx, cy, tri_down, 3, h); break;
    case TSH_PLOT_M_TRI_LEFT: polygon(cr, cx, cy, tri_left, 3, h); break;
    case TSH_PLOT_M_TRI_RIGHT: polygon(cr, cx, cy, tri_right, 3, h); break;
    case TSH_PLOT_M_STAR: regular(cr, cx, cy, 5, h, 0.381966); break;
    case TSH_PLOT_M_PENTAGON: regular(cr, cx, cy, 5, h, 0); break;
    case TSH_PLOT_M_HEXAGON: regular(cr, cx, cy, 6, h, 0); break;
    case TSH_PLOT_M_PLUS_FILLED: polygon(cr, cx, cy, plus_f, 12, h / 3); break;
    case TSH_PLOT_M_X_FILLED: polygon(cr, cx, cy, x_f, 12, h / 3); break;
    case TSH_PLOT_M_PLUS:
        cairo_move_to(cr, cx - h, cy), cairo_line_to(cr, cx + h, cy);
        cairo_move_to(cr, cx, cy - h), cairo_line_to(cr, cx, cy + h);
        break;
    case TSH_PLOT_M_X:
        cairo_move_to(cr, cx - h, cy - h), cairo_line_to(cr, cx + h, cy + h);
        cairo_move_to(cr, cx - h, cy + h), cairo_line_to(cr, cx + h, cy - h);
        break;
    case TSH_PLOT_M_VLINE: cairo_move_to(cr, cx, cy - h), cairo_line_to(cr, cx, cy + h); break;
    case TSH_PLOT_M_HLINE: cairo_move_to(cr, cx - h, cy), cairo_line_to(cr, cx + h, cy); break;
    default: break;
    }
}

static void lut_color(const tsh_plot_markers *m, double v, double rgba[4])
{
    double t = (v - m->vmin) / (m->vmax - m->vmin);
    if (!(m->vmax > m->vmin)) t = 0.5;
    int k = isnan(t) ? 0 : t <= 0 ? 0 : t >= 1 ? 255 : (int)(t * 256);
    if (k > 255) k = 255;
    rgba[0] = m->lut[3 * k] / 255.0;
    rgba[1] = m->lut[3 * k + 1] / 255.0;
    rgba[2] = m->lut[3 * k + 2] / 255.0;
    rgba[3] = isnan(v) ? 0 : m->alpha;
}

int64_t tsh_plot_markers_draw(cairo_t *cr, const double *x, const double *y, int64_t n,
                              const tsh_plot_tf *tf, const tsh_plot_markers *m)
{
    int line_marker = m->shape >= TSH_PLOT_M_FIRST_LINE;
    int64_t drawn = 0;
    cairo_save(cr);
    cairo_set_line_width(cr, m->edgewidth);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_dash(cr, NULL, 0, 0); /* a dashed line's markers are solid */
    cairo_new_path(cr);
    /* a generous margin: a big marker centred outside may still show */
    double big = m->size * 4 + 50;
    double box[4] = {tf->clip[0] - big, tf->clip[1] - big, tf->clip[2] + big, tf->clip[3] + big};
    for (int64_t i = 0; i < n; i++) {
        double X, Y;
        if (!tf_apply(tf, x[i], y[i], &X, &Y) || !inside(box, X, Y)) continue;
        double size = m->size;
        if (m->areas) {
            if (!(m->areas[i] >= 0)) continue;
            size = sqrt(m->areas[i]);
        }
        double face[4] = {m->face[0], m->face[1], m->face[2], m->face[3]};
        if (m->values && m->lut) lut_color(m, m->values[i], face);
        else if (m->rgba) for (int k = 0; k < 4; k++) face[k] = m->rgba[4 * i + k];
        const double *edge = m->edge_is_face ? face : m->edge;
        tsh_plot_marker_path(cr, m->shape, X, Y, size);
        if (line_marker) {
            /* a line marker is drawn in its face colour */
            cairo_set_source_rgba(cr, face[0], face[1], face[2], face[3]);
            cairo_stroke(cr);
        } else {
            if (face[3] > 0) {
                cairo_set_source_rgba(cr, face[0], face[1], face[2], face[3]);
                cairo_fill_preserve(cr);
            }
            if (edge[3] > 0 && m->edgewidth > 0) {
                cairo_set_source_rgba(cr, edge[0], edge[1], edge[2], edge[3]);
                cairo_stroke_preserve(cr);
            }
            cairo_new_path(cr);
        }
        drawn++;
        if ((i & 4095) == 0 && tsh_interrupt_flag) break;
    }
    cairo_restore(cr);
    return drawn;
}

/* ---- legend placement, ranges, histograms --------------------------------- */

void tsh_plot_count_in_rects(const double *x, const double *y, int64_t n, const tsh_plot_tf *tf,
                             int lines, int nrect, const double *rects, double *bad)
{
    for (int r = 0; r < nrect; r++) {
        const double *b = rects + 4 * r;
        int64_t in = 0;
        int crosses = 0, have = 0;
        double px = 0, py = 0;
        for (int64_t i = 0; i < n; i++) {
            double X, Y;
            if (!tf_apply(tf, x[i], y[i], &X, &Y)) {
                have = 0;
                continue;
            }
            int now = inside(b, X, Y);
            in += now;
            if (lines && have && !crosses) {
                double t0, t1;
                int before = inside(b, px, py);
                crosses = before != now || (!now && clip_segment(b, px, py, X, Y, &t0, &t1));
            }
            px = X, py = Y, have = 1;
        }
        bad[r] += (double)in + crosses;
    }
}

int64_t tsh_plot_minmax(const double *v, int64_t n, int positive, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = v[i];
        if (!isfinite(a) || (positive && !(a > 0))) continue;
        if (a < mn) mn = a;
        if (a > mx) mx = a;
        count++;
    }
    if (count) {
        *lo = mn;
        *hi = mx;
    }
    return count;
}

void tsh_plot_histogram(const double *v, const double *w, int64_t n, const double *edges,
                        int nbins, double *counts)
{
    double lo = edges[0], hi = edges[nbins], scale = nbins / (hi - lo);
    for (int k = 0; k < nbins; k++) counts[k] = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = v[i];
        if (!(a >= lo && a <= hi)) continue; /* also skips NaN */
        /* a guess from uniform bins, corrected against the true edges */
        double g = (a - lo) * scale;
        int k = g >= nbins ? nbins - 1 : (int)g;
        if (a < edges[k] || (k < nbins - 1 && a >= edges[k + 1])) {
            int l = 0, r = nbins - 1; /* the last bin whose left edge is <= a */
            while (l < r) {
                int mid = (l + r + 1) / 2;
                if (edges[mid] <= a) l = mid;
                else r = mid - 1;
            }
            k = l;
        }
        counts[k] += w ? w[i] : 1.0;
    }
}
