/* Windows BMP decoding (bmp.h). The file header (14 bytes) gives the pixel data offset; the
 * info header that follows gives the size, bit depth and compression. Rows are padded to 4
 * bytes and stored bottom-up unless the height is negative. */
#include "bmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd16(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static enum ecl_status fail(char *err, size_t errlen, enum ecl_status st, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
    return st;
}

int bmp_is_bmp(const void *buf, size_t len) {
    const uint8_t *p = buf;
    return buf && len >= 2 && p[0] == 'B' && p[1] == 'M';
}

/* What a file says about its pixels, after the header checks. */
struct bmp_hdr {
    uint32_t off, hsize, bpp, comp, n_pal;
    int32_t w, h; /* h > 0 after the sign is taken out */
    int top_down;
    uint32_t mask[3]; /* R, G, B masks for 32-bit BI_BITFIELDS */
};

static const char *comp_name(uint32_t c) {
    static const char *names[] = {"none", "RLE8", "RLE4", "BITFIELDS", "JPEG", "PNG"};
    return c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

/* Shift of an 8-bit contiguous mask (0x00ff0000 -> 16), -1 if it is not one. */
static int mask_shift(uint32_t m) {
    for (int s = 0; s <= 24; s += 8)
        if (m == 0xFFu << s) return s;
    return -1;
}

static enum ecl_status parse_header(const uint8_t *p, size_t len, int max_side, struct bmp_hdr *hd,
                                    char *err, size_t errlen) {
    char msg[160];
    if (len < 26) return fail(err, errlen, ECL_EFORMAT, "bad BMP: file is truncated (header)");
    hd->off = rd32(p + 10);
    hd->hsize = rd32(p + 14);
    if (hd->hsize == 12) { /* BITMAPCOREHEADER: 16-bit sizes, no compression field */
        hd->w = (int32_t)rd16(p + 18);
        hd->h = (int32_t)(int16_t)rd16(p + 20);
        hd->bpp = rd16(p + 24);
        hd->comp = 0;
        hd->n_pal = 0;
    } else if (hd->hsize >= 40 && hd->hsize <= 124) {
        if (len < 14 + (size_t)hd->hsize)
            return fail(err, errlen, ECL_EFORMAT, "bad BMP: file is truncated (header)");
        hd->w = (int32_t)rd32(p + 18);
        hd->h = (int32_t)rd32(p + 22);
        hd->bpp = rd16(p + 28);
        hd->comp = rd32(p + 30);
        hd->n_pal = rd32(p + 46);
    } else {
        snprintf(msg, sizeof msg, "unsupported BMP: info header of %u bytes", (unsigned)hd->hsize);
        return fail(err, errlen, ECL_EUNSUPPORTED, msg);
    }
    if (rd16(p + 26) != 1 && hd->hsize != 12)
        return fail(err, errlen, ECL_EFORMAT, "bad BMP: planes is not 1");
    hd->top_down = hd->h < 0;
    if (hd->h == INT32_MIN) return fail(err, errlen, ECL_EFORMAT, "bad BMP: invalid height");
    if (hd->top_down) hd->h = -hd->h;
    if (hd->w <= 0 || hd->h <= 0) {
        snprintf(msg, sizeof msg, "bad BMP: invalid size %dx%d", (int)hd->w, (int)hd->h);
        return fail(err, errlen, ECL_EFORMAT, msg);
    }
    if (hd->w > max_side || hd->h > max_side) {
        snprintf(msg, sizeof msg, "image too large: %dx%d pixels (at most %d per side)", (int)hd->w,
                 (int)hd->h, max_side);
        return fail(err, errlen, ECL_ERANGE, msg);
    }
    int bitfields32 = hd->comp == 3 && hd->bpp == 32;
    if (hd->comp != 0 && !bitfields32) {
        snprintf(msg, sizeof msg, "unsupported BMP: compressed (%s), only uncompressed is read",
                 comp_name(hd->comp));
        return fail(err, errlen, ECL_EUNSUPPORTED, msg);
    }
    if (hd->bpp != 8 && hd->bpp != 24 && hd->bpp != 32) {
        snprintf(msg, sizeof msg,
                 "unsupported BMP: %u bits per pixel (8-bit paletted, 24 and 32-bit are read)",
                 (unsigned)hd->bpp);
        return fail(err, errlen, ECL_EUNSUPPORTED, msg);
    }
    hd->mask[0] = 0x00FF0000u;
    hd->mask[1] = 0x0000FF00u;
    hd->mask[2] = 0x000000FFu;
    if (bitfields32) { /* masks follow a 40-byte header, or sit inside a V2+ header */
        if (len < 14 + 40 + 12)
            return fail(err, errlen, ECL_EFORMAT, "bad BMP: file is truncated (bit masks)");
        for (int c = 0; c < 3; c++) {
            hd->mask[c] = rd32(p + 54 + 4 * c);
            if (mask_shift(hd->mask[c]) < 0)
                return fail(err, errlen, ECL_EUNSUPPORTED,
                            "unsupported BMP: bit masks other than 8 bits per channel");
        }
    }
    return ECL_OK;
}

enum ecl_status bmp_decode(const void *buf, size_t len, int max_side, uint8_t **rgb, int *w, int *h,
                           char *err, size_t errlen) {
    const uint8_t *p = buf;
    struct bmp_hdr hd;
    if (!buf || !rgb || !w || !h || max_side < 1) return ECL_EINVAL;
    *rgb = NULL;
    if (!bmp_is_bmp(buf, len)) return fail(err, errlen, ECL_EFORMAT, "bad BMP: no 'BM' magic");
    enum ecl_status st = parse_header(p, len, max_side, &hd, err, errlen);
    if (st) return st;
    /* palette: after the info header (and the 12 mask bytes of a BITFIELDS 40-byte header) */
    uint8_t pal[256][3];
    if (hd.bpp == 8) {
        size_t ent = hd.hsize == 12 ? 3 : 4, n = hd.n_pal ? hd.n_pal : 256;
        size_t at = 14 + (size_t)hd.hsize;
        /* a core header has no colour count: as many entries as fit before the pixels */
        if (hd.hsize == 12)
            n = hd.off > at && (hd.off - at) / ent < 256 ? (hd.off - at) / ent : 256;
        if (n > 256) return fail(err, errlen, ECL_EFORMAT, "bad BMP: palette over 256 colours");
        if (at + n * ent > len || at + n * ent > hd.off)
            return fail(err, errlen, ECL_EFORMAT, "bad BMP: palette is truncated");
        memset(pal, 0, sizeof pal);
        for (size_t i = 0; i < n; i++) { /* stored B, G, R(, 0) */
            pal[i][0] = p[at + i * ent + 2];
            pal[i][1] = p[at + i * ent + 1];
            pal[i][2] = p[at + i * ent];
        }
    }
    size_t W = (size_t)hd.w, H = (size_t)hd.h, bpp = hd.bpp / 8;
    size_t stride = (W * bpp + 3) & ~(size_t)3;
    if (hd.off > len || (len - hd.off) / stride < H)
        return fail(err, errlen, ECL_EFORMAT, "bad BMP: pixel data is truncated");
    uint8_t *out = malloc(W * H * 3);
    if (!out) return fail(err, errlen, ECL_EOOM, "out of memory");
    int sh[3] = {mask_shift(hd.mask[0]), mask_shift(hd.mask[1]), mask_shift(hd.mask[2])};
    for (size_t y = 0; y < H; y++) {
        const uint8_t *row = p + hd.off + (hd.top_down ? y : H - 1 - y) * stride;
        uint8_t *o = out + y * W * 3;
        for (size_t x = 0; x < W; x++, o += 3) {
            if (bpp == 1) {
                memcpy(o, pal[row[x]], 3);
            } else if (bpp == 3) {
                o[0] = row[x * 3 + 2];
                o[1] = row[x * 3 + 1];
                o[2] = row[x * 3];
            } else {
                uint32_t v = rd32(row + x * 4);
                for (int c = 0; c < 3; c++)
                    o[c] = (uint8_t)(v >> sh[c]);
            }
        }
    }
    *rgb = out;
    *w = hd.w;
    *h = hd.h;
    return ECL_OK;
}
