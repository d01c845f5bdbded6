#!/usr/bin/env python3
"""Stack benchmarks of issue 14 ("Stacks you can trust"), python3 stdlib only.

  python3 Scripts/stackbench.py [fidelity|stress|all] [--runs N] [--timeout S]

- fidelity: Examples/TinyLeaf has a tiny hot leaf `tiny` called from `parentA` (under `driverA`)
  and `parentB` (under `driverB`), so every leaf sample's true caller chain is known. For two
  builds (the release build, with frame pointers; plain `swiftc -O -g`, without) it prints the
  share of leaf samples whose two callers are right, for taskprof and, beside it, for
  `perf record --call-graph dwarf` and `perf record -g` on the same binaries.
- stress: Examples/LockStress (eight tasks in libm around one contended pthread mutex, small
  reads) recorded with `--blocking 0.01` many times, each with a timeout: how many runs end by
  themselves and how many hang.

Scripts/bench.py can import this file and call stack_fidelity(say) and stress_no_hang(say); both
print through say(line). Binaries come from TASKPROF_BUILD_DIR, else .build/release (build them
with `swift build -c release`).
"""
import argparse, collections, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("TASKPROF_BUILD_DIR") or os.path.join(ROOT, ".build", "release")
TASKPROF = os.path.join(BIN, "taskprof")
TINYLEAF_SOURCE = os.path.join(ROOT, "Examples", "TinyLeaf", "main.swift")
PERF = shutil.which("perf") or "/usr/bin/perf"
RATE = 999

# TinyLeaf's known shape: leaf <- parent <- driver.
LEAF = "tiny"
DRIVER_OF = {"parentA": "driverA", "parentB": "driverB"}
SHAPE_FUNCTIONS = [LEAF, *DRIVER_OF, *DRIVER_OF.values()]


# MARK: names

def base_name(name):
    """The identifier of a demangled Swift function: 'parentA(_:calls:)' -> 'parentA'. Both tools'
    names reduce to it (taskprof prints simplified demangled names, perf mangled ones)."""
    return name.split("(", 1)[0].strip()


def parse_swift_global(mangled):
    """(module, identifier) of a mangled top-level Swift function `$s<n><module><m><name>...`, else
    None. Enough for TinyLeaf's plain global functions; no swift-demangle needed."""
    m = re.match(r"\$s(\d+)", mangled)
    if not m:
        return None
    n, rest = int(m.group(1)), mangled[m.end():]
    module, rest = rest[:n], rest[n:]
    m = re.match(r"(\d+)", rest)
    if not m:
        return None
    k = int(m.group(1))
    return module, rest[m.end():m.end() + k]


def demangler():
    """Command that demangles Swift names on stdin, line by line (simplified form, like taskprof's)."""
    if shutil.which("swift-demangle"):
        return ["swift-demangle", "--simplified"]
    if shutil.which("swift"):
        return ["swift", "demangle", "--simplified"]
    return None


def demangle_all(names):
    """{mangled: simplified demangled} for the given names; names stay as they are without a demangler."""
    names = sorted(set(names))
    cmd = demangler()
    if not cmd or not names:
        return {n: n for n in names}
    out = subprocess.run(cmd, input="\n".join(names) + "\n", capture_output=True, text=True, check=True).stdout
    lines = out.split("\n")
    return {n: (lines[i] if i < len(lines) and lines[i] else n) for i, n in enumerate(names)}


# MARK: recording

def parse_folded(path):
    """[(frames root-first, count)] of a folded-stacks file."""
    stacks = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count = line.rpartition(" ")
            stacks.append((stack.split(";"), int(count)))
    return stacks


