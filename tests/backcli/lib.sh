# Shared helpers for the backbone CLI tests (tests/backcli/*.sh).
# Usage: source lib.sh EDGECL FEATCHECK MODEL   (MODEL absent -> exit 77 = skipped)
set -u
EDGECL=${1:?usage: $0 path/to/edgecl path/to/featcheck path/to/model.tflite}
FEATCHECK=${2:?missing featcheck}
MODEL=${3:?missing model path}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GOLDEN=$SRC/tests/data/golden
[ -x "$EDGECL" ] || { echo "FAIL: $EDGECL is not an executable" >&2; exit 1; }
T=$(mktemp -d /tmp/ecl_backcli_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# tests/backcli/mkmodel (small synthetic models), passed by CTest in $ECL_MKMODEL
MKMODEL=${ECL_MKMODEL:-}
need_mkmodel() {
    if [ -z "$MKMODEL" ] || [ ! -x "$MKMODEL" ]; then echo "SKIP: ECL_MKMODEL not set (run through ctest)"; exit 77; fi
}
# once FILE WORD DESC: WORD occurs exactly once in FILE (an error line names a path once)
once() {
    local n
    n=$(grep -o -- "$2" "$1" | wc -l)
    [ "$n" -eq 1 ] || fail "$3: '$2' appears $n times in: $(cat "$1")"
}
need_model() {
    if [ ! -f "$MODEL" ]; then echo "SKIP: $MODEL not found (run setup.sh)"; exit 77; fi
}
# no_crash_text FILE: no sanitizer report / abort text in FILE
no_crash_text() { ! grep -Eq 'Sanitizer|runtime error|Segmentation|Aborted|core dumped' "$1"; }
# run_ok DESC cmd...: must exit 0 (stdout in $T/out, stderr in $T/err)
run_ok() {
    local d=$1; shift
    if "$@" >"$T/out" 2>"$T/err"; then ok "$d"; else
        fail "$d (exit $?): $(tail -3 "$T/err")"; fi
}
# run_fail DESC REGEX cmd...: must exit 1..127 (not a crash), stderr matching REGEX (case-
# insensitive) in its first non-empty line, at most 2 non-empty lines, no sanitizer report.
run_fail() {
    local d=$1 re=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    local first lines
    first=$(grep -v '^[[:space:]]*$' "$T/err" | head -1)
    lines=$(grep -cv '^[[:space:]]*$' "$T/err")
    if [ $rc -eq 0 ]; then fail "$d: exited 0"; return; fi
    if [ $rc -ge 128 ]; then fail "$d: crashed (exit $rc): $(tail -3 "$T/err")"; return; fi
    if ! no_crash_text "$T/err"; then fail "$d: sanitizer/crash text: $(head -5 "$T/err")"; return; fi
    if [ "$lines" -gt 2 ]; then fail "$d: $lines lines of error output: $(cat "$T/err")"; return; fi
    if grep -Eqi -- "$re" <<<"$first"; then ok "$d (exit $rc: $first)"; else
        fail "$d: message does not match /$re/: $(cat "$T/err")"; fi
}
finish() {
    if [ $fails -ne 0 ]; then echo "$fails failure(s)" >&2; exit 1; fi
    echo "all passed"
}
# photo_tree DIR: class folders animals/{chelsea}, people/{astronaut}, things/{coffee,hubble,
# rocket} of symlinks to the committed photos, plus files extract must ignore.
photo_tree() {
    local d=$1
    mkdir -p "$d/animals" "$d/people" "$d/things" "$d/.hidden"
    ln -s "$GOLDEN/chelsea.png" "$d/animals/chelsea.png"
    ln -s "$GOLDEN/astronaut.png" "$d/people/astronaut.png"
    cp "$GOLDEN/coffee.png" "$d/things/coffee.PNG"
    ln -s "$GOLDEN/hubble.png" "$d/things/hubble.png"
    ln -s "$GOLDEN/rocket.png" "$d/things/rocket.png"
    echo "not an image" >"$d/things/notes.txt"
    echo "loose file" >"$d/README"
    ln -s "$GOLDEN/rocket.png" "$d/.hidden/rocket.png"
}
