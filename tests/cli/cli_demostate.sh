#!/usr/bin/env bash
# The web demo's state container (tools/common/statefile.h, the reader the demo server uses;
# layout in docs/demo.md) is read by info and predict, which choose a learner with --learner,
# and taught by learn --learner: that learner learns, the other learners, the kept samples and
# the class table stay (new names become new classes), the foreign flag is set. Refused cases
# leave the file byte-identical; a corrupted container is refused with the reason. A version 1
# container is assembled here by hand from two CLI states following the documented layout,
# version 2 ones by make_container (statefile_write, the demo server's writer).
source "$(dirname "$0")/lib.sh" "$1"
MK=${2:?usage: $0 path/to/edgecl path/to/make_container}
run_ok "gen-gauss" "$EDGECL" gen-gauss --out "$T/tr.ecf" --test "$T/te.ecf" --classes 3 --dim 16 --n 60 --n-test 20 --seed 5
run_ok "learn replay" "$EDGECL" learn -q --state "$T/r.ecls" --features "$T/tr.ecf" --learner replay --max-classes 8
run_ok "learn naive" "$EDGECL" learn -q --state "$T/n.ecls" --features "$T/tr.ecf" --learner naive --max-classes 8
python3 - "$T" <<'PY'
import struct, sys, zlib
T = sys.argv[1]
imgs = [(1, open(T + '/r.ecls', 'rb').read()), (0, open(T + '/n.ecls', 'rb').read())]  # kinds: replay=1, naive=0
names = [b'class0', b'class1', b'class2']
b = b'ECLD' + struct.pack('<5I', 1, 16, 8, len(names), 1)
for n in names:
    b += n.ljust(32, b'\0') + struct.pack('<I', 20)
for k, img in imgs:
    b += struct.pack('<IQ', k, len(img)) + img
open(T + '/demo.ecls', 'wb').write(b + struct.pack('<I', zlib.crc32(b) & 0xffffffff))
PY
run_ok "info on a demo state" "$EDGECL" info --state "$T/demo.ecls"
grep -q "container: .*replay, naive; showing replay" "$T/out" || fail "info does not say it is a container: $(head -3 "$T/out")"
grep -q "learner: *replay" "$T/out" || fail "info: not the replay learner"
run_ok "info --learner naive" "$EDGECL" info --state "$T/demo.ecls" --learner naive
grep -q "learner: *naive" "$T/out" || fail "info --learner naive shows $(grep learner: "$T/out")"
run_fail "info --learner slda (absent)" "holding replay, naive; no learner 'slda'" "$EDGECL" info --state "$T/demo.ecls" --learner slda
for L in replay naive; do
    run_ok "predict --learner $L" "$EDGECL" predict -q --state "$T/demo.ecls" --learner $L --features "$T/te.ecf"
    run_ok "predict plain $L" "$EDGECL" predict -q --state "$T/${L:0:1}.ecls" --features "$T/te.ecf"
done
# the same answers from the container as from the plain state
"$EDGECL" predict --state "$T/demo.ecls" --learner naive --features "$T/te.ecf" >"$T/a.csv" 2>/dev/null
"$EDGECL" predict --state "$T/n.ecls" --features "$T/te.ecf" >"$T/b.csv" 2>/dev/null
diff <(grep -v '^# .* us/sample' "$T/a.csv") <(grep -v '^# .* us/sample' "$T/b.csv") >/dev/null ||
    fail "predict from the container differs from the plain naive state"
cp "$T/demo.ecls" "$T/before.ecls"
run_fail "learn on a demo state needs --learner" "web demo's state .*--learner replay" \
    "$EDGECL" learn --state "$T/demo.ecls" --features "$T/tr.ecf"
cmp -s "$T/demo.ecls" "$T/before.ecls" || fail "learn without --learner changed the demo state"
run_fail "learn --learner slda: not in the container" "no learner 'slda'" \
    "$EDGECL" learn --state "$T/demo.ecls" --features "$T/tr.ecf" --learner slda
cmp -s "$T/demo.ecls" "$T/before.ecls" || fail "learn --learner slda changed the demo state"

