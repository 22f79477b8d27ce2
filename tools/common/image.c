/* Image decoding for the tools: PNG (libpng), JPEG (libjpeg-turbo) and BMP (bmp.c) to RGB8.
 * Both libraries report fatal errors with longjmp; we catch them and turn them into a status
 * plus a message, so a truncated or hostile file never takes the process down. Sizes are
 * capped (IMG_MAX_SIDE, or a caller's smaller limit) before any allocation.
 *
 * libjpeg only *warns* about corrupt entropy data or a premature end of file and fills the rest
 * of the image with grey; such an image would be learned or classified as if it were real, so
 * any warning fails the decode (the first warning's text is the message). */
#include "image.h"

#include "bmp.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "edgecl/port.h"

#ifdef ECL_HAVE_PNG
#include <png.h>
#endif
#ifdef ECL_HAVE_JPEG
#include <jpeglib.h>
#endif

static void seterr(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

#ifdef ECL_HAVE_PNG
struct png_src {
    const unsigned char *p;
    size_t len, pos;
};

static void png_read_mem(png_structp png, png_bytep out, png_size_t n) {
    struct png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->pos) png_error(png, "PNG data is truncated");
    memcpy(out, s->p + s->pos, n);
    s->pos += n;
}

static void png_err_fn(png_structp png, png_const_charp msg) {
    char *buf = png_get_error_ptr(png);
    if (buf) snprintf(buf, 128, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static uint32_t be32(const unsigned char *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The size from the IHDR chunk (always first: signature, length, "IHDR", width, height), read
 * here because libpng refuses a side above its user limit with "Invalid IHDR data", which does
 * not say what is wrong. 0 if the size is within max_side or not readable (libpng decides). */
static int png_too_large(const unsigned char *b, size_t len, int max_side, char *err,
                         size_t errlen) {
    if (len < 24 || memcmp(b + 12, "IHDR", 4) != 0) return 0;
    uint32_t W = be32(b + 16), H = be32(b + 20);
    if (W <= (uint32_t)max_side && H <= (uint32_t)max_side) return 0;
    if (err && errlen)
        snprintf(err, errlen, "image too large: %ux%u pixels (at most %d per side)", (unsigned)W,
                 (unsigned)H, max_side);
    return 1;
}

static enum ecl_status decode_png(const void *buf, size_t len, int max_side, uint8_t **rgb, int *w,
                                  int *h, char *err, size_t errlen) {
    if (png_too_large(buf, len, max_side, err, errlen)) return ECL_ERANGE;
    char pngmsg[128] = "PNG decode error";
    struct png_src src = {buf, len, 0};
    uint8_t *volatile out = NULL;
    png_bytep *volatile rows = NULL;
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, pngmsg, png_err_fn, png_warn_fn);
    if (!png) return ECL_EIO;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(out);
        free(rows);
        if (err && errlen) snprintf(err, errlen, "bad PNG: %s", pngmsg);
        return ECL_EFORMAT;
    }
    png_set_read_fn(png, &src, png_read_mem);
    png_set_user_limits(png, IMG_MAX_SIDE, IMG_MAX_SIDE);
    png_read_info(png, info);
    png_uint_32 W = png_get_image_width(png, info), H = png_get_image_height(png, info);
    if (W > (png_uint_32)max_side || H > (png_uint_32)max_side) {
        png_destroy_read_struct(&png, &info, NULL);
        if (err && errlen)
            snprintf(err, errlen, "image too large: %ux%u pixels (at most %d per side)",
                     (unsigned)W, (unsigned)H, max_side);
        return ECL_ERANGE;
    }
    int bd = png_get_bit_depth(png, info), ct = png_get_color_type(png, info);
    if (bd == 16) png_set_strip_16(png);
    if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ct == PNG_COLOR_TYPE_GRAY && bd < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (ct == PNG_COLOR_TYPE_GRAY || ct == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)W * 3) png_error(png, "unexpected row layout");
    out = malloc((size_t)W * H * 3);
    rows = malloc(sizeof(png_bytep) * H);
    if (!out || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < H; y++)
        rows[y] = out + (size_t)y * W * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    *rgb = out;
    *w = (int)W;
    *h = (int)H;
    return ECL_OK;
}
#endif

#ifdef ECL_HAVE_JPEG
struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    char warn[JMSG_LENGTH_MAX]; /* the first warning */
};

static void jpeg_err_exit(j_common_ptr c) {
    struct jerr *e = (struct jerr *)c->err;
    c->err->format_message(c, e->msg);
    longjmp(e->jb, 1);
}

/* Replaces libjpeg's emit_message (which prints to stderr): counts warnings (level < 0) as the
 * default does, keeps the first one's text, and drops trace messages (level >= 0). */
