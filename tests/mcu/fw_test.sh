#!/usr/bin/env bash
# A Cortex-M4 firmware that learns (tests/mcu/fw/), built and booted under qemu-system-arm
# (MPS2-AN386 board): the backbone ../shared/models/mobilenet_v1_0.25_128_quant.tflite and the
# photos ../shared/images/*.bmp (decoded at build time by fw/mkimages.py) are compiled into flash;
# the firmware learns cat/dog/hotdog on the device with NCM and with the replay head (uint8 replay
# memory) and predicts every photo, held-out ones included, over semihosting. Passes when the
# firmware says "RESULT: PASS" and exits 0. Prints the image's flash/RAM use (arm-none-eabi-size).
# Usage: fw_test.sh [OUT_DIR]  (default: a temporary directory). Exit 77 (skip) without
# arm-none-eabi-gcc + newlib, qemu-system-arm, python3, or the model/photos in ../shared.
# Env: ECL_FW_TIMEOUT (seconds, default 300), ECL_FW_ICOUNT=1 (qemu -icount shift=0: one
# instruction per ns, so the printed SysTick ticks count instructions / 40 at 25 MHz).
set -u
src="$(cd "$(dirname "$0")/../.." && pwd)"
shared="$src/../shared"
model="$shared/models/mobilenet_v1_0.25_128_quant.tflite"
imgs="$shared/images"
cc=arm-none-eabi-gcc
for tool in $cc qemu-system-arm python3; do
    command -v $tool >/dev/null || {
        echo "SKIP: $tool not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm python3)"
        exit 77
    }
done
[ -f "$model" ] || { echo "SKIP: $model not present"; exit 77; }
for f in cat_train_0 dog_train_0 hotdog_train_0 hotdog_train_1 cat; do
    [ -f "$imgs/$f.bmp" ] || { echo "SKIP: $imgs/$f.bmp not present"; exit 77; }
done
if [ $# -ge 1 ]; then out="$1"; mkdir -p "$out"; else
    out="$(mktemp -d /tmp/ecl_fw_XXXXXX)"; trap 'rm -rf "$out"' EXIT
fi

arch="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
cflags="$arch -std=c11 -O2 -g0 -ffunction-sections -fdata-sections -Wall -Wextra
        -Wno-unused-parameter -DECL_NO_TLS -I$src/include -I$src/src -I$src/tests/mcu/fw -I$out"
python3 "$src/tests/mcu/fw/mkimages.py" "$out/fw_images.c" 128 \
    "cat_train_0:cat:train:$imgs/cat_train_0.bmp" \
    "dog_train_0:dog:train:$imgs/dog_train_0.bmp" \
    "hotdog_train_0:hotdog:train:$imgs/hotdog_train_0.bmp" \
    "cat:cat:test:$imgs/cat.bmp" \
    "hotdog_train_1:hotdog:test:$imgs/hotdog_train_1.bmp" || { echo "FAIL: mkimages.py"; exit 1; }

objs=()
compile() { # source object
    $cc $cflags -c "$1" -o "$2" 2>"$2.err" || { cat "$2.err"; echo "FAIL: compile $1"; exit 1; }
    objs+=("$2")
}
for a in core train replay learn state tflite tflite/ops kernels/ref kernels/opt; do
    for f in "$src"/src/$a/*.c; do compile "$f" "$out/lib_$(echo "${f#$src/src/}" | tr / _).o"; done
done
for f in fw_main.c fw_sys.c; do compile "$src/tests/mcu/fw/$f" "$out/${f%.c}.o"; done
compile "$out/fw_images.c" "$out/fw_images.o"
$cc $arch -DECL_FW_MODEL_PATH="\"$model\"" -c "$src/tests/mcu/fw/model.S" -o "$out/model.o" ||
    { echo "FAIL: assemble model.S"; exit 1; }
objs+=("$out/model.o")
$cc $arch --specs=nano.specs --specs=nosys.specs -nostartfiles -T "$src/tests/mcu/fw/mps2.ld" \
    -Wl,--gc-sections -Wl,-Map="$out/fw.map" -o "$out/fw.elf" "${objs[@]}" -lm 2>"$out/ld.err" ||
    { cat "$out/ld.err"; echo "FAIL: link"; exit 1; }
echo "firmware image (flash = text + data, RAM = data + bss, incl. 64 KiB stack):"
arm-none-eabi-size "$out/fw.elf" | sed 's/^/  /'

icount=()
[ "${ECL_FW_ICOUNT:-0}" = 1 ] && icount=(-icount shift=0)
timeout "${ECL_FW_TIMEOUT:-300}" qemu-system-arm -M mps2-an386 -nographic -monitor none \
    -serial none "${icount[@]}" -semihosting-config enable=on,target=native \
    -kernel "$out/fw.elf" >"$out/run.log" 2>&1
rc=$?
cat "$out/run.log"
[ $rc -eq 124 ] && { echo "FAIL: timeout after ${ECL_FW_TIMEOUT:-300} s"; exit 1; }
grep -q '^RESULT: PASS' "$out/run.log" && [ $rc -eq 0 ] || { echo "FAIL: firmware exit $rc"; exit 1; }
for kind in ncm replay; do
    grep -q "^learner $kind" "$out/run.log" || { echo "FAIL: learner $kind did not run"; exit 1; }
done
# independently of the firmware's own verdict: each held-out photo predicted as its class by
# both learners
for want in "cat (held out): cat" "hotdog_train_1 (held out): hotdog"; do
    [ "$(grep -c "^  predict $want\$" "$out/run.log")" = 2 ] ||
        { echo "FAIL: expected 'predict $want' from both learners"; exit 1; }
done
echo "all passed"
