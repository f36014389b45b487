#!/usr/bin/env bash
# Installs a released rcaudit binary for this runner and puts it on the
# PATH of the following steps. action.yml runs it; it also works by hand:
#
#   RCAUDIT_VERSION=v0.1.0 dist/install.sh [DIR]
#
# The archive's SHA-256 is checked against the checksum file published
# beside it before anything is unpacked; a mismatch stops the install.
#
# Environment:
#   RCAUDIT_VERSION      the release tag (required), like v0.1.0
#   RCAUDIT_RELEASES     where releases live [default:
#                        https://github.com/rcaudit/rcaudit/releases/download];
#                        a file:// URL works, for tests and mirrors
#   RUNNER_OS, RUNNER_ARCH   set by GitHub Actions; otherwise read from uname
#   GITHUB_PATH          set by GitHub Actions: the install folder is added
set -euo pipefail

version=${RCAUDIT_VERSION:?set RCAUDIT_VERSION to a release tag, like v0.1.0}
case "$version" in
  v[0-9]*) ;;
  *) echo "install.sh: RCAUDIT_VERSION must be a release tag like v0.1.0, not '$version'" >&2; exit 2 ;;
esac
releases=${RCAUDIT_RELEASES:-https://github.com/rcaudit/rcaudit/releases/download}

os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case "$os/$arch" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  Windows/X64 | MINGW*/x86_64 | MSYS*/x86_64) target=x86_64-pc-windows-msvc ;;
  *) echo "install.sh: no rcaudit release is built for $os/$arch; build it with cargo install --locked --path crates/rcaudit-cli" >&2; exit 2 ;;
esac

name="rcaudit-$version-$target"
case "$target" in
  *windows*) archive="$name.zip" exe=rcaudit.exe ;;
  *) archive="$name.tar.gz" exe=rcaudit ;;
esac

dir=${1:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rcaudit-$version}
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {
  curl --proto '=https,file' --tlsv1.2 --fail --silent --show-error --location \
    --retry 3 --output "$2" "$1"
}
fetch "$releases/$version/$archive" "$work/$archive"
fetch "$releases/$version/$archive.sha256" "$work/$archive.sha256"

expected=$(awk 'NR == 1 { print $1 }' "$work/$archive.sha256")
if command -v sha256sum >/dev/null; then actual=$(sha256sum "$work/$archive" | awk '{ print $1 }')
else actual=$(shasum -a 256 "$work/$archive" | awk '{ print $1 }'); fi
if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
  echo "install.sh: checksum mismatch for $archive: expected '$expected', got '$actual'; nothing installed" >&2
  exit 1
fi

case "$archive" in
  *.zip)
    if command -v unzip >/dev/null; then unzip -q "$work/$archive" -d "$work"
    else 7z x -bd -o"$work" "$work/$archive" >/dev/null; fi
    ;;
  *) tar -xzf "$work/$archive" -C "$work" ;;
esac
install -m 755 "$work/$name/$exe" "$dir/$exe"
"$dir/$exe" --version
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$dir" >>"$GITHUB_PATH"
fi
echo "installed $dir/$exe"
