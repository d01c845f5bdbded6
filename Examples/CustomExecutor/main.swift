// Jobs on a custom executor: an actor (`Ledger`) whose serial executor is a thread of its own, as
// database drivers and some servers (SwiftNIO event loops as task executors) do. Such jobs never
// pass through Dispatch: the executor runs them with `runSynchronously(on:)`. Task "settler" calls
// `settle(_:)`, which computes for ~120 ms without suspending, four times; 40 tasks "client-N"
// each make 20 quick `record(_:)` calls on the same actor, and wait behind every settle. Task
// "batcher" computes ~60 ms on a task executor of the same kind (thread "batch"), then ~60 ms on
// one that runs its jobs as both a serial and a task executor, as SwiftNIO's event loops do
// (thread "loop").
//
//   taskprof record -o ce.taskprof --json ce.json -- .build/release/CustomExecutor
//
// The report lists four ~120 ms long polls in task "settler" on thread "ledger", with
// `settle(_:)` in their stacks, ~60 ms ones in "batcher" on threads "batch" and "loop", and
// counts the clients' ~800 jobs on the ledger thread too.
import Foundation

/// An executor that runs every job on one dedicated thread, in order: the serial executor of an
/// actor, a task executor that tasks may prefer, or both at once.
final class ThreadExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    enum Mode { case serial, task, serialAndTask }
    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private let mode: Mode

    init(name: String, mode: Mode = .serial) {
        self.mode = mode
        let thread = Thread { [unowned self] in
            // The kernel's name, set by the thread itself: Foundation's `Thread.name` only reaches the
            // kernel once `start()` has returned in the parent, which races with this closure.
            try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            self.run()
        }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let job = queue.removeFirst()
            condition.unlock()
            switch mode {
            case .serial: job.runSynchronously(on: asUnownedSerialExecutor())
            case .task: job.runSynchronously(on: asUnownedTaskExecutor())
            case .serialAndTask: job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            }
        }
    }
}

/// Integer mixing, no calls and no suspension, for `milliseconds` of wall time.
@inline(never)
func mix(_ milliseconds: Int) -> UInt64 {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: .milliseconds(milliseconds))
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(milliseconds)
    repeat {
        for _ in 0..<20_000 { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    } while clock.now < end
    return x
}

actor Ledger {
    private let executor = ThreadExecutor(name: "ledger")
    private var total: UInt64 = 0
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    @inline(never)
    func settle(_ milliseconds: Int) -> UInt64 {
        total &+= mix(milliseconds)
        return total
    }

    func record(_ amount: Int) -> UInt64 {
        total &+= UInt64(truncatingIfNeeded: amount)
        return total
    }
}

let ledger = Ledger()
let settles = CommandLine.arguments.count > 1 ? max(Int(CommandLine.arguments[1]) ?? 4, 1) : 4

let settler = Task.detached(name: "settler") { () async -> UInt64 in
    var acc: UInt64 = 0
    for _ in 0..<settles {
        acc &+= await ledger.settle(120)
        try? await Task.sleep(for: .milliseconds(10))
    }
    return acc
}

let batch = ThreadExecutor(name: "batch", mode: .task)
let loop = ThreadExecutor(name: "loop", mode: .serialAndTask)
let batcher = Task.detached(name: "batcher") { () async -> UInt64 in
    var acc: UInt64 = 0
    for executor in [batch, loop] {
        acc &+= await withTaskExecutorPreference(executor) { mix(60) }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return acc
}

let recorded = await withTaskGroup(of: UInt64.self) { group in
    for n in 0..<40 {
        group.addTask(name: "client-\(n)") {
            var last: UInt64 = 0
            for i in 0..<20 {
                last = await ledger.record(n &* 100 &+ i)
                try? await Task.sleep(for: .milliseconds(5))
            }
            return last
        }
    }
    var sum: UInt64 = 0
    for await v in group { sum &+= v }
    return sum
}

print("CustomExecutor: \(settles) settles (\(await settler.value & 0xff)), 2 batches (\(await batcher.value & 0xff)), 800 records (\(recorded & 0xff))")
