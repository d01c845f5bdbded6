import Foundation
import TaskProfAnalysis
import TaskProfModel
@testable import TaskProfReports
import XCTest

final class HTMLReportTests: XCTestCase {
    static let hostileNames = [
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(1)</script>",
        "a & \"b\" 'c'",
        "</SCRIPT ><!-- x",
        "line\nbreak\u{2028}sep\\back",
    ]

    /// A small profile whose every name is hostile: tasks, threads, frames, modules, files, command.
    static func hostileProfile() -> Profile {
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
        return Profile(
            meta: meta, counters: ["dropped.ringFull": 2], frames: frames, stacks: stacks, threads: threads,
            tasks: tasks, samples: samples, jobs: jobs)
    }

    static let tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("taskprof-html-tests-\(getpid())")

    override class func tearDown() {
        try? FileManager.default.removeItem(at: tempDir)
        super.tearDown()
    }

    static func render(_ p: Profile, name: String) throws -> (path: String, html: String) {
        let dir = tempDir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        let sink = try OutputSink(path: path)
        HTMLReport(profile: p).render(to: sink)
        sink.close()
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
        return (path, String(decoding: data, as: UTF8.self))
    }

    static let dataOpen = "<script type=\"application/json\" id=\"data\">"

    /// The text of the data block (what the page hands to JSON.parse).
    static func dataBlock(_ html: String) throws -> String {
        let open = try XCTUnwrap(html.range(of: dataOpen), "no data block")
        let close = try XCTUnwrap(html.range(of: "</script>", range: open.upperBound..<html.endIndex))
        return String(html[open.upperBound..<close.lowerBound])
    }

    static func dataObject(_ html: String) throws -> [String: Any] {
        let text = try dataBlock(html)
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(obj as? [String: Any])
    }

    private func occurrences(of needle: String, in s: String) -> Int {
        s.lowercased().components(separatedBy: needle.lowercased()).count - 1
    }

    // MARK: - Escaping

