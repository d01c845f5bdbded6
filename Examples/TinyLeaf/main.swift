// A tiny hot leaf called from two parents, each called from its own driver: for every sample in
// the leaf the true caller chain is known, so a profiler's stacks can be graded.
//
//   driverA(rounds:calls:) -> parentA(_:calls:) -> tiny(_:)     3 parts of the calls
//   driverB(rounds:calls:) -> parentB(_:calls:) -> tiny(_:)     1 part
//
// `tiny` is a few instructions (one xorshift step), so a large share of its samples land on its
// first or last instructions, where a frame-pointer walk started at `rbp` skips its caller
// (before `push %rbp` / after `pop %rbp`). The same work runs on the main thread and then once
// in a Swift task, so some of it is task code.
//
// Shapes that `-O` would otherwise destroy, and how this file avoids them:
// - Functions with identical bodies are merged (one `…Tm` body behind both symbols): the two
//   parents and the two drivers do different arithmetic around the call.
// - A call in tail position becomes a `jmp` and the caller is then not on the stack: every
//   call's result is used after it returns.
// - A constant argument invites specialized clones: all counts come from the command line.
// `Scripts/stackbench.py` builds this file two ways (with and without frame pointers) and checks
// the shape with objdump is what it grades against.
//
// Usage: TinyLeaf [MILLIONS]   leaf calls in millions per run (default 400: two runs, ~1.7 s).
// Prints one line.

/// The leaf: one xorshift64* step. No loop, no calls, no stack traffic. It ends with a multiply:
/// a timer interrupt tends to land just after a long-latency instruction, here on the epilogue
/// (`pop %rbp; ret`), the spot where a frame-pointer walk loses the caller. (An xor-shift-only
/// leaf drew almost all its samples inside the body on this machine's VMs: 1 % on the epilogue.)
@inline(never)
func tiny(_ x: UInt64) -> UInt64 {
    var x = x
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    return x &* 0x2545_F491_4F6C_DD1D
}

/// Calls the leaf `calls` times, feeding each result into the next call.
@inline(never)
func parentA(_ seed: UInt64, calls: Int) -> UInt64 {
    var x = seed | 1
    for _ in 0..<calls { x = tiny(x) }
    return x &+ 0x9E37_79B9_7F4A_7C15   // used after the last call: no tail call
}

/// Same shape as `parentA` but different arithmetic, so `-O` cannot merge the two bodies.
@inline(never)
func parentB(_ seed: UInt64, calls: Int) -> UInt64 {
    var x = seed | 3
    var sum: UInt64 = 0
    for _ in 0..<calls {
        x = tiny(x)
        sum &+= x >> 3
    }
    return sum ^ x
}

/// Calls `parentA` `rounds` times; each result feeds the next seed.
@inline(never)
func driverA(rounds: Int, calls: Int) -> UInt64 {
    var acc: UInt64 = 0x1234_5678
    for r in 0..<rounds { acc ^= parentA(acc &+ UInt64(r), calls: calls) }
    return acc &* 31
}

/// Calls `parentB`; differs from `driverA` in its arithmetic only, which is enough not to merge.
@inline(never)
func driverB(rounds: Int, calls: Int) -> UInt64 {
    var acc: UInt64 = 0x8765_4321
    for r in 0..<rounds { acc = acc &+ parentB(acc ^ UInt64(r), calls: calls) }
    return acc ^ 0xFFFF
}

/// One run: A makes three times B's leaf calls. Chunks of 10 000 calls per parent call keep the
/// parents and drivers on the stack for most samples while the leaf dominates.
@inline(never)
func run(millions: Int) -> UInt64 {
    let chunk = 10_000
    let unit = max(millions * 1_000_000 / 4 / chunk, 1)   // parent calls of B
    let a = driverA(rounds: 3 * unit, calls: chunk)
    let b = driverB(rounds: unit, calls: chunk)
    return a ^ b
}

let millions = CommandLine.arguments.count > 1 ? max(Int(CommandLine.arguments[1]) ?? 400, 1) : 400
let onMain = run(millions: millions)
let inTask = await Task.detached { run(millions: millions) }.value
print("tinyleaf \(onMain &+ inTask)")
