#!/usr/bin/env python3
"""Compares TFLite's outputs for the exported classifiers with edgecl's expectations.

usage: export_tflite_check.py CHECK_DIR REF_DIR [TOL]
CHECK_DIR: the folder cli_export.sh leaves (expected/<case>.csv: image,top1,top1_name,p0,...);
REF_DIR: tools/tflite_ref/run_tflite.mjs --out of CHECK_DIR/cases.txt (golden.txt + .bin files).
Passes when TFLite's top-1 equals edgecl predict's on every image of every case (probabilities
within TOL, default 0.05: uint8 backbones round differently in TFLite's kernels and SLDA's
logits are steep; the figure printed per case is the measured difference)."""
import struct
import sys

check, ref = sys.argv[1], sys.argv[2]
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
outs, cur = {}, None
for line in open(ref + "/golden.txt"):
    f = line.split()
    if f and f[0] == "case":
        cur = f[1]
    elif f and f[0] == "out" and cur:
        if f[4] != "full" or f[2] != "float32":
            sys.exit("%s: output not stored whole as float32: %s" % (cur, line.strip()))
        b = open(ref + "/" + f[5], "rb").read()
        outs[cur] = struct.unpack("<%df" % (len(b) // 4), b)
bad = 0
cases = sorted({l.split()[1].rsplit("_", 1)[0] for l in open(check + "/cases.txt") if l.startswith("case ")})
for c in cases:
    rows = [l.strip().split(",") for l in open(check + "/expected/" + c + ".csv") if l.strip()]
    worst, before = 0.0, bad
    for k, r in enumerate(rows):
        got = outs.get("%s_%d" % (c, k))
        if got is None:
            print("FAIL: %s image %d: TFLite gave no output" % (c, k))
            bad += 1
            continue
        exp = [float(v) for v in r[3:]]
        top = max(range(len(got)), key=lambda i: got[i])
        if len(got) != len(exp) or top != int(r[1]):
            print("FAIL: %s %s: TFLite top-1 %d, edgecl %s" % (c, r[0], top, r[1]))
            bad += 1
        worst = max([worst] + [abs(a - e) for a, e in zip(got, exp)])
    ok = worst <= tol and bad == before
    bad += worst > tol
    print("%s: %s: TFLite top-1 = edgecl's on %d images, max |probability difference| %.2g"
          % ("ok" if ok else "FAIL", c, len(rows), worst))
print("all passed" if bad == 0 else "%d failure(s)" % bad)
sys.exit(bad != 0)
