#!/usr/bin/env bash
# tests/load/run_wrk.sh [SECONDS] - load test of the demo server over loopback with wrk.
#
# Starts `edgecl serve` on 127.0.0.1 on a free port (the real backbone: $EDGECL_MODEL or
# models/mobilenet_v2.tflite; a throw-away state file), teaches it two classes through the API,
# then runs wrk -t2 -c8 for SECONDS (default 30) against
#   1. GET  /api/state
#   2. POST /api/predict with a JPEG body
# (both through tests/load/check.lua: every body is checked, not only the status: the state
# lists both classes, every predict answers class 0 for class 0's image, identically)
# while sampling the server's VmRSS every second. Prints requests/s, latency, non-2xx count and
# RSS at start/end/peak per phase, and exits non-zero if the server died, any request failed
# (socket errors or non-2xx) or RSS grew by more than RSS_GROWTH_MB (default 32) in a phase.
# wrk runs with --timeout 30s: predict requests queue behind one backbone (serialised), so at
# -c8 latency is ~8x one backbone run; a client timeout would count as a failure.
# Env: EDGECL (binary, default build/edgecl), EDGECL_MODEL, LOAD_THREADS (2), LOAD_CONNS (8).
set -uo pipefail
cd "$(dirname "$0")/../.."
DUR="${1:-30}"
BIN="${EDGECL:-build/edgecl}"
MODEL="${EDGECL_MODEL:-models/mobilenet_v2.tflite}"
THREADS="${LOAD_THREADS:-2}" CONNS="${LOAD_CONNS:-8}" GROWTH_MB="${RSS_GROWTH_MB:-32}"
command -v wrk >/dev/null || { echo "run_wrk.sh: wrk not installed (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "run_wrk.sh: curl not installed" >&2; exit 1; }
[[ -x "$BIN" ]] || { echo "run_wrk.sh: $BIN not built (cmake --build build)" >&2; exit 1; }
[[ -f "$MODEL" ]] || { echo "run_wrk.sh: model $MODEL not found (set EDGECL_MODEL)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/edgecl-load.XXXXXX)
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# Test images: two JPEGs from fuzz_make_seeds' encoder (no extra tools needed).
SEEDS_BIN=""
for b in "$(dirname "$BIN")/fuzz_make_seeds" build/fuzz_make_seeds build-reliab/fuzz_make_seeds; do
  [[ -x "$b" ]] && { SEEDS_BIN=$b; break; }
done
[[ -n "$SEEDS_BIN" ]] || { echo "run_wrk.sh: build the fuzz_make_seeds target first" >&2; exit 1; }
"$SEEDS_BIN" --jpeg "$WORK/a.jpg" 160 120 20 && "$SEEDS_BIN" --jpeg "$WORK/b.jpg" 160 120 220 || exit 1

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --bind 127.0.0.1 --port "$PORT" --model "$MODEL" --state "$WORK/demo.ecls" \
  >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 600); do
  curl -sf "$URL/api/state" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "run_wrk.sh: server died:" >&2; cat "$WORK/server.err" >&2; exit 1; }
  sleep 0.1
done
curl -sf "$URL/api/state" >/dev/null || { echo "run_wrk.sh: server not answering" >&2; exit 1; }
echo "run_wrk.sh: server pid $SERVER_PID on $URL ($(basename "$MODEL"))" >&2

api() { curl -sf -X POST -H "Content-Type: $2" --data-binary "$3" "$URL$1" >/dev/null || {
  echo "run_wrk.sh: setup request $1 failed" >&2; exit 1; }; }
api /api/classes application/json '{"name":"a"}'
api /api/classes application/json '{"name":"b"}'
for _ in 1 2 3; do
  api /api/classes/0/samples image/jpeg "@$WORK/a.jpg"
  api /api/classes/1/samples image/jpeg "@$WORK/b.jpg"
done
api /api/train application/json '{}'

rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$SERVER_PID/status" 2>/dev/null; }

fail=0
phase() { # name, wrk args...
  local name=$1; shift
  local samples="$WORK/rss-$name.txt"
  : >"$samples"
  ( while kill -0 "$SERVER_PID" 2>/dev/null; do rss_kb >>"$samples"; sleep 1; done ) &
  local sampler=$!
  echo "run_wrk.sh: $name: wrk -t$THREADS -c$CONNS -d${DUR}s" >&2
  wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --timeout 30s --latency "$@" >"$WORK/wrk-$name.txt" 2>&1
  local rc=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  local rps lat p99 non2xx errs r0 r1 rmax
  rps=$(awk '/^Requests\/sec/{print $2}' "$WORK/wrk-$name.txt")
  lat=$(awk '/^ +Latency /{print $2; exit}' "$WORK/wrk-$name.txt")
  p99=$(awk '/^ +99%/{print $2}' "$WORK/wrk-$name.txt")
  non2xx=$(awk '/Non-2xx or 3xx responses/{print $NF}' "$WORK/wrk-$name.txt")
  errs=$(awk '/Socket errors/{print $0}' "$WORK/wrk-$name.txt")
  r0=$(head -1 "$samples") r1=$(tail -1 "$samples") rmax=$(sort -n "$samples" | tail -1)
  printf '%-8s %10s req/s  latency avg %-9s p99 %-9s non-2xx %-6s RSS start %s KB end %s KB peak %s KB%s\n' \
    "$name" "${rps:-?}" "${lat:-?}" "${p99:-?}" "${non2xx:-0}" "${r0:-?}" "${r1:-?}" "${rmax:-?}" \
    "${errs:+  ($errs)}"
  if [[ $rc -ne 0 || -z "$rps" ]]; then echo "run_wrk.sh: wrk failed:" >&2; cat "$WORK/wrk-$name.txt" >&2; fail=1; fi
  [[ -n "${non2xx:-}" && "$non2xx" != 0 ]] && { echo "run_wrk.sh: $name: $non2xx non-2xx responses" >&2; fail=1; }
  [[ -n "$errs" ]] && { echo "run_wrk.sh: $name: $errs" >&2; fail=1; }
  local checks
  checks=$(grep -E "^body checks:" "$WORK/wrk-$name.txt")
  echo "  $name: ${checks:-no body checks}"
  if [[ ! "$checks" =~ ^body\ checks:\ ([0-9]+)\ checked,\ 0\ bad$ || "${BASH_REMATCH[1]}" == 0 ]]; then
    echo "run_wrk.sh: $name: response bodies wrong or unchecked:" >&2
    grep -E "^(body checks|first bad)" "$WORK/wrk-$name.txt" >&2; fail=1
  fi
  if [[ -n "$r0" && -n "$r1" ]] && (( r1 - r0 > GROWTH_MB * 1024 )); then
    echo "run_wrk.sh: $name: RSS grew by $(( (r1 - r0) / 1024 )) MB" >&2; fail=1
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "run_wrk.sh: server died during $name" >&2; cat "$WORK/server.err" >&2; exit 1; }
}
echo "edgecl serve load test: ${DUR}s per phase, wrk -t$THREADS -c$CONNS, loopback, $(nproc) cores"
# what a correct answer holds: both classes listed; class 0 predicted for class 0's image
LOAD_EXPECT='"name":"b"' phase state -s tests/load/check.lua "$URL/api/state"
LOAD_JPEG="$WORK/a.jpg" LOAD_EXPECT='"replay":{"trained":true,"top":0,' \
  phase predict -s tests/load/check.lua "$URL/api/predict"
[[ $fail -eq 0 ]] && echo "run_wrk.sh: ok" >&2 || echo "run_wrk.sh: FAILED" >&2
exit $fail
