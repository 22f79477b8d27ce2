/* tools/common/export_meta.c - TFLite metadata for the exported classifier, as tflite-support's
 * metadata_schema.fbs (file identifier "M001") and MetadataPopulator lay it out: a
 * ModelMetadata flatbuffer in a model buffer named by a Model.metadata entry
 * "TFLITE_METADATA", and the files it names (here labels.txt, TENSOR_AXIS_LABELS of the
 * output) packed as an uncompressed zip archive appended to the model file. TFLite ignores
 * the trailing bytes; zip readers find the archive from its end record, whose offsets count
 * from the start of the file. */
#include <stdlib.h>
#include <string.h>

#include "edgecl/crc32.h"
#include "export_impl.h"

/* metadata_schema.fbs field indices */
enum { MM_NAME = 0, MM_DESC = 1, MM_VERSION = 2, MM_SUBGRAPHS = 3, MM_AUTHOR = 4, MM_MINVER = 7 };
enum { SGM_NAME = 0, SGM_DESC = 1, SGM_INPUTS = 2, SGM_OUTPUTS = 3 };
enum { TM_NAME = 0, TM_DESC = 1, TM_CONTENT = 3, TM_PROCESS = 4, TM_FILES = 6 };
enum { CT_PROPS_TYPE = 0, CT_PROPS = 1 };
enum { CP_FEATURE = 1, CP_IMAGE = 2 };  /* ContentProperties union */
enum { PU_OPTS_TYPE = 0, PU_OPTS = 1 }; /* ProcessUnit */
enum { PUO_NORMALIZATION = 1 };         /* ProcessUnitOptions union */
enum { AF_NAME = 0, AF_DESC = 1, AF_TYPE = 2 };
enum { AF_TENSOR_AXIS_LABELS = 2 };
enum { COLOR_RGB = 1 };

static uint32_t content(struct fbw *w, int image, int32_t width, int32_t height) {
    uint32_t props;
    if (image) {
        fbw_table_start(w); /* ImageSize */
        fbw_add_u32(w, 0, (uint32_t)width);
        fbw_add_u32(w, 1, (uint32_t)height);
        uint32_t size = fbw_table_end(w);
        fbw_table_start(w); /* ImageProperties */
        fbw_add_u8(w, 0, COLOR_RGB);
        fbw_add_off(w, 1, size);
        props = fbw_table_end(w);
    } else {
        fbw_table_start(w); /* FeatureProperties: empty */
        props = fbw_table_end(w);
    }
    fbw_table_start(w);
    fbw_add_u8(w, CT_PROPS_TYPE, image ? CP_IMAGE : CP_FEATURE);
    fbw_add_off(w, CT_PROPS, props);
    return fbw_table_end(w);
}

