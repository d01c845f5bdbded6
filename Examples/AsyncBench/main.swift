// CPU-bound async workload for the overhead benchmark: a task group of many child tasks, each
// computing and yielding, spread over all cores.
//   AsyncBench cpu ROUNDS     many tasks doing CPU work with occasional yields
//   AsyncBench yield N        N tasks that only yield (job-tracking cost per job)
import Foundation

@inline(never)
func crunch(_ seed: UInt64, _ n: Int) -> UInt64 {
    var x = seed | 1
    for _ in 0..<n { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    return x
}

let mode = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "cpu"
let amount = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1 : 1

switch mode {
case "yield":
    let total = await withTaskGroup(of: Int.self) { group in
        for _ in 0..<8 {
            group.addTask {
                for _ in 0..<(amount / 8) { await Task.yield() }
                return amount / 8
            }
        }
        var sum = 0
        for await n in group { sum += n }
        return sum
    }
    print("yields \(total)")
default:
    let result = await withTaskGroup(of: UInt64.self) { group in
        for t in 0..<64 {
            group.addTask {
                var acc: UInt64 = UInt64(t)
                for r in 0..<amount {
                    acc &+= crunch(acc &+ UInt64(r), 200_000)
                    if r % 4 == 0 { await Task.yield() }
                }
                return acc
            }
        }
        var x: UInt64 = 0
        for await v in group { x ^= v }
        return x
    }
    print("result \(result)")
}
