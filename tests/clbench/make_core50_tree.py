#!/usr/bin/env python3
"""Writes a small synthetic tree with CORe50's layout: ROOT/sN/oM/C_NN_MM_FFF.png, sessions
1..11, objects 1..50, FRAMES 128x128 RGB frames per (session, object). Each object has its own
colour and stripe pattern (so the classes are learnable), each session shifts the brightness a
little and each frame adds a small offset (so frames differ). Only the standard library.
usage: make_core50_tree.py ROOT [FRAMES]"""
import os
import struct
import sys
import zlib


def png(path, w, h, rows):
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def main():
    root = sys.argv[1]
    frames = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    n = 128
    for s in range(1, 12):
        for o in range(1, 51):
            d = os.path.join(root, "s%d" % s, "o%d" % o)
            os.makedirs(d, exist_ok=True)
            col = ((o * 97) % 256, (o * 57 + 80) % 256, (o * 151 + 30) % 256)
            period = 4 + (o % 7) * 3
            vertical = o % 2
            for k in range(frames):
                shift = (s * 3 + k * 5) % 20
                on_px = bytes(max(0, min(255, col[c] + s - 6)) for c in range(3))
                off_px = bytes(max(0, min(255, 255 - col[c] + s - 6)) for c in range(3))
                stripes = [on_px if (i + shift) // period % 2 else off_px for i in range(n)]
                if vertical:  # every row the same: stripes along x
                    rows = [b"".join(stripes)] * n
                else:  # stripes along y: each row one colour
                    rows = [px * n for px in stripes]
                png(os.path.join(d, "C_%02d_%02d_%03d.png" % (s, o, k)), n, n, rows)


if __name__ == "__main__":
    main()
