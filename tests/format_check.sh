#!/usr/bin/env bash
# Fails listing the files that clang-format would change. Fix with:
#   git ls-files '*.c' '*.h' | xargs clang-format -i
# clang-format checks every file given to it in one process (xargs batches them): starting it once
# per file cost ~30 s of the CI run in process start-up alone. Each violation is reported as
# "FILE:LINE:COL: error: code should be clang-formatted"; the files are named from those lines.
cd "$(dirname "$0")/.." || exit 1
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git checkout: skipped"; exit 77; }
files=()
while IFS= read -r -d '' f; do
  [[ -f "$f" ]] && files+=("$f")
done < <(git ls-files -z '*.c' '*.h')
((${#files[@]})) || { echo "no C sources found"; exit 1; }
out=$(printf '%s\0' "${files[@]}" | xargs -0 clang-format --dry-run -Werror 2>&1 >/dev/null)
rc=$?
if ((rc == 0)); then
  echo "all ${#files[@]} C sources clang-format clean"
  exit 0
fi
bad=$(printf '%s\n' "$out" | sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' |
  sort -u)
if [[ -z "$bad" ]]; then # clang-format failed for another reason: say which file, one at a time
  printf '%s\n' "$out" | head -5
  for f in "${files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "not clang-format clean: $f"
  done
  exit 1
fi
while IFS= read -r f; do echo "not clang-format clean: $f"; done <<<"$bad"
exit 1
