#!/usr/bin/env bash
# The durability half of crash safety, which a SIGKILL test cannot show (the page cache survives
# a killed process; only a power cut loses it): trace the system calls of `edgecl learn` saving
# its state and check the order of ecl_port_save_atomic: open the temp file, write it, fsync it,
# close, rename it over the state, then fsync the directory. Skips (77) without strace.
# usage: fsync_order.sh path/to/edgecl WORKDIR
set -euo pipefail
bin="$1"
work="$2"
command -v strace >/dev/null || { echo "SKIP: strace not installed"; exit 77; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$bin" gen-gauss --out a.ecf --classes 3 --dim 8 --n 20 >/dev/null
# LeakSanitizer cannot run under ptrace: in the sanitizer build, trace without leak checking
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  strace -f -qq -e trace=openat,write,fsync,fdatasync,close,rename,renameat,renameat2 -o trace.txt \
  "$bin" learn --state s.ecls --features a.ecf --learner replay --buffer 20 >/dev/null 2>&1 || {
  # strace may be forbidden (no ptrace in some containers): that is a skip, not a failure
  if grep -q "PTRACE\|Operation not permitted" trace.txt 2>/dev/null || [[ ! -s trace.txt ]]; then
    echo "SKIP: cannot trace here"; exit 77; fi
  cat trace.txt; echo "FAIL: learn under strace"; exit 1; }
python3 - "$work" <<'PY'
import re, sys
lines = [l.split(None, 1)[1] if l[:1].isdigit() else l for l in open("trace.txt").read().splitlines()]
def find(pred, start, what):
    for i in range(start, len(lines)):
        if pred(lines[i]):
            return i
    sys.exit("FAIL: %s not found after line %d:\n%s" % (what, start, "\n".join(lines[start:])))
i = find(lambda l: l.startswith("openat(") and ".ecls.tmp." in l and "O_CREAT" in l, 0, "open temp")
m = re.search(r'"([^"]*s\.ecls\.tmp\.\d+)".*= (\d+)$', lines[i])
tmp, fd = m.group(1), m.group(2)
w = find(lambda l: l.startswith("write(%s," % fd), i, "write temp")
s = find(lambda l: re.match(r"f(data)?sync\(%s\) += 0" % fd, l), w, "fsync temp")
c = find(lambda l: l.startswith("close(%s)" % fd), s, "close temp")
r = find(lambda l: l.startswith("rename") and tmp in l and '"s.ecls"' in l.replace(sys.argv[1] + "/", ""), c,
         "rename temp -> state")
assert lines[r].rstrip().endswith("= 0"), lines[r]
d = find(lambda l: l.startswith("openat(") and "O_DIRECTORY" in l, r, "open directory")
dfd = re.search(r"= (\d+)$", lines[d]).group(1)
find(lambda l: re.match(r"f(data)?sync\(%s\) += 0" % dfd, l), d, "fsync directory")
# nothing writes to the state file itself
assert not any(l.startswith("openat(") and re.search(r'"(.*/)?s\.ecls"', l) and "O_WRONLY" in l for l in lines), \
    "state file opened for writing in place"
print("ok: open temp, write, fsync, close, rename, fsync dir (lines %d..%d of the trace)" % (i, d))
PY
