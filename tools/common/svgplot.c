/* svgplot.c - hand-written SVG line plot. Tick steps are "nice" numbers (1, 2, 5 x 10^k) so the
 * axes stay readable whatever the range; with many batches (CORe50 NICv2-391) the point markers
 * are dropped and x ticks thinned, otherwise the plot turns into a smear. */
#define _POSIX_C_SOURCE 200809L
#include "svgplot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *PALETTE[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
                                "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"};
#define NPAL (sizeof PALETTE / sizeof PALETTE[0])
static const char *DASH[] = {"", "6,3", "2,2", "8,3,2,3"};

struct svgplot svgplot_default(const char *title, const char *x_label, const char *y_label) {
    struct svgplot p = {title, x_label, y_label, 900, 480, 0.f, 0.f};
    return p;
}

static void put_esc(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static double nice_step(double range, int target) {
    if (!(range > 0)) return 1;
    double raw = range / target, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

static void fmt_num(char *buf, size_t cap, double v, double step) {
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 6) dec = 6;
    snprintf(buf, cap, "%.*f", dec, fabs(v) < 1e-12 ? 0.0 : v);
}

enum ecl_status svgplot_fprint(FILE *f, const struct svgplot *p, const struct svgplot_series *s,
                               size_t n_series) {
    if (!f || !p || (n_series && !s)) return ECL_EINVAL;
    int W = p->width > 200 ? p->width : 900, H = p->height > 150 ? p->height : 480;
    /* legend width from the longest name (approx. 7 px per char at 12 px) */
    size_t maxname = 4;
    for (size_t i = 0; i < n_series; i++)
        if (s[i].name && strlen(s[i].name) > maxname) maxname = strlen(s[i].name);
    double legend_w = 40 + 7.0 * (double)(maxname > 40 ? 40 : maxname);
    double L = 64, R = W - legend_w - 16, T = 40, B = H - 52;
    if (R < L + 100) R = L + 100;

    double xmin = 1, xmax = 1, ymin = INFINITY, ymax = -INFINITY;
    size_t maxn = 0;
    for (size_t i = 0; i < n_series; i++) {
        for (size_t k = 0; k < s[i].n; k++) {
            double x = s[i].xs ? s[i].xs[k] : (double)(k + 1), y = s[i].ys[k];
            if (!isfinite(y) || !isfinite(x)) continue;
            if (x > xmax) xmax = x;
            if (x < xmin) xmin = x;
            if (y < ymin) ymin = y;
            if (y > ymax) ymax = y;
        }
        if (s[i].n > maxn) maxn = s[i].n;
    }
    if (p->y_min < p->y_max) {
        ymin = p->y_min;
        ymax = p->y_max;
    } else if (!(ymin <= ymax)) {
        ymin = 0;
        ymax = 1;
    }
    if (ymax - ymin < 1e-9) ymax = ymin + 1;
    if (xmax - xmin < 1e-9) xmax = xmin + 1;
#define PX(x) (L + ((x)-xmin) / (xmax - xmin) * (R - L))
#define PY(y) (B - ((y)-ymin) / (ymax - ymin) * (B - T))

    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
            W, H, W, H);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
    if (p->title) {
        fprintf(f,
                "<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" "
                "font-weight=\"bold\">",
                (L + R) / 2);
        put_esc(f, p->title);
        fputs("</text>\n", f);
    }
    /* y grid + ticks */
    double ys = nice_step(ymax - ymin, 8);
    char num[32];
    fputs("<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n", f);
    for (double y = ceil(ymin / ys - 1e-9) * ys; y <= ymax + 1e-9 * ys; y += ys)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", L, PY(y), R, PY(y));
    fputs("</g>\n<g text-anchor=\"end\">\n", f);
    for (double y = ceil(ymin / ys - 1e-9) * ys; y <= ymax + 1e-9 * ys; y += ys) {
        fmt_num(num, sizeof num, y, ys);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", L - 6, PY(y) + 4, num);
    }
    fputs("</g>\n", f);
    /* x ticks: integers when x are batch numbers */
    double xs = nice_step(xmax - xmin, 12);
    if (xs < 1) xs = 1;
    fputs("<g text-anchor=\"middle\">\n", f);
    for (double x = ceil(xmin / xs - 1e-9) * xs; x <= xmax + 1e-9 * xs; x += xs) {
        fmt_num(num, sizeof num, x, xs);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
                PX(x), B, PX(x), B + 5);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", PX(x), B + 18, num);
    }
    fputs("</g>\n", f);
    fprintf(f, "<path d=\"M%.1f %.1f V%.1f H%.1f\" fill=\"none\" stroke=\"black\"/>\n", L, T, B, R);
    if (p->x_label) {
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", (L + R) / 2, H - 12);
        put_esc(f, p->x_label);
        fputs("</text>\n", f);
    }
    if (p->y_label) {
        fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">",
                (T + B) / 2);
        put_esc(f, p->y_label);
        fputs("</text>\n", f);
    }
    /* series */
    int markers = maxn <= 40;
    for (size_t i = 0; i < n_series; i++) {
        const char *col = s[i].color ? s[i].color : PALETTE[i % NPAL];
        const char *dash = DASH[(i / NPAL) % 4];
        fprintf(f, "<g class=\"series\" data-name=\"");
        put_esc(f, s[i].name ? s[i].name : "");
        fprintf(f, "\">\n<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s points=\"",
                col, *dash ? " stroke-dasharray=\"" : "", dash, *dash ? "\"" : "");
        for (size_t k = 0; k < s[i].n; k++) {
            double x = s[i].xs ? s[i].xs[k] : (double)(k + 1), y = s[i].ys[k];
            if (!isfinite(y)) continue;
            fprintf(f, "%s%.1f,%.1f", k ? " " : "", PX(x), PY(y));
        }
        fputs("\"/>\n", f);
        if (markers)
            for (size_t k = 0; k < s[i].n; k++) {
                double x = s[i].xs ? s[i].xs[k] : (double)(k + 1), y = s[i].ys[k];
                if (!isfinite(y)) continue;
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", PX(x), PY(y),
                        col);
            }
        fputs("</g>\n", f);
    }
    /* legend */
    double lx = R + 16, ly = T + 4;
    for (size_t i = 0; i < n_series; i++) {
        const char *col = s[i].color ? s[i].color : PALETTE[i % NPAL];
        const char *dash = DASH[(i / NPAL) % 4];
        double y = ly + 18.0 * (double)i;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2\"%s%s%s/>\n",
                lx, y, lx + 24, y, col, *dash ? " stroke-dasharray=\"" : "", dash,
                *dash ? "\"" : "");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", lx + 30, y + 4);
        put_esc(f, s[i].name ? s[i].name : "");
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
#undef PX
#undef PY
    return ferror(f) ? ECL_EIO : ECL_OK;
}

enum ecl_status svgplot_write(const char *path, const struct svgplot *p,
                              const struct svgplot_series *s, size_t n_series, char *err,
                              size_t errlen) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return ECL_EIO;
    }
    enum ecl_status st = svgplot_fprint(f, p, s, n_series);
    int e = st != ECL_OK ? errno : 0;
    if (fclose(f) != 0 && st == ECL_OK) st = ECL_EIO, e = errno;
    if (st == ECL_OK && rename(tmp, path) != 0) st = ECL_EIO, e = errno;
    if (st != ECL_OK) {
        remove(tmp);
        snprintf(err, errlen, "cannot write %s: %s", path, e ? strerror(e) : "write error");
    }
    return st;
}
