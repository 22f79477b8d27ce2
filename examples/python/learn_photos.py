#!/usr/bin/env python3
"""examples/python/learn_photos.py - continual learning from photos with edgecl's Python module.

Teaches a learner one class per folder, one folder at a time (each call adds a class, as a
device meeting new objects would), then names the test images, saves the learner and checks that
the reloaded one agrees.

    python3 examples/python/learn_photos.py --model models/mobilenet_v2.tflite \\
        --train cat=photos/cat dog=photos/dog --test photos/unknown/*.jpg [--learner replay]

Without --train/--test it uses the project's five test photos (tests/data/golden): learns each
from the original and names its mirror image. Prints "recognised N/M" and exits 0 when all are.
Needs Debian's python3 + python3-numpy and edgecl installed (./setup.sh) or, from a build tree,
PYTHONPATH=tools/python EDGECL_LIB_DIR=build/lib.
"""
import argparse
import glob
import os
import sys
import tempfile

import edgecl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "mobilenet_v2.tflite"))
    ap.add_argument("--cut", default=None, help="cut tensor (default: the CLI's)")
    ap.add_argument("--learner", default="ncm", choices=["naive", "replay", "slda", "ncm"])
    ap.add_argument("--train", nargs="*", default=[], metavar="NAME=DIR")
    ap.add_argument("--test", nargs="*", default=[], metavar="IMAGE")
    a = ap.parse_args()
    try:
        model = edgecl.Model(a.model, cut=a.cut)
    except edgecl.EdgeclError as e:
        sys.exit("learn_photos: %s" % e)
    print("model %s: cut %s, %d-d latents, input %dx%d, %s"
          % (os.path.basename(a.model), model.cut, model.dim, *model.input_size, model.preprocess))
    learner = edgecl.Learner(a.learner, model.dim, max_classes=20, buffer=200)

    if a.train:  # folders of photos, one class each
        for spec in a.train:
            name, _, folder = spec.partition("=")
            files = sorted(glob.glob(os.path.join(folder, "*.[jp][pn]g")))
            if not files:
                sys.exit("learn_photos: no .jpg/.png in %s" % folder)
            learner.observe(model.extract(files), [name] * len(files))
            print("learned %-12s from %d photos" % (name, len(files)))
        tests = [(p, model.extract(p)) for p in a.test]
        truth = None
    else:  # the project's test photos: learn each, recognise its mirror image
        golden = os.path.join(ROOT, "tests", "data", "golden")
        names = ["astronaut", "chelsea", "coffee", "rocket", "hubble"]
        for n in names:
            learner.observe(model.extract(os.path.join(golden, n + ".png")), [n])
            print("learned %s" % n)
        tests = [("mirrored " + n, model.extract(edgecl.read_image(
            os.path.join(golden, n + ".png"))[:, ::-1])) for n in names]
        truth = names

    guesses = []
    for label, x in tests:
        p = learner.predict(x)
        guesses.append(p.labels[0])
        print("%-30s -> %s" % (label, p.labels[0]))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "photos.ecls")
        learner.save(path)
        again = edgecl.Learner.load(path)
        same = all(again.predict(x).labels[0] == g for (_, x), g in zip(tests, guesses))
        print("saved %d bytes, restored learner %s" % (os.path.getsize(path),
                                                       "agrees" if same else "DIFFERS"))
    if truth is not None:
        right = sum(g == t for g, t in zip(guesses, truth))
        print("recognised %d/%d" % (right, len(truth)))
        return 0 if right == len(truth) and same else 1
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
