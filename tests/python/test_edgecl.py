"""Tests of the Python module edgecl (tools/python/edgecl), run by CTest as python_edgecl:
python3 -m unittest discover -s tests/python, with PYTHONPATH=tools/python and
EDGECL_LIB_DIR=<build>/lib (see tests/install.cmake). Model tests need models/mobilenet_v2.tflite
(setup.sh converts it) or ../shared/models/; they are skipped with a message without them."""
import os
import subprocess
import sys
import tempfile
import unittest

try:
    import numpy as np
except ImportError:  # Debian: apt-get install python3-numpy
    print("SKIP: numpy is missing for %s (apt-get install python3-numpy)" % sys.executable)
    sys.exit(77)

import edgecl

SRC = os.environ.get("ECL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("ECL_BUILD_DIR", os.path.join(SRC, "build"))
MODEL = os.path.join(SRC, "models", "mobilenet_v2.tflite")
SHARED = os.path.join(SRC, "..", "shared")
GOLDEN = os.path.join(SRC, "tests", "data", "golden")
PHOTOS = ["astronaut", "chelsea", "coffee", "rocket", "hubble"]


def blobs(n_classes, per, dim, seed, spread=0.3):
    """Gaussian blobs, one per class, around well separated centres."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(1000).normal(size=(n_classes, dim)).astype(np.float32) * 2
    y = np.repeat(np.arange(n_classes), per).astype(np.int32)
    x = centres[y] + rng.normal(scale=spread, size=(len(y), dim)).astype(np.float32)
    return x.astype(np.float32), y


class LearnerTest(unittest.TestCase):
    def test_every_kind_learns_blobs_class_incrementally(self):
        x, y = blobs(4, 40, 16, seed=1)
        xt, yt = blobs(4, 25, 16, seed=2)
        for kind in ("naive", "replay", "slda", "ncm"):
            with self.subTest(kind=kind):
                l = edgecl.Learner(kind, 16, max_classes=6, seed=3)
                first, second = y < 2, y >= 2
                l.observe(x[first], y[first])
                l.observe(x[second], y[second])
                self.assertEqual(l.n_classes, 4)
                self.assertEqual(l.n_seen, len(y))
                p = l.predict(xt)
                self.assertEqual(p.scores.shape, (len(yt), 4))
                acc = float(np.mean(p.top == yt))
                if kind == "naive":  # no memory of the first task: judged on the second only
                    self.assertGreater(float(np.mean(p.top[yt >= 2] == yt[yt >= 2])), 0.9)
                else:
                    self.assertGreater(acc, 0.9, kind)

    def test_class_names_in_and_out(self):
        x, y = blobs(3, 20, 8, seed=4)
        names = np.array(["cat", "dog", "cup"])[y]
        l = edgecl.Learner("ncm", 8, max_classes=5)
        l.observe(x[y < 2], list(names[y < 2]))
        l.observe(x[y == 2], list(names[y == 2]))  # a new name: the next class number
        self.assertEqual(l.classes, ["cat", "dog", "cup"])
        p = l.predict(x)
        self.assertEqual(p.labels, list(names))
        self.assertTrue(np.array_equal(p.top, y))

    def test_replay_options_and_memory(self):
        l = edgecl.Learner("replay", 8, max_classes=4, buffer=30, storage="u8", policy="balanced",
                           hidden=[16], epochs=2, batch_size=8, replay_per_batch=8, lr=0.01)
        x, y = blobs(2, 40, 8, seed=5)
        l.observe(x, y)
        self.assertEqual(l.replay_count, 30)
        small = edgecl.Learner("replay", 8, max_classes=4, buffer=30, hidden=[16])
        self.assertLess(l.memory_bytes, small.memory_bytes)  # 8-bit replay memory is smaller

    def test_save_load_round_trip_and_cli_reads_it(self):
        x, y = blobs(3, 20, 12, seed=6)
        l = edgecl.Learner("replay", 12, max_classes=4, buffer=40, seed=7)
        l.observe(x, [("a", "b", "c")[i] for i in y])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.ecls")
            l.save(path)
            l2 = edgecl.Learner.load(path)
            self.assertEqual((l2.kind, l2.dim, l2.max_classes), ("replay", 12, 4))
            self.assertEqual(l2.classes, ["a", "b", "c"])
            p1, p2 = l.predict(x), l2.predict(x)
            self.assertTrue(np.array_equal(p1.scores, p2.scores))
            self.assertEqual(l2.state(), l.state())
            cli = os.path.join(BUILD, "edgecl")
            if os.path.exists(cli):  # the CLI reads the same file
                out = subprocess.run([cli, "info", "--state", path], capture_output=True,
                                     text=True, check=True).stdout
                self.assertRegex(out, r"learner:\s+replay")
                self.assertRegex(out, r"2\s+c\n")

    def test_errors_carry_the_library_message(self):
        l = edgecl.Learner("slda", 4, max_classes=2)
        with self.assertRaises(edgecl.EdgeclError) as e:
            l.observe(np.zeros((1, 4), np.float32), [5])  # label beyond max_classes
        self.assertEqual(e.exception.status, "ECL_EINVAL")
        self.assertIn("observe", str(e.exception))
        with self.assertRaises(edgecl.EdgeclError) as e:
            l.observe(np.full((1, 4), np.nan, np.float32), [0])
        self.assertEqual(e.exception.status, "ECL_EINVAL")
        self.assertEqual(l.n_seen, 0)  # refused calls change nothing
        with self.assertRaises(edgecl.EdgeclError):
            l.observe(np.zeros((2, 3), np.float32), [0, 1])  # wrong dim
        with self.assertRaisesRegex(edgecl.EdgeclError, "unknown learner kind"):
            edgecl.Learner("forest", 4)
        with self.assertRaisesRegex(edgecl.EdgeclError, "paper's replay"):
            edgecl.Learner("ncm", 4, paper=True)
        paper = edgecl.Learner("replay", 4, max_classes=3, paper=True)
        self.assertEqual(paper.kind, "replay")
        with self.assertRaisesRegex(edgecl.EdgeclError, "unknown learner option"):
            edgecl.Learner("ncm", 4, bufer=10)
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(edgecl.EdgeclError) as e:
                edgecl.Learner.load(os.path.join(d, "none.ecls"))
            self.assertEqual(e.exception.status, "ECL_ENOTFOUND")
            good = edgecl.Learner("ncm", 4, max_classes=2)
            good.observe(np.eye(4, dtype=np.float32)[:2], [0, 1])
            img = good.state()
            bad = os.path.join(d, "bad.ecls")
            with open(bad, "wb") as f:
                f.write(img[: len(img) // 2])
            with self.assertRaises(edgecl.EdgeclError) as e:
                edgecl.Learner.load(bad)
            self.assertEqual(e.exception.status, "ECL_ETRUNCATED")
            flipped = bytearray(img)
            flipped[-5] ^= 0xFF
            with self.assertRaises(edgecl.EdgeclError) as e:
                edgecl.Learner.from_state(bytes(flipped))
            self.assertEqual(e.exception.status, "ECL_ECORRUPT")
            with self.assertRaises(edgecl.EdgeclError) as e:  # a directory: the system's reason
                good.save(os.path.join(d, "no", "such", "dir", "s.ecls"))
            self.assertIn("s.ecls", str(e.exception))


@unittest.skipUnless(os.path.exists(MODEL), "SKIP: %s missing (run ./setup.sh)" % MODEL)
class ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = edgecl.Model(MODEL)

    def test_default_cut_and_shapes(self):
        self.assertEqual(self.m.cut, "block_13_expand_relu")
        self.assertEqual(self.m.dim, 576)
        self.assertEqual(self.m.input_size, (224, 224))
        x = self.m.extract(os.path.join(GOLDEN, "chelsea.png"))
        self.assertEqual(x.shape, (1, 576))
        self.assertTrue(np.all(np.isfinite(x)) and np.all(x >= 0) and np.all(x <= 6))

    def test_paths_and_pixel_arrays_agree(self):
        paths = [os.path.join(GOLDEN, p + ".png") for p in PHOTOS[:2]]
        a = self.m.extract(paths)
        imgs = [edgecl.read_image(p) for p in paths]
        self.assertEqual(imgs[0].dtype, np.uint8)
        self.assertEqual(imgs[0].ndim, 3)
        b = np.concatenate([self.m.extract(i) for i in imgs])
        self.assertTrue(np.array_equal(a, b))

    def test_float_input_is_the_model_input(self):
        # edgecl's MobileNetV2 takes RGB / 255; a 224x224 image is not resized.
        rgb = edgecl.read_image(os.path.join(GOLDEN, "coffee.png"))[:224, :224]
        self.assertEqual(rgb.shape, (224, 224, 3))
        a = self.m.extract(rgb)
        b = self.m.extract(rgb.astype(np.float32) / 255.0)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
        with self.assertRaisesRegex(edgecl.EdgeclError, "input size 224x224"):
            self.m.extract(np.zeros((1, 100, 100, 3), np.float32))

    def test_learns_photos_and_recognises_them_mirrored(self):
        paths = [os.path.join(GOLDEN, p + ".png") for p in PHOTOS]
        l = edgecl.Learner("ncm", self.m.dim, max_classes=len(PHOTOS))
        l.observe(self.m.extract(paths), PHOTOS)
        mirrored = [edgecl.read_image(p)[:, ::-1] for p in paths]
        got = [l.predict(self.m.extract(img)).labels[0] for img in mirrored]
        self.assertEqual(got, PHOTOS)

    def test_errors(self):
        with self.assertRaisesRegex(edgecl.EdgeclError, "no tensor named 'nope'"):
            edgecl.Model(MODEL, cut="nope")
        with self.assertRaisesRegex(edgecl.EdgeclError, "not a TFLite model"):
            edgecl.Model(os.path.join(SRC, "README.md"))
        with self.assertRaises(edgecl.EdgeclError) as e:
            self.m.extract(os.path.join(SRC, "README.md"))  # not an image
        self.assertIn("README.md", str(e.exception))
        with self.assertRaisesRegex(edgecl.EdgeclError, "shape"):
            self.m.extract(np.zeros((4, 4), np.uint8))


QUANT = os.path.join(SHARED, "models", "mobilenet_v1_0.25_128_quant.tflite")


@unittest.skipUnless(os.path.exists(QUANT), "SKIP: %s missing" % QUANT)
class QuantModelTest(unittest.TestCase):
    def test_uint8_classifier_embedding(self):
        with edgecl.Model(QUANT, cut="auto") as m:
            self.assertEqual(m.input_size, (128, 128))
            self.assertEqual(m.dim, 256)
            x = m.extract(os.path.join(GOLDEN, "chelsea.png"))
            self.assertEqual(x.shape, (1, 256))
            self.assertTrue(np.all(np.isfinite(x)) and np.any(x > 0))


if __name__ == "__main__":
    unittest.main()
