#!/usr/bin/env bash
# serve_cli.sh EDGECL - the `edgecl serve` / `edgecl demo` command line and the real server's
# error handling over HTTP (curl): usage errors, bad state file, port in use, bad requests.
# Exit 77 (skip) if the model or curl is missing.
set -u
EDGECL=$1
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { # want_rc pattern cmd...
  local want=$1 pat=$2; shift 2
  "$@" >"$T/out" 2>&1; local rc=$?
  [[ $rc == "$want" ]] || fail "$* -> rc $rc, want $want: $(cat "$T/out")"
  grep -q -- "$pat" "$T/out" || fail "$* -> output lacks '$pat': $(cat "$T/out")"
  echo "ok: $* -> $rc"
}
expect_rc 0 "usage: edgecl serve" "$EDGECL" serve --help
expect_rc 0 "usage: edgecl demo" "$EDGECL" demo --help
expect_rc 2 "port must be" "$EDGECL" serve --port abc
expect_rc 2 "port must be" "$EDGECL" serve --port 70000
expect_rc 2 "not an IPv4 or IPv6" "$EDGECL" serve --bind nowhere
expect_rc 2 "no index.html" "$EDGECL" serve --web "$T/nope"
expect_rc 2 "unknown option" "$EDGECL" serve --frobnicate 1
expect_rc 2 "missing value" "$EDGECL" serve --state

MODEL=${EDGECL_MODEL:-$(dirname "$0")/../../models/mobilenet_v2.tflite}
[[ -f $MODEL ]] || { echo "SKIP: no model at $MODEL" >&2; exit 77; }
command -v curl >/dev/null || { echo "SKIP: no curl" >&2; exit 77; }
expect_rc 1 "cannot read\|not found\|No such" "$EDGECL" serve --port 0 --model "$T/missing.tflite"
printf 'ECLDgarbage-garbage-garbage-garbage' >"$T/bad.ecls"
expect_rc 1 "corrupted\|truncated\|not an edgecl\|unsupported demo state" "$EDGECL" serve --port 0 --model "$MODEL" --state "$T/bad.ecls"

start() { # start ARGS... ; sets URL
  "$EDGECL" serve --port 0 --model "$MODEL" "$@" >"$T/url" 2>"$T/err" &
  PIDS+=($!)
  for _ in $(seq 1 600); do
    URL=$(grep -o 'http://[^ ]*/' "$T/url" 2>/dev/null) && [[ -n $URL ]] && return 0
    sleep 0.1
  done
  fail "server did not start: $(cat "$T/err")"
}
start --state "$T/s.ecls"
PORT=$(echo "$URL" | sed 's/.*:\([0-9]*\)\/$/\1/')
expect_rc 1 "cannot listen" "$EDGECL" serve --port "$PORT" --model "$MODEL"

