#!/usr/bin/env bash
# Checks a taskprof HTML report in headless Chromium.
#
#   Tests/browser/check_report.sh REPORT.html [--screenshot OUT.png] [--budget MS] [--quiet] [--json] [--physical]
#   Tests/browser/check_report.sh DIFF.html --diff [--screenshot OUT.png] [--quiet]
#
# Loads the report with `#selftest`, which makes the page scope the flame graph to the first
# task, exercise search, zoom, the caller/callee view and the other scopes, and write a JSON
# result into <pre id="selftest-result">. Fails (exit 1) unless that result says ok, lists no
# errors and shows that the task scope changed the flame graph. Prints the result's timing
# figures (firstViewMs: performance.now() when the first flame graph finished drawing).
# --json prints only the self-test result (one JSON line) on success, for scripts.
# --physical runs the self-test in the physical-stack view (`#selftest,physical`): it then also
# fails if any async frame is left in the flame graph.
#
# --stuck N also fails unless the page shows N stuck tasks, with every live task in its tree.
#
# --diff checks a page of `taskprof diff --html` instead: its self-test draws both sides' flame
# graphs, every scope, a tooltip and a zoom; it fails on any error or an empty view.
#
# Needs chromium (or $CHROMIUM) and python3 (standard library only, for the JSON).
set -euo pipefail

usage() { echo "usage: $0 REPORT.html [--diff] [--screenshot OUT.png] [--budget MS] [--quiet] [--json] [--physical] [--stuck N]" >&2; exit 2; }

report="" shot="" budget=15000 quiet=0 json=0 hash="selftest" page="report" stuck=""

while [ $# -gt 0 ]; do
  case "$1" in
    --screenshot) [ $# -ge 2 ] || usage; shot="$2"; shift 2 ;;
    --screenshot=*) shot="${1#*=}"; shift ;;
    --budget) [ $# -ge 2 ] || usage; budget="$2"; shift 2 ;;
    --quiet) quiet=1; shift ;;
    --json) json=1; quiet=1; shift ;;
    --physical) hash="selftest,physical"; shift ;;
    --diff) page="diff"; shift ;;
    --stuck) [ $# -ge 2 ] || usage; stuck="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "check_report: unknown option $1" >&2; usage ;;
    *) [ -z "$report" ] || usage; report="$1"; shift ;;
  esac
done
[ -n "$report" ] || usage
[ -f "$report" ] || { echo "check_report: FAIL: no such file: $report" >&2; exit 1; }

chromium="${CHROMIUM:-}"
if [ -z "$chromium" ]; then
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chromium="$c"; break; fi
  done
fi
[ -n "$chromium" ] || { echo "check_report: FAIL: chromium not found (set CHROMIUM)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "check_report: FAIL: python3 not found" >&2; exit 1; }

abs="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
# Percent-encode what a file URL cannot hold as is.
url="file://$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$abs")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(--headless=new --no-sandbox --disable-gpu --no-first-run --no-default-browser-check
       --disable-extensions --disable-background-networking --user-data-dir="$work/profile")

# The virtual-time budget lets the page's load, timers and self-test finish before the dump;
# performance.now() still measures real time, so the page's timings stay meaningful.
if ! timeout 120 "$chromium" "${flags[@]}" --virtual-time-budget="$budget" --dump-dom "$url#$hash" \
     >"$work/dom.html" 2>"$work/chromium.log"; then
  echo "check_report: FAIL: chromium did not load the page; its log:" >&2
  tail -n 20 "$work/chromium.log" >&2
  exit 1
fi

python3 - "$work/dom.html" "$quiet" "$json" "$page" "$stuck" <<'PY'
import html, json, re, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
dom = open(sys.argv[1], encoding="utf-8", errors="replace").read()
quiet = sys.argv[2] == "1"
as_json = sys.argv[3] == "1"
page = sys.argv[4]
stuck = sys.argv[5]
# The result element, not a mention of it in a script's comment: the match that is JSON.
res, bad = None, None
for text in re.findall(r'<pre id="selftest-result"[^>]*>([^<]*)</pre>', dom):
    try:
        res = json.loads(html.unescape(text))
        break
    except ValueError as e:
        bad = (e, text)
