// Tasks that never finish, and a healthy program where every task does. After 60 ms of work on
// the main thread and 200 ms in task "indexer" (so the report has a flame graph too), each
// scenario sets up
// its tasks, lets them run for a while (default 1.5 s; a second argument in milliseconds changes
// it), then the program exits as a service would on shutdown, with the stuck tasks still alive.
// `taskprof record` dumps them at the exit (`taskprof dump PID` while it runs):
//
//   taskprof record -o s.taskprof -- .build/release/StuckTasks channel
//
// - channel: Barbara's story. "producer" sends items into a bounded channel built from
//   continuations (capacity 4); "consumer" reads three items, then stops reading and returns.
//   The producer waits in `BoundedChannel.send(_:)` forever: the channel is full and no task
//   reads it.
// - continuation: `fetchProfile(id:)` wraps a callback API in `withCheckedContinuation`; its
//   error path forgets to resume, so task "fetcher" waits forever on a continuation created in
//   `fetchProfile(id:)`; task "page" awaits the fetcher's value.
// - cycle: task "left" awaits the value of task "right", which awaits the value of "left":
//   neither can finish.
// - group: task "gatherer" collects a group of three `lookup-N` children; child 1 waits on a
//   continuation nothing resumes, so the group's parent never resumes.
// - states: one task of each state and kind the runtime knows, for the tests that check the
//   agent's reading of task memory: "spinner" running on actor Vault, "queued" enqueued behind
//   it, "sleeper" (Task.detached) in Task.sleep, "reader" waiting for an AsyncStream element,
//   "cancelled" cancelled while it waits on a continuation, "parent" awaiting an `async let`
//   child, and "spawned", an unstructured task "parent" made.
// - churn: 200,000 short tasks in waves of 1,000 (more than the agent's table of live tasks
//   holds at once: finished ones must leave it), then three tasks "stuck-N" that never finish.
// - healthy: the same kinds of tasks, all finished before the exit: nothing is stuck.
import Foundation

/// A channel with room for `capacity` items; `send` waits while it is full, `receive` while it
/// is empty. Built from continuations, as hand-written channels are.
actor BoundedChannel<Element: Sendable> {
    private var items: [Element] = []
    private var waitingSenders: [CheckedContinuation<Void, Never>] = []
    private var waitingReceivers: [CheckedContinuation<Element, Never>] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    @inline(never)
    func send(_ item: Element) async {
        while true {
            if !waitingReceivers.isEmpty {
                waitingReceivers.removeFirst().resume(returning: item)
                return
            }
            if items.count < capacity {
                items.append(item)
                return
            }
            // Full: wait until a receiver makes room, then look again.
            await withCheckedContinuation { waitingSenders.append($0) }
        }
    }

    @inline(never)
    func receive() async -> Element {
        if !items.isEmpty {
            let item = items.removeFirst()
            if !waitingSenders.isEmpty { waitingSenders.removeFirst().resume() }
            return item
        }
        return await withCheckedContinuation { waitingReceivers.append($0) }
    }
}

@inline(never)
func produce(into channel: BoundedChannel<Int>) async {
    for i in 0..<1_000 { await channel.send(i) }
}

@inline(never)
func consume(from channel: BoundedChannel<Int>, count: Int) async -> Int {
    var sum = 0
    for _ in 0..<count { sum += await channel.receive() }
    return sum
}

// A callback API, as an HTTP client or a database driver has.
enum LegacyClient {
    static func load(id: Int, completion: @escaping @Sendable (Result<String, Error>) -> Void) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) {
            if id % 2 == 1 { completion(.failure(URLError(.timedOut))) } else { completion(.success("profile-\(id)")) }
        }
    }
}

/// The bug: the failure branch neither resumes nor throws.
@inline(never)
func fetchProfile(id: Int) async -> String {
    await withCheckedContinuation { (c: CheckedContinuation<String, Never>) in
        LegacyClient.load(id: id) { result in
            switch result {
            case .success(let profile): c.resume(returning: profile)
            case .failure: break  // forgot: c.resume(returning: "") or a throwing continuation
            }
        }
    }
}

/// The fix, for the healthy run.
@inline(never)
func fetchProfileFixed(id: Int) async -> String {
    await withCheckedContinuation { (c: CheckedContinuation<String, Never>) in
        LegacyClient.load(id: id) { result in
            switch result {
            case .success(let profile): c.resume(returning: profile)
            case .failure: c.resume(returning: "")
            }
        }
    }
}

@inline(never)
func renderPage(_ fetcher: Task<String, Never>) async -> Int {
    let profile = await fetcher.value
    return profile.count
}

final class TaskBox: @unchecked Sendable { var task: Task<Int, Never>? }

@inline(never)
func awaitOther(_ box: TaskBox) async -> Int {
    while box.task == nil { try? await Task.sleep(for: .milliseconds(5)) }
    return await box.task!.value + 1
}

@inline(never)
func lookup(_ i: Int, broken: Bool) async -> Int {
    if broken && i == 1 { return await fetchProfile(id: 1).count }
    return await fetchProfileFixed(id: i * 2).count
}

