#!/usr/bin/env bash
# Image input defects of issue 12, each of which the old code had: extract refused -q; a file in
# a class folder that is not PNG/JPEG was dropped silently (25 files in, 24 vectors, exit 0);
# extract exited 0 when a loose image was skipped; printed paths had doubled slashes; the CLI
# accepted images the server refuses (> 4096 px a side); an installed edgecl defaulted to the
# build tree's model. Needs the default backbone (models/mobilenet_v2.tflite); skips without it.
source "$(dirname "$0")/lib.sh" "$1"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
G=$SRC/tests/data/golden
[ -r "$SRC/models/mobilenet_v2.tflite" ] || { echo "SKIP: models/mobilenet_v2.tflite absent"; exit 77; }
mkdir -p "$T/p/cat" "$T/p/coffee"
cp "$G/chelsea.png" "$T/p/cat/"
cp "$G/coffee.png" "$T/p/coffee/"

run_ok "extract -q" "$EDGECL" extract -q --out "$T/a.ecf" "$T/p"
[ -s "$T/err" ] && grep -q '\[#' "$T/err" && fail "extract -q still drew a progress bar"

# a file the loader cannot decode, inside a class folder: named, counted, exit 1, rest written
printf 'not an image' >"$T/p/cat/notes.bmp"
run_fail "class folder with an unreadable file" "skipping $T/p/cat/notes.bmp" \
    "$EDGECL" extract -q --out "$T/b.ecf" "$T/p/"
grep -q "//" "$T/err" && fail "doubled slash in a printed path: $(cat "$T/err")"
grep -q "wrote 2 vectors" "$T/err" || fail "the readable images were not written: $(cat "$T/err")"
grep -q "1 file skipped" "$T/err" || fail "no count of skipped files: $(cat "$T/err")"
# the same rule for learn and predict taking images
run_fail "learn: skipped file means exit 1" "skipping .*notes.bmp" \
    "$EDGECL" learn -q --state "$T/s.ecls" "$T/p"
[ -s "$T/s.ecls" ] || fail "learn did not save what it could read"
run_fail "predict: skipped file means exit 1" "skipping .*notes.bmp" \
    "$EDGECL" predict -q --state "$T/s.ecls" "$T/p"
rm "$T/p/cat/notes.bmp"
# a loose image that cannot be read
printf 'x' >"$T/bad.png"
run_fail "extract: skipped loose image means exit 1" "skipping $T/bad.png" \
    "$EDGECL" extract -q --out "$T/c.ecf" "$G/rocket.png" "$T/bad.png"

# pixel limit shared with the demo server: 4097 x 1 is refused, 4096 x 1 accepted
python3 - "$T" <<'PY'
import struct, sys, zlib
def png(path, w, h):
    ch = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    raw = b''.join(b'\0' + bytes(w * 3) for _ in range(h))
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + ch(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                           + ch(b'IDAT', zlib.compress(raw)) + ch(b'IEND', b''))
png(sys.argv[1] + '/wide.png', 4097, 1)
png(sys.argv[1] + '/ok.png', 4096, 1)
PY
run_fail "image over 4096 px a side refused" "wide.png.*image too large: 4097x1 pixels" \
    "$EDGECL" extract -q --out "$T/d.ecf" "$T/wide.png"
grep -q "IHDR" "$T/err" && fail "libpng's message instead of the tools': $(cat "$T/err")"
run_ok "image of 4096 px a side accepted" "$EDGECL" extract -q --out "$T/d.ecf" "$T/ok.png"

# an installed edgecl (prefix/bin) defaults to prefix/share/edgecl/models
mkdir -p "$T/prefix/bin" "$T/prefix/share/edgecl/models"
cp "$EDGECL" "$T/prefix/bin/edgecl"
ln -s "$SRC/models/mobilenet_v2.tflite" "$T/prefix/share/edgecl/models/mobilenet_v2.tflite"
env -u EDGECL_MODEL "$T/prefix/bin/edgecl" extract --help >"$T/out" 2>&1
grep -q "$T/prefix/bin/../share/edgecl/models/mobilenet_v2.tflite" "$T/out" ||
    fail "installed edgecl does not default to its share/edgecl/models: $(grep -A1 -- --model "$T/out")"
# --mean/--std override the input normalisation (issue 9 item 5): edgecl's own model uses
# (x - 0) / 255, so giving exactly that changes nothing and another pair changes the latents;
# one without the other is a usage error
IMG1="$SRC/tests/data/golden/chelsea.png"
run_ok "extract default norm" "$EDGECL" extract -q --out "$T/n0.ecf" "$IMG1"
run_ok "extract --mean 0 --std 255" "$EDGECL" extract -q --mean 0 --std 255 --out "$T/n1.ecf" "$IMG1"
run_ok "extract --mean 127.5 --std 127.5" "$EDGECL" extract -q --mean 127.5 --std 127.5 --out "$T/n2.ecf" "$IMG1"
cmp -s "$T/n0.ecf" "$T/n1.ecf" || fail "--mean 0 --std 255 differs from edgecl's model's own normalisation"
cmp -s "$T/n0.ecf" "$T/n2.ecf" && fail "--mean 127.5 --std 127.5 changed nothing"
run_fail "--mean without --std" "go together" "$EDGECL" extract -q --mean 3 --out "$T/n3.ecf" "$IMG1"
run_fail "--std 0" "out of range" "$EDGECL" extract -q --mean 0 --std 0 --out "$T/n3.ecf" "$IMG1"
finish