code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
want() { # code pattern curl-args...
  local w=$1 pat=$2; shift 2
  local c; c=$(code "$@")
  [[ $c == "$w" ]] || fail "curl $* -> $c, want $w: $(cat "$T/body")"
  grep -q -- "$pat" "$T/body" || fail "curl $* -> body lacks '$pat': $(cat "$T/body")"
  echo "ok: $w $(head -c 90 "$T/body")"
}
# two real photos (the golden-test images) for a learning round; sent as image/png
IMG_A=$(dirname "$0")/../data/golden/coffee.png
IMG_B=$(dirname "$0")/../data/golden/chelsea.png
want 200 '"classes":\[\]' "${URL}api/state"
want 200 '"id":0' -H 'Content-Type: application/json' -d '{"name":"a"}' "${URL}api/classes"
want 400 'bad JSON' -H 'Content-Type: application/json' -d '{"name":' "${URL}api/classes"
want 415 'image/jpeg' -H 'Content-Type: text/plain' --data-binary 'abc' "${URL}api/classes/0/samples"
want 400 'bad image' -H 'Content-Type: image/jpeg' --data-binary 'not a jpeg' "${URL}api/classes/0/samples"
printf '\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01' >"$T/trunc.jpg"
want 400 'truncated JPEG' -H 'Content-Type: image/jpeg' --data-binary @"$T/trunc.jpg" "${URL}api/classes/0/samples"
want 404 'unknown class' -H 'Content-Type: image/jpeg' --data-binary @"$T/trunc.jpg" "${URL}api/classes/9/samples"
head -c 3000000 /dev/zero >"$T/big"
want 413 'too large' -H 'Content-Type: image/jpeg' --data-binary @"$T/big" "${URL}api/predict"
want 404 'no such API' "${URL}api/frobnicate"
want 200 '<html' "${URL}"
# DNS rebinding: a foreign Host is refused; loopback names with any port are fine
want 403 "Host 'evil.example'" -H 'Host: evil.example' "${URL}api/state"
want 403 'request refused' -H 'Host: evil.example:8080' "${URL}"
want 200 '"classes"' -H 'Host: localhost:1234' "${URL}api/state"
# 405 names the allowed methods
curl -s -D "$T/hdr" -o /dev/null "${URL}api/train"
grep -qi '^Allow: POST' "$T/hdr" || fail "405 without Allow: $(cat "$T/hdr")"
echo "ok: 405 Allow: POST"
# "Download model" before any training: 409; an unknown learner: 404
want 409 'not been trained' "${URL}api/export/replay"
want 404 "unknown learner 'slda'" "${URL}api/export/slda"
if [[ -f $IMG_A && -f $IMG_B ]]; then
  want 200 '"id":1' -H 'Content-Type: application/json' -d '{"name":"b"}' "${URL}api/classes"
  for i in 1 2 3; do
    want 200 '"pending":' -H 'Content-Type: image/png' --data-binary @"$IMG_A" "${URL}api/classes/0/samples"
    want 200 '"pending":' -H 'Content-Type: image/png' --data-binary @"$IMG_B" "${URL}api/classes/1/samples"
  done
  want 200 '"saved":true' -X POST "${URL}api/train"
  want 200 '"replay":{"trained":true,"top":0' -H 'Content-Type: image/png' --data-binary @"$IMG_A" "${URL}api/predict"
  want 200 '"replay":{"trained":true,"top":1' -H 'Content-Type: image/png' --data-binary @"$IMG_B" "${URL}api/predict"
  [[ -s $T/s.ecls ]] || fail "state file not written"
  # "Download model": the replay learner as one standard .tflite (backbone + head + softmax) and
  # its labels; edgecl's interpreter runs it alone and agrees with /api/predict's top-1 above
  download() { # LEARNER: $T/dl-LEARNER.tflite and .labels.txt, named by Content-Disposition
    local c
    c=$(curl -s -D "$T/hdr" -o "$T/dl-$1.tflite" -w '%{http_code}' "${URL}api/export/$1")
    [[ $c == 200 ]] || fail "export $1 -> $c: $(head -c 300 "$T/dl-$1.tflite")"
    grep -qi "^Content-Disposition: attachment; filename=\"edgecl-$1.tflite\"" "$T/hdr" ||
      fail "export $1: no attachment header: $(cat "$T/hdr")"
    [[ $(head -c 8 "$T/dl-$1.tflite" | tail -c 4) == TFL3 ]] || fail "export $1: not a .tflite"
    c=$(curl -s -o "$T/dl-$1.labels.txt" -w '%{http_code}' "${URL}api/export/$1/labels")
    [[ $c == 200 ]] || fail "export $1 labels -> $c"
    echo "ok: downloaded edgecl-$1.tflite ($(wc -c <"$T/dl-$1.tflite") bytes), labels: $(tr '\n' ' ' <"$T/dl-$1.labels.txt")"
  }
  download replay
  [[ $(cat "$T/dl-replay.labels.txt") == $'a\nb' ]] || fail "labels: $(cat "$T/dl-replay.labels.txt")"
  expect_rc 0 "" "$EDGECL" classify --model "$T/dl-replay.tflite" --labels "$T/dl-replay.labels.txt" --top 1 --json "$IMG_A" "$IMG_B"
  tr -d ' \n' <"$T/out" | grep -q '"top":\[{"index":0,"label":"a".*"top":\[{"index":1,"label":"b"' ||
    fail "the downloaded model's top-1 differs from /api/predict's (a, b): $(cat "$T/out")"
  echo "ok: the downloaded model classifies the photos as the server does"
fi
want 200 '"name":"a"' "${URL}api/state"
# reset is saved like a training round: a restart does not bring the classes back
want 200 '"saved":true' -X POST "${URL}api/reset"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}"; rc=$?
[[ $rc == 0 ]] || fail "server exit code $rc after SIGTERM"
start --state "$T/s.ecls"
want 200 '"classes":\[\],' "${URL}api/state"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}"; rc=$?
[[ $rc == 0 ]] || fail "server exit code $rc after SIGTERM"

