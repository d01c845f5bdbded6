import Foundation
import TaskProfModel
import TaskProfRecord
import TaskProfReports
import TaskProfTestSupport
import XCTest

/// End-to-end: record real programs with the agent and check what taskprof reports.
final class RecordTests: XCTestCase {
    func testTwoNamedTasksSplitCPUThreeToOne() throws {
        let dir = try TestSupport.tempDir()
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-o", dir + "/two.taskprof",
            "--folded", dir + "/two.folded", "--", try TestSupport.binary("TwoTasks"),
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("done "), "target stdout must pass through: \(r.stdout)")
        let lines = try TestSupport.parseFolded(String(contentsOfFile: dir + "/two.folded", encoding: .utf8))
        let heavy = lines.filter { $0.frames.first == "heavy" }
        let light = lines.filter { $0.frames.first == "light" }
        let heavyN = heavy.reduce(0) { $0 + $1.count }, lightN = light.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(heavyN + lightN, 100)
        // Each task's root holds its own function and not the other's.
        XCTAssertGreaterThan(heavy.filter { $0.frames.contains("heavyWork(rounds:)") }.reduce(0) { $0 + $1.count }, heavyN * 9 / 10)
        XCTAssertGreaterThan(light.filter { $0.frames.contains("lightWork(rounds:)") }.reduce(0) { $0 + $1.count }, lightN * 9 / 10)
        XCTAssertFalse(heavy.contains { $0.frames.contains("lightWork(rounds:)") })
        XCTAssertFalse(light.contains { $0.frames.contains("heavyWork(rounds:)") })
        let share = Double(heavyN) / Double(heavyN + lightN)
        XCTAssertEqual(share, 0.75, accuracy: 0.05, "heavy share \(share)")

