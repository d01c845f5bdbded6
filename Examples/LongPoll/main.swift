// A long poll: the task "cruncher" runs `crunch(_:)` for about 150 ms at a time without ever
// suspending, five times over (it only waits 20 ms for "the next batch" in between), while 200
// small tasks ("short-0" … "short-199") each do a little work between `Task.yield()`s and short
// sleeps. Every crunch holds a cooperative-pool thread for its whole duration, so the pool (2
// threads on a 2-core machine) is half gone for everyone else. The cure: cut the work into pieces
// of a millisecond or so with a suspension point in between, or move it off the pool.
//
//   taskprof record -o lp.taskprof --json lp.json -- .build/release/LongPoll
//
// The report lists five long polls (> 10 ms), each ~150 ms, all in task "cruncher", whose stack
// ends in `crunch(_:)`; the short tasks have ~76 polls each, all well under a millisecond.
// Argument: number of crunches (default 5).
import Foundation

/// Integer mixing, no calls and no suspension, for `milliseconds` of wall time.
@inline(never)
func crunch(_ milliseconds: Int) -> UInt64 {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: .milliseconds(milliseconds))
    var x: UInt64 = 0x2545_F491_4F6C_DD1D ^ UInt64(milliseconds)
    repeat {
        for _ in 0..<20_000 { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    } while clock.now < end
    return x
}

/// A few hundred nanoseconds of work: what a well-behaved task does between suspensions.
@inline(never)
func nibble(_ seed: Int) -> Int {
    var h = seed &* 31
    for i in 0..<200 { h = (h &* 1_099_511_628_211) ^ i }
    return h
}

let crunches = CommandLine.arguments.count > 1 ? max(Int(CommandLine.arguments[1]) ?? 5, 1) : 5

// Detached: a plain `Task {}` here would inherit the main actor from the top-level code and run on
// the main queue instead of the cooperative pool.
let cruncher = Task.detached(name: "cruncher") { () async -> UInt64 in
    var acc: UInt64 = 0
    for _ in 0..<crunches {
        acc &+= crunch(150)
        try? await Task.sleep(for: .milliseconds(20))
    }
    return acc
}

let shortTotal = await withTaskGroup(of: Int.self) { group in
    for n in 0..<200 {
        group.addTask(name: "short-\(n)") {
            var acc = 0
            // Spread over the cruncher's lifetime: a short sleep between bursts of yields.
            for round in 0..<(crunches * 3) {
                for _ in 0..<4 {
                    acc &+= nibble(n &+ round)
                    await Task.yield()
                }
                try? await Task.sleep(for: .milliseconds(40))
            }
            return acc
        }
    }
    var sum = 0
    for await v in group { sum &+= v }
    return sum
}

let crunched = await cruncher.value
print("LongPoll: \(crunches) crunches (\(crunched & 0xff)), short tasks \(shortTotal & 0xff)")