def record_taskprof(binary, workdir, args=()):
    """Physical stacks of one taskprof recording, without a task/thread root frame."""
    out = os.path.join(workdir, "t.taskprof")
    folded = os.path.join(workdir, "t.folded")
    subprocess.run([TASKPROF, "record", "-q", "-o", out, "--folded", folded, "--stacks", "physical",
                    "--group-by", "none", "--", binary, *args],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return parse_folded(folded)


def perf_problem(workdir):
    """None when `perf record` can sample a process of ours here, else why not."""
    if not os.path.exists(PERF):
        return f"perf not found ({PERF}; Debian package linux-perf)"
    data = os.path.join(workdir, "probe.data")
    r = subprocess.run([PERF, "record", "-q", "-e", "cpu-clock:u", "-o", data, "--", "/bin/true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        return f"perf record cannot run: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else 'exit %d' % r.returncode}"
    return None


def parse_perf_script(text):
    """[(frames root-first, 1)] from `perf script -F tid,ip,sym,dso` output (leaf-first blocks
    separated by blank lines). Inlined frames, which perf marks '(inlined)', are kept: taskprof
    expands inlines too."""
    stacks, frames = [], []
    frame_re = re.compile(r"^\s+([0-9a-f]+)\s+(.*?)\s+\(([^()]*)\)$")
    for line in text.split("\n"):
        if not line.strip():
            if frames:
                stacks.append((list(reversed(frames)), 1))
            frames = []
            continue
        m = frame_re.match(line)
        if m:
            frames.append(m.group(2))
    if frames:
        stacks.append((list(reversed(frames)), 1))
    return stacks


def record_perf(binary, workdir, call_graph, args=()):
    """Stacks of one `perf record` run: call_graph 'dwarf' or 'fp' (what `-g` means). User-space
    CPU-clock samples, so perf_event_paranoid 2 is enough. Names are demangled like taskprof's."""
    data = os.path.join(workdir, f"perf-{call_graph}.data")
    subprocess.run([PERF, "record", "-q", "-e", "cpu-clock:u", "-F", str(RATE), "--call-graph", call_graph,
                    "-o", data, "--", binary, *args],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    text = subprocess.run([PERF, "script", "-i", data, "-F", "tid,ip,sym,dso"],
                          capture_output=True, text=True, check=True).stdout
    stacks = parse_perf_script(text)
    names = demangle_all(f for frames, _ in stacks for f in frames)
    return [([names[f] for f in frames], n) for frames, n in stacks]


# MARK: TinyLeaf builds and their shape

def build_nofp(workdir):
    """TinyLeaf built with plain `swiftc -O -g`: no frame pointers in the user code."""
    exe = os.path.join(workdir, "tinyleaf-nofp")
    subprocess.run(["swiftc", "-O", "-g", TINYLEAF_SOURCE, "-o", exe], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return exe


def shape_problems(binary):
    """What in the binary would make the known caller chains false: a merged body (`…Tm`), a
    missing function, or a parent/driver that does not `call` its callee (inlined or tail-called)."""
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], capture_output=True, text=True,
                         check=True).stdout
    bodies, current = {}, None
    for line in dis.split("\n"):
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            parsed = parse_swift_global(m.group(1))
            current = parsed[1] if parsed and parsed[1] in SHAPE_FUNCTIONS else None
            if current:
                bodies[current] = []
            if m.group(1).endswith("Tm"):
                bodies.setdefault("merged", []).append(m.group(1))
            continue
        if current:
            bodies[current].append(line)
    problems = [f"merged body {name}" for name in bodies.get("merged", [])]
    problems += [f"{fn} missing" for fn in SHAPE_FUNCTIONS if fn not in bodies]

    def calls(caller, callee):
        return any(re.search(r"\scall\s+[0-9a-f]+ <\$s\d+\w*?\d+" + callee + r"[^>]*>", l) for l in bodies.get(caller, []))

    for parent, driver in DRIVER_OF.items():
        if not calls(parent, LEAF):
            problems.append(f"{parent} does not call {LEAF}")
        if not calls(driver, parent):
            problems.append(f"{driver} does not call {parent}")
    return problems


def has_frame_pointer(binary, function=LEAF):
    """Whether `function` sets up rbp: its first instructions contain `push %rbp`."""
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], capture_output=True, text=True,
                         check=True).stdout
    for block in dis.split("\n\n"):
        head = block.strip().split("\n", 1)[0]
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", head)
        if m and (parse_swift_global(m.group(1)) or (None, None))[1] == function:
            return "push   %rbp" in block
    return False


# MARK: grading

def grade(stacks):
    """(right, total, wrong chains) over the samples whose leaf is `tiny`: right when the frame
    below it is parentA or parentB and the one below that is that parent's driver. Chains are
    compared exactly, no frame skipped: a lost parent is the failure being measured."""
    right = total = 0
    wrong = collections.Counter()
    for frames, n in stacks:
        if not frames or base_name(frames[-1]) != LEAF:
            continue
        total += n
        callers = [base_name(f) for f in reversed(frames[:-1])]
        if len(callers) >= 2 and callers[0] in DRIVER_OF and callers[1] == DRIVER_OF[callers[0]]:
            right += n
        else:
            wrong[" <- ".join([LEAF] + callers[:3] + (["…"] if len(callers) > 3 else []))] += n
    return right, total, wrong


