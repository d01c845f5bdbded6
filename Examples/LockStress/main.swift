// The hang reproducer of issue 14 ("Stacks you can trust"): eight tasks that each loop calling
// `sin()` (libm: no frame pointers, so a profiler must unwind it with DWARF CFI), take one
// contended `pthread_mutex_t` (held while doing more `sin()` work, so others wait on it) and do
// small `read()`s from /dev/zero. An agent whose signal handler steps with a library that takes a
// lock, while its own lock interposer can start another walk, deadlocks here; a correct one
// finishes as fast as unprofiled, about 0.2 s.
//
//   taskprof record -q --blocking 0.01 -o s.taskprof -- .build/release/LockStress
//
// Usage: LockStress [ROUNDS]   lock rounds per task (default 13000). Prints one line, exits 0.
import Foundation

/// A real pthread mutex (not NSLock, not Swift's Mutex): the primitive the agent interposes.
/// Shared by the tasks; the pointer is never freed while they run.
struct SharedMutex: @unchecked Sendable {
    let raw: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        raw = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        precondition(pthread_mutex_init(raw, nil) == 0, "pthread_mutex_init failed")
    }
}

/// `n` libm calls; `seed` keeps the compiler from folding them.
@inline(never)
func sinWork(_ seed: Double, _ n: Int) -> Double {
    var x = seed
    for i in 0..<n { x += sin(x + Double(i)) }
    return x
}

/// One task's loop: libm work outside the lock, a short critical section with libm work inside
/// (long enough that the other tasks queue on the mutex), then a small read.
@inline(never)
func worker(_ id: Int, mutex: SharedMutex, rounds: Int) -> Double {
    let fd = open("/dev/zero", O_RDONLY)
    precondition(fd >= 0, "cannot open /dev/zero")
    defer { close(fd) }
    var buffer = (UInt64(0), UInt64(0))
    var acc = Double(id)
    for r in 0..<rounds {
        acc = sinWork(acc, 20)
        pthread_mutex_lock(mutex.raw)
        acc = sinWork(acc + Double(r), 40)
        pthread_mutex_unlock(mutex.raw)
        let got = withUnsafeMutableBytes(of: &buffer) { read(fd, $0.baseAddress, 8) }
        precondition(got == 8, "short read from /dev/zero")
        acc += Double(buffer.0)
    }
    return acc
}

let rounds = CommandLine.arguments.count > 1 ? max(Int(CommandLine.arguments[1]) ?? 13000, 1) : 13000
let mutex = SharedMutex()
let total = await withTaskGroup(of: Double.self) { group in
    for id in 0..<8 {
        group.addTask(name: "stress-\(id)") { worker(id, mutex: mutex, rounds: rounds) }
    }
    var sum = 0.0
    for await value in group { sum += value }
    return sum
}
print("lockstress \(rounds) rounds x 8 tasks: \(total.isFinite ? "ok" : "odd")")
