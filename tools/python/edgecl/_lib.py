"""Loading libedgecl (public C API) and _edgecl_fe (the tools' image loader and feature
extractor, private to this package), and their ctypes prototypes.

Search order for both: $EDGECL_LIB_DIR (a build tree's lib/), then the installed layout (the
package directory for _edgecl_fe.so; <prefix>/<libdir> for libedgecl, from _paths.py written
at install), then the system's loader (ldconfig) for libedgecl.
"""
import ctypes
import os

VERSION = "0.1.0"  # the project version (CMakeLists.txt); the install test checks they agree
SOVERSION = "0.1"  # libedgecl.so.<major.minor>, the C library's SOVERSION
_HERE = os.path.dirname(os.path.abspath(__file__))

_STATUS = ["ECL_OK", "ECL_EINVAL", "ECL_ENOMEM", "ECL_EIO", "ECL_EFORMAT", "ECL_ETRUNCATED",
           "ECL_ECORRUPT", "ECL_EVERSION", "ECL_EUNSUPPORTED", "ECL_ERANGE", "ECL_EFULL",
           "ECL_ENOTFOUND", "ECL_ESTATE", "ECL_EBUSY", "ECL_EOOM"]


class EdgeclError(Exception):
    """A failed edgecl call: str(e) is the library's one-line message; e.status its code name
    ("ECL_EINVAL", ...) and e.code the number."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = int(code)
        self.status = _STATUS[self.code] if 0 <= self.code < len(_STATUS) else str(code)


def _candidates(name, installed_dir):
    env = os.environ.get("EDGECL_LIB_DIR")
    if env:
        yield os.path.join(env, name)
    if installed_dir:
        yield os.path.join(installed_dir, name)
    yield name  # the dynamic loader's own search (ld.so.cache, LD_LIBRARY_PATH)


def _load(name, installed_dir):
    errors = []
    for path in _candidates(name, installed_dir):
        if os.path.sep in path and not os.path.exists(path):
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
    raise ImportError("edgecl: cannot load %s (set EDGECL_LIB_DIR to the directory holding it)%s"
                      % (name, ": " + "; ".join(errors) if errors else ""))


def _installed_libdir():
    try:
        from ._paths import LIBDIR_FROM_PACKAGE
    except ImportError:
        return None
    return os.path.normpath(os.path.join(_HERE, LIBDIR_FROM_PACKAGE))


lib = _load("libedgecl.so." + SOVERSION, _installed_libdir())
fe = _load("_edgecl_fe.so", _HERE)

c_float_p = ctypes.POINTER(ctypes.c_float)
c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_size_p = ctypes.POINTER(ctypes.c_size_t)


def _proto(dll, name, restype, *argtypes):
    f = getattr(dll, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_proto(lib, "ecl_status_str", ctypes.c_char_p, ctypes.c_int)
_proto(lib, "ecl_port_error", ctypes.c_char_p)


def status_str(code):
    return lib.ecl_status_str(code).decode()


def check(code, what):
    """Raise EdgeclError for a non-zero ecl_status: '<what>: <ecl_status_str>'."""
    if code:
        raise EdgeclError("%s: %s" % (what, status_str(code)), code)


def version():
    return VERSION
