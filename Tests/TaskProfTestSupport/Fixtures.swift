import Foundation
import TaskProfModel

/// Profiles built by hand for the tests: the unit tests and the end-to-end tests share them.
public enum Fixtures {
    public static let hostileNames = [
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(1)</script>",
        "a & \"b\" 'c'",
        "</SCRIPT ><!-- x",
        "line\nbreak\u{2028}sep\\back",
    ]

    /// A small profile whose every name is hostile: tasks, threads, frames, modules, files, command.
    public static func hostileProfile() -> Profile {
        let h = hostileNames
        var frames: [SymbolizedFrame] = [
            SymbolizedFrame(function: "start_thread", shortName: "start_thread", module: "libc.so.6"),
            SymbolizedFrame(function: "swift_job_run", shortName: "swift_job_run", module: "libswift_Concurrency.so"),
        ]
        for (i, n) in h.enumerated() {
            frames.append(
                SymbolizedFrame(
                    function: "Demo.\(n)(Swift.Int) -> ()", shortName: n, module: "Mod\(n)",
                    file: "/src/\(n).swift", line: 10 + i))
        }
        // The same function at another line: the page merges it with its first frame.
        frames.append(
            SymbolizedFrame(
                function: "Demo.\(h[0])(Swift.Int) -> ()", shortName: h[0], module: "Mod\(h[0])",
                file: "/src/\(h[0]).swift", line: 99))
        let stacks: [[Int32]] = [
            [0, 1, 2], [0, 1, 2, 3], [0, 1, 3, 4], [0, 1, 5, 6], [0, 1, 7], [0, 1, 7, 2], [0, 1, 3, 4, 5],
            [0, 1, 3, 4, 2], [0], [],
        ]
        let threads = [
            ThreadInfo(tid: 100, name: h[1], kind: .main),
            ThreadInfo(tid: 101, name: h[0], kind: .swiftPool, jobsRun: 12),
            ThreadInfo(tid: 102, name: "", kind: .other),
        ]
        let tasks = [
            TaskInfo(id: 1, name: h[0]), TaskInfo(id: 2, name: h[1]), TaskInfo(id: 3, name: h[2]),
            TaskInfo(id: 4, name: h[2]), TaskInfo(id: 5, name: nil), TaskInfo(id: 6, name: h[4]),
        ]
        let samples = [
            SampleGroup(taskID: 1, thread: 1, stack: 0, count: 40), SampleGroup(taskID: 1, thread: 1, stack: 1, count: 7),
            SampleGroup(taskID: 2, thread: 1, stack: 2, count: 30), SampleGroup(taskID: 3, thread: 1, stack: 3, count: 9),
            SampleGroup(taskID: 4, thread: 1, stack: 4, count: 5), SampleGroup(taskID: 5, thread: 1, stack: 5, count: 3),
            SampleGroup(taskID: 6, thread: 1, stack: 6, count: 2), SampleGroup(taskID: 2, thread: 1, stack: 7, count: 4),
            SampleGroup(taskID: 0, thread: 0, stack: 8, count: 11), SampleGroup(taskID: 0, thread: 2, stack: 9, count: 1),
            SampleGroup(taskID: 1, thread: 1, stack: 9, count: 1),
        ]
        let d = DurationStats(count: 3, meanNs: 2_000_000, p50Ns: 1_000_000, p99Ns: 30_000_000, maxNs: 30_000_000)
        let jobs = JobSummary(
            longPollThresholdNs: 10_000_000,
            tasks: [
                TaskJobStats(taskID: 1, pollTime: d, schedulingDelay: d, busyNs: 40_000_000, longPolls: 1),
                TaskJobStats(taskID: 2, pollTime: d, schedulingDelay: d, busyNs: 9_000_000, longPolls: 0),
            ],
            runtime: RuntimeJobStats(
                workerThreads: 2, jobs: 30, jobsPerSecond: 15, busyFraction: 0.4, schedulingDelay: d,
                actorQueueWait: DurationStats(count: 12, meanNs: 20_000_000, p50Ns: 18_000_000, p99Ns: 40_000_000, maxNs: 41_000_000)),
            longPolls: [
                LongPoll(
                    taskID: 1, thread: 101, startNs: 5_000_000, durationNs: 30_000_000,
                    stacks: [StackCount(stack: 0, count: 25), StackCount(stack: 1, count: 3)])
            ])
        let meta = ProfileMeta(
            command: ["./bench", h[1], "https://example.invalid/x"], startTimeNs: 1_700_000_000_000_000_000,
            durationNs: 2_000_000_000, host: h[0], pid: 42, engine: "perf", engineNote: h[2], rateHz: 999,
            exitDescription: "exit 0", targetCPUTimeNs: 1_000_000_000, jobTracking: true,
            notes: [h[1]])
        var p = Profile(
            meta: meta, counters: ["dropped.ringFull": 2], frames: frames, stacks: stacks, threads: threads,
            tasks: tasks, samples: samples, jobs: jobs)
        // Live tasks at the end: one stuck on a continuation (its await stack of hostile
        // frames), one awaiting it, one running.
        p.taskDumps = [
            TaskDump(
                reason: .end, timeNs: 2_000_000_000,
                tasks: [
                    LiveTask(id: 1, kind: .unstructured, state: .suspended, forNs: 1_500_000_000, createdAt: 4, awaitStack: 3, wait: .continuation),
                    LiveTask(
                        id: 2, parent: 1, kind: .detached, state: .suspended, forNs: 1_400_000_000, awaitStack: 2, wait: .task, waitingOnTask: 1),
                    LiveTask(id: 5, kind: .unknown, state: .running, forNs: 1_000_000, tid: 101),
                ])
        ]
        return p
    }

