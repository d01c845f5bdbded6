// A Swift library that a C host (dlopen_host.c) loads with dlopen: its Swift runtime libraries
// (libswift_Concurrency, libdispatch) are then outside the global symbol scope, where the agent's
// interposers first look for the functions they wrap.
import Dispatch

@inline(never)
func crunch(_ n: Int) async -> Int {
    var x: UInt64 = 88172645463325252
    for _ in 0..<n { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    await Task.yield()
    return Int(x & 0xff)
}

final class Box: @unchecked Sendable { var value = 0 }

@_cdecl("torture_run_tasks")
public func tortureRunTasks() -> Int32 {
    let done = DispatchSemaphore(value: 0)
    let box = Box()
    Task.detached {
        var sum = 0
        for i in 0..<8 { sum += await crunch(2_000_000 + i) }
        box.value = sum
        done.signal()
    }
    done.wait()
    return Int32(box.value > 0 ? 8 : 0)
}
