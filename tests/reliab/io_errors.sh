#!/usr/bin/env bash
# tests/reliab/io_errors.sh EDGECL - the real cause of every I/O failure, and temp files of
# killed saves (issue 13, findings 4 and 5: disk full, read-only file system and permission
# denied all printed "cannot save state: I/O error"; out of memory in extract printed "cannot
# read (value out of supported range)"; temp files of killed saves piled up and, on a nearly
# full disk, made every later save fail).
#  - stale temps: a 700 KB "<S>.tmp.<dead pid>" on a 1 MiB tmpfs, a save needing ~430 KB: the
#    stale file is removed before writing, so the save succeeds (today: ENOSPC, file stays);
#    30 of them are all gone after one save, a live writer's is kept;
#  - disk full (tmpfs filled up): "No space left on device", the bytes needed and free, exit 1,
#    old state byte-identical, no temp file;
#  - read-only file system (tmpfs remounted ro): "Read-only file system";
#  - permission denied (run as nobody in a root-owned directory): "Permission denied";
#  - out of memory (tests/backcli/failmalloc.c fails the malloc of a file's size): info and
#    learn reading the state, extract reading the model and the image: "out of memory".
# The mount and nobody parts need root, the OOM part the shim ($ECL_FAILMALLOC) and
# $ECL_MKMODEL; missing parts are reported as SKIP; exit 77 if every part was skipped.
set -u
EDGECL=${1:?usage: $0 path/to/edgecl}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/ecl_ioerr_XXXXXX)
M=$T/mnt
cleanup() {
    mountpoint -q "$M" 2>/dev/null && umount "$M"
    rm -rf "$T"
}
trap cleanup EXIT
fails=0 ran=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
ok() { echo "ok: $*"; }
skip() { echo "SKIP: $*"; }

# a pid that no longer exists
dead_pid() {
    (exit 0) &
    local p=$!
    wait $p
    echo $p
}

"$EDGECL" gen-gauss --out "$T/small.csv" --classes 2 --dim 64 --n 5 >/dev/null || exit 1
"$EDGECL" gen-gauss --out "$T/big.csv" --classes 4 --dim 64 --n 250 --seed 2 >/dev/null || exit 1
chmod 644 "$T/small.csv" "$T/big.csv"
chmod 755 "$T"

# 30 stale temps are all removed by one save; a live writer's temp is kept (no root needed)
ran=$((ran + 1))
S=$T/s.ecls
"$EDGECL" learn --state "$S" --features "$T/small.csv" >/dev/null 2>&1 || fail "first learn"
for i in $(seq 30); do head -c 100000 /dev/zero >"$S.tmp.$(dead_pid)"; done
sleep 300 &
live=$!
echo partial >"$S.tmp.$live"
"$EDGECL" learn --state "$S" --features "$T/small.csv" >/dev/null 2>&1 || fail "learn with stale temps"
left=$(ls "$S".tmp.* 2>/dev/null | wc -l)
if [ "$left" -eq 1 ] && [ -e "$S.tmp.$live" ]; then ok "30 stale temp files removed, the live writer's kept"
else fail "stale temps: $left left: $(ls "$S".tmp.* 2>/dev/null | tr '\n' ' ')"; fi
kill $live
wait $live 2>/dev/null
rm -f "$S.tmp.$live"

if [ "$(id -u)" -ne 0 ] || ! mkdir -p "$M" || ! mount -t tmpfs -o size=1m tmpfs "$M" 2>/dev/null; then
    skip "tmpfs tests (need root to mount a tmpfs)"