@inline(never)
func gather(broken: Bool) async -> Int {
    await withTaskGroup(of: Int.self) { group in
        for i in 0..<3 { group.addTask(name: "lookup-\(i)") { await lookup(i, broken: broken) } }
        var total = 0
        for await n in group { total += n }
        return total
    }
}

/// Continuations nobody resumes but that stay referenced (a dropped CheckedContinuation makes
/// the runtime print a warning, which is not what the "states" scenario is about).
final class Parking: @unchecked Sendable {
    private let lock = NSLock()
    private var parked: [CheckedContinuation<Void, Never>] = []
    func park(_ c: CheckedContinuation<Void, Never>) { lock.withLock { parked.append(c) } }
}
let parking = Parking()

@inline(never)
func waitForever() async {
    await withCheckedContinuation { parking.park($0) }
}

actor Vault {
    var touches = 0
    func spin(_ milliseconds: Int) -> UInt64 { index(milliseconds) }
    func touch() -> Int {
        touches += 1
        return touches
    }
}

final class StreamBox: @unchecked Sendable { var continuation: AsyncStream<Int>.Continuation? }
let streamBox = StreamBox()

@inline(never)
func readAll(_ stream: AsyncStream<Int>) async -> Int {
    var n = 0
    for await x in stream { n += x }
    return n
}

@inline(never)
func parentWork() async {
    async let child: Void = waitForever()
    Task(name: "spawned") { await waitForever() }
    await child
}

/// Some CPU work first, so the report has a flame graph beside the stuck tasks.
@inline(never)
func index(_ milliseconds: Int) -> UInt64 {
    let end = ContinuousClock.now.advanced(by: .milliseconds(milliseconds))
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    repeat {
        for _ in 0..<10_000 { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    } while ContinuousClock.now < end
    return x
}

/// Starts the scenario's tasks (on the global executor: this function is not isolated to the
/// main actor, so neither are the tasks it creates). False for an unknown scenario.
func start(_ scenario: String) -> Bool {
    _ = index(60)  // on the main thread, outside any task
    let indexer = Task(name: "indexer") { index(200) }
    let warm = DispatchSemaphore(value: 0)
    Task.detached {
        _ = await indexer.value; warm.signal()
    }
    warm.wait()
    switch scenario {
    case "channel":
        let channel = BoundedChannel<Int>(capacity: 4)
        Task(name: "producer") { await produce(into: channel) }
        Task(name: "consumer") { await consume(from: channel, count: 3) }
    case "continuation":
        let fetcher = Task(name: "fetcher") { await fetchProfile(id: 7) }
        Task(name: "page") { await renderPage(fetcher) }
    case "cycle":
        let leftBox = TaskBox(), rightBox = TaskBox()
        let left = Task(name: "left") { await awaitOther(rightBox) }
        let right = Task(name: "right") { await awaitOther(leftBox) }
        leftBox.task = left
        rightBox.task = right
    case "group":
        Task(name: "gatherer") { await gather(broken: true) }
    case "states":
        let vault = Vault()
        Task(name: "spinner") { await vault.spin(holdMs + 2000) }
        Thread.sleep(forTimeInterval: 0.1)  // the spinner holds the actor from now on
        Task(name: "queued") { await vault.touch() }
        Task.detached(name: "sleeper") { try? await Task.sleep(for: .seconds(3600)) }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        streamBox.continuation = continuation
        Task(name: "reader") { await readAll(stream) }
        let cancelled = Task(name: "cancelled") { await waitForever() }
        Thread.sleep(forTimeInterval: 0.05)
        cancelled.cancel()
        Task(name: "parent") { await parentWork() }
    case "churn":
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            for wave in 0..<200 {
                await withTaskGroup(of: Int.self) { group in
                    for i in 0..<1_000 { group.addTask { i &* wave } }
                    for await _ in group {}
                }
            }
            done.signal()
        }
        done.wait()
        for i in 0..<3 { Task(name: "stuck-\(i)") { await waitForever() } }
    case "healthy":
        let channel = BoundedChannel<Int>(capacity: 4)
        let producer = Task(name: "producer") { for i in 0..<20 { await channel.send(i) } }
        let consumer = Task(name: "consumer") { await consume(from: channel, count: 20) }
        let fetcher = Task(name: "fetcher") { await fetchProfileFixed(id: 7) }
        let page = Task(name: "page") { await renderPage(fetcher) }
        let gatherer = Task(name: "gatherer") { await gather(broken: false) }
        let done = DispatchSemaphore(value: 0)
        Task {
            await producer.value
            _ = await consumer.value
            _ = await page.value
            _ = await gatherer.value
            done.signal()
        }
        done.wait()
    default:
        return false
    }
    return true
}

let scenario = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "channel"
let holdMs = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1500 : 1500
guard start(scenario) else {
    FileHandle.standardError.write("usage: StuckTasks channel|continuation|cycle|group|states|churn|healthy [hold-ms]\n".data(using: .utf8)!)
    exit(2)
}
// Shutdown with the tasks as they are.
Thread.sleep(forTimeInterval: Double(holdMs) / 1000)
print("StuckTasks \(scenario): exiting")
exit(0)
