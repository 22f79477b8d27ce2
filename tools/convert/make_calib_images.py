#!/usr/bin/python3
"""make_calib_images.py - the int8 calibration images: 224x224 RGB PNGs that are NOT the golden
test images (tests/data/golden), so the int8 accuracy measured by tests/test_golden.c is not
inflated by calibrating on the test set.

    apt-get install python3-skimage python3-pil dataset-fashion-mnist
    /usr/bin/python3 tools/convert/make_calib_images.py [--out tests/data/calib]

Two domains, because the backbone serves both: 10 freely licensed scikit-image sample photos
(Debian python3-skimage; none of them is a golden image) and 10 Fashion-MNIST *training* images
(Debian dataset-fashion-mnist), the last one of each class in the 60000-image training set
(bench-cl and cut_layer_eval.mjs take the first images of each class and the test set, so these
are never evaluated on). Photos: convert to RGB (alpha composited on white), centre-crop to the
largest square, resize to 224x224 with Pillow's BILINEAR filter. Fashion-MNIST: 28x28 grey ->
RGB, BILINEAR upsampling to 224x224 (half-pixel centres, as edgecl's feature extractor does).
Deterministic for a given Pillow version; the results are committed (tests/data/calib/README.md
lists sources and licences).
"""
import argparse
import gzip
import os
import sys

PHOTOS = [  # (source file in skimage/data, output name)
    ("camera.png", "sk_camera.png"),
    ("brick.png", "sk_brick.png"),
    ("grass.png", "sk_grass.png"),
    ("gravel.png", "sk_gravel.png"),
    ("cell.png", "sk_cell.png"),
    ("coins.png", "sk_coins.png"),
    ("horse.png", "sk_horse.png"),
    ("clock_motion.png", "sk_clock.png"),
    ("ihc.png", "sk_ihc.png"),
    ("retina.jpg", "sk_retina.png"),
]
FMNIST_CLASSES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
                  "bag", "boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    magic = int.from_bytes(b[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return dims, b[4 + 4 * ndim:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default="/usr/lib/python3/dist-packages/skimage/data")
    ap.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                  "tests", "data", "calib"))
    ap.add_argument("--size", type=int, default=224)
    a = ap.parse_args()
    try:
        from PIL import Image
    except ImportError:
        sys.exit("make_calib_images: needs Pillow (apt-get install python3-pil; run /usr/bin/python3)")
    os.makedirs(a.out, exist_ok=True)
    for src, dst in PHOTOS:
        p = os.path.join(a.src, src)
        if not os.path.exists(p):
            sys.exit(f"make_calib_images: {p} missing (apt-get install python3-skimage)")
        im = Image.open(p)
        if im.mode in ("RGBA", "LA", "P"):
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(bg, im)
        im = im.convert("RGB")
        w, h = im.size
        s = min(w, h)
        x0, y0 = (w - s) // 2, (h - s) // 2
        im = im.crop((x0, y0, x0 + s, y0 + s)).resize((a.size, a.size), Image.BILINEAR)
        im.save(os.path.join(a.out, dst), optimize=True)
        print(f"{src} {w}x{h} -> {dst}", file=sys.stderr)
    ip = os.path.join(a.fmnist, "train-images-idx3-ubyte.gz")
    lp = os.path.join(a.fmnist, "train-labels-idx1-ubyte.gz")
    if not (os.path.exists(ip) and os.path.exists(lp)):
        sys.exit(f"make_calib_images: {ip} missing (apt-get install dataset-fashion-mnist)")
    (n, rows, cols), pix = read_idx(ip)
    _, labels = read_idx(lp)
    for c, name in enumerate(FMNIST_CLASSES):
        i = max(k for k in range(n) if labels[k] == c)  # the last training image of class c
        off = i * rows * cols
        im = Image.frombytes("L", (cols, rows), bytes(pix[off:off + rows * cols]))
        im = im.convert("RGB").resize((a.size, a.size), Image.BILINEAR)
        dst = f"fmnist_train{i}_{name}.png"
        im.save(os.path.join(a.out, dst), optimize=True)
        print(f"fashion-mnist train[{i}] class {c} -> {dst}", file=sys.stderr)


if __name__ == "__main__":
    main()