if res is None:
    if bad and bad[1].strip():
        print("check_report: FAIL: the self-test result is not JSON (%s): %.300s" % bad, file=sys.stderr)
    else:
        print("check_report: FAIL: the page wrote no self-test result (did its script run?)", file=sys.stderr)
    sys.exit(1)
problems = []
if res.get("errors"):
    problems.append("the page reported errors: " + "; ".join(map(str, res["errors"]))[:2000])
if page == "diff":
    views = res.get("views") or {}
    if not all((views.get(v) or {}).get("boxes") for v in ("new", "base")):
        problems.append("a side of the diff drew no flame graph: %r" % views)
    if not res.get("scopes") or not all(s.get("boxes") for s in res["scopes"]):
        problems.append("a scope drew nothing: %r" % res.get("scopes"))
    if not res.get("tooltip"):
        problems.append("hovering a box showed no tooltip")
    if res.get("ok") is not True:
        problems.append("the self-test says ok=%r" % res.get("ok"))
    for p in problems:
        print("check_report: FAIL: " + p, file=sys.stderr)
    if problems:
        print("check_report: result: " + json.dumps(res), file=sys.stderr)
        sys.exit(1)
    if not quiet:
        print("check_report: ok (diff): %d boxes new, %d base, %d scopes, zoomed to %r"
              % (views["new"]["boxes"], views["base"]["boxes"], len(res["scopes"]), res.get("zoomedTo")))
    sys.exit(0)
if not res.get("allTotal"):
    problems.append("the all-samples flame graph is empty (allTotal=%r)" % res.get("allTotal"))
if res.get("changed") is not True:
    problems.append("scoping to the first task did not change the flame graph (allTotal=%r, taskTotal=%r%s)"
                    % (res.get("allTotal"), res.get("taskTotal"), ", " + res["reason"] if res.get("reason") else ""))
if "processExpected" in res and (res.get("processTotal") != res["processExpected"] or res.get("processSelectedRow") is not True):
    problems.append("scoping to the first process showed %r samples, its row says %r (row selected: %r)"
                    % (res.get("processTotal"), res.get("processExpected"), res.get("processSelectedRow")))
if stuck and (res.get("stuckTasks") != int(stuck) or res.get("stuckOk") is not True):
    problems.append("expected %s stuck tasks, the page shows %r (every live task in the tree: %r)"
                    % (stuck, res.get("stuckTasks"), res.get("stuckOk")))
if res.get("ok") is not True:
    problems.append("the self-test says ok=%r" % res.get("ok"))
if problems:
    for p in problems:
        print("check_report: FAIL: " + p, file=sys.stderr)
    print("check_report: result: " + json.dumps(res), file=sys.stderr)
    sys.exit(1)
if as_json:
    print(json.dumps(res))
elif not quiet:
    print("check_report: ok: all=%s samples, task %r=%s samples; first view %.0f ms (parse %.0f ms), ready %.0f ms; %d stacks, %d flame nodes"
          % (res["allTotal"], res.get("taskLabel"), res.get("taskTotal"), res.get("firstViewMs", -1), res.get("parseMs", -1),
             res.get("readyMs", -1), res.get("stacks", 0), res.get("flameNodes", 0)))
    print("check_report: result: " + json.dumps(res))
PY

if [ -n "$shot" ]; then
  mkdir -p "$(dirname "$shot")"
  shot_abs="$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")"
  rm -f "$shot_abs"
  if ! timeout 120 "$chromium" "${flags[@]}" --hide-scrollbars --window-size=1400,1000 \
       --virtual-time-budget="$budget" --screenshot="$shot_abs" "$url" >"$work/shot.log" 2>&1 \
     || [ ! -s "$shot_abs" ]; then
    echo "check_report: FAIL: could not take the screenshot; chromium's log:" >&2
    tail -n 20 "$work/shot.log" >&2
    exit 1
  fi
  [ "$quiet" = 1 ] || echo "check_report: screenshot saved to $shot"
fi
