#!/usr/bin/env bash
# tests/reliab/never_unreadable.sh EDGECL - `edgecl learn` never writes a state it cannot read
# back (issue 13, finding 2: a CSV row of 64 values 3e38 was accepted, learn exited 0 and saved
# a file its own loader refused, so every later command refused the state and all earlier
# learning was lost).
#  - values beyond the documented magnitude (1e6, ECL_LEARNER_MAX_ABS) are refused with the
#    CSV line and column / the .ecf record and value, for every learner kind; the existing
#    state stays byte-identical and readable;
#  - the largest accepted values (+-1e6) are learned by every kind and the state reads back;
#  - training that diverges (SGD, lr 10, momentum 0.9 on +-1e6 inputs) is refused before
#    saving: exit 1, "not finite", the old state byte-identical and readable.
set -u
EDGECL=${1:?usage: $0 path/to/edgecl}
T=$(mktemp -d /tmp/ecl_unread_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
ok() { echo "ok: $*"; }

# csv FILE N VALUE [DIM]: N records (labels 0,1,..) of DIM (64) copies of VALUE, plus one
# ordinary row first so that the bad one is on line 2
csv() {
    awk -v n=$2 -v v="$3" -v d=${4:-64} 'BEGIN {
        printf "0"; for (j = 0; j < d; j++) printf ",0.5"; printf "\n"
        for (i = 0; i < n; i++) { printf "%d", i % 2; for (j = 0; j < d; j++) printf ",%s", v; printf "\n" } }' >"$1"
}
# random CSV: N records of DIM values uniform in [-A, A], labels 0..K-1
rcsv() {
    awk -v n=$2 -v a="$3" -v d=64 -v k=4 -v seed=$4 'BEGIN { srand(seed)
        for (i = 0; i < n; i++) { printf "%d", i % k; for (j = 0; j < d; j++) printf ",%.9g", (2 * rand() - 1) * a; printf "\n" } }' >"$1"
}

"$EDGECL" gen-gauss --out "$T/base.csv" --classes 4 --dim 64 --n 20 >/dev/null || exit 1
for L in replay naive slda ncm; do
    S="$T/$L.ecls"
    "$EDGECL" learn --state "$S" --features "$T/base.csv" --learner $L >/dev/null 2>&1 ||
        fail "$L: first learn"
    cp "$S" "$T/before.ecls"
    for v in 3e38 1e38 1e23 -2e6 1e39; do
        csv "$T/big.csv" 4 $v
        "$EDGECL" learn --state "$S" --features "$T/big.csv" >"$T/out" 2>"$T/err"
        rc=$?
        if [ $rc -eq 0 ]; then
            fail "$L: a row of 64 values $v was accepted"
        elif grep -Eq "big.csv:2: column 2 \(value 1\) is $v, beyond the supported magnitude" "$T/err"; then
            ok "$L: $v refused: $(cat "$T/err")"
        else
            fail "$L: $v: exit $rc, unexpected message: $(cat "$T/err")"
        fi
        cmp -s "$S" "$T/before.ecls" || fail "$L: state changed by a refused run"
    done
    "$EDGECL" info --state "$S" >/dev/null 2>"$T/err" || fail "$L: state unreadable: $(cat "$T/err")"
    # the largest accepted magnitude, learned several times: must stay readable
    for seed in 1 2 3; do
        rcsv "$T/edge.csv" 200 1e6 $seed
        "$EDGECL" learn --state "$S" --features "$T/edge.csv" >"$T/out" 2>"$T/err"
        rc=$?
        if [ $rc -ne 0 ] && ! grep -q "not finite" "$T/err"; then
            fail "$L: +-1e6 inputs: exit $rc: $(cat "$T/err")"
        fi
        "$EDGECL" info --state "$S" >/dev/null 2>"$T/err" ||
            fail "$L: state unreadable after +-1e6 inputs (exit $rc): $(cat "$T/err")"
    done
    ok "$L: +-1e6 inputs learned 3 times, state still reads back"
done

# .ecf with one value beyond the limit: refused with record and value (file written by hand:
# edgecl itself refuses to write such a file)
python3 - "$T/big.ecf" <<'EOF' || fail "python3 could not write the .ecf"
import struct, sys, zlib
dim, recs = 4, [(0, [0.5, 0.5, 0.5, 0.5]), (1, [0.5, 0.5, 3e38, 0.5])]
b = b"ECLF" + struct.pack("<IIII", 1, dim, len(recs), 0)
for y, x in recs:
    b += struct.pack("<i", y) + struct.pack("<%df" % dim, *x)
b += struct.pack("<I", zlib.crc32(b) & 0xffffffff)
open(sys.argv[1], "wb").write(b)
EOF
"$EDGECL" learn --state "$T/ecf.ecls" --features "$T/big.ecf" >"$T/out" 2>"$T/err"
if [ $? -ne 0 ] && grep -q "record 1, value 3 is 3e+38, beyond the supported magnitude" "$T/err"; then
    ok ".ecf: refused: $(cat "$T/err")"
else
    fail ".ecf with 3e38: $(cat "$T/err")"
fi
[ -e "$T/ecf.ecls" ] && fail ".ecf: a state was created"

# divergence: refused before saving, old state kept
S="$T/sgd.ecls"
# (--epochs 4: the first call must still be finite; learn's few-shot default of up to 100
# epochs already diverges on it at lr 10)
"$EDGECL" learn --state "$S" --features "$T/base.csv" --learner replay --optimizer sgd --lr 10 \
    --momentum 0.9 --epochs 4 >/dev/null 2>&1 || fail "sgd: first learn"
cp "$S" "$T/before.ecls"
rcsv "$T/edge.csv" 200 1e6 9
"$EDGECL" learn --state "$S" --features "$T/edge.csv" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "training produced values that are not finite.*is unchanged" "$T/err"; then
    ok "diverging training refused: $(cat "$T/err")"
else
    fail "diverging training: exit $rc: $(cat "$T/err")"
fi
cmp -s "$S" "$T/before.ecls" || fail "diverged run changed the state"
"$EDGECL" info --state "$S" >/dev/null 2>"$T/err" || fail "state unreadable after divergence: $(cat "$T/err")"
ls "$S".tmp.* >/dev/null 2>&1 && fail "temp file left"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "all passed"
