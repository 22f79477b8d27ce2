/* tests/backcli/mkmodel.c - writes small .tflite files for the backbone CLI tests, with the
 * test builder (tests/tflite_builder.h), so a test can feed the CLI a model that the real
 * MobileNetV2 cannot be: one with an op the interpreter has never heard of, or one with an
 * unusual output size.
 *
 *   mkmodel unknown-op F.tflite   in[1,8,8,3] -> CONV_2D 1x1 ("conv") -> builtin 250 ("out")
 *   mkmodel wide-fc F.tflite N    in[1,1,1,3] -> FULLY_CONNECTED to N outputs ("logits")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tflite_builder.h"

enum { CONV = 3, FC = 9 };

static int save(const char *path, struct tb *b) {
    size_t len;
    uint8_t *f = tb_finish(b, &len);
    FILE *fp = fopen(path, "wb");
    int ok = fp && fwrite(f, 1, len, fp) == len;
    if (fp && fclose(fp)) ok = 0;
    free(f);
    tb_free(b);
    if (!ok) fprintf(stderr, "mkmodel: cannot write %s\n", path);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    static float w[4 * 3], b4[4];
    struct tb b;
    if (argc == 3 && !strcmp(argv[1], "unknown-op")) {
        for (int i = 0; i < 12; i++)
            w[i] = (float)(i % 5) * 0.25f - 0.5f;
        tb_init(&b);
        int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 8, 8, 3}, NULL, 0);
        int tw = tb_tensor(&b, "w", TB_F32, 4, (int32_t[]){4, 1, 1, 3}, w, sizeof w);
        int tbb = tb_tensor(&b, "b", TB_F32, 1, (int32_t[]){4}, b4, sizeof b4);
        int tc = tb_tensor(&b, "conv", TB_F32, 4, (int32_t[]){1, 8, 8, 4}, NULL, 0);
        int to = tb_tensor(&b, "out", TB_F32, 4, (int32_t[]){1, 8, 8, 4}, NULL, 0);
        tb_op(&b, CONV, 3, (int[]){ti, tw, tbb}, tc, 1,
              (struct tb_opt[]){{0, 1, 1}, {1, 4, 1}, {2, 4, 1}, {3, 1, 0}}, 4);
        tb_op(&b, 250, 1, (int[]){tc}, to, 0, NULL, 0);
        tb_io(&b, ti, to);
        return save(argv[2], &b);
    }
    if (argc == 4 && !strcmp(argv[1], "wide-fc")) {
        int n = atoi(argv[3]);
        if (n < 1 || n > 1 << 20) return 2;
        float *fw = malloc(sizeof(float) * 3 * (size_t)n);
        if (!fw) return 1;
        for (int i = 0; i < 3 * n; i++)
            fw[i] = (float)((i * 7919) % 101) / 101.0f - 0.5f;
        tb_init(&b);
        int ti = tb_tensor(&b, "in", TB_F32, 4, (int32_t[]){1, 1, 1, 3}, NULL, 0);
        int tw = tb_tensor(&b, "w", TB_F32, 2, (int32_t[]){n, 3}, fw, sizeof(float) * 3 * n);
        int to = tb_tensor(&b, "logits", TB_F32, 2, (int32_t[]){1, n}, NULL, 0);
        tb_op(&b, FC, 2, (int[]){ti, tw}, to, 0, NULL, 0);
        tb_io(&b, ti, to);
        int rc = save(argv[2], &b);
        free(fw);
        return rc;
    }
    fprintf(stderr, "usage: mkmodel unknown-op F.tflite | mkmodel wide-fc F.tflite N\n");
    return 2;
}