        // Sample total against the target's CPU time × rate.
        let p = try ProfileFile.read(path: dir + "/two.taskprof")
        let expected = Double(p.meta.targetCPUTimeNs) / 1e9 * Double(p.meta.rateHz)
        XCTAssertEqual(
            Double(p.sampleCount), expected, accuracy: expected * 0.15,
            "samples \(p.sampleCount) vs CPU \(p.meta.targetCPUTimeNs) ns × \(p.meta.rateHz) Hz")
        XCTAssertEqual(p.meta.engine, "perf")
        XCTAssertTrue(p.meta.complete)
        // Signals that find no sampling thread (one racing a thread's exit) are counted as
        // dropped; they must stay rare. The agent's writer thread was once sampled by mistake,
        // and its signals were dropped: up to 15 % of this run.
        XCTAssertLessThanOrEqual(p.droppedCount, p.sampleCount / 100, "dropped \(p.counters)")
        XCTAssertFalse(p.threads.contains { $0.kind == .other }, "only the target's threads: \(p.threads)")
        // The main thread leaves early by pthread_exit (dispatch_main); its name is still known.
        XCTAssertEqual(p.threads.first { $0.kind == .main }?.name, "TwoTasks")
    }

    /// Where the kernel keeps time with the TSC, the agent reads its clock from the TSC and stays
    /// within 50 µs of CLOCK_MONOTONIC over its re-syncs; TASKPROF_CLOCK=kernel keeps clock_gettime.
    func testAgentClockFollowsClockMonotonic() throws {
        let source = (try? String(contentsOfFile: "/sys/devices/system/clocksource/clocksource0/current_clocksource", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let dir = try TestSupport.tempDir()
        // About 3 s of CPU work on every core: a calibration at 20 ms, then a re-sync a second.
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-q", "--rate", "99", "-o", dir + "/tsc.taskprof",
            "--", try TestSupport.binary("AsyncBench"), "cpu", "300",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try ProfileFile.read(path: dir + "/tsc.taskprof")
        XCTAssertEqual(p.counters["clock.tsc"], source == "tsc" ? 1 : 0, "clocksource \(source ?? "?"): \(p.counters)")
        if source == "tsc" {
            XCTAssertGreaterThanOrEqual(p.counters["clock.resyncs"] ?? 0, 1, "\(p.meta.durationNs) ns run: \(p.counters)")
            XCTAssertLessThan(p.counters["clock.maxSkewNs"] ?? .max, 50_000, "\(p.counters)")
        }

        var env = ProcessInfo.processInfo.environment
        env["TASKPROF_CLOCK"] = "kernel"
        let k = try TestSupport.run(
            [
                try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/kernel.taskprof",
                "--", try TestSupport.binary("AsyncBench"), "cpu", "40",
            ], environment: env)
        XCTAssertEqual(k.status, 0, k.stderr)
        let q = try ProfileFile.read(path: dir + "/kernel.taskprof")
        XCTAssertEqual(q.counters["clock.tsc"], 0, "\(q.counters)")
        XCTAssertEqual(q.counters["clock.resyncs"], 0, "\(q.counters)")
    }

    /// A program without Swift Concurrency is profiled all the same; the profile says in one note
    /// why it has no tasks or jobs, instead of listing runtime symbols it could not find.
    func testNonSwiftProgramGetsOneNoteAndCPUSamples() throws {
        let dir = try TestSupport.tempDir()
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-o", dir + "/sh.taskprof", "--",
            "/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try ProfileFile.read(path: dir + "/sh.taskprof")
        XCTAssertEqual(p.meta.notes.filter { $0.hasPrefix("no Swift tasks") }.count, 1, "\(p.meta.notes)")
        XCTAssertFalse(p.meta.notes.contains { $0.contains("not found") }, "\(p.meta.notes)")
        XCTAssertFalse(p.meta.jobTracking)
        XCTAssertGreaterThan(p.sampleCount, 50, "CPU samples of the shell loop")
        XCTAssertTrue(r.stderr.contains("note: no Swift tasks"), r.stderr)

        let swift = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/two.taskprof", "--",
            try TestSupport.binary("TwoTasks"),
        ])
        XCTAssertEqual(swift.status, 0, swift.stderr)
        let q = try ProfileFile.read(path: dir + "/two.taskprof")
        XCTAssertTrue(q.meta.notes.isEmpty, "\(q.meta.notes)")
        XCTAssertTrue(q.meta.jobTracking)
    }

    /// Worker threads are named after their Dispatch root queue, which the kernel cuts to its
    /// last 15 bytes; the profile shows the root queue where the tail says which one it is.
    func testDispatchWorkerNamesShowTheirRootQueue() throws {
        XCTAssertEqual(DispatchThreadName.display("oot.default-qos"), "default-qos")
        XCTAssertEqual(DispatchThreadName.display("user-initiated-qos".suffix(15).description), "user-initiated-qos")
        XCTAssertEqual(DispatchThreadName.display("-qos.overcommit"), "…-qos.overcommit", "six root queues end so")
        XCTAssertEqual(DispatchThreadName.display("NIO-ELT-0-#0"), "NIO-ELT-0-#0")
        XCTAssertEqual(DispatchThreadName.display("TwoTasks"), "TwoTasks")

        let dir = try TestSupport.tempDir()
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/lp.taskprof", "--",
            try TestSupport.binary("LongPoll"),
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try ProfileFile.read(path: dir + "/lp.taskprof")
        let pool = p.threads.filter { $0.kind == .swiftPool }
        XCTAssertFalse(pool.isEmpty)
        XCTAssertTrue(pool.allSatisfy { $0.name == "default-qos" || $0.name == "…-qos.overcommit" }, "\(pool.map(\.name))")
        XCTAssertTrue(pool.contains { $0.name == "default-qos" }, "\(pool.map(\.name))")
    }

    /// The summary warns when stacks deserve less trust: many broken walks, or many frames found
    /// by frame pointers; a profile with neither says nothing about unwinding.
    func testSummaryWarnsAboutUntrustedStacks() {
        func note(_ counters: [String: UInt64]) -> String? {
            TerminalSummary.unwindNote(Profile(meta: ProfileMeta(command: ["x"]), counters: counters))
        }
        XCTAssertNil(note(["samples": 1000, "unwind.broken": 20, "unwind.framesCFI": 9500, "unwind.framesFP": 500]))
        XCTAssertEqual(
            note(["samples": 1000, "unwind.broken": 21, "unwind.framesCFI": 9500, "unwind.framesFP": 500]),
            "21 of 1000 stacks end before the thread's start (code without unwind information)")
        XCTAssertEqual(
            note(["samples": 1000, "unwind.framesCFI": 9000, "unwind.framesFP": 1000]),
            "10.0% of frames found by frame pointers (code without unwind information)")
        XCTAssertNil(note([:]))
    }

    /// Stacks reach from the user function to the thread's start, with or without frame pointers.
    func testStacksReachThreadStartInReleaseBuild() throws {
        try checkDeepStacks(binary: try TestSupport.binary("DeepStacks"))
    }

    func testStacksReachThreadStartWithoutFramePointers() throws {
        let dir = try TestSupport.tempDir()
        let exe = dir + "/deep_nofp"
        let c = try TestSupport.run(["/usr/bin/env", "swiftc", "-O", "-g", TestSupport.packageRoot + "/Examples/DeepStacks/main.swift", "-o", exe])
        XCTAssertEqual(c.status, 0, c.stderr)
        // Plain swiftc -O really omits frame pointers in the user code (otherwise this test proves nothing).
        let dis = try TestSupport.run(["/usr/bin/objdump", "-d", "--no-show-raw-insn", exe])
        let middle = dis.stdout.components(separatedBy: "<$s4main6middleySdSiF>:\n").dropFirst().first ?? ""
        XCTAssertFalse(middle.prefix(200).contains("push   %rbp"), "expected no frame pointer in middle(_:)")
        try checkDeepStacks(binary: exe)
    }

    private func checkDeepStacks(binary: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try TestSupport.tempDir()
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/d.taskprof",
            "--folded", dir + "/d.folded", "--", binary, "0", "3",
        ])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        let lines = try TestSupport.parseFolded(String(contentsOfFile: dir + "/d.folded", encoding: .utf8))
        let work = lines.filter { $0.frames.contains("leafWork(_:)") }
        let total = work.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(total, 50, file: file, line: line)
        // user function → its callers → the thread's start, in order.
        let complete = work.filter { l in
            guard let leaf = l.frames.firstIndex(of: "leafWork(_:)"), let mid = l.frames.firstIndex(of: "middle(_:)"),
                let out = l.frames.firstIndex(of: "outer(_:)")
            else { return false }
            let start = l.frames.firstIndex { ["start_thread", "__libc_start_main", "__libc_start_call_main", "_start", "clone3"].contains($0) }
            return start != nil && start! < out && out < mid && mid < leaf
        }.reduce(0) { $0 + $1.count }
        XCTAssertGreaterThan(Double(complete) / Double(total), 0.9, "only \(complete)/\(total) stacks reach the thread start", file: file, line: line)
        // Samples inside libm (a leaf without frame pointers) keep their caller leafWork.
        let inLibm = lines.filter { ($0.frames.last ?? "").contains("sin") || ($0.frames.last ?? "").contains("cos") }
        XCTAssertFalse(inLibm.isEmpty, "expected samples in libm's sin/cos", file: file, line: line)
        for l in inLibm { XCTAssertTrue(l.frames.contains("leafWork(_:)"), "caller of a libm leaf lost: \(l.frames)", file: file, line: line) }
    }
}
