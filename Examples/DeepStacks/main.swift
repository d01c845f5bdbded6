// CPU work at the bottom of a chain of non-inlined calls, on the main thread and in a task.
// Built two ways by the tests: `swift build -c release` (frame pointers) and plain
// `swiftc -O -g` (no frame pointers), to check that stacks reach the thread start either way.
// Arguments: DEPTH ROUNDS [int] — recurse DEPTH levels first (handler-cost benchmark at 64
// frames), repeat ROUNDS times; `int` swaps the libm leaf for integer work.
import Foundation

@inline(never)
func leafWork(_ n: Int) -> Double {
    var x = 0.0
    for i in 0..<n { x += sin(Double(i)) * cos(Double(i)) }   // libm leaf calls, no frame pointers
    return x
}

/// Integer work with no library calls: every sample's leaf has a frame pointer.
@inline(never)
func integerWork(_ n: Int) -> Double {
    var x: UInt64 = 88172645463325252
    for _ in 0..<(n * 4) { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    return Double(x & 0xff)
}

let integerOnly = CommandLine.arguments.count > 3 && CommandLine.arguments[3] == "int"

@inline(never)
func middle(_ n: Int) -> Double { (integerOnly ? integerWork(n) : leafWork(n)) + 1 }

@inline(never)
func outer(_ n: Int) -> Double { middle(n) * 2 }

@inline(never)
func recurse(_ depth: Int, _ n: Int) -> Double {
    depth <= 0 ? outer(n) : recurse(depth - 1, n) + Double(depth & 1)
}

let depth = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 0 : 0
let rounds = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1 : 1
var total = 0.0
for _ in 0..<rounds { total += recurse(depth, 3_000_000) }
let t = Task { recurse(depth, 3_000_000) }
total += await t.value
print(total > 0 ? "ok" : "odd")
