import Foundation
import TaskProfModel
import TaskProfTestSupport
import XCTest

/// The agent runs inside other people's programs: thread churn, fork, a target that uses
/// SIGPROF itself, and sleeping threads must all behave as without it.
final class RobustnessTests: XCTestCase {
    private func record(_ dir: String, _ args: [String], flags extra: [String] = []) throws -> TestSupport.Result {
        try TestSupport.run(
            [try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/c.taskprof"] + extra
                + ["--", try TestSupport.binary("Churn")] + args)
    }

    /// A coroutine stack (makecontext) and a signal handler on a sigaltstack: the walk follows the
    /// program onto both (reads outside the thread's stack go through process_vm_readv) and the
    /// handler's samples reach the interrupted coroutine through the signal trampoline.
    func testSwitchedStacksAreWalkedThrough() throws {
        let dir = try TestSupport.tempDir()
        let exe = dir + "/switched_stacks"
        let c = try TestSupport.run(["/usr/bin/env", "cc", "-O2", "-g", TestSupport.packageRoot + "/Tests/agent/switched_stacks.c", "-o", exe])
        XCTAssertEqual(c.status, 0, c.stderr)
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/s.taskprof",
            "--folded", dir + "/s.folded", "--", exe,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("ok "), r.stdout)
        let lines = try TestSupport.parseFolded(String(contentsOfFile: dir + "/s.folded", encoding: .utf8))
        func count(_ l: [(frames: [String], count: Int)]) -> Int { l.reduce(0) { $0 + $1.count } }
        let coro = lines.filter { $0.frames.last == "coro_work" }
        XCTAssertGreaterThan(count(coro), 100)
        XCTAssertEqual(count(coro.filter { $0.frames.suffix(2) == ["coro_entry", "coro_work"] }), count(coro), "\(coro.map(\.frames))")
        let handler = lines.filter { $0.frames.last == "alt_work" }
        XCTAssertGreaterThan(count(handler), 5)
        XCTAssertEqual(
            count(handler.filter { $0.frames.suffix(4) == ["coro_work", "__restore_rt", "on_alarm", "alt_work"] }), count(handler),
            "\(handler.map(\.frames))")
        let p = try ProfileFile.read(path: dir + "/s.taskprof")
        XCTAssertGreaterThan(p.counters["unwind.signalFrames"] ?? 0, 0, "\(p.counters)")
    }

    func testThreadChurnIsSampledInProportion() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(dir, ["threads", "400"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "threads 400\n")
        let p = try ProfileFile.read(path: dir + "/c.taskprof")
        XCTAssertGreaterThanOrEqual(p.threads.count, 400)
        // Each thread lives for less than one sampling period; random first periods keep the
        // expected number of samples equal to CPU time × rate.
        let expected = Double(p.meta.targetCPUTimeNs) / 1e9 * Double(p.meta.rateHz)
        XCTAssertGreaterThan(Double(p.sampleCount), expected * 0.5, "samples \(p.sampleCount), expected about \(expected)")
        XCTAssertLessThan(Double(p.sampleCount), expected * 1.5)
    }

    func testForkAndExecChildrenAreNotProfiledByDefault() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(dir, ["fork"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "from echo\nchild exit 5, echo exit 0\n")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(files.filter { $0.hasSuffix(".taskprof") }, ["c.taskprof"])
        XCTAssertFalse(files.contains { $0.hasPrefix(".taskprof-raw") }, "raw streams are removed after conversion")
    }

