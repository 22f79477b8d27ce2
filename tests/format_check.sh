#!/usr/bin/env bash
# Fails listing the files that clang-format would change. Fix with:
#   git ls-files '*.c' '*.h' | xargs clang-format -i
cd "$(dirname "$0")/.." || exit 1
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git checkout: skipped"; exit 77; }
bad=0
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not clang-format clean: $f"
    bad=1
  fi
done < <(git ls-files '*.c' '*.h')
((bad)) && exit 1
echo "all C sources clang-format clean"
