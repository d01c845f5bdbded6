// An actor as a bottleneck. 200 tasks ("client-N") each call `Ledger.record(_:)` three times;
// the method does ~1.5 ms of CPU work (`scoreEntry(_:)`) while isolated to the one actor, so all
// 600 calls run one at a time and the second core has little to do: every call waits for all
// the calls queued on the actor before it. With `fixed`, the scoring moves out of the actor (each
// task computes its score itself, in parallel) and the part that needs the actor's state —
// appending one number — is spread over eight shards.
//
//   taskprof record -o a.taskprof --json a.json -- .build/release/ActorBottleneck
//   taskprof record -o f.taskprof --json f.json -- .build/release/ActorBottleneck fixed
//
// What the report shows: ~98 % of the samples are `scoreEntry(_:)` under `Ledger.record(_:)`,
// almost all inside the actor's drain job (`ProcessOutOfLineJob::process`), never more than one
// core's worth at a time (target CPU ≈ wall time; fixed: ≈ 1.6× wall time on two idle cores), and
// the wait in the actor's queue: ~600 jobs, p50 about a third of the run. In the fixed run no call
// waits for an actor; its scheduling delay is the wait of 200 CPU-bound tasks for two threads.
import Foundation

/// ~1.5 ms of CPU: hashing the entry, as a stand-in for validation or serialization.
@inline(never)
func scoreEntry(_ n: Int) -> UInt64 {
    var x = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15 | 1
    for _ in 0..<600_000 { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    return x
}

actor Ledger {
    private var entries: [UInt64] = []

    /// The slow version: the CPU work happens while the actor is held.
    func record(_ n: Int) -> Int {
        entries.append(scoreEntry(n))
        return entries.count
    }

    /// The fast version: the caller brings the score, the actor only stores it.
    func store(_ score: UInt64) -> Int {
        entries.append(score)
        return entries.count
    }
}

let clients = 200
let callsPerClient = 3
let fixed = CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "fixed"
let shards = (0..<(fixed ? 8 : 1)).map { _ in Ledger() }

let clock = ContinuousClock()
let start = clock.now
let total = await withTaskGroup(of: Int.self) { group in
    for c in 0..<clients {
        group.addTask(name: "client-\(c)") {
            var last = 0
            for call in 0..<callsPerClient {
                let n = c * callsPerClient + call
                if fixed {
                    let score = scoreEntry(n)
                    last = await shards[n % shards.count].store(score)
                } else {
                    last = await shards[0].record(n)
                }
            }
            return last
        }
    }
    var sum = 0
    for await v in group { sum &+= v }
    return sum
}
let elapsed = clock.now - start
let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
print("ActorBottleneck \(fixed ? "fixed" : "one actor"): \(clients * callsPerClient) calls (\(total)) in \(Int(ms)) ms")
