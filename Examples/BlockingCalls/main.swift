// Blocking calls inside tasks. A cooperative-pool thread that sleeps, waits for a lock, a
// semaphore or a pipe is a thread no other task can use: on a 2-core machine two such calls stop
// every task in the process. This program makes each kind of call from its own named task —
// `usleep` ("sleeper", `sleepInTask()`), `Thread.sleep(forTimeInterval:)` ("thread-sleeper",
// `threadSleepInTask()`), a contended `NSLock` ("locker", `lockInTask()`), `DispatchSemaphore.wait()`
// ("waiter", `semaphoreInTask()`), a blocking `read` on a pipe ("reader", `readInTask()`) and a
// contended `Synchronization.Mutex` ("mutex-locker", `mutexInTask()`) — each blocking about 20 ms
// because a helper thread holds the lock, signals or writes 20 ms later. Then a plain `Thread`
// ("blocking-thread") makes the same calls (`sleepOnThread(round:)`, `lockOnThread(round:)`, …), where
// blocking is harmless. Every call site first does ~3 ms of CPU work ("building the request") so
// it also shows in CPU samples. The cure in tasks: `try await Task.sleep`, async locks or actors,
// continuations resumed by the other side, non-blocking I/O (or a dedicated thread).
//
//   taskprof record -o b.taskprof --json b.json -- .build/release/BlockingCalls
//
// The report names each calling function; the in-task calls show as jobs that take ~20 ms of
// wall time with almost no CPU. Argument: rounds per call site (default 4). Prints one line.
import Foundation
import Synchronization

let rounds = CommandLine.arguments.count > 1 ? max(Int(CommandLine.arguments[1]) ?? 4, 1) : 4
let holdMicroseconds: UInt32 = 20_000

let lock = NSLock()
let mutex = Mutex<Int>(0)
let semaphore = DispatchSemaphore(value: 0)
/// Bumped by a helper once it holds the lock or mutex: the caller then knows its call will block.
let holding = Atomic<Int>(0)
let pipeFDs: [Int32] = {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { fatalError("pipe failed") }
    return fds
}()

/// ~3 ms of CPU, so the calling site has samples of its own.
@inline(never)
func buildRequest(_ seed: Int) -> UInt64 {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: .milliseconds(3))
    var x = UInt64(truncatingIfNeeded: seed) | 1
    repeat {
        for _ in 0..<5_000 { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    } while clock.now < end
    return x
}

// MARK: helpers on their own threads: the other side of each blocking call

func onHelperThread(_ body: @escaping @Sendable () -> Void) {
    let t = Thread(block: body)
    t.name = "helper"
    t.start()
}

@inline(never)
func holdLockOnHelper() {
    lock.lock()
    holding.add(1, ordering: .releasing)
    usleep(holdMicroseconds)
    lock.unlock()
}

@inline(never)
func holdMutexOnHelper() {
    mutex.withLock { value in
        holding.add(1, ordering: .releasing)
        usleep(holdMicroseconds)
        value &+= 1
    }
}

@inline(never)
func signalLaterOnHelper() {
    usleep(holdMicroseconds)
    semaphore.signal()
}

@inline(never)
func writeLaterOnHelper() {
    usleep(holdMicroseconds)
    var byte: UInt8 = 42
    _ = write(pipeFDs[1], &byte, 1)
}

// MARK: the calls, from tasks

@inline(never)
func sleepInTask() -> UInt64 {
    let r = buildRequest(1)
    usleep(holdMicroseconds)
    return r
}

@inline(never)
func threadSleepInTask() -> UInt64 {
    let r = buildRequest(2)
    Thread.sleep(forTimeInterval: Double(holdMicroseconds) / 1e6)
    return r
}

@inline(never)
func lockInTask() -> UInt64 {
    let r = buildRequest(3)
    lock.lock()
    lock.unlock()
    return r
}

@inline(never)
func semaphoreInTask() -> UInt64 {
    let r = buildRequest(4)
    semaphore.wait()
    return r
}

@inline(never)
func readInTask() -> UInt64 {
    let r = buildRequest(5)
    var byte: UInt8 = 0
    _ = read(pipeFDs[0], &byte, 1)
    return r &+ UInt64(byte)
}

@inline(never)
func mutexInTask() -> UInt64 {
    let r = buildRequest(6)
    return r &+ UInt64(mutex.withLock { $0 })
}

