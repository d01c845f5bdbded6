// A starved cooperative pool. Swift runs tasks on a pool as wide as the machine has cores (2
// threads on a 2-core box). With `starved`, one "hog" task per core (detached, so they run on the
// pool rather than on the main actor) does synchronous CPU work (`hogWork(_:)`, 100 ms slices with
// only a `Task.yield()` between them), which keeps every pool thread busy, while waves of short
// tasks ("short-N", a few microseconds of work per poll) arrive.
// The short tasks need almost no CPU, yet each of their jobs waits in the queue until a hog slice
// ends: their scheduling delay (enqueue → start) grows to tens of milliseconds. With `relaxed` the
// same short tasks run without the hogs and start within a fraction of a millisecond. The cure is
// to keep blocking or long CPU work off the cooperative pool (a dedicated thread or executor) or
// to yield far more often.
//
//   taskprof record -o s.taskprof --json s.json -- .build/release/StarvedPool starved
//   taskprof record -o r.taskprof --json r.json -- .build/release/StarvedPool relaxed
//
// The report: the runtime's scheduling delay p99 (`runtime.schedulingDelay` in the JSON, almost
// all of it the short tasks' ~2200 jobs) is ~90-100 ms when starved and ~0.3 ms when relaxed;
// the hogs' slices show up as sixteen long polls of ~100 ms in `hogWork(_:)`.
import Foundation

@inline(never)
func hogWork(_ milliseconds: Int) -> UInt64 {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: .milliseconds(milliseconds))
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15 | UInt64(milliseconds)
    repeat {
        for _ in 0..<20_000 { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    } while clock.now < end
    return x
}

@inline(never)
func shortWork(_ seed: Int) -> Int {
    var h = seed | 1
    for i in 0..<300 { h = (h &* 1_099_511_628_211) ^ i }
    return h
}

let mode = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "starved"
guard mode == "starved" || mode == "relaxed" else {
    FileHandle.standardError.write("usage: StarvedPool starved|relaxed\n".data(using: .utf8)!)
    exit(64)
}

let slices = 8        // 8 × 100 ms per hog
let waves = 10        // 10 waves of 20 short tasks, 80 ms apart
let perWave = 20

var hogs: [Task<UInt64, Never>] = []
if mode == "starved" {
    let pool = max(ProcessInfo.processInfo.activeProcessorCount, 1)
    for h in 0..<pool {
        hogs.append(Task.detached(name: "hog-\(h)") {
            var acc: UInt64 = 0
            for _ in 0..<slices {
                acc &+= hogWork(100)
                await Task.yield()
            }
            return acc
        })
    }
    // Let the hogs take the pool's threads before the first wave arrives.
    try? await Task.sleep(for: .milliseconds(20))
}

let shortTotal = await withTaskGroup(of: Int.self) { group in
    for wave in 0..<waves {
        for i in 0..<perWave {
            let n = wave * perWave + i
            group.addTask(name: "short-\(n)") {
                var acc = 0
                for round in 0..<5 {
                    acc &+= shortWork(n &+ round)
                    await Task.yield()
                }
                return acc
            }
        }
        try? await Task.sleep(for: .milliseconds(80))
    }
    var sum = 0
    for await v in group { sum &+= v }
    return sum
}

var hogTotal: UInt64 = 0
for h in hogs { hogTotal &+= await h.value }
print("StarvedPool \(mode): \(waves * perWave) short tasks (\(shortTotal & 0xff)), \(hogs.count) hogs (\(hogTotal & 0xff))")
