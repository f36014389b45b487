#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ (git-ignored) with seeds: the few committed
# ones in fuzz/seeds/<target>/, plus the repository's own test files and
# examples. Extracting rules, snapshots and messages from YAML needs
# python3 with PyYAML; without it only the copies are made.
set -euo pipefail
cd "$(dirname "$0")"
root=..
corpus=corpus
for t in snapshot rules template fetch_decode; do
    mkdir -p "$corpus/$t"
    cp -f seeds/$t/* "$corpus/$t/" 2>/dev/null || true
done

# Snapshots: fixtures, examples, sandbox data.
for f in "$root"/tests/fixtures/*.json "$root"/examples/*.json \
         "$root"/crates/rcaudit-sandbox/tests/data/*.json; do
    [ -f "$f" ] && cp -f "$f" "$corpus/snapshot/$(basename "$f")"
done
# Rule files: the built-in pack, fixtures (valid and invalid).
for f in "$root"/rules/*/*.yaml "$root"/tests/fixtures/*.yaml \
         "$root"/tests/fixtures/rules/*.yaml "$root"/tests/fixtures/rules-invalid/*.yaml; do
    [ -f "$f" ] && cp -f "$f" "$corpus/rules/$(basename "$(dirname "$f")")-$(basename "$f")"
done

if python3 -c 'import yaml' 2>/dev/null; then
    python3 - "$root" "$corpus" <<'PY'
import glob, json, os, sys, yaml
root, corpus = sys.argv[1], sys.argv[2]
def write(target, name, text):
    with open(os.path.join(corpus, target, name), "w", encoding="utf-8") as f:
        f.write(text)
def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except Exception:
        return None
n = 0
for path in sorted(glob.glob(f"{root}/rules/*/*.yaml") + glob.glob(f"{root}/tests/cases/*.yaml")):
    doc = load(path)
    if not isinstance(doc, dict):
        continue
    base = os.path.basename(path)[:-5]
    # Messages (and `at` templates) for the template target.
    for i, rule in enumerate(doc.get("rules") or []):
        if isinstance(rule, dict):
            for field in ("message", "at"):
                if isinstance(rule.get(field), str):
                    write("template", f"{base}-{i}-{field}", rule[field])
    # Case snapshots as JSON; inline rule files as YAML.
    cases = list(doc.get("cases") or [])
    for rule in doc.get("rules") or []:
        if isinstance(rule, dict):
            cases += rule.get("cases") or []
    for i, case in enumerate(cases):
        if not isinstance(case, dict):
            continue
        if isinstance(case.get("snapshot"), dict):
            snap = {"snapshotVersion": 1, **case["snapshot"]}
            write("snapshot", f"case-{base}-{i}.json", json.dumps(snap, indent=1, default=str))
            # ... and as journal lines for the fetch decoder.
            lines = [json.dumps({"put": k, "value": v}, default=str)
                     for k, v in case["snapshot"].items() if k in ("account", "phoneNumbers", "extensions")]
            for ext in case["snapshot"].get("extensions") or []:
                if isinstance(ext, dict) and "id" in ext:
                    for field in ("phoneNumbers", "forwardingNumbers"):
                        if isinstance(ext.get(field), list):
                            lines.append(json.dumps({"put": f"ext:{ext['id']}:{field}", "value": ext[field]}, default=str))
            if lines:
                write("fetch_decode", f"journal-{base}-{i}.jsonl", "\n".join(lines) + "\n")
        if isinstance(case.get("rules"), dict):
            write("rules", f"case-{base}-{i}.yaml", yaml.safe_dump(case["rules"], sort_keys=False))
PY
fi
for t in snapshot rules template fetch_decode; do
    echo "$t: $(ls "$corpus/$t" | wc -l) seeds"
done