def cell(result):
    if isinstance(result, str):
        return result
    right, total, _ = result
    return f"{100.0 * right / total:.1f} % ({total})" if total else "no leaf samples"


def stack_fidelity(say):
    """Prints the stack-fidelity table: TinyLeaf build x method -> share of leaf samples with the
    right caller chain (n leaf samples). Returns {(build, method): (right, total) or reason}."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="stackbench-") as work:
        builds = [("frame pointers (swift build -c release)", os.path.join(BIN, "TinyLeaf")),
                  ("no frame pointers (swiftc -O -g)", build_nofp(work))]
        perf_why = perf_problem(work)
        methods = ["taskprof", "perf --call-graph dwarf", "perf -g"]
        for build, exe in builds:
            problems = shape_problems(exe)
            if problems:
                say(f"warning: {build}: TinyLeaf's shape is not the one graded: {', '.join(problems)}")
            say(f"{build}: tiny(_:) {'has' if has_frame_pointer(exe) else 'has no'} frame pointer")
            for method in methods:
                if method != "taskprof" and perf_why:
                    results[(build, method)] = f"n/a: {perf_why}"
                    continue
                if method == "taskprof":
                    stacks = record_taskprof(exe, work)
                else:
                    stacks = record_perf(exe, work, "dwarf" if "dwarf" in method else "fp")
                results[(build, method)] = grade(stacks)
        say("")
        say("Stack fidelity (TinyLeaf): leaf samples whose caller chain is right (leaf samples)")
        say("")
        say("| build | " + " | ".join(methods) + " |")
        say("|---|" + "---|" * len(methods))
        for build, _ in builds:
            say(f"| {build} | " + " | ".join(cell(results[(build, m)]) for m in methods) + " |")
        say("")
        for (build, method), r in results.items():
            if not isinstance(r, str) and r[2]:
                top = ", ".join(f"{chain} ×{n}" for chain, n in r[2].most_common(3))
                say(f"  wrong, {method}, {build}: {top}")
    return {k: (v if isinstance(v, str) else v[:2]) for k, v in results.items()}


# MARK: no hang

def timed_run(cmd, timeout):
    """(wall seconds, exit status or None if it had to be killed). The command runs in its own
    process group so a hung target and taskprof are killed together."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        status = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        status = None
    return time.perf_counter() - t0, status


def stress_no_hang(say, runs=50, timeout=60.0):
    """Records LockStress `runs` times with `--blocking 0.01`; prints how many runs ended by
    themselves, how many hung (killed after `timeout` s), and the median wall times. Returns
    (ended, hung, failed)."""
    stress = os.path.join(BIN, "LockStress")
    plain = [timed_run([stress], timeout)[0] for _ in range(5)]
    ended = hung = failed = 0
    walls = []
    with tempfile.TemporaryDirectory(prefix="stackbench-") as work:
        out = os.path.join(work, "s.taskprof")
        for _ in range(runs):
            wall, status = timed_run([TASKPROF, "record", "-q", "--blocking", "0.01", "-o", out, "--", stress], timeout)
            if status is None:
                hung += 1
            else:
                ended += 1
                walls.append(wall)
                failed += status != 0
    say(f"No hang (LockStress, --blocking 0.01, {runs} runs, timeout {timeout:g} s): "
        f"{ended} ended by themselves ({failed} with a non-zero exit), {hung} hung; "
        f"median wall {statistics.median(walls) if walls else float('nan'):.2f} s profiled, "
        f"{statistics.median(plain):.2f} s unprofiled")
    return ended, hung, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", nargs="?", default="all", choices=["fidelity", "stress", "all"])
    ap.add_argument("--runs", type=int, default=50, help="stress runs (default 50)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a stress run counts as hung (default 60)")
    opts = ap.parse_args()
    for tool in (TASKPROF, os.path.join(BIN, "TinyLeaf"), os.path.join(BIN, "LockStress")):
        if not os.path.exists(tool):
            sys.exit(f"stackbench: {tool} not found: run `swift build -c release` first")
    say = lambda line: print(line, flush=True)
    if opts.what in ("fidelity", "all"):
        stack_fidelity(say)
    if opts.what in ("stress", "all"):
        stress_no_hang(say, opts.runs, opts.timeout)


if __name__ == "__main__":
    main()
