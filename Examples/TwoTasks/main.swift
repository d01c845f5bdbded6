// Two named tasks burn CPU in distinct functions, three parts to one.
// `taskprof record -- TwoTasks` should attribute ~75 % of samples to task "heavy" (in
// `heavyWork`) and ~25 % to task "light" (in `lightWork`).
import Foundation

@inline(never)
func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

@inline(never)
func heavyWork(rounds: Int) -> UInt64 {
    var acc: UInt64 = 1
    for i in 0..<rounds { acc = mix(acc &+ UInt64(i)) }
    return acc
}

@inline(never)
func lightWork(rounds: Int) -> UInt64 {
    var acc: UInt64 = 2
    for i in 0..<rounds { acc = mix(acc ^ UInt64(i)) }
    return acc
}

let scale = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1 : 1
let unit = 40_000_000 * scale

let heavy = Task(name: "heavy") { heavyWork(rounds: 3 * unit) }
let light = Task(name: "light") { lightWork(rounds: unit) }
let a = await heavy.value
let b = await light.value
print("done \(a &+ b)")