else
    ran=$((ran + 1))
    # nearly full disk: the stale temp's space is what the save needs
    "$EDGECL" learn --state "$M/s.ecls" --features "$T/small.csv" --buffer 1500 >/dev/null 2>&1 ||
        fail "tmpfs: first learn"
    stale="$M/s.ecls.tmp.$(dead_pid)"
    head -c 700000 /dev/zero >"$stale"
    free=$(df -k "$M" | awk 'NR == 2 { print $4 }')
    if "$EDGECL" learn --state "$M/s.ecls" --features "$T/big.csv" >"$T/out" 2>"$T/err"; then
        if [ -e "$stale" ]; then fail "nearly full: stale temp still there"
        else ok "nearly full disk (${free} KiB free + a 700 KB stale temp): stale temp removed first, save succeeded"; fi
    else
        fail "nearly full disk: save failed although a stale temp held the space: $(cat "$T/err")"
    fi
    # disk full: reason, bytes, old state kept
    cp "$M/s.ecls" "$T/before.ecls"
    head -c 2000000 /dev/zero >"$M/filler" 2>/dev/null
    "$EDGECL" learn --state "$M/s.ecls" --features "$T/big.csv" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -q "No space left on device: writing .* needs .*, .* were free" "$T/err"; then
        ok "disk full: $(cat "$T/err")"
    else fail "disk full: exit $rc: $(cat "$T/err")"; fi
    cmp -s "$M/s.ecls" "$T/before.ecls" || fail "disk full: state changed"
    ls "$M"/s.ecls.tmp.* >/dev/null 2>&1 && fail "disk full: temp file left"
    rm -f "$M/filler"
    # read-only file system
    mount -o remount,ro "$M"
    "$EDGECL" learn --state "$M/s.ecls" --features "$T/big.csv" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -q "Read-only file system" "$T/err"; then ok "read-only: $(cat "$T/err")"
    else fail "read-only file system: exit $rc: $(cat "$T/err")"; fi
    "$EDGECL" info --state "$M/s.ecls" >/dev/null 2>&1 || fail "read-only: state unreadable"
    umount "$M"
fi

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
    skip "permission test (needs root and setpriv to run as nobody)"
else
    ran=$((ran + 1))
    D=$T/rootdir
    mkdir -p "$D" && chmod 755 "$D"
    cp "$S" "$D/s.ecls" && chmod 644 "$D/s.ecls"
    touch "$D/s.ecls.lock" && chmod 666 "$D/s.ecls.lock" # the lock is not the point here
    setpriv --reuid=65534 --regid=65534 --clear-groups "$EDGECL" learn --state "$D/s.ecls" \
        --features "$T/big.csv" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -q "cannot create .*s.ecls.tmp.[0-9]*: Permission denied" "$T/err"; then
        ok "permission denied: $(cat "$T/err")"
    else fail "permission denied: exit $rc: $(cat "$T/err")"; fi
fi

if [ -z "${ECL_FAILMALLOC:-}" ] || [ ! -f "$ECL_FAILMALLOC" ]; then
    skip "out-of-memory tests (no failmalloc shim in this build)"
else
    ran=$((ran + 1))
    sz=$(stat -c %s "$S")
    for cmd in info learn; do
        extra=()
        [ $cmd = learn ] && extra=(--features "$T/small.csv")
        env LD_PRELOAD="$ECL_FAILMALLOC" ECL_FAILMALLOC_SIZE=$sz "$EDGECL" $cmd --state "$S" \
            "${extra[@]}" >"$T/out" 2>"$T/err"
        rc=$?
        if [ $rc -eq 1 ] && grep -q "out of memory" "$T/err"; then ok "$cmd, state read out of memory: $(cat "$T/err")"
        else fail "$cmd, out of memory reading the state: exit $rc: $(cat "$T/err")"; fi
    done
    if [ -n "${ECL_MKMODEL:-}" ] && [ -x "$ECL_MKMODEL" ]; then
        "$ECL_MKMODEL" wide-fc "$T/w.tflite" 37 || fail "mkmodel"
        img=$SRC/tests/data/golden/chelsea.png
        for f in "$T/w.tflite" "$img"; do
            env LD_PRELOAD="$ECL_FAILMALLOC" ECL_FAILMALLOC_SIZE=$(stat -c %s "$f") "$EDGECL" extract \
                --quiet --model "$T/w.tflite" --cut output --out "$T/x.ecf" "$img" >"$T/out" 2>"$T/err"
            rc=$?
            if [ $rc -eq 1 ] && grep -q "$(basename "$f"): cannot read (out of memory)" "$T/err"; then
                ok "extract, out of memory reading $(basename "$f"): $(head -1 "$T/err")"
            else fail "extract, out of memory reading $(basename "$f"): exit $rc: $(cat "$T/err")"; fi
        done
    else
        skip "extract out-of-memory test (ECL_MKMODEL not set)"
    fi
fi

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
[ $ran -gt 1 ] || exit 77
echo "all passed"
