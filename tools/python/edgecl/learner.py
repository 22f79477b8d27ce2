"""Learner: one of libedgecl's continual learners (naive, replay, slda, ncm) on latent vectors,
with its memory owned by this object and its state saved in the library's format (the same
.ecls files `edgecl learn` / `edgecl predict` read and write)."""
import collections
import ctypes
import os

import numpy as np

from ._lib import EdgeclError, c_float_p, c_int32_p, c_size_p, check, lib, status_str
from ._params import LearnerParams

_vp = ctypes.c_void_p
_P = ctypes.POINTER(LearnerParams)
for _name, _res, _args in [
        ("ecl_learner_kind_parse", ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
        ("ecl_learner_kind_name", ctypes.c_char_p, [ctypes.c_int]),
        ("ecl_learner_default_params", LearnerParams, [ctypes.c_int, ctypes.c_uint32,
                                                       ctypes.c_uint32]),
        ("ecl_learner_paper_params", LearnerParams, [ctypes.c_uint32, ctypes.c_uint32]),
        ("ecl_learner_mem_size", ctypes.c_int, [_P, c_size_p]),
        ("ecl_learner_init", ctypes.c_int, [_P, _vp, ctypes.c_size_t, ctypes.POINTER(_vp)]),
        ("ecl_learner_observe", ctypes.c_int, [_vp, c_float_p, c_int32_p, ctypes.c_uint32]),
        ("ecl_learner_predict", ctypes.c_int, [_vp, c_float_p, c_float_p, c_int32_p]),
        ("ecl_learner_n_classes", ctypes.c_uint32, [_vp]),
        ("ecl_learner_n_seen", ctypes.c_uint64, [_vp]),
        ("ecl_learner_set_class_name", ctypes.c_int, [_vp, ctypes.c_int32, ctypes.c_char_p]),
        ("ecl_learner_class_name", ctypes.c_char_p, [_vp, ctypes.c_int32]),
        ("ecl_learner_replay_count", ctypes.c_uint32, [_vp]),
        ("ecl_learner_state_size", ctypes.c_int, [_vp, c_size_p]),
        ("ecl_learner_state_write", ctypes.c_int, [_vp, _vp, ctypes.c_size_t, c_size_p]),
        ("ecl_learner_state_params", ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t, _P]),
        ("ecl_learner_state_read", ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.c_size_t]),
        ("ecl_port_save_atomic", ctypes.c_int, [ctypes.c_char_p, _vp, ctypes.c_size_t])]:
    getattr(lib, _name).restype = _res
    getattr(lib, _name).argtypes = _args

_POLICY = {"random": 0, "fifo": 1, "balanced": 2}
_STORAGE = {"f32": 0, "float32": 0, "u8": 1, "uint8": 1}

Prediction = collections.namedtuple("Prediction", "scores top labels")
Prediction.__doc__ = """predict()'s result for n latents: scores (n, n_classes) float32
(probabilities for naive/replay, discriminant scores for slda/ncm), top (n,) int32 best class
(-1 before anything was learned), labels: the best classes' names (str(top) if unnamed)."""


def _kind(kind):
    k = ctypes.c_int()
    if isinstance(kind, str):
        check(lib.ecl_learner_kind_parse(kind.encode(), ctypes.byref(k)),
              "unknown learner kind %r (naive, replay, slda, ncm)" % kind)
        return k.value
    return int(kind)


