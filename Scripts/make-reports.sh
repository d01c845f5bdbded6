#!/usr/bin/env bash
# `make reports`: records every example under taskprof and regenerates Reports/<example>/
# (the summary, the HTML report, a screenshot: what a reader looks at) and Reports/README.md.
# Folded stacks and JSON are one `taskprof report` away and are not kept. A file whose new
# version differs only in what changes every run (times, pids, pixels) is still rewritten, so
# commit regenerated reports with the change that made them differ, not on their own.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release
TP=$BIN/taskprof
OUT=Reports
shot() {  # html png
  if command -v chromium >/dev/null; then
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000 \
      --virtual-time-budget=4000 --screenshot="$2" "file://$PWD/$1" >/dev/null 2>&1 || true
  fi
}
record() {  # name, then the command line
  local name=$1; shift
  local dir=$OUT/$name
  mkdir -p "$dir"
  "$TP" record -o "$dir/$name.taskprof" --html "$dir/$name.html" -- "$@" > /dev/null 2> "$dir/summary.txt" || true
  shot "$dir/$name.html" "$dir/$name.png"
  rm -f "$dir/$name.taskprof"   # profiles are binary and machine-specific; the reports are the record
  echo "- [$name]($name/) — \`taskprof record -- $(basename "$1") ${*:2}\`: [summary]($name/summary.txt), [HTML]($name/$name.html)" >> "$OUT/README.md.new"
  [ -f "$dir/$name.png" ] && echo "  ![$name]($name/$name.png)" >> "$OUT/README.md.new"
  return 0
}
{
  echo "# Reports"
  echo
  echo "What the current taskprof makes of each example (regenerate with \`make reports\`)."
  echo "See [Examples/README.md](../Examples/README.md) for what each example gets wrong."
  echo "Benchmarks: [benchmarks.md](benchmarks.md). HTML performance: [html-performance.md](html-performance.md)."
  echo
} > "$OUT/README.md.new"
record TwoTasks $BIN/TwoTasks
[ -x $BIN/LongPoll ] && record LongPoll $BIN/LongPoll
[ -x $BIN/StarvedPool ] && record StarvedPool $BIN/StarvedPool starved
[ -x $BIN/HiddenCPU ] && record HiddenCPU $BIN/HiddenCPU
[ -x $BIN/HiddenCPU ] && record HiddenCPU-fixed $BIN/HiddenCPU fixed
[ -x $BIN/BlockingCalls ] && record BlockingCalls $BIN/BlockingCalls
[ -x $BIN/ActorBottleneck ] && record ActorBottleneck $BIN/ActorBottleneck
[ -x $BIN/NIOStall ] && record NIOStall $BIN/NIOStall
[ -x $BIN/CustomExecutor ] && record CustomExecutor $BIN/CustomExecutor
[ -x $BIN/AsyncChain ] && record AsyncChain $BIN/AsyncChain
[ -x $BIN/StuckTasks ] && record StuckTasks $BIN/StuckTasks group
mv "$OUT/README.md.new" "$OUT/README.md"
echo "reports written to $OUT/"
