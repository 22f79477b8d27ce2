#!/usr/bin/env bash
# The web demo's state container (tools/common/statefile.h, the reader the demo server uses; layout in docs/demo.md) is read by
# info and predict, which choose a learner with --learner; learn refuses to write it (the
# container stays byte-identical); a corrupted container is refused with the reason. The
# container is assembled here from two CLI states following the documented layout.
source "$(dirname "$0")/lib.sh" "$1"
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
run_fail "learn does not write a demo state" "web demo's state" "$EDGECL" learn --state "$T/demo.ecls" --features "$T/tr.ecf"
cmp -s "$T/demo.ecls" "$T/before.ecls" || fail "learn changed the demo state"
printf '\x01' | dd of="$T/demo.ecls" bs=1 seek=200 conv=notrunc 2>/dev/null
run_fail "corrupted demo state" "demo state .*CRC" "$EDGECL" info --state "$T/demo.ecls"
finish
