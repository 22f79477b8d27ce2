/* Element-type traits, indexed by TFLite's TensorType. Types edgecl cannot hold (strings,
 * complex numbers, resources, variants, int4) have no row: a model using them is refused at
 * parse time. */
#include "tflite/tfl.h"

static const struct ecl_dtype_traits TRAITS[] = {
    [0] = {"float32", 4, 0, 0},
    [1] = {"float16", 2, 0, 0},
    [2] = {"int32", 4, INT32_MIN, INT32_MAX},
    [3] = {"uint8", 1, 0, 255},
    [4] = {"int64", 8, 0, 0},
    [6] = {"bool", 1, 0, 1},
    [7] = {"int16", 2, -32768, 32767},
    [9] = {"int8", 1, -128, 127},
    [10] = {"float64", 8, 0, 0},
    [12] = {"uint64", 8, 0, 0},
    [15] = {"uint32", 4, 0, 0},
    [16] = {"uint16", 2, 0, 65535},
};

const struct ecl_dtype_traits *ecl_dtype_traits(int32_t type) {
    if (type < 0 || (size_t)type >= sizeof TRAITS / sizeof TRAITS[0] || !TRAITS[type].name)
        return NULL;
    return &TRAITS[type];
}

size_t ecl_tfl_dtype_size(int32_t type) {
    const struct ecl_dtype_traits *t = ecl_dtype_traits(type);
    return t ? t->size : 0;
}