// MARK: the same calls from a plain thread
// (They take a parameter the task versions do not have: otherwise LLVM's function merging folds
// each pair, which differs only in a constant, into one body and the profile cannot tell them apart.)

@inline(never)
func sleepOnThread(round: Int) -> UInt64 {
    let r = buildRequest(11 &+ round)
    usleep(holdMicroseconds)
    return r
}

@inline(never)
func threadSleepOnThread(round: Int) -> UInt64 {
    let r = buildRequest(12 &+ round)
    Thread.sleep(forTimeInterval: Double(holdMicroseconds) / 1e6)
    return r
}

@inline(never)
func lockOnThread(round: Int) -> UInt64 {
    let r = buildRequest(13 &+ round)
    lock.lock()
    lock.unlock()
    return r
}

@inline(never)
func semaphoreOnThread(round: Int) -> UInt64 {
    let r = buildRequest(14 &+ round)
    semaphore.wait()
    return r
}

@inline(never)
func readOnThread(round: Int) -> UInt64 {
    let r = buildRequest(15 &+ round)
    var byte: UInt8 = 0
    _ = read(pipeFDs[0], &byte, 1)
    return r &+ UInt64(byte)
}

@inline(never)
func mutexOnThread(round: Int) -> UInt64 {
    let r = buildRequest(16 &+ round)
    return r &+ UInt64(mutex.withLock { $0 })
}

// MARK: driver

enum Call: CaseIterable {
    case sleep, threadSleep, lock, semaphore, read, mutex

    var taskName: String {
        switch self {
        case .sleep: "sleeper"
        case .threadSleep: "thread-sleeper"
        case .lock: "locker"
        case .semaphore: "waiter"
        case .read: "reader"
        case .mutex: "mutex-locker"
        }
    }

    /// Starts the other side; returns the `holding` count to wait for before calling (0: none).
    func startHelper() -> Int {
        switch self {
        case .sleep, .threadSleep: return 0
        case .lock:
            let target = holding.load(ordering: .acquiring) + 1
            onHelperThread { holdLockOnHelper() }
            return target
        case .mutex:
            let target = holding.load(ordering: .acquiring) + 1
            onHelperThread { holdMutexOnHelper() }
            return target
        case .semaphore:
            onHelperThread { signalLaterOnHelper() }
            return 0
        case .read:
            onHelperThread { writeLaterOnHelper() }
            return 0
        }
    }

    func callInTask() -> UInt64 {
        switch self {
        case .sleep: sleepInTask()
        case .threadSleep: threadSleepInTask()
        case .lock: lockInTask()
        case .semaphore: semaphoreInTask()
        case .read: readInTask()
        case .mutex: mutexInTask()
        }
    }

    func callOnThread(round: Int) -> UInt64 {
        switch self {
        case .sleep: sleepOnThread(round: round)
        case .threadSleep: threadSleepOnThread(round: round)
        case .lock: lockOnThread(round: round)
        case .semaphore: semaphoreOnThread(round: round)
        case .read: readOnThread(round: round)
        case .mutex: mutexOnThread(round: round)
        }
    }
}

let clock = ContinuousClock()
let start = clock.now
var acc: UInt64 = 0

for call in Call.allCases {
    acc &+= await Task.detached(name: call.taskName) { () async -> UInt64 in
        var r: UInt64 = 0
        for _ in 0..<rounds {
            let target = call.startHelper()
            // Wait without blocking until the helper holds the lock (the task suspends meanwhile).
            while holding.load(ordering: .acquiring) < target { try? await Task.sleep(for: .milliseconds(1)) }
            r &+= call.callInTask()
        }
        return r
    }.value
}

acc &+= await withCheckedContinuation { (done: CheckedContinuation<UInt64, Never>) in
    let t = Thread {
        var r: UInt64 = 0
        for call in Call.allCases {
            for round in 0..<rounds {
                let target = call.startHelper()
                while holding.load(ordering: .acquiring) < target { sched_yield() }
                r &+= call.callOnThread(round: round)
            }
        }
        done.resume(returning: r)
    }
    t.name = "blocking-thread"
    t.start()
}

let elapsed = clock.now - start
let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
print("BlockingCalls: \(Call.allCases.count) call sites × \(rounds) rounds in tasks and on a thread (\(acc & 0xff)) in \(Int(ms)) ms")
