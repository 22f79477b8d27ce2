/* tests/mcu/fw/fw_images.h - the photos compiled into the firmware (generated at build time by
 * mkimages.py from ../shared/images/*.bmp): SIDE x SIDE RGB pixels, a class and a role. */
#ifndef ECL_FW_IMAGES_H
#define ECL_FW_IMAGES_H
#include <stdint.h>

struct fw_image {
    const char *name;
    int label;          /* index into fw_class_names */
    int train;          /* 1: learned on the device, 0: held out */
    const uint8_t *rgb; /* side * side * 3 bytes, top row first */
};

extern const int fw_image_side;
extern const int fw_n_classes;
extern const char *const fw_class_names[];
extern const int fw_n_images;
extern const struct fw_image fw_images[];
#endif
