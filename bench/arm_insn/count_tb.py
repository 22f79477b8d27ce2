#!/usr/bin/env python3
"""Executed guest instructions from a qemu-user log made with -d in_asm,exec,nochain (stdin):
in_asm gives each translation block's instructions, exec one line per block executed."""
import re
import sys

size = {}  # block start pc -> instructions in it
cur, n, total = None, 0, 0
insn = re.compile(r"^0x([0-9a-f]+):\s")
trace = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
for line in sys.stdin:
    m = insn.match(line)
    if m:
        if cur is None:
            cur, n = int(m.group(1), 16), 0
        n += 1
        continue
    if cur is not None:
        size[cur] = n
        cur = None
    t = trace.match(line)
    if t:
        total += size.get(int(t.group(1), 16), 0)
if cur is not None:
    size[cur] = n
print(total)
