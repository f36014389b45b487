#!/usr/bin/env bash
# Packs a built rcaudit binary into a release archive and its checksum file:
#
#   dist/package.sh TARGET VERSION BINARY OUTDIR
#
# writes OUTDIR/rcaudit-VERSION-TARGET.tar.gz (.zip for Windows targets)
# holding the binary, the README, the licences, the man page and shell
# completions, and OUTDIR/rcaudit-VERSION-TARGET.tar.gz.sha256 in
# `sha256sum` format. The release workflow runs it for each target;
# dist/install.sh (used by action.yml) reads what it writes.
set -euo pipefail

if [ "$#" -ne 4 ]; then
  echo "usage: $0 TARGET VERSION BINARY OUTDIR" >&2
  exit 2
fi
target=$1 version=$2 binary=$3 outdir=$4
case "$version" in
  v[0-9]*) ;;
  *) echo "package.sh: VERSION must look like v1.2.3, not '$version'" >&2; exit 2 ;;
esac
[ -f "$binary" ] || { echo "package.sh: no binary at $binary" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
name="rcaudit-$version-$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/$name" "$outdir"
outdir=$(cd "$outdir" && pwd)

exe=rcaudit
case "$target" in *windows*) exe=rcaudit.exe ;; esac
cp "$binary" "$work/$name/$exe"
chmod 755 "$work/$name/$exe"
for file in README.md LICENSE-MIT LICENSE-APACHE; do
  cp "$root/$file" "$work/$name/"
done

# The man page and completions come from the binary itself, when it runs
# here (not when cross-compiled for another architecture).
if "$work/$name/$exe" --version >/dev/null 2>&1; then
  mkdir -p "$work/$name/completions"
  "$work/$name/$exe" man >"$work/$name/rcaudit.1"
  for shell in bash zsh fish powershell elvish; do
    "$work/$name/$exe" completions "$shell" >"$work/$name/completions/rcaudit.$shell"
  done
fi

cd "$work"
case "$target" in
  *windows*)
    archive="$name.zip"
    if command -v 7z >/dev/null; then 7z a -tzip -bd "$archive" "$name" >/dev/null
    else zip -qr "$archive" "$name"; fi
    ;;
  *)
    archive="$name.tar.gz"
    # Reproducible: fixed order, owner and times.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='1970-01-01' \
      -czf "$archive" "$name" 2>/dev/null \
      || tar -czf "$archive" "$name"
    ;;
esac
if command -v sha256sum >/dev/null; then sum=$(sha256sum "$archive")
else sum=$(shasum -a 256 "$archive"); fi
mv "$archive" "$outdir/"
echo "${sum%% *}  $archive" >"$outdir/$archive.sha256"
echo "$outdir/$archive"