    /// A profile from (task, stack of function names, samples) rows. Frames are interned in the
    /// order given by `frameOrder` (names not in it follow), so two profiles can number the same
    /// functions differently.
    public static func profile(
        _ rows: [(task: UInt64, stack: [String], count: UInt32)], taskNames: [UInt64: String] = [:],
        frameOrder: [String] = [], module: String = "bench", buildID: String = "b1",
        durationNs: UInt64 = 1_000_000_000, lineBase: Int = 10, inlined: Set<String> = [],
        fullNames: [String: String] = [:], jobs: JobSummary? = nil,
        threads: [ThreadInfo] = [ThreadInfo(tid: 10, name: "pool", kind: .swiftPool)]
    ) -> Profile {
        var frames: [SymbolizedFrame] = []
        var index: [String: Int32] = [:]
        func frame(_ name: String) -> Int32 {
            if let i = index[name] { return i }
            let runtime = name.hasPrefix("swift_") || name == "start_thread"
            frames.append(
                SymbolizedFrame(
                    function: fullNames[name] ?? (runtime ? name : "Bench.\(name)"), shortName: name,
                    module: runtime ? "libswift_Concurrency.so" : module, file: runtime ? nil : "/src/main.swift",
                    line: lineBase + frames.count, inlined: inlined.contains(name)))
            index[name] = Int32(frames.count - 1)
            return Int32(frames.count - 1)
        }
        frameOrder.forEach { _ = frame($0) }
        var stacks: [[Int32]] = []
        var samples: [SampleGroup] = []
        for r in rows {
            stacks.append(r.stack.map(frame))
            samples.append(SampleGroup(taskID: r.task, thread: 0, stack: Int32(stacks.count - 1), count: r.count))
        }
        let taskIDs = Set(rows.map(\.task)).subtracting([0]).sorted()
        let meta = ProfileMeta(
            command: ["./\(module)"], startTimeNs: 1_700_000_000_000_000_000, durationNs: durationNs,
            host: "test", rateHz: 999, mainBuildID: buildID)
        return Profile(
            meta: meta, modules: [LoadedModule(path: "/bin/\(module)", buildID: buildID, bias: 0, executableRanges: [])],
            frames: frames, stacks: stacks, threads: threads,
            tasks: taskIDs.map { TaskInfo(id: $0, name: taskNames[$0]) }, samples: samples, jobs: jobs)
    }

    /// `parse` and `hash` under a task each, and `other` to fill up to `total`.
    public static func twoFunctions(
        parse: UInt32, hash: UInt32, total: UInt32, frameOrder: [String] = [], module: String = "bench",
        durationNs: UInt64 = 1_000_000_000
    ) -> Profile {
        profile(
            [
                (1, ["start_thread", "swift_job_run", "parserTask", "parse"], parse),
                (2, ["start_thread", "swift_job_run", "hasherTask", "hash"], hash),
                (0, ["start_thread", "other"], total - parse - hash),
            ],
            taskNames: [1: "parser", 2: "hasher"], frameOrder: frameOrder, module: module, durationNs: durationNs)
    }

}
