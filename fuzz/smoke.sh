#!/usr/bin/env bash
# CI smoke run of the fuzzers: builds every target and runs each for a few
# seconds on the committed seeds (fuzz/seeds) plus the repository's test
# files (fuzz/seed.sh). Exits non-zero when a target crashes, times out or
# runs out of memory; the input is left in fuzz/artifacts/<target>/.
#
#   fuzz/smoke.sh            # 10 s per target
#   SECONDS_PER_TARGET=60 fuzz/smoke.sh
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs
# cargo-fuzz when it is missing.
set -euo pipefail
cd "$(dirname "$0")"
per_target="${SECONDS_PER_TARGET:-10}"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "smoke.sh: needs the nightly toolchain: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

targets=$(cargo +nightly fuzz list)
start=$(date +%s)
cargo +nightly fuzz build
echo "smoke.sh: built in $(( $(date +%s) - start )) s"

./seed.sh
status=0
for target in $targets; do
    dict=dict/json.dict
    case "$target" in rules | template) dict=dict/rules.dict ;; esac
    echo "smoke.sh: $target for ${per_target} s"
    if ! cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$per_target" -rss_limit_mb=2048 -timeout=10 \
        -dict="$dict" -print_final_stats=1 2>"smoke-$target.log"; then
        echo "smoke.sh: $target FAILED; the input is in fuzz/artifacts/$target/" >&2
        grep -E "panicked|ERROR: libFuzzer|SUMMARY" "smoke-$target.log" >&2 || true
        status=1
    fi
    grep -E "stat::number_of_executed_units" "smoke-$target.log" || true
done
echo "smoke.sh: done in $(( $(date +%s) - start )) s"
exit $status
