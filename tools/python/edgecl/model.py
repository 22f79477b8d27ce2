"""Model: a .tflite backbone cut at a chosen tensor, turning images into latent vectors with the
same preprocessing as the edgecl CLI (tools/common/fe.c: bilinear resize to the model input,
normalisation from the model's metadata or edgecl's defaults, global average pooling of a 4-D
cut)."""
import ctypes
import os

import numpy as np

from ._lib import EdgeclError, c_float_p, fe

_ERRLEN = 512
_vp = ctypes.c_void_p
_proto = [("eclpy_open", ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                                        ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_char_p,
                                        ctypes.c_size_t]),
          ("eclpy_close", None, [_vp]),
          ("eclpy_dim", ctypes.c_uint32, [_vp]),
          ("eclpy_input_size", None, [_vp, ctypes.POINTER(ctypes.c_int),
                                      ctypes.POINTER(ctypes.c_int)]),
          ("eclpy_cut_name", ctypes.c_char_p, [_vp]),
          ("eclpy_preprocess", ctypes.c_char_p, [_vp]),
          ("eclpy_extract_files", ctypes.c_int, [_vp, ctypes.POINTER(ctypes.c_char_p),
                                                 ctypes.c_int, c_float_p, ctypes.c_char_p,
                                                 ctypes.c_size_t]),
          ("eclpy_extract_rgb8", ctypes.c_int, [_vp, ctypes.POINTER(ctypes.c_uint8),
                                                ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                c_float_p, ctypes.c_char_p, ctypes.c_size_t]),
          ("eclpy_image_load", ctypes.c_int, [ctypes.c_char_p,
                                              ctypes.POINTER(ctypes.POINTER(ctypes.c_uint8)),
                                              ctypes.POINTER(ctypes.c_int),
                                              ctypes.POINTER(ctypes.c_int), ctypes.c_char_p,
                                              ctypes.c_size_t]),
          ("eclpy_image_free", None, [ctypes.POINTER(ctypes.c_uint8)]),
          ("eclpy_extract_f32", ctypes.c_int, [_vp, c_float_p, ctypes.c_int, c_float_p,
                                               ctypes.c_char_p, ctypes.c_size_t])]
for _name, _res, _args in _proto:
    getattr(fe, _name).restype = _res
    getattr(fe, _name).argtypes = _args


def _raise(code, err):
    raise EdgeclError(err.value.decode(errors="replace") or "edgecl error %d" % code, code)


def read_image(path):
    """An image file (PNG or JPEG) as an (H, W, 3) uint8 RGB ndarray, decoded as the CLI does
    (grey and palette expanded, alpha dropped; corrupt JPEG data refused)."""
    rgb = ctypes.POINTER(ctypes.c_uint8)()
    w, h = ctypes.c_int(), ctypes.c_int()
    err = ctypes.create_string_buffer(_ERRLEN)
    code = fe.eclpy_image_load(os.fsencode(path), ctypes.byref(rgb), ctypes.byref(w),
                               ctypes.byref(h), err, _ERRLEN)
    if code:
        _raise(code, err)
    try:
        return np.ctypeslib.as_array(rgb, shape=(h.value, w.value, 3)).copy()
    finally:
        fe.eclpy_image_free(rgb)


class Model:
    """Model(path, cut=None, pool=True, threads=1)

    path: a .tflite file. cut: the tensor whose values are the latent, by name (see `edgecl
    inspect`); None: the CLI's default (block_13_expand_relu in edgecl's MobileNetV2, else the
    input of a classifier's last layer); "auto": that input for any classifier. pool: average a
    4-D cut over height and width (latent = its channels).

    Attributes: dim (latent size), input_size ((height, width) the images are resized to), cut
    (the resolved tensor name), preprocess (how pixels are normalised, as a sentence).
    """

    def __init__(self, path, cut=None, pool=True, threads=1):
        self._h = _vp()
        err = ctypes.create_string_buffer(_ERRLEN)
        code = fe.eclpy_open(os.fsencode(path), cut.encode() if cut else None, 1 if pool else 0,
                             int(threads), ctypes.byref(self._h), err, _ERRLEN)
        if code:
            self._h = None
            _raise(code, err)
        self.dim = int(fe.eclpy_dim(self._h))
        w, h = ctypes.c_int(), ctypes.c_int()
        fe.eclpy_input_size(self._h, ctypes.byref(w), ctypes.byref(h))
        self.input_size = (h.value, w.value)
        self.cut = fe.eclpy_cut_name(self._h).decode()
        self.preprocess = fe.eclpy_preprocess(self._h).decode()

    def close(self):
        if getattr(self, "_h", None):
            fe.eclpy_close(self._h)
            self._h = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def extract(self, x):
        """Latents of images: returns an (n, dim) float32 ndarray.

        x is one of: an image path (PNG or JPEG) or a list of them; a uint8 ndarray of RGB
        pixels, (H, W, 3) or (N, H, W, 3), any size (resized and normalised as for files); a
        float ndarray (N, H, W, 3) or (H, W, 3) of the model's input size, already normalised
        as the model expects (fed as it is; quantised for integer models)."""
        if not self._h:
            raise EdgeclError("extract: the model is closed", 12)
        if isinstance(x, (str, bytes, os.PathLike)):
            x = [x]
        if isinstance(x, (list, tuple)):
            return self._files(x)
        a = np.asarray(x)
        if a.ndim == 3:
            a = a[None]
        if a.ndim != 4 or a.shape[3] != 3 or a.shape[0] == 0:
            raise EdgeclError("extract: expected images (N, H, W, 3) or (H, W, 3), got shape %s"
                              % (np.shape(x),), 1)
        out = np.empty((a.shape[0], self.dim), np.float32)
        err = ctypes.create_string_buffer(_ERRLEN)
        if a.dtype == np.uint8:
            a = np.ascontiguousarray(a)
            code = fe.eclpy_extract_rgb8(self._h, a.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)),
                                         a.shape[0], a.shape[1], a.shape[2],
                                         out.ctypes.data_as(c_float_p), err, _ERRLEN)
        elif np.issubdtype(a.dtype, np.floating):
            if a.shape[1:3] != self.input_size:
                raise EdgeclError("extract: float input must be the model's input size %dx%d, "
                                  "got %dx%d (pass uint8 pixels to have them resized)"
                                  % (self.input_size + a.shape[1:3]), 1)
            a = np.ascontiguousarray(a, np.float32)
            code = fe.eclpy_extract_f32(self._h, a.ctypes.data_as(c_float_p), a.shape[0],
                                        out.ctypes.data_as(c_float_p), err, _ERRLEN)
        else:
            raise EdgeclError("extract: images must be uint8 pixels or float32 model input, "
                              "got %s" % a.dtype, 1)
        if code:
            _raise(code, err)
        return out

    def _files(self, paths):
        if not paths:
            raise EdgeclError("extract: no image paths given", 1)
        arr = (ctypes.c_char_p * len(paths))(*[os.fsencode(p) for p in paths])
        out = np.empty((len(paths), self.dim), np.float32)
        err = ctypes.create_string_buffer(_ERRLEN)
        code = fe.eclpy_extract_files(self._h, arr, len(paths), out.ctypes.data_as(c_float_p),
                                      err, _ERRLEN)
        if code:
            _raise(code, err)
        return out
