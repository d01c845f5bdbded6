import Foundation
import TaskProfAnalysis
import TaskProfModel
import TaskProfReports
import TaskProfTestSupport
import XCTest

/// Logical async stacks (issue 7) on the AsyncChain example: a three-deep await chain that
/// suspends at every level, then a task group of 1000 unnamed children.
final class LogicalStackTests: XCTestCase {
    private static let chain = ["level1(_:)", "level2(_:)", "level3(_:)", "work(_:)"]

    func testAwaitChainAppearsInLogicalStacks() throws {
        let r = try recordAsyncChain()
        let work = try folded(r, ["--task", "chain"]).filter { $0.frames.contains("work(_:)") }
        let total = work.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(total, 100, "too few samples in work(_:) to judge")
        let withChain = work.filter { Self.containsInOrder($0.frames, Self.chain) }.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(
            Double(withChain), 0.9 * Double(total),
            "\(withChain) of \(total) samples in work(_:) show level1 → level2 → level3 → work; e.g. \(work.first?.frames ?? [])")

        // The awaiting callers are marked async in the profile; the resumed function is not.
        let p = r.profile
        XCTAssertTrue(p.frames.contains { $0.shortName == "level1(_:)" && $0.isAsync })
        XCTAssertTrue(p.frames.contains { $0.shortName == "level2(_:)" && $0.isAsync })
        XCTAssertTrue(p.frames.contains { $0.shortName == "level3(_:)" && !$0.isAsync })

        // Physical stacks are what the thread held: after a resumption only level3 is there.
        let physical = try folded(r, ["--task", "chain", "--stacks", "physical"]).filter { $0.frames.contains("work(_:)") }
        XCTAssertEqual(physical.reduce(0) { $0 + $1.count }, total, "both views hold the same samples")
        let physicalChain = physical.filter { $0.frames.contains("level1(_:)") }.reduce(0) { $0 + $1.count }
        XCTAssertLessThan(Double(physicalChain), 0.1 * Double(total))

        XCTAssertEqual(r.summary.profile.stacks, "logical")
        XCTAssertGreaterThan(r.summary.profile.logicalStackShare, 0.9)
    }