# A state written by `edgecl learn` is served (issue 12): its class names, its one learner;
# deleting what it learned elsewhere is refused; the server saves a container in its place.
if [[ -f $IMG_A && -f $IMG_B ]]; then
  mkdir -p "$T/photos/coffee" "$T/photos/cat"
  cp "$IMG_A" "$T/photos/coffee/"; cp "$IMG_B" "$T/photos/cat/"
  expect_rc 0 "" "$EDGECL" extract --model "$MODEL" --quiet --out "$T/f.ecf" "$T/photos"
  expect_rc 0 "" "$EDGECL" learn --state "$T/cli.ecls" --features "$T/f.ecf" --learner ncm
  start --state "$T/cli.ecls"
  want 200 '"learner_order":\["ncm"\]' "${URL}api/state"
  want 200 '"name":"cat"' "${URL}api/state"
  want 200 '"foreign":true' "${URL}api/state"
  want 200 '"ncm":{"trained":true,"top":1' -H 'Content-Type: image/png' --data-binary @"$IMG_A" "${URL}api/predict"
  want 409 'edgecl learn' -X DELETE "${URL}api/classes/0"
  download ncm
  [[ $(cat "$T/dl-ncm.labels.txt") == $'coffee\ncat' || $(cat "$T/dl-ncm.labels.txt") == $'cat\ncoffee' ]] ||
    fail "ncm labels: $(cat "$T/dl-ncm.labels.txt")"
  expect_rc 0 "" "$EDGECL" classify --model "$T/dl-ncm.tflite" --top 1 --json "$IMG_A"
  tr -d ' \n' <"$T/out" | grep -q '"top":\[{"index":1,' ||
    fail "the downloaded NCM model's top-1 differs from /api/predict's (1): $(cat "$T/out")"
  want 200 '"saved":true' -X POST "${URL}api/reset"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}"
  [[ $(head -c 4 "$T/cli.ecls") == ECLD ]] || fail "the server did not save a container"
  # the CLI reads the container the server wrote (version 2, the one statefile.c reader)
  expect_rc 0 "web demo state with ncm" "$EDGECL" info --state "$T/cli.ecls"
  echo "ok: a state from edgecl learn served, saved as a container"

  # ... and `edgecl learn --learner replay` teaches that container (issue 12 item 4): the
  # server trained classes coffee and cat on 2 kept samples; the CLI adds a class "tea"; the
  # server then serves 3 classes, the samples kept, the foreign flag set
  start --state "$T/d.ecls"
  want 200 '"id":0' -H 'Content-Type: application/json' -d '{"name":"coffee"}' "${URL}api/classes"
  want 200 '"id":1' -H 'Content-Type: application/json' -d '{"name":"cat"}' "${URL}api/classes"
  want 200 '"pending":' -H 'Content-Type: image/png' --data-binary @"$IMG_A" "${URL}api/classes/0/samples"
  want 200 '"pending":' -H 'Content-Type: image/png' --data-binary @"$IMG_B" "${URL}api/classes/1/samples"
  want 200 '"saved":true' -X POST "${URL}api/train"
  expect_rc 3 "in use" "$EDGECL" learn --state "$T/d.ecls" --features "$T/f.ecf" --learner replay
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}"
  mkdir -p "$T/photos/tea"; cp "$(dirname "$0")/../data/golden/astronaut.png" "$T/photos/tea/"
  expect_rc 0 "" "$EDGECL" extract --model "$MODEL" --quiet --out "$T/g.ecf" "$T/photos"
  expect_rc 0 "updated the replay learner of the demo state" \
    "$EDGECL" learn --state "$T/d.ecls" --features "$T/g.ecf" --learner replay
  start --state "$T/d.ecls"
  want 200 '"name":"tea","trained":1,' "${URL}api/state"
  want 200 '"name":"coffee","trained":2,' "${URL}api/state"
  want 200 '"foreign":true' "${URL}api/state"
  want 200 '"samples":2,' "${URL}api/state"
  want 200 '"replay":{"trained":true,"top":2' -H 'Content-Type: image/png' \
    --data-binary @"$(dirname "$0")/../data/golden/astronaut.png" "${URL}api/predict"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}"
  echo "ok: edgecl learn taught the demo's container, the server serves it"
fi
echo PASS
