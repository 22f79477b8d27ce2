"""ctypes mirror of struct ecl_learner_params (include/edgecl/learner.h, head.h, replay.h).
Checked at import against the C compiler's sizes and offsets (eclpy_learner_params_layout in
_edgecl_fe.so), so a header change that is not mirrored here fails loudly, never silently."""
import ctypes

from ._lib import fe

HEAD_MAX_HIDDEN = 4


class HeadParams(ctypes.Structure):
    _fields_ = [("dim", ctypes.c_uint32), ("max_classes", ctypes.c_uint32),
                ("n_hidden", ctypes.c_uint32), ("hidden", ctypes.c_uint32 * HEAD_MAX_HIDDEN),
                ("max_batch", ctypes.c_uint32), ("optimizer", ctypes.c_int),
                ("lr", ctypes.c_float), ("momentum", ctypes.c_float),
                ("beta1", ctypes.c_float), ("beta2", ctypes.c_float), ("eps", ctypes.c_float),
                ("l2", ctypes.c_float), ("l2_bias", ctypes.c_int), ("seed", ctypes.c_uint32)]


class ReplayParams(ctypes.Structure):
    _fields_ = [("dim", ctypes.c_uint32), ("capacity", ctypes.c_uint32),
                ("max_classes", ctypes.c_uint32), ("policy", ctypes.c_int),
                ("storage", ctypes.c_int), ("replace_fraction", ctypes.c_float),
                ("seed", ctypes.c_uint32)]


class LearnerParams(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("dim", ctypes.c_uint32),
                ("max_classes", ctypes.c_uint32), ("head", HeadParams),
                ("epochs", ctypes.c_uint32), ("batch_size", ctypes.c_uint32),
                ("replay_per_batch", ctypes.c_uint32), ("lr_after_first", ctypes.c_float),
                ("replay", ReplayParams), ("slda_shrinkage", ctypes.c_float),
                ("seed", ctypes.c_uint32)]


def _check_layout():
    f = fe.eclpy_learner_params_layout
    f.restype = ctypes.c_size_t
    f.argtypes = [ctypes.c_int]
    mine = [ctypes.sizeof(LearnerParams), LearnerParams.head.offset, LearnerParams.epochs.offset,
            LearnerParams.replay.offset, LearnerParams.seed.offset, ctypes.sizeof(HeadParams),
            HeadParams.seed.offset, ctypes.sizeof(ReplayParams), ReplayParams.seed.offset]
    theirs = [f(i) for i in range(len(mine))]
    if mine != theirs:
        raise ImportError("edgecl: struct ecl_learner_params changed in C (sizes/offsets %s) but "
                          "not in edgecl/_params.py (%s)" % (theirs, mine))


_check_layout()