    /// Built with plain `swiftc -O -g`, the async functions keep no frame pointer: the resumed
    /// function's context is found in r14 (recovered through the callees' CFI), not at fp - 8.
    func testAwaitChainWithoutFramePointers() throws {
        let dir = try TestSupport.tempDir()
        let exe = dir + "/chain_nofp"
        let c = try TestSupport.run([
            "/usr/bin/env", "swiftc", "-O", "-g", "-module-name", "AsyncChain",
            TestSupport.packageRoot + "/Examples/AsyncChain/main.swift", "-o", exe,
        ])
        XCTAssertEqual(c.status, 0, c.stderr)
        // The build really has no frame pointers in the chain (otherwise this test proves nothing).
        let dis = try TestSupport.run(["/usr/bin/objdump", "-d", "--no-show-raw-insn", exe])
        for symbol in ["$s10AsyncChain4workys6UInt64VSiF", "$s10AsyncChain6level3ys6UInt64VSiYaF"] {
            let body = dis.stdout.components(separatedBy: "<\(symbol)>:\n").dropFirst().first ?? ""
            XCTAssertFalse(body.isEmpty, "\(symbol) not found")
            XCTAssertFalse(body.prefix(300).contains("push   %rbp"), "expected no frame pointer in \(symbol)")
        }
        let out = dir + "/nofp.taskprof"
        let r = try TestSupport.run([try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--", exe])
        XCTAssertEqual(r.status, 0, r.stderr)
        let res = try TestSupport.run([try TestSupport.binary("taskprof"), "report", out, "--folded", "-", "--task", "chain"])
        XCTAssertEqual(res.status, 0, res.stderr)
        let work = try TestSupport.parseFolded(res.stdout).filter { $0.frames.contains("work(_:)") }
        let total = work.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(total, 100, "too few samples in work(_:) to judge")
        let withChain = work.filter { Self.containsInOrder($0.frames, Self.chain) }.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(
            Double(withChain), 0.9 * Double(total),
            "\(withChain) of \(total) samples in work(_:) show the chain; e.g. \(work.first?.frames ?? [])")
        let p = try ProfileFile.read(path: out)
        XCTAssertGreaterThan(p.counters["async.fromR14"] ?? 0, 0, "contexts found through r14: \(p.counters)")
    }

    func testLongPollsAndBlockingCallsCarryLogicalStacks() throws {
        let r = try recordAsyncChain()
        // Each round's work runs ~12 ms without suspending: long polls of task chain.
        let polls = r.summary.longPolls.filter { $0.taskName == "chain" && $0.samples > 0 }
        XCTAssertFalse(polls.isEmpty, "no long polls of task chain")
        for poll in polls {
            XCTAssertTrue(Self.containsInOrder(poll.stack.map(\.function), Self.chain), "long poll stack \(poll.stack.map(\.function))")
            XCTAssertEqual(poll.stack.first { $0.function == "level2(_:)" }?.async, true)
        }
        // The last round's usleep at the bottom of the chain.
        let sleep = try XCTUnwrap(r.summary.blockingCalls.first { $0.primitive == "usleep" }, "usleep not reported")
        XCTAssertEqual(sleep.site.function, "level3(_:)")
        XCTAssertEqual(sleep.taskNames, ["chain"])
        XCTAssertTrue(
            Self.containsInOrder(sleep.stack.map(\.function), ["level1(_:)", "level2(_:)", "level3(_:)"]),
            "blocking stack \(sleep.stack.map(\.function))")
    }

    func testUnnamedGroupChildrenFoldIntoOneTaskKind() throws {
        let r = try recordAsyncChain()
        let inChild = { (line: (frames: [String], count: Int)) in line.frames.contains("groupChild(_:)") }
        let byTask = try folded(r, ["--group-by", "task"]).filter(inChild)
        let byKind = try folded(r, ["--group-by", "task-kind"]).filter(inChild)
        let taskRoots = Set(byTask.map { $0.frames[0] }), kindRoots = Set(byKind.map { $0.frames[0] })
        XCTAssertGreaterThan(taskRoots.count, 20, "children sampled: \(taskRoots.count)")
        XCTAssertEqual(kindRoots.count, 1, "kinds: \(kindRoots)")
        XCTAssertTrue(kindRoots.first?.hasPrefix("closure #1 in") == true, "kind \(kindRoots)")
        XCTAssertEqual(byKind.reduce(0) { $0 + $1.count }, byTask.reduce(0) { $0 + $1.count })

        let kind = try XCTUnwrap(r.summary.taskKinds.first, "no task kinds in the JSON summary")
        XCTAssertEqual(kind.kind, kindRoots.first)
        // The kind counts every sampled unnamed task of that kind, each child sampled in
        // groupChild(_:) among them. (Not only those: a child whose few samples all fell in
        // runtime code belongs to the kind too, which once made this count differ by one.)
        let ofKind = r.summary.tasks.filter { $0.name == nil && $0.kind == kind.kind && $0.samples > 0 }
        XCTAssertEqual(kind.tasks, ofKind.count)
        XCTAssertTrue(
            taskRoots.isSubset(of: Set(ofKind.map { "task \($0.id)" })),
            "children in groupChild(_:) outside the kind: \(taskRoots.subtracting(ofKind.map { "task \($0.id)" }))")
        // The named task keeps its name under task-kind grouping.
        XCTAssertTrue(try folded(r, ["--group-by", "task-kind"]).contains { $0.frames[0] == "chain" })
    }

    // MARK: Fixtures

    private struct Recorded {
        var path: String
        var summary: JSONSummary
        var profile: Profile
    }

    // XCTest runs one test at a time, so the cache needs no lock.
    nonisolated(unsafe) private static var cached: Recorded?

    /// One recording serves every test here: the checks read different parts of it.
    private func recordAsyncChain() throws -> Recorded {
        if let c = Self.cached { return c }
        let dir = try TestSupport.tempDir()
        let out = dir + "/chain.taskprof", json = dir + "/chain.json"
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--json", json, "--",
            try TestSupport.binary("AsyncChain"),
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        guard let data = FileManager.default.contents(atPath: json) else { throw TestFailure("no JSON summary: \(r.stderr)") }
        let rec = Recorded(path: out, summary: try JSONDecoder().decode(JSONSummary.self, from: data), profile: try ProfileFile.read(path: out))
        Self.cached = rec
        return rec
    }

    private func folded(_ r: Recorded, _ args: [String]) throws -> [(frames: [String], count: Int)] {
        let res = try TestSupport.run([try TestSupport.binary("taskprof"), "report", r.path, "--folded", "-"] + args)
        XCTAssertEqual(res.status, 0, res.stderr)
        return try TestSupport.parseFolded(res.stdout)
    }

    /// True when `wanted` appears in `frames` as one contiguous run.
    static func containsInOrder(_ frames: [String], _ wanted: [String]) -> Bool {
        guard frames.count >= wanted.count else { return false }
        return (0...(frames.count - wanted.count)).contains { Array(frames[$0..<($0 + wanted.count)]) == wanted }
    }

    // MARK: Without a recording

    /// Kinds and views on a hand-made profile: runtime glue, thunks, async frames.
    func testTaskKindsAndPhysicalViewOnASyntheticProfile() {
        func f(_ name: String, _ module: String = "App", async: Bool = false) -> SymbolizedFrame {
            SymbolizedFrame(
                function: name, shortName: name, module: module, file: name == "closure #1 in main" ? "/src/main.swift" : nil,
                line: 7, isAsync: async)
        }
        let frames = [
            f("start_thread", "libc.so.6"),  // 0
            f("swift::runJobInEstablishedExecutorContext(swift::Job*)", "libswift_Concurrency.so"),  // 1
            f("partial apply for closure #1 in main", async: true),  // 2
            f("closure #1 in main", async: true),  // 3
            f("fetch()", async: true),  // 4
            f("decode()"),  // 5
            f("closure #1 in main"),  // 6 (physical, first poll)
            f("swift_task_switch", "libswift_Concurrency.so"),  // 7
        ]
        let stacks: [[Int32]] = [[0, 1, 2, 3, 4, 5], [0, 1, 6, 5], [0, 1, 7], [0, 5]]
        let p = Profile(
            meta: ProfileMeta(command: ["x"]), frames: frames, stacks: stacks,
            threads: [ThreadInfo(tid: 1, name: "w", kind: .swiftPool)],
            tasks: [TaskInfo(id: 10, name: nil), TaskInfo(id: 11, name: nil), TaskInfo(id: 12, name: "named"), TaskInfo(id: 13, name: nil)],
            samples: [
                SampleGroup(taskID: 10, thread: 0, stack: 0, count: 5),
                SampleGroup(taskID: 11, thread: 0, stack: 1, count: 2),
                SampleGroup(taskID: 12, thread: 0, stack: 0, count: 1),
                SampleGroup(taskID: 13, thread: 0, stack: 2, count: 1),
                SampleGroup(taskID: 0, thread: 0, stack: 3, count: 4),
            ])
        let kinds = TaskKinds(p).labels
        // Past the thunk, whether the closure frame is logical (resumed task) or physical (first
        // poll), one kind; a sample inside the runtime gives no kind.
        XCTAssertEqual(kinds[10], "closure #1 in main")
        XCTAssertEqual(kinds[11], "closure #1 in main")
        XCTAssertNil(kinds[13])
        XCTAssertEqual(p.rootLabel(for: p.samples[2], groupBy: .taskKind, names: p.taskNames, kinds: kinds), "named")
        XCTAssertEqual(p.rootLabel(for: p.samples[3], groupBy: .taskKind, names: p.taskNames, kinds: kinds), "task 13")
        XCTAssertEqual(p.rootLabel(for: p.samples[4], groupBy: .taskKind, names: p.taskNames, kinds: kinds), "w [1]")

        XCTAssertTrue(p.hasLogicalFrames)
        XCTAssertEqual(p.logicalStackShare, 6.0 / 9.0, accuracy: 1e-9)
        let physical = p.viewing(.physical)
        XCTAssertEqual(physical.stacks[0], [0, 1, 5])
        XCTAssertEqual(physical.stacks[1], stacks[1])
        XCTAssertFalse(physical.hasLogicalFrames)
        XCTAssertEqual(p.viewing(.logical).stacks, stacks)
        XCTAssertEqual(
            physical.foldedStacks(groupBy: .none).first {
                $0.frames == ["start_thread", "swift::runJobInEstablishedExecutorContext(swift::Job*)", "decode()"]
            }?.count, 6)
    }
}
