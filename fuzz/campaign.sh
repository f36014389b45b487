#!/usr/bin/env bash
# One campaign run of one target, as recorded in RELIABILITY.md:
#   fuzz/campaign.sh TARGET SECONDS
#   NOBUILD=1 fuzz/campaign.sh TARGET SECONDS   # after `cargo +nightly fuzz build`
# Log in fuzz/logs/TARGET-SECONDS.log (git-ignored); crashes in
# fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"
target=$1
seconds=$2
dict=dict/json.dict
case "$target" in rules | template) dict=dict/rules.dict ;; esac
mkdir -p logs "corpus/$target"
start=$(date +%s)
flags=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -dict="$dict" -print_final_stats=1)
set +e
if [ -n "${NOBUILD:-}" ]; then
    # The binary `cargo fuzz build` left, without the rebuild `cargo fuzz
    # run` does whenever a crate changed (the same flags as it passes).
    mkdir -p "artifacts/$target"
    nice -n 10 "target/x86_64-unknown-linux-gnu/release/$target" -artifact_prefix="artifacts/$target/" \
        "${flags[@]}" "corpus/$target" >"logs/$target-$seconds.log" 2>&1
else
    nice -n 10 cargo +nightly fuzz run "$target" "corpus/$target" -- "${flags[@]}" >"logs/$target-$seconds.log" 2>&1
fi
rc=$?
set -e
echo "$target: exit $rc after $(( $(date +%s) - start )) s"
grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|^(==|SUMMARY|thread).*" "logs/$target-$seconds.log" | head -20
exit $rc
