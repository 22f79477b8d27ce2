/* export_inputs - writes the input tensor edgecl feeds a model for each image (fe.h,
 * fe_prepare_rgb8), so that another runtime (TFLite, tools/tflite_ref/) can run an exported
 * classifier on exactly the same input as edgecl.
 *   export_inputs MODEL.tflite OUTDIR image...
 * Writes OUTDIR/<k>.in.bin (k = the image's position, from 0; raw little-endian, the model
 * input's type) and prints one line per image: "<k>.in.bin DTYPE 1xHxWx3 IMAGE". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/port.h"
#include "fe.h"
#include "image.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: export_inputs MODEL.tflite OUTDIR image...\n");
        return 2;
    }
    char err[512];
    struct fe_opts o = fe_default_opts();
    o.cut = NULL;
    struct fe *fe;
    if (fe_open(argv[1], &o, &fe, err, sizeof err)) {
        fprintf(stderr, "export_inputs: %s\n", err);
        return 1;
    }
    int iw, ih;
    fe_input_size(fe, &iw, &ih);
    for (int i = 3; i < argc; i++) {
        uint8_t *rgb;
        int w, h;
        const void *data;
        size_t bytes;
        char path[4096];
        if (img_load_file(argv[i], &rgb, &w, &h, err, sizeof err) ||
            fe_prepare_rgb8(fe, rgb, w, h, &data, &bytes)) {
            fprintf(stderr, "export_inputs: %s: %s\n", argv[i], err);
            return 1;
        }
        free(rgb);
        snprintf(path, sizeof path, "%s/%d.in.bin", argv[2], i - 3);
        if (ecl_port_save_atomic(path, data, bytes)) {
            fprintf(stderr, "export_inputs: %s\n", ecl_port_error());
            return 1;
        }
        const char *dt = bytes == (size_t)iw * ih * 3 * 4 ? "float32" : "uint8";
        if (bytes == (size_t)iw * ih * 3 && !strstr(fe_preprocess_desc(fe), "uint8")) dt = "int8";
        printf("%d.in.bin %s 1x%dx%dx3 %s\n", i - 3, dt, ih, iw, argv[i]);
    }
    fe_close(fe);
    return 0;
}