# The container's parts, as the documented layout says (checked against what went in).
dump() { # container -> one line per part: head, class, learner (kind + sha1), samples (sha1)
    python3 - "$1" <<'PY'
import hashlib, struct, sys, zlib
b = open(sys.argv[1], 'rb').read()
assert b[:4] == b'ECLD' and zlib.crc32(b[:-4]) & 0xffffffff == struct.unpack_from('<I', b, len(b) - 4)[0]
ver, dim, maxc, nc, rounds = struct.unpack_from('<5I', b, 4); o = 24; flags = 0
if ver >= 2: flags, = struct.unpack_from('<I', b, o); o += 4
print('head', ver, dim, maxc, nc, rounds, flags)
for c in range(nc):
    print('class', c, b[o:o + 32].split(b'\0')[0].decode(), struct.unpack_from('<I', b, o + 32)[0]); o += 36
nl = 2
if ver >= 2: nl, = struct.unpack_from('<I', b, o); o += 4
for i in range(nl):
    k, ln = struct.unpack_from('<IQ', b, o); o += 12
    print('learner', k, hashlib.sha1(b[o:o + ln]).hexdigest()); o += ln
if ver >= 2:
    ns, side = struct.unpack_from('<II', b, o); o += 8
    print('samples', ns, side, hashlib.sha1(b[o:len(b) - 4]).hexdigest())
PY
}
sha() { python3 -c 'import hashlib,sys; print(hashlib.sha1(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }
# labelled CSV: class1 (known) and a new name, 16-d like the states
python3 - "$T" <<'PY'
import random, sys
random.seed(1)
with open(sys.argv[1] + '/more.csv', 'w') as f:
    f.write('# class 0 class1\n# class 1 newcls\n')
    for i in range(40):
        y = i % 2
        f.write(','.join([str(y)] + ['%.4f' % (random.gauss(0, 1) + 4 * y) for _ in range(16)]) + '\n')
PY

# version 1 (hand-made): learn into its naive learner
run_ok "learn --learner naive into a v1 container" \
    "$EDGECL" learn -q --state "$T/demo.ecls" --features "$T/more.csv" --learner naive
grep -q "updated the naive learner of the demo state" "$T/out" || fail "v1: $(cat "$T/out")"
dump "$T/demo.ecls" >"$T/d1"
grep -q "^head 2 16 8 4 1 1$" "$T/d1" || fail "v1 -> not version 2 with 4 classes and the foreign flag: $(head -1 "$T/d1")"
grep -q "^class 1 class1 40$" "$T/d1" || fail "v1: class1 count not 20 + 40/2: $(grep class "$T/d1")"
grep -q "^class 3 newcls 20$" "$T/d1" || fail "v1: the new name is not class 3 with 20: $(grep class "$T/d1")"
grep -q "^learner 1 $(sha "$T/r.ecls")$" "$T/d1" || fail "v1: the replay learner changed"
grep -q "^learner 0 $(sha "$T/n.ecls")$" "$T/d1" && fail "v1: the naive learner did not change"
run_ok "predict --learner naive after learn" "$EDGECL" predict -q --state "$T/demo.ecls" --learner naive --features "$T/more.csv"
grep -q "newcls" "$T/out" || fail "predict does not know the new class: $(head -5 "$T/out")"
run_ok "info --learner naive after learn" "$EDGECL" info --state "$T/demo.ecls" --learner naive
grep -q "samples seen: *220" "$T/out" || fail "naive did not see 180 + 40 samples: $(grep seen "$T/out")"

# version 2 with kept samples (statefile_write): learn into replay; samples and naive unchanged
run_ok "make v2 container" "$MK" "$T/v2.ecls" 8 class0,class1,class2 4 9 "replay=$T/r.ecls" "naive=$T/n.ecls"
dump "$T/v2.ecls" >"$T/e0"
run_ok "learn --learner replay into a v2 container" \
    "$EDGECL" learn -q --state "$T/v2.ecls" --features "$T/more.csv" --learner replay --epochs 7
grep -q "learner options other than --learner are ignored" "$T/err" || fail "v2: no note on --epochs: $(cat "$T/err")"
dump "$T/v2.ecls" >"$T/e1"
grep -q "^head 2 16 8 4 1 1$" "$T/e1" || fail "v2: head $(head -1 "$T/e1")"
grep -q "^class 0 class0 3$" "$T/e1" || fail "v2: class0 count: $(grep class "$T/e1")"
grep -q "^class 1 class1 23$" "$T/e1" || fail "v2: class1 count not 3 + 20: $(grep class "$T/e1")"
grep -q "^class 3 newcls 20$" "$T/e1" || fail "v2: new class: $(grep class "$T/e1")"
[ "$(grep '^samples' "$T/e0")" = "$(grep '^samples' "$T/e1")" ] || fail "v2: the kept samples changed"
grep -q "^samples 9 4 " "$T/e1" || fail "v2: $(grep samples "$T/e1")"
grep -q "^learner 0 $(sha "$T/n.ecls")$" "$T/e1" || fail "v2: the naive learner changed"
grep -q "^learner 1 $(sha "$T/r.ecls")$" "$T/e1" && fail "v2: the replay learner did not change"
run_ok "info --learner replay after learn" "$EDGECL" info --state "$T/v2.ecls" --learner replay
grep -q "3  newcls" "$T/out" || fail "the replay learner does not name class 3: $(grep -A5 classes: "$T/out")"

# refused, file unchanged: the container's class limit; class table and learner disagree
run_ok "make v2 container, limit 3" "$MK" "$T/small.ecls" 3 class0,class1,class2 4 3 "replay=$T/r.ecls"
cp "$T/small.ecls" "$T/before.ecls"
run_fail "new class beyond the container's limit" "at most 3 classes" \
    "$EDGECL" learn -q --state "$T/small.ecls" --features "$T/more.csv" --learner replay
cmp -s "$T/small.ecls" "$T/before.ecls" || fail "a refused learn changed the container"
run_ok "make v2 container, other names" "$MK" "$T/odd.ecls" 8 cat,dog,fox 4 3 "replay=$T/r.ecls"
cp "$T/odd.ecls" "$T/before.ecls"
run_fail "class table and learner disagree" "class 0 is 'cat' in the demo state but 'class0'" \
    "$EDGECL" learn -q --state "$T/odd.ecls" --features "$T/more.csv" --learner replay
cmp -s "$T/odd.ecls" "$T/before.ecls" || fail "a refused learn changed the container"
printf '\x01' | dd of="$T/demo.ecls" bs=1 seek=200 conv=notrunc 2>/dev/null
run_fail "corrupted demo state" "demo state .*CRC" "$EDGECL" info --state "$T/demo.ecls"
finish