    func testHostileNamesNeverAppearRaw() throws {
        let (_, html) = try Self.render(Self.hostileProfile(), name: "hostile.html")
        // Only the page's own three scripts (boot, data, main) open or close a script element.
        XCTAssertEqual(occurrences(of: "</script", in: html), 3)
        XCTAssertEqual(occurrences(of: "<script", in: html), 3)
        for n in Self.hostileNames {
            XCTAssertFalse(html.contains(n), "raw name in the page: \(n)")
        }
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("alert(1)</"))
        XCTAssertFalse(html.contains("<!-- x"))
        // The data block holds no character that HTML could read as markup.
        let block = try Self.dataBlock(html)
        XCTAssertFalse(block.contains("<"))
        XCTAssertFalse(block.contains(">"))
        XCTAssertFalse(block.contains("&"))
        XCTAssertFalse(block.contains("\u{2028}"))
        // Data reaches the DOM only through textContent: the template never uses innerHTML & co.
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            XCTAssertFalse(WebPage.text("report.html").contains(sink), "template uses \(sink)")
        }
    }

    func testDataBlockParsesBackWithNamesIntact() throws {
        let p = Self.hostileProfile()
        let (_, html) = try Self.render(p, name: "hostile.html")
        let d = try Self.dataObject(html)
        let funcs = try XCTUnwrap(d["funcs"] as? [[Any]])
        let shortNames = Set(funcs.compactMap { $0[0] as? String })
        let modules = try XCTUnwrap(d["modules"] as? [String])
        let files = try XCTUnwrap(d["files"] as? [String])
        for n in Self.hostileNames {
            XCTAssertTrue(shortNames.contains(n), "function \(n) missing")
            XCTAssertTrue(modules.contains("Mod\(n)"))
            XCTAssertTrue(files.contains("/src/\(n).swift"))
        }
        XCTAssertTrue(funcs.contains { ($0[1] as? String) == "Demo.\(Self.hostileNames[1])(Swift.Int) -> ()" })
        let tasks = try XCTUnwrap(d["tasks"] as? [[Any]])
        XCTAssertEqual(tasks.map { $0[1] as? String }, p.tasks.map(\.name))
        let threads = try XCTUnwrap(d["threads"] as? [[Any]])
        XCTAssertEqual(threads.map { $0[1] as? String }, p.threads.map(\.name))
        XCTAssertEqual(threads.map { $0[4] as? String }, p.threads.map(\.label))
        let meta = try XCTUnwrap(d["meta"] as? [String: Any])
        XCTAssertEqual(meta["command"] as? [String], p.meta.command)
        XCTAssertEqual(meta["host"] as? String, p.meta.host)
        XCTAssertEqual(meta["notes"] as? [String], p.meta.notes)
        XCTAssertEqual((meta["samples"] as? NSNumber)?.uint64Value, p.sampleCount)
        XCTAssertEqual((meta["dropped"] as? NSNumber)?.uint64Value, 2)
        let polls = try XCTUnwrap(d["longPolls"] as? [[Any]])
        XCTAssertEqual(polls.count, 1)
        XCTAssertEqual((d["blocking"] as? [Any])?.count, 0)
    }

    func testNoNetworkReferences() throws {
        let (_, html) = try Self.render(Self.hostileProfile(), name: "hostile.html")
        XCTAssertFalse(html.lowercased().contains("http://"))
        XCTAssertFalse(html.lowercased().contains("https://"))
        XCTAssertFalse(html.contains("//cdn"))
        XCTAssertFalse(html.lowercased().contains("@import"))
        XCTAssertFalse(html.lowercased().contains("url("))
        XCTAssertTrue(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
    }

    // MARK: - The data means what the profile says

    /// Decodes the front-coded stacks and checks that every sample group comes back with its
    /// task, thread, count and the same frames (function, module, file, line), root first.
    private func assertRoundTrip(_ p: Profile, file: StaticString = #filePath, line: UInt = #line) throws {
        let (_, html) = try Self.render(p, name: "roundtrip.html")
        let d = try Self.dataObject(html)
        let modules = try XCTUnwrap(d["modules"] as? [String])
        let files = try XCTUnwrap(d["files"] as? [String])
        let funcs = try XCTUnwrap(d["funcs"] as? [[Any]])
        let frames = try XCTUnwrap(d["frames"] as? [[Int]])
        let stacks = try XCTUnwrap(d["stacks"] as? [[Int]])
        let samples = try XCTUnwrap(d["samples"] as? [Int])
        let tasks = try XCTUnwrap(d["tasks"] as? [[Any]])

        struct F: Hashable { var function: String; var module: String; var file: String?; var line: Int? }
        func decodeFrame(_ i: Int) -> F {
            let fr = frames[i], fn = funcs[fr[0]]
            let short = fn[0] as! String, full = fn[1] as! String
            return F(
                function: full.isEmpty ? short : full, module: modules[fn[2] as! Int],
                file: fr[1] >= 0 ? files[fr[1]] : nil, line: fr[2] == 0 ? nil : fr[2])
        }
        var decoded: [[F]] = []
        var previous: [Int] = []
        var previousFuncs: [Int] = []
        for s in stacks {
            let cur = Array(previous.prefix(s[0])) + s.dropFirst()
            decoded.append(cur.map(decodeFrame))
            // Stacks come ordered by function path, which the page relies on.
            let funcsPath = cur.map { frames[$0][0] }
            XCTAssertFalse(funcsPath.lexicographicallyPrecedes(previousFuncs), "stacks not ordered by function path", file: file, line: line)
            previous = cur
            previousFuncs = funcsPath
        }
        struct Key: Hashable { var task: UInt64; var thread: Int; var frames: [F] }
        var got: [Key: UInt64] = [:]
        for i in stride(from: 0, to: samples.count, by: 4) {
            let t = samples[i]
            let id: UInt64 = t < 0 ? 0 : ((tasks[t][0] as? NSNumber)?.uint64Value ?? UInt64(tasks[t][0] as! String)!)
            got[Key(task: id, thread: samples[i + 1], frames: decoded[samples[i + 2]]), default: 0] += UInt64(samples[i + 3])
        }
        var want: [Key: UInt64] = [:]
        for s in p.samples {
            let fs = p.stacks[Int(s.stack)].map { i -> F in
                let f = p.frames[Int(i)]
                return F(function: f.function, module: f.module, file: f.file, line: f.line)
            }
            want[Key(task: s.taskID, thread: Int(s.thread), frames: fs), default: 0] += UInt64(s.count)
        }
        XCTAssertEqual(got, want, file: file, line: line)
    }

    func testStacksRoundTripHostile() throws {
        try assertRoundTrip(Self.hostileProfile())
    }

    func testStacksRoundTripSynthetic() throws {
        try assertRoundTrip(SyntheticProfile.make(distinctStacks: 3_000, seed: 7))
    }

    func testEmptyProfileRenders() throws {
        let (_, html) = try Self.render(Profile(meta: ProfileMeta(command: [])), name: "empty.html")
        let d = try Self.dataObject(html)
        XCTAssertEqual((d["stacks"] as? [Any])?.count, 0)
        XCTAssertTrue(d["runtime"] is NSNull)
    }

    // MARK: - Size

    func testHundredThousandStacksStayUnder15MB() throws {
        let p = SyntheticProfile.make(distinctStacks: 100_000, seed: 1)
        XCTAssertEqual(p.stacks.count, 100_000)
        let start = Date()
        let (path, html) = try Self.render(p, name: "stacks100k.html")
        let seconds = Date().timeIntervalSince(start)
        let size = html.utf8.count
        print(
            "HTMLReport: 100k stacks -> \(size) bytes (\(String(format: "%.2f", Double(size) / 1_048_576)) MiB) in \(String(format: "%.2f", seconds)) s: \(path)"
        )
        XCTAssertLessThan(size, 15_000_000)
        let d = try Self.dataObject(html)
        XCTAssertEqual((d["stacks"] as? [Any])?.count, 100_000)
        // For Tests/browser/measure_100k.sh: keep the page, and the profile for timing the CLI.
        let env = ProcessInfo.processInfo.environment
        if let out = env["TASKPROF_HTML_100K_OUT"] {
            try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.copyItem(atPath: path, toPath: out)
        }
        if let out = env["TASKPROF_PROFILE_100K_OUT"] {
            try ProfileFile.write(p, to: out)
        }
    }

    /// Job statistics survive the file, including the actor-queue wait appended to the section
    /// after version 1.
    func testJobSummaryRoundTripsThroughTheFile() throws {
        let p = Self.hostileProfile()
        let path = Self.tempDir.appendingPathComponent("jobs.taskprof").path
        try FileManager.default.createDirectory(at: Self.tempDir, withIntermediateDirectories: true)
        try ProfileFile.write(p, to: path)
        let back = try ProfileFile.read(path: path)
        XCTAssertEqual(back.jobs, p.jobs)
        XCTAssertEqual(back.jobs?.runtime.actorQueueWait.count, 12)
        let html = try Self.render(p, name: "jobs.html").html
        XCTAssertTrue(html.contains("\"actorWaitP50Ns\":18000000"), "the page gets the actor wait")
    }

    // MARK: - In a browser (needs chromium: `make test` installs it)

    func testSelfTestInHeadlessChromium() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("browser/check_report.sh").path
        for (name, profile) in [
            ("hostile.html", Self.hostileProfile()),
            ("synthetic.html", SyntheticProfile.make(distinctStacks: 20_000, seed: 3)),
        ] {
            let (path, _) = try Self.render(profile, name: name)
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: "/bin/bash")
            proc.arguments = [script, path]
            let pipe = Pipe()
            proc.standardOutput = pipe
            proc.standardError = pipe
            try proc.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            proc.waitUntilExit()
            XCTAssertEqual(proc.terminationStatus, 0, "\(name): \(out)")
        }
    }
}

/// A deterministic synthetic profile shaped like a busy async server: a shared runtime prefix,
/// one entry function per kind of task (40 kinds, 2000 tasks, one in ten unnamed), then a
/// random walk through a call graph of 3000 functions with a fan-out of three, 7 to 41 frames
/// deep (stacks of 13 to 48 frames), so stacks share their roots and part of their middle and
/// differ towards the leaves. Each function has three call sites (lines); a caller's frame is
/// the call site of the callee it calls, a leaf's line is random, and three leaves in ten end
/// in a runtime function (retain, release, memmove, malloc, task switch).
enum SyntheticProfile {
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

    static func make(distinctStacks: Int, seed: UInt64) -> Profile {
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
