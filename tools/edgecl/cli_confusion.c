/* Confusion matrices (cli_confusion.h). Text columns are as wide as the longest name (capped),
 * so a 10-class matrix stays readable in a terminal. */
#include "cli_confusion.h"

#include <errno.h>
#include <string.h>

static const char *label(const char *const *names, uint32_t k, char *buf, size_t len) {
    if (names && names[k] && names[k][0]) return names[k];
    snprintf(buf, len, "%u", k);
    return buf;
}

void cli_confusion_print(FILE *f, const char *prefix, const uint32_t *m, uint32_t n,
                         const char *const *names) {
    char b[16];
    int w = 5;
    for (uint32_t k = 0; k < n; k++) {
        int l = (int)strlen(label(names, k, b, sizeof b));
        if (l > w) w = l;
    }
    if (w > 16) w = 16;
    fprintf(f, "%sconfusion (rows: true class, columns: predicted)\n%s%-*s", prefix, prefix, w, "");
    for (uint32_t p = 0; p < n; p++)
        fprintf(f, " %*.*s", w, w, label(names, p, b, sizeof b));
    fputc('\n', f);
    for (uint32_t t = 0; t < n; t++) {
        uint32_t row = 0;
        for (uint32_t p = 0; p < n; p++)
            row += m[(size_t)t * n + p];
        if (!row) continue;
        fprintf(f, "%s%-*.*s", prefix, w, w, label(names, t, b, sizeof b));
        for (uint32_t p = 0; p < n; p++)
            fprintf(f, " %*u", w, m[(size_t)t * n + p]);
        fputc('\n', f);
    }
}

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

int cli_confusion_svg(const char *path, const char *title, const uint32_t *m, uint32_t n,
                      const char *const *names, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return 1;
    }
    const int cell = 40, left = 140, top = 150;
    char b[16];
    int W = left + (int)n * cell + 20, H = top + (int)n * cell + 20;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
            "fill=\"white\"/>\n<text x=\"10\" y=\"20\" font-size=\"15\">",
            W, H);
    xml_text(f, title);
    fprintf(f, " - confusion (rows: true, columns: predicted)</text>\n");
    for (uint32_t k = 0; k < n; k++) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6,
                top + (int)k * cell + cell / 2 + 4);
        xml_text(f, label(names, k, b, sizeof b));
        fprintf(f, "</text>\n<text transform=\"translate(%d,%d) rotate(-60)\">",
                left + (int)k * cell + cell / 2, top - 6);
        xml_text(f, label(names, k, b, sizeof b));
        fprintf(f, "</text>\n");
    }
    for (uint32_t t = 0; t < n; t++) {
        uint32_t row = 0;
        for (uint32_t p = 0; p < n; p++)
            row += m[(size_t)t * n + p];
        for (uint32_t p = 0; p < n; p++) {
            uint32_t v = m[(size_t)t * n + p];
            double fr = row ? (double)v / row : 0.0;
            int x = left + (int)p * cell, y = top + (int)t * cell;
            int shade = 255 - (int)(fr * 200.0);
            fprintf(f,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,255)\" "
                    "stroke=\"#ccc\"/>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%u</text>\n",
                    x, y, cell, cell, shade, shade, x + cell / 2, y + cell / 2 + 4, v);
        }
    }
    fputs("</svg>\n", f);
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "error writing %s: %s", path, strerror(errno));
        return 1;
    }
    return 0;
}
