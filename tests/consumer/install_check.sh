#!/usr/bin/env bash
# tests/consumer/install_check.sh - edgecl as a user installs it (issue 11):
#   prefix: `cmake --install BUILD --prefix SCRATCH/usr/local`
#   deb:    `cpack -G DEB` from BUILD, then `dpkg-deb -x` into SCRATCH/root (no system install)
# then, against that tree only: files in place; libedgecl.so's soname carries the version and it
# exports only the ecl_* functions of the installed headers; tests/consumer/consumer.c built
# with pkg-config (shared, and static) and as a CMake project with find_package(edgecl CONFIG)
# (edgecl::edgecl, edgecl::edgecl_static), each run; the installed Python module imported from
# there (its own libedgecl, not the build tree's) and used.
# Reuses BUILD's compiled library: nothing of the project is rebuilt.
#
# usage: install_check.sh prefix|deb BUILD_DIR SOURCE_DIR PYTHON VERSION PYDIR
#   PYDIR: the Python package's install dir relative to the prefix (lib/python3.X/dist-packages)
# Exit 77 (skip) when a needed tool is missing (cc, pkg-config, cmake; dpkg-deb for deb).
set -euo pipefail
MODE="$1" BUILD="$(cd "$2" && pwd)" SRC="$(cd "$3" && pwd)" PY="$4" VERSION="$5" PYDIR="$6"
CC_BIN="${CC:-cc}"
for t in "$CC_BIN" pkg-config cmake nm readelf; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not found (apt-get install build-essential pkg-config cmake)"; exit 77; }
done
if [[ $MODE == deb ]]; then
  for t in cpack dpkg-deb; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not found (Debian's dpkg, cmake)"; exit 77; }
  done
fi
S="$(mktemp -d "${TMPDIR:-/tmp}/edgecl-install.XXXXXX")"
trap 'rm -rf "$S"' EXIT
die() { echo "install_check($MODE): FAIL: $*" >&2; exit 1; }

if [[ $MODE == prefix ]]; then
  P="$S/usr/local"
  cmake --install "$BUILD" --prefix "$P" >"$S/install.log" 2>&1 || { cat "$S/install.log"; die "cmake --install"; }
else
  (cd "$S" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$S/pkg" >"$S/cpack.log" 2>&1) ||
    { tail -20 "$S/cpack.log"; die "cpack -G DEB"; }
  debs=("$S"/pkg/edgecl_*.deb)
  deb="${debs[0]}"
  [[ -f $deb ]] || die "cpack made no edgecl_*.deb ($(ls "$S/pkg"))"
  [[ "$(dpkg-deb -f "$deb" Package)" == edgecl ]] || die "deb Package field"
  [[ "$(dpkg-deb -f "$deb" Version)" == "$VERSION" ]] || die "deb Version $(dpkg-deb -f "$deb" Version) != $VERSION"
  echo "deb: $(basename "$deb") $(du -k "$deb" | cut -f1) KB, Depends: $(dpkg-deb -f "$deb" Depends)"
  dpkg-deb -x "$deb" "$S/root"
  P="$S/root/usr"
fi
LIB="$P/lib"
MAJMIN="${VERSION%.*}"

# Files in place.
for f in include/edgecl/learner.h include/edgecl/model.h include/edgecl/port.h \
         lib/libedgecl.a "lib/libedgecl.so.$VERSION" "lib/libedgecl.so.$MAJMIN" lib/libedgecl.so \
         lib/pkgconfig/edgecl.pc lib/cmake/edgecl/edgeclConfig.cmake \
         lib/cmake/edgecl/edgeclConfigVersion.cmake lib/cmake/edgecl/edgeclTargets.cmake \
         bin/edgecl "$PYDIR/edgecl/__init__.py" "$PYDIR/edgecl/_edgecl_fe.so" "$PYDIR/edgecl/_paths.py"; do
  [[ -e "$P/$f" ]] || die "missing $f"
done
# soname and exports.
soname="$(readelf -d "$LIB/libedgecl.so.$VERSION" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
[[ $soname == "libedgecl.so.$MAJMIN" ]] || die "soname '$soname', want libedgecl.so.$MAJMIN"
nm -D --defined-only "$LIB/libedgecl.so.$VERSION" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sort >"$S/exports"
n_exp=$(wc -l <"$S/exports")
((n_exp > 50)) || die "only $n_exp exported symbols"
bad="$(grep -v '^ecl_' "$S/exports" || true)"
[[ -z $bad ]] || die "exported symbols outside ecl_*: $(echo $bad | head -c 300)"
undeclared=""
while read -r s; do grep -qw "$s" "$P"/include/edgecl/*.h || undeclared+=" $s"; done <"$S/exports"
[[ -z $undeclared ]] || die "exported but not in the installed headers:$undeclared"
echo "libedgecl.so.$VERSION: soname $soname, $n_exp symbols exported, all ecl_* of include/edgecl"

# pkg-config, shared and static.
export PKG_CONFIG_PATH="$LIB/pkgconfig"
[[ "$(pkg-config --modversion edgecl)" == "$VERSION" ]] || die "pkg-config --modversion"
mkdir -p "$S/run"
# shellcheck disable=SC2046
"$CC_BIN" -std=c11 -O1 -o "$S/c_pc" "$SRC/tests/consumer/consumer.c" $(pkg-config --cflags --libs edgecl) \
  -Wl,-rpath,"$LIB" || die "pkg-config build (shared)"
ldd "$S/c_pc" >"$S/ldd.txt" # (not piped into grep -q: with pipefail, ldd's SIGPIPE fails it)
grep -q "libedgecl.so.$MAJMIN => $LIB/" "$S/ldd.txt" || die "c_pc does not use $LIB/libedgecl.so ($(grep edgecl "$S/ldd.txt"))"
"$S/c_pc" "$S/run" || die "consumer (pkg-config, shared)"
# shellcheck disable=SC2046
"$CC_BIN" -std=c11 -O1 -o "$S/c_pc_static" "$SRC/tests/consumer/consumer.c" $(pkg-config --cflags edgecl) \
  $(pkg-config --static --libs edgecl | sed 's/-ledgecl/-Wl,-Bstatic -ledgecl -Wl,-Bdynamic/') || die "pkg-config build (static)"
ldd "$S/c_pc_static" >"$S/ldd.txt"
! grep -q libedgecl "$S/ldd.txt" || die "c_pc_static still needs libedgecl.so"
"$S/c_pc_static" "$S/run" || die "consumer (pkg-config, static)"

# CMake find_package(edgecl CONFIG): a fresh project outside the tree.
cmake -S "$SRC/tests/consumer" -B "$S/cb" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC_BIN" >"$S/cb.log" 2>&1 || { cat "$S/cb.log"; die "find_package(edgecl CONFIG)"; }
grep -q "edgecl_DIR:PATH=$LIB/cmake/edgecl" "$S/cb/CMakeCache.txt" || die "found edgecl outside $P"
cmake --build "$S/cb" >"$S/cbb.log" 2>&1 || { cat "$S/cbb.log"; die "CMake consumer build"; }
"$S/cb/consumer_shared" "$S/run" || die "consumer (CMake, edgecl::edgecl)"
"$S/cb/consumer_static" "$S/run" || die "consumer (CMake, edgecl::edgecl_static)"

# The installed Python module, with no hint where the libraries are.
if "$PY" -c 'import numpy' 2>/dev/null; then
  env -u EDGECL_LIB_DIR -u LD_LIBRARY_PATH PYTHONPATH="$P/$PYDIR" "$PY" - "$P" "$VERSION" <<'PYEOF' || die "installed Python module"
import os, sys
import numpy as np
import edgecl
prefix, version = sys.argv[1], sys.argv[2]
assert edgecl.__file__.startswith(prefix), edgecl.__file__
assert edgecl.__version__ == version, (edgecl.__version__, version)
from edgecl import _lib
assert os.path.realpath(_lib.lib._name).startswith(os.path.realpath(prefix)), _lib.lib._name
l = edgecl.Learner("ncm", 4, max_classes=3)
l.observe(np.eye(4, dtype=np.float32)[:2] * 3, ["a", "b"])
assert l.predict(np.array([0, 2.5, 0, 0], np.float32)).labels == ["b"]
print("python: import edgecl from", os.path.dirname(edgecl.__file__), "ok")
PYEOF
else
  echo "python part skipped: $PY has no numpy (apt-get install python3-numpy)"
fi
echo "install_check($MODE): ok"