    /// Following children is one run, one profile: a table of its processes, each with its own
    /// command line, its threads and samples kept apart, and `report --process` shows one.
    func testFollowChildrenWritesOneProfileWithAProcessTable() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(dir, ["fork"], flags: ["--follow-children"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "from echo\nchild exit 5, echo exit 0\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["c.taskprof"], "one file for the run")
        let p = try ProfileFile.read(path: dir + "/c.taskprof")
        XCTAssertEqual(p.processes.count, 3, "target, forked child and /bin/echo: \(p.processes.map(\.label))")
        let echo = try XCTUnwrap(p.processes.firstIndex { $0.name == "echo" })
        XCTAssertEqual(p.processes[echo].command, ["/bin/echo", "from echo"], "each process has its own command line")
        let target = try XCTUnwrap(p.processes.firstIndex { $0.pid == p.meta.pid })
        XCTAssertEqual(p.processes[target].exitDescription, "exit 0")
        let child = try XCTUnwrap(p.processes.indices.first { $0 != target && $0 != echo })
        XCTAssertEqual(p.processes[child].parentPid, p.meta.pid)
        // Both burn(_:seed:) 20M rounds: the child after its fork, the parent after the echo.
        for k in [target, child] {
            let one = p.process(at: k)
            XCTAssertGreaterThan(one.sampleCount, 5, "\(p.processes[k].label) is sampled")
            let tids = Set(p.threads.filter { Int($0.process) == k }.map(\.tid))
            XCTAssertEqual(Set(one.threads.map(\.tid)), tids, "only the process's own threads")
            XCTAssertTrue(
                one.frames.indices.contains { i in
                    one.samples.contains { one.stacks[Int($0.stack)].contains(Int32(i)) } && one.frames[i].shortName.hasPrefix("burn(")
                }, "\(p.processes[k].label) burns")
        }
        XCTAssertEqual((0..<3).reduce(0) { $0 + p.process(at: $1).sampleCount }, p.sampleCount, "the processes partition the samples")
        let summary = try TestSupport.run([try TestSupport.binary("taskprof"), "report", dir + "/c.taskprof"])
        XCTAssertTrue(summary.stdout.contains("Processes"), summary.stdout)
        XCTAssertTrue(summary.stdout.contains("echo from echo"), "each process by its own command line: \(summary.stdout)")
        let one = try TestSupport.run([
            try TestSupport.binary("taskprof"), "report", dir + "/c.taskprof", "--process", String(p.processes[child].pid),
        ])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertFalse(one.stdout.contains("Processes"), "one process: the usual summary")
        let none = try TestSupport.run([try TestSupport.binary("taskprof"), "report", dir + "/c.taskprof", "--process", "nosuch"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("no process matches 'nosuch'"), none.stderr)
    }

    func testTargetsOwnSIGPROFTimerKeepsWorking() throws {
        let dir = try TestSupport.tempDir()
        let plain = try TestSupport.run([try TestSupport.binary("Churn"), "sigprof"])
        let r = try record(dir, ["sigprof"])
        XCTAssertEqual(r.status, 0, r.stderr)
        func ticks(_ s: String) -> Int { Int(s.split(separator: " ").dropFirst().first ?? "") ?? -1 }
        let a = ticks(plain.stdout), b = ticks(r.stdout)
        XCTAssertGreaterThan(a, 30)
        // ITIMER_PROF at 10 ms over ~1 s of CPU: the target sees its own ticks, not ours (999/s).
        XCTAssertEqual(Double(b), Double(a), accuracy: Double(a) * 0.5, "target ticks \(b) vs \(a) unprofiled")
        let p = try ProfileFile.read(path: dir + "/c.taskprof")
        XCTAssertGreaterThan(p.sampleCount, 300, "the agent keeps sampling while the target uses SIGPROF")
    }

    /// Samples arrive as perf's SIGTRAP; a target's own SIGTRAP handler still gets every trap it
    /// raises, and none of the samples.
    func testTargetsOwnSIGTRAPHandlerKeepsWorking() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(dir, ["sigtrap"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("traps 50 of 50 "), r.stdout)
        let p = try ProfileFile.read(path: dir + "/c.taskprof")
        XCTAssertEqual(p.meta.signal, SIGTRAP)
        XCTAssertGreaterThan(p.sampleCount, 300, "the agent keeps sampling while the target traps SIGTRAP")
    }

    /// A SIGTRAP with no handler of the target's ends it as it would have, and what was
    /// recorded before is kept.
    func testUnhandledSIGTRAPStillKillsTheTarget() throws {
        let dir = try TestSupport.tempDir()
        let plain = try TestSupport.run([try TestSupport.binary("Churn"), "trap"])
        let r = try record(dir, ["trap"])
        XCTAssertEqual(plain.status, 128 + SIGTRAP)
        XCTAssertEqual(r.status, plain.status, r.stderr)
        XCTAssertFalse(r.stdout.contains("survived"), r.stdout)
        let p = try ProfileFile.read(path: dir + "/c.taskprof")
        XCTAssertGreaterThan(p.sampleCount, 100)
    }

    func testAlternativeSamplingSignal() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(dir, ["sigprof"], flags: ["--signal", "SIGRTMIN+4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try ProfileFile.read(path: dir + "/c.taskprof")
        XCTAssertEqual(p.meta.signal, Int32(__libc_current_sigrtmin()) + 4)
        XCTAssertGreaterThan(p.sampleCount, 300)
    }

    func testSleepsAreNotCutShort() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(dir, ["sleep"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let ms = Int(r.stdout.split(separator: " ")[1]) ?? 0
        XCTAssertGreaterThanOrEqual(ms, 200, "10 × usleep(20 ms) took \(ms) ms")
    }
}
