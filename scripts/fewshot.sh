#!/usr/bin/env bash
# Few-shot accuracy of the learners with edgecl's defaults (docs/fewshot.md).
# usage: scripts/fewshot.sh path/to/edgecl [extra learn options, e.g. --epochs 4]
# Data (made in a scratch dir, nothing in the repo changes): the photos of ../shared/images
# (BMP, converted to PNG here until the loader reads BMP), tests/data/golden, and
# Fashion-MNIST (Debian dataset-fashion-mnist) as 28x28 PNGs: 1, 5, 20 training images per
# class (the first in file order), 30 test images per class. Backbones: models/mobilenet_v2.tflite
# (default cut) and ../shared/models/mobilenet_v2_1.0_224_quant.tflite (embedding).
set -eu
E=$(realpath "$1"); shift
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/fewshot_XXXXXX)
trap 'rm -rf "$W"' EXIT
python3 - "$SRC" "$W" <<'PY'
import gzip, os, struct, sys, zlib
src, w = sys.argv[1], sys.argv[2]
def png(path, wd, ht, rows, colour):
    ch = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + ch(b'IHDR', struct.pack('>IIBBBBB', wd, ht, 8, 2 if colour else 0, 0, 0, 0))
                           + ch(b'IDAT', zlib.compress(b''.join(b'\0' + r for r in rows))) + ch(b'IEND', b''))
def bmp(p, out):  # 24-bit uncompressed BMP -> PNG
    b = open(p, 'rb').read(); off = struct.unpack_from('<I', b, 10)[0]
    wd, h = struct.unpack_from('<ii', b, 18); st = (wd * 3 + 3) & ~3; H = abs(h); rows = []
    for y in range(H):
        sy = H - 1 - y if h > 0 else y
        r = bytearray(b[off + sy * st: off + sy * st + wd * 3]); r[0::3], r[2::3] = r[2::3], r[0::3]; rows.append(bytes(r))
    png(out, wd, H, rows, True)
im = src + '/../shared/images/'
for f, d in [('cat_train_0', 'ph/train/cat'), ('dog_train_0', 'ph/train/dog'), ('hotdog_train_0', 'ph/train/hotdog'),
             ('cat', 'ph/test/cat'), ('hotdog_train_1', 'ph/test/hotdog')]:
    bmp(im + f + '.bmp', f'{w}/{d}/{f}.png')
D = '/usr/share/datasets/fashion-mnist'
names = ['tshirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot']
def load(i, l):
    a = gzip.open(f'{D}/{i}', 'rb').read(); b = gzip.open(f'{D}/{l}', 'rb').read()
    return [(b[8 + k], a[16 + k * 784:16 + (k + 1) * 784]) for k in range(struct.unpack_from('>I', a, 4)[0])]
def save(data, k, d):
    cnt = [0] * 10
    for y, px in data:
        if cnt[y] < k:
            png(f'{w}/fm/{d}/{names[y]}/{cnt[y]}.png', 28, 28, [px[r * 28:(r + 1) * 28] for r in range(28)], False); cnt[y] += 1
tr = load('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz')
for k in (1, 5, 20): save(tr, k, f'train{k}')
save(load('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'), 30, 'test')
PY
G=$SRC/tests/data/golden
mkdir -p "$W/gd/astronaut" "$W/gd/cat" "$W/gd/coffee"
cp "$G/astronaut.png" "$W/gd/astronaut/"; cp "$G/chelsea.png" "$W/gd/cat/"; cp "$G/coffee.png" "$W/gd/coffee/"
acc() { # train.ecf test.ecf learn-options...: "hits/n"
    local tr=$1 te=$2; shift 2
    rm -f "$W/s.ecls"
    "$E" learn -q --state "$W/s.ecls" --features "$tr" "$@" >/dev/null 2>&1 || { echo ERR; return; }
    "$E" predict -q --state "$W/s.ecls" --features "$te" 2>/dev/null | grep -Eo '\([0-9]+/[0-9]+' | head -1 | tr -d '('
}
for m in default quant; do
    M=(); [ $m = quant ] && M=(--model "$SRC/../shared/models/mobilenet_v2_1.0_224_quant.tflite")
    for s in ph/train ph/test gd fm/train1 fm/train5 fm/train20 fm/test; do
        "$E" extract -q "${M[@]}" --out "$W/$m-${s//\//-}.ecf" "$W/$s" 2>/dev/null
    done
    for L in replay naive slda ncm; do
        f=$W/$m
        echo "$m $L $*: photos 1-shot train $(acc $f-ph-train.ecf $f-ph-train.ecf --learner $L "$@")" \
            "held-out $(acc $f-ph-train.ecf $f-ph-test.ecf --learner $L "$@")" \
            "| golden 1-shot $(acc $f-gd.ecf $f-gd.ecf --learner $L "$@")" \
            "| fmnist 1-shot $(acc $f-fm-train1.ecf $f-fm-test.ecf --learner $L "$@")" \
            "5-shot $(acc $f-fm-train5.ecf $f-fm-test.ecf --learner $L "$@")" \
            "20-shot $(acc $f-fm-train20.ecf $f-fm-test.ecf --learner $L "$@")"
    done
done
