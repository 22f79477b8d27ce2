# Shared helpers for the CLI tests. Usage: source lib.sh "$EDGECL"
set -u
EDGECL=${1:?usage: $0 path/to/edgecl}
[ -x "$EDGECL" ] || { echo "FAIL: $EDGECL is not an executable" >&2; exit 1; }
T=$(mktemp -d /tmp/ecl_cli_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# run_ok DESC cmd...: must exit 0
run_ok() {
    local d=$1; shift
    if "$@" >"$T/out" 2>"$T/err"; then ok "$d"; else
        fail "$d (exit $?): $(tail -3 "$T/err")"; fi
}
# run_fail DESC REGEX cmd...: must exit non-zero (not crash) with stderr matching REGEX
run_fail() {
    local d=$1 re=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ $rc -eq 0 ]; then fail "$d: exited 0"; return; fi
    if [ $rc -ge 128 ]; then fail "$d: crashed (exit $rc): $(tail -3 "$T/err")"; return; fi
    if grep -Eqi -- "$re" "$T/err"; then ok "$d ($(head -1 "$T/err"))"; else
        fail "$d: message does not match /$re/: $(cat "$T/err")"; fi
}
finish() {
    if [ $fails -ne 0 ]; then echo "$fails failure(s)" >&2; exit 1; fi
    echo "all passed"
}
# num FILE REGEX: first number after REGEX in FILE
num() { grep -Eo -- "$2 *[0-9.]+" "$1" | head -1 | grep -Eo '[0-9.]+$'; }
# ge A B: A >= B (floats)
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
