#!/usr/bin/env bash
# Measures the HTML report on the synthetic 100k-distinct-stack profile (see SyntheticProfile in
# Tests/TaskProfTests/HTMLReportTests.swift):
#   - file size of the page;
#   - time to first view in headless Chromium: the page's performance.now() when the first
#     flame graph finished drawing (time since navigation start, so it includes reading and
#     parsing the HTML, JSON.parse, decoding the stacks, building the tree and drawing);
#   - with a release `taskprof` binary (TASKPROF, or .build/release/taskprof), the time of
#     `taskprof report P --html OUT` on the same profile.
#
#   Tests/browser/measure_100k.sh [RUNS]   (SCRATCH=build dir, default .build; OUT=dir; SKIP_BUILD=1)
set -euo pipefail
runs="${1:-5}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="${SCRATCH:-.build}"
out="${OUT:-${TMPDIR:-/tmp}/taskprof-100k}"
mkdir -p "$out"
cd "$root"

echo "measure_100k: building tests ($scratch)" >&2
if [ "${SKIP_BUILD:-0}" = 1 ]; then
  echo "measure_100k: SKIP_BUILD=1, using the tests as last built" >&2
elif ! swift build --scratch-path "$scratch" --build-tests >"$out/build.log" 2>&1; then
  echo "measure_100k: the test build failed:" >&2
  grep -E "error" "$out/build.log" | head -n 10 >&2
  exit 1
fi
echo "measure_100k: generating the synthetic profile and its page" >&2
TASKPROF_HTML_100K_OUT="$out/stacks100k.html" TASKPROF_PROFILE_100K_OUT="$out/stacks100k.taskprof" \
  swift test --scratch-path "$scratch" --skip-build --filter HTMLReportTests.testHundredThousandStacksStayUnder15MB \
  2>&1 | grep -E "^HTMLReport:|error|failed" >&2 || true
[ -s "$out/stacks100k.html" ] || { echo "measure_100k: no page was written" >&2; exit 1; }

for _ in $(seq 1 "$runs"); do
  "$root/Tests/browser/check_report.sh" --json "$out/stacks100k.html"
done >"$out/results.jsonl"

cli="${TASKPROF:-$root/.build/release/taskprof}"
cli_times=""
if [ -x "$cli" ]; then
  for _ in 1 2 3; do
    s=$(date +%s.%N)
    "$cli" report "$out/stacks100k.taskprof" --html "$out/cli.html"
    e=$(date +%s.%N)
    cli_times="$cli_times $(python3 -c "print(round(($e - $s) * 1000))")"
  done
fi

python3 - "$out" "$cli_times" <<'PY'
import json, os, statistics, sys
out, cli = sys.argv[1], sys.argv[2].split()
rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.strip()]
size = os.path.getsize(os.path.join(out, "stacks100k.html"))
print("file: %d bytes (%.2f MiB), %d stacks, %d trie nodes, %d frames"
      % (size, size / 1048576, rows[0]["stacks"], rows[0]["trieNodes"], rows[0]["frames"]))
print("runs: %d" % len(rows))
for k in ["scriptStartMs", "parseMs", "decodeMs", "treeMs", "drawMs", "firstViewMs", "readyMs"]:
    v = [r[k] for r in rows]
    print("%-14s median %7.1f  min %7.1f  max %7.1f" % (k, statistics.median(v), min(v), max(v)))
if cli:
    print("taskprof report --html (ms): " + ", ".join(cli))
PY