uint8_t *export_metadata_(const struct export_meta *mi, size_t *len) {
    struct fbw w;
    fbw_init(&w);
    /* input: an RGB image, with its normalisation for float inputs */
    uint32_t in_content = content(&w, 1, mi->in_w, mi->in_h), pu = 0;
    if (mi->has_norm) {
        float mean[3] = {mi->mean, mi->mean, mi->mean}, sd[3] = {mi->std, mi->std, mi->std};
        uint32_t vm = fbw_vec(&w, mean, 3, 4, 4), vs = fbw_vec(&w, sd, 3, 4, 4);
        fbw_table_start(&w); /* NormalizationOptions */
        fbw_add_off(&w, 0, vm);
        fbw_add_off(&w, 1, vs);
        uint32_t norm = fbw_table_end(&w);
        fbw_table_start(&w);
        fbw_add_u8(&w, PU_OPTS_TYPE, PUO_NORMALIZATION);
        fbw_add_off(&w, PU_OPTS, norm);
        uint32_t unit = fbw_table_end(&w);
        pu = fbw_vec_refs(&w, &unit, 1);
    }
    uint32_t in_name = fbw_string(&w, "image"), in_desc = fbw_string(&w, mi->in_desc);
    fbw_table_start(&w);
    fbw_add_off(&w, TM_NAME, in_name);
    fbw_add_off(&w, TM_DESC, in_desc);
    fbw_add_off(&w, TM_CONTENT, in_content);
    if (pu) fbw_add_off(&w, TM_PROCESS, pu);
    uint32_t in_tm = fbw_table_end(&w);
    /* output: probabilities, labelled by labels.txt */
    uint32_t out_content = content(&w, 0, 0, 0);
    uint32_t fname = fbw_string(&w, EXPORT_LABELS_FILE),
             fdesc = fbw_string(&w, "class names, one per line (line k: class k)");
    fbw_table_start(&w);
    fbw_add_off(&w, AF_NAME, fname);
    fbw_add_off(&w, AF_DESC, fdesc);
    fbw_add_u8(&w, AF_TYPE, AF_TENSOR_AXIS_LABELS);
    uint32_t file = fbw_table_end(&w);
    uint32_t files = fbw_vec_refs(&w, &file, 1);
    uint32_t out_name = fbw_string(&w, "probability"),
             out_desc = fbw_string(&w, "probability of each class");
    fbw_table_start(&w);
    fbw_add_off(&w, TM_NAME, out_name);
    fbw_add_off(&w, TM_DESC, out_desc);
    fbw_add_off(&w, TM_CONTENT, out_content);
    fbw_add_off(&w, TM_FILES, files);
    uint32_t out_tm = fbw_table_end(&w);
    uint32_t vin = fbw_vec_refs(&w, &in_tm, 1), vout = fbw_vec_refs(&w, &out_tm, 1);
    fbw_table_start(&w);
    fbw_add_off(&w, SGM_INPUTS, vin);
    fbw_add_off(&w, SGM_OUTPUTS, vout);
    uint32_t sg = fbw_table_end(&w);
    uint32_t vsg = fbw_vec_refs(&w, &sg, 1);
    uint32_t name = fbw_string(&w, "edgecl classifier"), desc = fbw_string(&w, mi->desc),
             ver = fbw_string(&w, "1"), author = fbw_string(&w, "edgecl export"),
             minver = fbw_string(&w, "1.0.0");
    fbw_table_start(&w);
    fbw_add_off(&w, MM_NAME, name);
    fbw_add_off(&w, MM_DESC, desc);
    fbw_add_off(&w, MM_VERSION, ver);
    fbw_add_off(&w, MM_SUBGRAPHS, vsg);
    fbw_add_off(&w, MM_AUTHOR, author);
    fbw_add_off(&w, MM_MINVER, minver);
    uint32_t root = fbw_table_end(&w);
    const uint8_t *p = fbw_finish(&w, root, "M001", len);
    uint8_t *out = p ? malloc(*len) : NULL;
    if (out) memcpy(out, p, *len);
    fbw_free(&w);
    return out;
}

static void put16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

/* model (len bytes) followed by a stored zip with one file; malloc'd, NULL if out of memory. */
uint8_t *export_zip_append_(const uint8_t *model, size_t len, const char *name, const void *data,
                            size_t n, size_t *out_len) {
    const size_t nl = strlen(name), local = 30 + nl, central = 46 + nl, end = 22;
    const size_t total = len + local + n + central + end;
    if (len + local + n > 0xffffffffu) return NULL; /* zip32 offsets */
    uint8_t *o = malloc(total);
    if (!o) return NULL;
    memcpy(o, model, len);
    const uint32_t crc = ecl_crc32(0, data, n), at = (uint32_t)len;
    uint8_t *p = o + len;
    memset(p, 0, local);
    put32(p, 0x04034b50); /* local file header */
    put16(p + 4, 10);     /* version needed: 1.0 (stored) */
    put16(p + 12, 0x21);  /* date 1980-01-01, time 00:00 */
    put32(p + 14, crc);
    put32(p + 18, (uint32_t)n);
    put32(p + 22, (uint32_t)n);
    put16(p + 26, (uint32_t)nl);
    memcpy(p + 30, name, nl);
    memcpy(p + local, data, n);
    p += local + n;
    memset(p, 0, central);
    put32(p, 0x02014b50); /* central directory header */
    put16(p + 4, 20);
    put16(p + 6, 10);
    put16(p + 14, 0x21);
    put32(p + 16, crc);
    put32(p + 20, (uint32_t)n);
    put32(p + 24, (uint32_t)n);
    put16(p + 28, (uint32_t)nl);
    put32(p + 42, at);
    memcpy(p + 46, name, nl);
    p += central;
    memset(p, 0, end);
    put32(p, 0x06054b50); /* end of central directory */
    put16(p + 8, 1);
    put16(p + 10, 1);
    put32(p + 12, (uint32_t)central);
    put32(p + 16, (uint32_t)(len + local + n));
    *out_len = total;
    return o;
}
