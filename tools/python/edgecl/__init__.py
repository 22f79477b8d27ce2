"""edgecl for Python: the frozen backbone (Model) and the continual learners (Learner) of
libedgecl, through ctypes. Needs only Debian's python3 and python3-numpy.

    import edgecl
    m = edgecl.Model("mobilenet_v2.tflite")             # cut: the CLI's default layer
    x = m.extract(["cat1.jpg", "cat2.jpg", "dog1.png"])  # paths, or an NHWC ndarray
    l = edgecl.Learner("replay", m.dim, max_classes=10, buffer=500)
    l.observe(x, ["cat", "cat", "dog"])                  # class names or integer labels
    p = l.predict(m.extract("test.jpg"))
    print(p.labels[0], p.scores[0].max())
    l.save("my.ecls"); l2 = edgecl.Learner.load("my.ecls")
    rgb = edgecl.read_image("cat1.jpg")                  # (H, W, 3) uint8

Errors raise edgecl.EdgeclError carrying the library's message (ecl_status_str, the
interpreter's or the port layer's one-line reason) and the status name (e.g. "ECL_EINVAL").
"""
from ._lib import EdgeclError, version
from .learner import Learner, Prediction
from .model import Model, read_image

__all__ = ["EdgeclError", "Learner", "Model", "Prediction", "read_image", "version"]
__version__ = version()