static void jpeg_quiet(j_common_ptr c, int level) {
    struct jerr *e = (struct jerr *)c->err;
    if (level >= 0) return;
    if (c->err->num_warnings == 0) c->err->format_message(c, e->warn);
    c->err->num_warnings++;
}

static enum ecl_status decode_jpeg(const void *buf, size_t len, int max_side, int want_side,
                                   uint8_t **rgb, int *w, int *h, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    struct jerr je;
    uint8_t *volatile out = NULL;
    cinfo.err = jpeg_std_error(&je.mgr);
    je.mgr.error_exit = jpeg_err_exit;
    je.mgr.emit_message = jpeg_quiet;
    je.warn[0] = 0;
    if (setjmp(je.jb)) {
        jpeg_destroy_decompress(&cinfo);
        free(out);
        if (err && errlen) snprintf(err, errlen, "bad JPEG: %s", je.msg);
        return ECL_EFORMAT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.image_width > (JDIMENSION)max_side || cinfo.image_height > (JDIMENSION)max_side) {
        if (err && errlen)
            snprintf(err, errlen, "image too large: %ux%u pixels (at most %d per side)",
                     (unsigned)cinfo.image_width, (unsigned)cinfo.image_height, max_side);
        jpeg_destroy_decompress(&cinfo);
        return ECL_ERANGE;
    }
    /* DCT scaling: the IDCT directly produces the 1/d-size image, so a big photo costs about
     * its entropy decoding only. Largest d that keeps both sides >= want_side. */
    unsigned d = 8;
    while (d > 1 && (want_side <= 0 || (cinfo.image_width + d - 1) / d < (unsigned)want_side ||
                     (cinfo.image_height + d - 1) / d < (unsigned)want_side))
        d /= 2;
    cinfo.scale_num = 1;
    cinfo.scale_denom = d;
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3) {
        jpeg_destroy_decompress(&cinfo);
        seterr(err, errlen, "bad JPEG: cannot convert to RGB");
        return ECL_EFORMAT;
    }
    size_t W = cinfo.output_width, H = cinfo.output_height;
    out = malloc(W * H * 3);
    if (!out) {
        jpeg_destroy_decompress(&cinfo);
        seterr(err, errlen, "out of memory");
        return ECL_EOOM;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * W * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (je.mgr.num_warnings > 0) {
        jpeg_destroy_decompress(&cinfo);
        free(out);
        if (err && errlen) snprintf(err, errlen, "bad JPEG: corrupt JPEG data (%s)", je.warn);
        return ECL_EFORMAT;
    }
    jpeg_destroy_decompress(&cinfo);
    *rgb = out;
    *w = (int)W;
    *h = (int)H;
    return ECL_OK;
}
#endif

enum ecl_status img_decode_mem_fit(const void *buf, size_t len, int max_side, int want_side,
                                   uint8_t **rgb, int *w, int *h, char *err, size_t errlen) {
    const unsigned char *p = buf;
    if (!buf || !rgb || !w || !h || max_side < 1) return ECL_EINVAL;
    if (max_side > IMG_MAX_SIDE) max_side = IMG_MAX_SIDE;
    *rgb = NULL;
    if (len >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) {
#ifdef ECL_HAVE_PNG
        return decode_png(buf, len, max_side, rgb, w, h, err, errlen);
#else
        seterr(err, errlen, "PNG support not built (libpng missing)");
        return ECL_EUNSUPPORTED;
#endif
    }
    if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
#ifdef ECL_HAVE_JPEG
        return decode_jpeg(buf, len, max_side, want_side, rgb, w, h, err, errlen);
#else
        seterr(err, errlen, "JPEG support not built (libjpeg missing)");
        return ECL_EUNSUPPORTED;
#endif
    }
    if (bmp_is_bmp(buf, len)) return bmp_decode(buf, len, max_side, rgb, w, h, err, errlen);
    seterr(err, errlen, "not a PNG, JPEG or BMP image");
    return ECL_EFORMAT;
}

enum ecl_status img_decode_mem(const void *buf, size_t len, uint8_t **rgb, int *w, int *h,
                               char *err, size_t errlen) {
    return img_decode_mem_fit(buf, len, IMG_MAX_SIDE, 0, rgb, w, h, err, errlen);
}

enum ecl_status img_load_file(const char *path, uint8_t **rgb, int *w, int *h, char *err,
                              size_t errlen) {
    void *buf;
    size_t len;
    enum ecl_status st = ecl_port_read_file(path, &buf, &len);
    if (st != ECL_OK) {
        if (err && errlen) snprintf(err, errlen, "%s: cannot read (%s)", path, ecl_status_str(st));
        return st;
    }
    char e2[200] = "";
    st = img_decode_mem(buf, len, rgb, w, h, e2, sizeof e2);
    free(buf);
    if (st != ECL_OK && err && errlen) snprintf(err, errlen, "%s: %s", path, e2);
    return st;
}
