import Foundation
import TaskProfModel

/// A deterministic synthetic profile shaped like a busy async server: a shared runtime prefix,
/// one entry function per kind of task (40 kinds, 2000 tasks, one in ten unnamed), then a
/// random walk through a call graph of 3000 functions with a fan-out of three, 7 to 41 frames
/// deep (stacks of 13 to 48 frames), so stacks share their roots and part of their middle and
/// differ towards the leaves. Each function has three call sites (lines); a caller's frame is
/// the call site of the callee it calls, a leaf's line is random, and three leaves in ten end
/// in a runtime function (retain, release, memmove, malloc, task switch).
public enum SyntheticProfile {
    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    public static func make(distinctStacks: Int, seed: UInt64) -> Profile {
        var rng = RNG(state: seed)
        var frames: [SymbolizedFrame] = []
        func frame(_ fn: String, _ short: String, _ module: String, _ file: String?, _ line: Int?) -> Int32 {
            frames.append(SymbolizedFrame(function: fn, shortName: short, module: module, file: file, line: line))
            return Int32(frames.count - 1)
        }
        let prefix: [Int32] = [
            frame("start_thread", "start_thread", "libc.so.6", "./nptl/pthread_create.c", 442),
            frame("_dispatch_worker_thread", "_dispatch_worker_thread", "libdispatch.so", nil, nil),
            frame("_dispatch_lane_invoke", "_dispatch_lane_invoke", "libdispatch.so", nil, nil),
            frame("swift_job_run", "swift_job_run", "libswift_Concurrency.so", nil, nil),
            frame(
                "swift::runJobInEstablishedExecutorContext(swift::Job*)", "swift::runJobInEstablishedExecutorContext",
                "libswift_Concurrency.so", nil, nil),
        ]
        let areas = ["Handlers", "Storage", "Codec", "Routing", "Cache", "Auth", "Metrics", "Pool"]
        let functionCount = 3_000, linesPerFunction = 3
        var functionFrames: [[Int32]] = []
        for i in 0..<functionCount {
            let area = areas[i % areas.count]
            let short = "\(area).step\(i)(_:)"
            let full = "MyServer.\(area).step\(i)(_: MyServer.Request) async throws -> MyServer.Response"
            functionFrames.append(
                (0..<linesPerFunction).map { l in
                    frame(full, short, "MyServer", "/src/MyServer/\(area).swift", 10 + (i * 7 + l * 3) % 900)
                })
        }
        let leaves: [Int32] = [
            frame("swift_retain", "swift_retain", "libswiftCore.so", nil, nil),
            frame("swift_release", "swift_release", "libswiftCore.so", nil, nil),
            frame("__memmove_avx_unaligned_erms", "__memmove_avx_unaligned_erms", "libc.so.6", nil, nil),
            frame("malloc", "malloc", "libc.so.6", nil, nil),
            frame("swift_task_switch", "swift_task_switch", "libswift_Concurrency.so", nil, nil),
        ]
        let kinds = 40
        let entries: [Int32] = (0..<kinds).map { k in
            frame(
                "closure #1 in MyServer.Kind\(k).run() async -> ()", "closure #1 in Kind\(k).run()", "MyServer",
                "/src/MyServer/Kind\(k).swift", 20 + k)
        }

        // Threads: main, a Swift pool, NIO event loops, others.
        var threads = [ThreadInfo(tid: 1000, name: "", kind: .main)]
        for i in 0..<8 { threads.append(ThreadInfo(tid: Int32(1001 + i), name: "swift-pool-\(i)", kind: .swiftPool, jobsRun: 1000)) }
        for i in 0..<4 { threads.append(ThreadInfo(tid: Int32(1010 + i), name: "NIO-ELT-0-#\(i)", kind: .nioEventLoop)) }
        for i in 0..<3 { threads.append(ThreadInfo(tid: Int32(1020 + i), name: "worker-\(i)", kind: .other)) }
        let pool = Array(1...8), others = Array(9..<threads.count)

        // Tasks: 2000, named after their kind, one in ten unnamed.
        var tasks: [TaskInfo] = []
        var tasksOfKind = [[UInt64]](repeating: [], count: kinds)
        for i in 0..<2_000 {
            let id = UInt64(100 + i), k = i % kinds
            tasks.append(TaskInfo(id: id, name: i % 10 == 9 ? nil : "kind-\(k)-handler"))
            tasksOfKind[k].append(id)
        }

        var stacks: [[Int32]] = []
        var kindOfStack: [Int] = []
        var seen = Set<[Int32]>()
        while stacks.count < distinctStacks {
            let k = rng.below(kinds)
            var st = prefix + [entries[k]]
            let depth = 6 + rng.below(35)
            // The frame of a caller is its call site, so its line follows from the callee it
            // calls; the leaf's line is wherever the sample landed.
            var fn = (k * 977) % functionCount
            for level in 0..<depth {
                let choice = rng.below(3)
                st.append(functionFrames[fn][choice])
                fn = Int((UInt64(fn) &* 2_654_435_761 &+ UInt64(level * 31 + choice * 7919)) % UInt64(functionCount))
            }
            st.append(functionFrames[fn][rng.below(linesPerFunction)])
            if rng.below(10) < 3 { st.append(leaves[rng.below(leaves.count)]) }
            if seen.insert(st).inserted {
                stacks.append(st)
                kindOfStack.append(k)
            }
        }

        var samples: [SampleGroup] = []
        for (i, k) in kindOfStack.enumerated() {
            let groups = 1 + rng.below(2)
            for _ in 0..<groups {
                let count = UInt32(1 + (rng.below(8) == 0 ? rng.below(40) : rng.below(3)))
                if rng.below(10) == 0 {
                    samples.append(SampleGroup(taskID: 0, thread: Int32(others[rng.below(others.count)]), stack: Int32(i), count: count))
                } else {
                    let ids = tasksOfKind[k]
                    samples.append(
                        SampleGroup(
                            taskID: ids[rng.below(ids.count)], thread: Int32(pool[rng.below(pool.count)]),
                            stack: Int32(i), count: count))
                }
            }
        }
        let total = samples.reduce(UInt64(0)) { $0 + UInt64($1.count) }

        // Job tracking: per-task poll statistics and some long polls.
        var jobStats: [TaskJobStats] = []
        for t in tasks {
            let p99 = UInt64(200_000 + rng.below(30_000_000))
            jobStats.append(
                TaskJobStats(
                    taskID: t.id,
                    pollTime: DurationStats(count: UInt64(10 + rng.below(500)), meanNs: p99 / 8, p50Ns: p99 / 10, p99Ns: p99, maxNs: p99 * 2),
                    schedulingDelay: DurationStats(count: 100, meanNs: 50_000, p50Ns: 20_000, p99Ns: UInt64(rng.below(5_000_000)), maxNs: 9_000_000),
                    busyNs: UInt64(rng.below(500_000_000)), longPolls: p99 > 10_000_000 ? UInt64(1 + rng.below(3)) : 0))
        }
        var longPolls: [LongPoll] = []
        for i in 0..<200 {
            let s = rng.below(stacks.count)
            let t = tasksOfKind[kindOfStack[s]][rng.below(tasksOfKind[kindOfStack[s]].count)]
            longPolls.append(
                LongPoll(
                    taskID: t, thread: threads[pool[rng.below(pool.count)]].tid, startNs: UInt64(i) * 40_000_000,
                    durationNs: UInt64(10_000_000 + rng.below(90_000_000)),
                    stacks: [
                        StackCount(stack: Int32(s), count: UInt32(5 + rng.below(30))),
                        StackCount(stack: Int32(rng.below(stacks.count)), count: UInt32(1 + rng.below(4))),
                    ]))
        }
        let jobs = JobSummary(
            longPollThresholdNs: 10_000_000, tasks: jobStats,
            runtime: RuntimeJobStats(
                workerThreads: 8, jobs: 250_000, jobsPerSecond: 25_000, busyFraction: 0.7,
                schedulingDelay: DurationStats(
                    count: 250_000, meanNs: 80_000, p50Ns: 30_000,
                    p99Ns: 2_500_000, maxNs: 40_000_000)),
            longPolls: longPolls)
        let meta = ProfileMeta(
            command: [".build/release/MyServer", "--synthetic", "\(distinctStacks)"], startTimeNs: 1_763_700_000_000_000_000,
            durationNs: 120_000_000_000, host: "synthetic", pid: 4242, engine: "perf",
            engineNote: "synthetic profile", rateHz: 999, exitDescription: "exit 0",
            targetCPUTimeNs: total * 1_001_001, jobTracking: true)
        return Profile(meta: meta, frames: frames, stacks: stacks, threads: threads, tasks: tasks, samples: samples, jobs: jobs)
    }
}
