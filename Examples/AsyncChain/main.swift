// A three-deep await chain with a suspension at every level and CPU work at the bottom, then a
// task group of many unnamed children. On the thread's stack a resumed async function shows only
// itself above the runtime; taskprof's logical stacks recover level1 → level2 → level3 → work, and
// the group's children, which have no names, fold into one task kind (the closure that made them).
// The last round blocks at the bottom of the chain (usleep), so the blocking call's stack shows
// the awaiting callers too.
// Arguments: [ROUNDS] [CHILDREN] — await-chain rounds (default 40), group children (default 1000).
import Foundation

@inline(never)
func work(_ n: Int) -> UInt64 {
    var x: UInt64 = 88172645463325252 &+ UInt64(n)
    for _ in 0..<(n * 4) { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
    return x
}

// Each level suspends (Task.yield) before it awaits the next, so every frame above level3 is
// only reachable through the async context chain once the task has been resumed.
@inline(never)
func level3(_ n: Int) async -> UInt64 {
    await Task.yield()
    if n == 0 {
        usleep(5_000)   // the wrong way to wait in a task: taskprof reports it as a blocking call
        return 0
    }
    return work(n)
}

@inline(never)
func level2(_ n: Int) async -> UInt64 {
    await Task.yield()
    return await level3(n) &+ 1
}

@inline(never)
func level1(_ n: Int) async -> UInt64 {
    await Task.yield()
    return await level2(n) &+ 1
}

@inline(never)
func groupChild(_ i: Int) async -> UInt64 {
    await Task.yield()
    return work(20_000 + i % 7)
}

let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 40 : 40
let children = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1000 : 1000

let chain = Task(name: "chain") {
    var total: UInt64 = 0
    for _ in 0..<rounds { total &+= await level1(2_000_000) }
    return total &+ (await level1(0))
}
var total = await chain.value

total &+= await withTaskGroup(of: UInt64.self) { group in
    for i in 0..<children { group.addTask { await groupChild(i) } }
    var sum: UInt64 = 0
    for await v in group { sum &+= v }
    return sum
}
print(total == 42 ? "odd" : "ok")
