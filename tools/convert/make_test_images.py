#!/usr/bin/python3
"""make_test_images.py - the golden test images: 224x224 RGB PNGs made from freely licensed photos
shipped by the Debian package python3-skimage (scikit-image sample data).

    apt-get install python3-skimage python3-pil
    /usr/bin/python3 tools/convert/make_test_images.py [--src DIR] [--out tests/data/golden]

Method (deterministic for a given Pillow version; the results are committed, so the exact
version only matters when regenerating): convert to RGB, centre-crop to the largest square
(offset floor((w-s)/2), floor((h-s)/2)), resize to 224x224 with Pillow's BILINEAR filter
(which low-pass filters when downscaling), save as PNG. Sources and licences: see
tests/data/golden/README.md.
"""
import argparse
import os
import sys

IMAGES = [  # (source file, output name)
    ("astronaut.png", "astronaut.png"),
    ("chelsea.png", "chelsea.png"),
    ("coffee.png", "coffee.png"),
    ("rocket.jpg", "rocket.png"),
    ("hubble_deep_field.jpg", "hubble.png"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default="/usr/lib/python3/dist-packages/skimage/data")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                  "tests", "data", "golden"))
    ap.add_argument("--size", type=int, default=224)
    a = ap.parse_args()
    try:
        from PIL import Image
    except ImportError:
        sys.exit("make_test_images: needs Pillow (apt-get install python3-pil; run /usr/bin/python3)")
    os.makedirs(a.out, exist_ok=True)
    for src, dst in IMAGES:
        p = os.path.join(a.src, src)
        if not os.path.exists(p):
            sys.exit(f"make_test_images: {p} missing (apt-get install python3-skimage)")
        im = Image.open(p).convert("RGB")
        w, h = im.size
        s = min(w, h)
        x0, y0 = (w - s) // 2, (h - s) // 2
        im = im.crop((x0, y0, x0 + s, y0 + s)).resize((a.size, a.size), Image.BILINEAR)
        im.save(os.path.join(a.out, dst), optimize=True)
        print(f"{src} {w}x{h} -> {dst} {a.size}x{a.size}", file=sys.stderr)


if __name__ == "__main__":
    main()