class Learner:
    """Learner(kind, dim, max_classes=50, paper=False, **options)

    kind: "naive", "replay", "slda" or "ncm"; dim: latent size (Model.dim). max_classes: the
    class budget, fixed at creation. paper=True: the paper's replay set-up
    (ecl_learner_paper_params). Options (else the library's defaults): hidden (list of hidden
    layer sizes of the head), lr, lr_after_first, epochs, batch_size, replay_per_batch,
    buffer (replay capacity in latents), storage ("f32" or "u8"), policy ("random", "fifo",
    "balanced"), slda_shrinkage, seed.
    """

    def __init__(self, kind, dim, max_classes=50, paper=False, **options):
        if paper:
            if _kind(kind) != 1:
                raise EdgeclError("paper=True is the paper's replay learner, not %r" % kind, 1)
            p = lib.ecl_learner_paper_params(int(dim), int(max_classes))
        else:
            p = lib.ecl_learner_default_params(_kind(kind), int(dim), int(max_classes))
        _apply(p, options)
        self._init(p)

    def _init(self, p):
        self._p = p
        need = ctypes.c_size_t()
        check(lib.ecl_learner_mem_size(ctypes.byref(p), ctypes.byref(need)), "learner params")
        self._mem = ctypes.create_string_buffer(need.value + 64)
        addr = (ctypes.addressof(self._mem) + 63) & ~63
        self._l = _vp()
        check(lib.ecl_learner_init(ctypes.byref(p), addr, need.value, ctypes.byref(self._l)),
              "learner init")
        self.kind = lib.ecl_learner_kind_name(p.kind).decode()
        self.dim = p.dim
        self.max_classes = p.max_classes
        self.memory_bytes = need.value

    @property
    def n_classes(self):
        return int(lib.ecl_learner_n_classes(self._l))

    @property
    def n_seen(self):
        return int(lib.ecl_learner_n_seen(self._l))

    @property
    def replay_count(self):
        return int(lib.ecl_learner_replay_count(self._l))

    @property
    def classes(self):
        """Names of classes 0..n_classes-1 ("" where unnamed)."""
        return [lib.ecl_learner_class_name(self._l, i).decode() for i in range(self.n_classes)]

    def _latents(self, x, what):
        a = np.asarray(x, dtype=np.float32)
        if a.ndim == 1:
            a = a[None]
        if a.ndim != 2 or a.shape[1] != self.dim:
            raise EdgeclError("%s: latents must be (n, %d), got shape %s"
                              % (what, self.dim, np.shape(x)), 1)
        return np.ascontiguousarray(a)

    def _labels(self, y, n):
        """Integer labels, or class names: a known name maps to its class, a new name takes the
        next free class number. Returns (labels, {class: new name})."""
        ys = [y] if isinstance(y, (str, int, np.integer)) else list(y)
        if len(ys) != n:
            raise EdgeclError("observe: %d latents but %d labels" % (n, len(ys)), 1)
        if not any(isinstance(v, str) for v in ys):
            return np.ascontiguousarray(np.asarray(ys, dtype=np.int32)), {}
        if not all(isinstance(v, str) for v in ys):
            raise EdgeclError("observe: labels must be all class names or all integers", 1)
        known = {name: i for i, name in enumerate(self.classes) if name}
        new, nxt, out = {}, self.n_classes, []
        for v in ys:
            if v not in known:
                known[v] = new_id = nxt
                new[new_id] = v
                nxt += 1
            out.append(known[v])
        return np.asarray(out, dtype=np.int32), new

    def observe(self, x, y):
        """Learn from latents x (n, dim) with labels y: n integers (0..max_classes-1) or n class
        names. New classes may come at any call. Nothing changes if the call is refused."""
        x = self._latents(x, "observe")
        y, new = self._labels(y, x.shape[0])
        for name in new.values():
            if len(name.encode()) >= 32:
                raise EdgeclError("observe: class name %r is longer than 31 bytes" % name, 9)
        check(lib.ecl_learner_observe(self._l, x.ctypes.data_as(c_float_p),
                                      y.ctypes.data_as(c_int32_p), x.shape[0]), "observe")
        for cls, name in new.items():
            check(lib.ecl_learner_set_class_name(self._l, cls, name.encode()), "class name")

    def predict(self, x):
        """Scores and best class of each latent (n, dim) or (dim,): a Prediction."""
        x = self._latents(x, "predict")
        n, k = x.shape[0], self.max_classes
        scores = np.empty((n, k), np.float32)
        top = np.empty(n, np.int32)
        for i in range(n):
            check(lib.ecl_learner_predict(self._l, x[i].ctypes.data_as(c_float_p),
                                          scores[i].ctypes.data_as(c_float_p),
                                          top[i:].ctypes.data_as(c_int32_p)), "predict")
        names = self.classes
        labels = [(names[t] or str(t)) if 0 <= t < len(names) else str(t) for t in top]
        return Prediction(scores[:, :self.n_classes].copy(), top, labels)

    def state(self):
        """The learner's state image (bytes): versioned, CRC'd, the library's format."""
        size, wrote = ctypes.c_size_t(), ctypes.c_size_t()
        check(lib.ecl_learner_state_size(self._l, ctypes.byref(size)), "state size")
        buf = ctypes.create_string_buffer(size.value)
        check(lib.ecl_learner_state_write(self._l, buf, size.value, ctypes.byref(wrote)),
              "state write")
        return buf.raw[:wrote.value]

    def save(self, path):
        """Write the state to path atomically (temp file, fsync, rename): the file that was
        there stays whole if this fails."""
        img = self.state()
        code = lib.ecl_port_save_atomic(os.fsencode(path), img, len(img))
        if code:
            why = lib.ecl_port_error().decode(errors="replace")
            raise EdgeclError("save %s: %s" % (path, why or status_str(code)), code)

    @classmethod
    def from_state(cls, data, what="state"):
        """A new learner from a state image (bytes), with the parameters stored in it."""
        data = bytes(data)
        p = LearnerParams()
        check(lib.ecl_learner_state_params(data, len(data), ctypes.byref(p)), what)
        self = cls.__new__(cls)
        self._init(p)
        check(lib.ecl_learner_state_read(self._l, data, len(data)), what)
        return self

    @classmethod
    def load(cls, path):
        """A new learner from a state file written by save() or `edgecl learn`:
        l = edgecl.Learner.load("my.ecls"). Truncated or corrupted files raise EdgeclError."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise EdgeclError("load %s: %s" % (path, e.strerror or e),
                              11 if isinstance(e, FileNotFoundError) else 3) from None
        return cls.from_state(data, "load %s" % path)


def _apply(p, o):
    o = dict(o)
    if "hidden" in o:
        h = list(o.pop("hidden"))
        if len(h) > 4:
            raise EdgeclError("hidden: at most 4 hidden layers", 1)
        p.head.n_hidden = len(h)
        for i, v in enumerate(h):
            p.head.hidden[i] = int(v)
    if "lr" in o:
        p.head.lr = float(o.pop("lr"))
    for key in ("seed", "lr_after_first", "epochs", "batch_size", "replay_per_batch", "slda_shrinkage"):
        if key in o:
            setattr(p, key, o.pop(key))
    if "buffer" in o:
        p.replay.capacity = int(o.pop("buffer"))
    if "storage" in o:
        p.replay.storage = _lookup(_STORAGE, o.pop("storage"), "storage")
    if "policy" in o:
        p.replay.policy = _lookup(_POLICY, o.pop("policy"), "policy")
    if o:
        raise EdgeclError("unknown learner option(s): %s" % ", ".join(sorted(o)), 1)
    # The head must take a whole mini-batch of new plus replayed samples.
    p.head.max_batch = max(p.head.max_batch, p.batch_size + p.replay_per_batch)


def _lookup(table, v, what):
    if v not in table:
        raise EdgeclError("%s: %r is not one of %s" % (what, v, ", ".join(table)), 1)
    return table[v]
