/* tests/mcu/fw/model.S - the backbone's .tflite file, compiled into flash at build time
 * (ECL_FW_MODEL_PATH is given by build.sh; the model itself is never part of the repository). */
    .section .rodata.fw_model, "a"
    .balign 16
    .global fw_model
fw_model:
    .incbin ECL_FW_MODEL_PATH
fw_model_end:
    .balign 4
    .global fw_model_len
fw_model_len:
    .word fw_model_end - fw_model
