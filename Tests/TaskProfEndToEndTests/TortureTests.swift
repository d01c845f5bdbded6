import Foundation
import TaskProfModel
import TaskProfReports
import TaskProfTestSupport
import XCTest

/// Issue 15: the agent never changes what the profiled program does. Each case is a small C
/// program from Tests/torture/ that a careless agent breaks; each checks the exit status and the
/// output against an unprofiled run, and that the profile is complete.
final class TortureTests: XCTestCase {
    /// Builds Tests/torture/NAME.c (cached per test run).
    private func build(_ name: String, flags: [String] = []) throws -> String {
        let exe = try TestSupport.tempDir() + "/" + name
        let c = try TestSupport.run(
            [
                "/usr/bin/env", "cc", "-O2", "-g", TestSupport.packageRoot + "/Tests/torture/\(name).c", "-o", exe,
                "-lpthread",
            ] + flags)
        XCTAssertEqual(c.status, 0, c.stderr)
        return exe
    }

    /// Runs `argv` plain and under `taskprof record`; the two must exit alike and print the same.
    /// Returns the profile.
    @discardableResult
    private func recordAlike(
        _ argv: [String], environment: [String: String] = [:],
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Profile {
        let plain = try TestSupport.run(argv)
        let dir = try TestSupport.tempDir()
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let r = try TestSupport.run(
            [try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/t.taskprof", "--"] + argv,
            environment: env)
        XCTAssertEqual(r.status, plain.status, "exit status changed: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stdout, plain.stdout, "output changed", file: file, line: line)
        let p = try ProfileFile.read(path: dir + "/t.taskprof")
        XCTAssertTrue(p.meta.complete, "the recording must end cleanly: \(p.meta.notes)", file: file, line: line)
        return p
    }

    /// A SIGUSR1 the program blocked everywhere and waits for with sigwait must stay pending for
    /// it: the agent's threads block every signal.
    func testSigwaitDaemonGetsItsSignal() throws {
        let exe = try build("sigwait_daemon")
        let p = try recordAlike([exe])
        XCTAssertGreaterThan(p.sampleCount, 50)
    }

    /// The agent's SIGINT/SIGTERM handler (it dumps live tasks before death by those signals) is
    /// invisible: sigaction and signal report the default action, an ignored SIGINT stays
    /// ignored, the program's own SIGTERM handler gets the signal, and a SIGTERM left at the
    /// default action still kills the process, with a complete profile.
    func testTerminationSignalsKeepTheirMeaning() throws {
        let exe = try build("term_dispositions")
        try recordAlike([exe])
        let p = try recordAlike([exe, "die"])
        XCTAssertEqual(p.meta.exitDescription, "killed by signal 15 (SIGTERM)")
    }

    /// A daemon that closes every descriptor above 2 mid-run, then opens and writes files of its
    /// own: its files stay intact (the agent never writes to or closes a descriptor that is no
    /// longer its own), and the profile goes on to the end (the stream is reopened for appending
    /// and the thread's perf event re-armed, both counted).
    func testCloseAllDescriptorsDaemonKeepsItsFilesAndTheProfile() throws {
        let exe = try build("close_all_fds")
        let p = try recordAlike([exe])
        XCTAssertGreaterThanOrEqual(p.counters["stream.reopened"] ?? 0, 1, "\(p.counters)")
        XCTAssertGreaterThanOrEqual(p.counters["sampling.rearmed"] ?? 0, 1, "\(p.counters)")
        // Samples after the close: about the CPU time × rate (a gap of one or two writer periods).
        let expected = Double(p.meta.targetCPUTimeNs) / 1e9 * Double(p.meta.rateHz)
        XCTAssertGreaterThan(Double(p.sampleCount), 0.7 * expected, "samples \(p.sampleCount), expected about \(expected)")
    }

    /// A process that execs another program (`sh -c 'exec …'`, `env nice …`): one profile of the
    /// run, whose processes table holds each image in order, the earlier ones ended by their exec.
    func testExecChainsProfileTheFinalProgram() throws {
        let two = try TestSupport.binary("TwoTasks")
        for argv in [["/bin/sh", "-c", "exec \(two)"], ["/usr/bin/env", "nice", two]] {
            let dir = try TestSupport.tempDir()
            let out = dir + "/e.taskprof"
            let r = try TestSupport.run([try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--"] + argv)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix("done "), "\(argv): \(r.stdout)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["e.taskprof"], "one run, one file")
            let p = try ProfileFile.read(path: out)
            XCTAssertTrue(p.meta.complete, "\(argv): \(p.meta.notes)")
            XCTAssertEqual(p.processes.count, argv[0] == "/bin/sh" ? 2 : 3, "\(argv): one entry per image: \(p.processes.map(\.label))")
            XCTAssertEqual(Set(p.processes.map(\.pid)).count, 1, "all images of one pid")
            XCTAssertEqual(p.processes.map(\.image), Array(0..<p.processes.count))
            for image in p.processes.dropLast() {
                XCTAssertTrue(image.exitDescription.hasPrefix("exec'd "), "\(image.label): \(image.exitDescription)")
                XCTAssertTrue(image.complete, "\(image.label) ends with its exec")
            }
            let last = try XCTUnwrap(p.processes.last)
            XCTAssertEqual(last.command, [two], "the image's own command line")
            XCTAssertEqual(last.exitDescription, "exit 0")
            let final = p.process(at: p.processes.count - 1)
            XCTAssertEqual(Set(final.tasks.compactMap(\.name)), ["heavy", "light"], "\(argv): the last image is TwoTasks")
            XCTAssertGreaterThan(final.sampleCount, 300, "\(argv)")
        }
    }

    /// A program whose own SIGPROF handler has no SA_RESTART gets EINTR from its read when its
    /// signal arrives, also when the agent samples with SIGPROF (the agent's handler takes over
    /// the program's SA_RESTART choice; the read was restarted).
    func testReadThatReliesOnNoRestartStillGetsEINTR() throws {
        let exe = try build("no_restart_read")
        let plain = try TestSupport.run([exe])
        XCTAssertEqual(plain.stdout, "read interrupted (EINTR), handler ran 1 time(s)\n")
        for signal in ["SIGPROF", "SIGTRAP"] {
            let out = try TestSupport.tempDir() + "/r.taskprof"
            let args =
                [try TestSupport.binary("taskprof"), "record", "-q", "-o", out] + (signal == "SIGPROF" ? ["--signal", "SIGPROF"] : []) + ["--", exe]
            let r = try TestSupport.run(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, plain.stdout, "sampling with \(signal)")
        }
    }

    /// Children forked while other threads allocate and load libraries, each computing then
    /// leaving by _exit: with --follow-children each is recorded (its stream opened in fork's child
    /// handler with async-signal-safe calls only, its writer thread started later), none hangs,
    /// and what a child sampled before its _exit is kept (it was lost, and so were the parent's
    /// samples after its first fork).
    func testForkedChildrenOfABusyParentAreRecordedToTheirExit() throws {
        let exe = try build("fork_busy_parent", flags: ["-ldl"])
        let out = try TestSupport.tempDir() + "/f.taskprof"
        let r = try TestSupport.run([try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--follow-children", "--", exe])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "30 of 30 children exited 7\n")
        let p = try ProfileFile.read(path: out)
        XCTAssertEqual(p.processes.count, 31, "\(p.processes.map(\.label))")
        let children = p.processes.indices.filter { p.processes[$0].pid != p.meta.pid }
        XCTAssertTrue(children.allSatisfy { p.processes[$0].complete }, "each child's stream ends cleanly, at its _exit")
        let sampled = children.filter { k in
            let one = p.process(at: k)
            return one.sampleCount >= 5 && one.functionStats().first?.shortName.hasPrefix("child_work") == true
        }
        XCTAssertGreaterThanOrEqual(sampled.count, 27, "children sampled in child_work: \(sampled.count) of 30")
    }

    /// A child started by posix_spawn with an environment of its own, without LD_PRELOAD (as
    /// package-benchmark starts its benchmark): with --follow-children the agent is passed on all
    /// the same, and the child is profiled under its own command line.
    func testPosixSpawnWithItsOwnEnvironmentIsFollowed() throws {
        let exe = try build("spawn_own_env")
        let out = try TestSupport.tempDir() + "/s.taskprof"
        let r = try TestSupport.run([try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--follow-children", "--", exe])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "child exit 3\n")
        let p = try ProfileFile.read(path: out)
        let child = try XCTUnwrap(p.processes.firstIndex { $0.command == [exe, "child"] }, "\(p.processes.map(\.command))")
        let one = p.process(at: child)
        XCTAssertGreaterThan(one.sampleCount, 100, "the spawned child is sampled")
        XCTAssertEqual(one.functionStats().first?.shortName.hasPrefix("spawned_work"), true)
    }

    /// A program that forks a child (no exec) goes on being sampled after the fork.
    func testForkWithoutExecKeepsTheParentSampled() throws {
        let exe = try build("fork_then_compute")
        let p = try recordAlike([exe])
        let expected = Double(p.meta.targetCPUTimeNs) / 1e9 * Double(p.meta.rateHz)
        XCTAssertGreaterThan(Double(p.sampleCount), 0.8 * expected, "samples \(p.sampleCount), expected about \(expected)")
        XCTAssertTrue(p.frames.contains { $0.shortName.hasPrefix("compute_after_fork") }, "the parent's work after the fork is sampled")
    }

    /// `taskprof record -- swift build` profiles SwiftPM: the `swift` driver execs `swift-build`.
    func testSwiftBuildIsProfiledThroughTheDriversExec() throws {
        let pkg = try TestSupport.tempDir()
        try FileManager.default.createDirectory(atPath: pkg + "/Sources/Tiny", withIntermediateDirectories: true)
        try
            "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Tiny\", targets: [.executableTarget(name: \"Tiny\")])\n"
            .write(toFile: pkg + "/Package.swift", atomically: true, encoding: .utf8)
        try "print(\"tiny\")\n".write(toFile: pkg + "/Sources/Tiny/main.swift", atomically: true, encoding: .utf8)
        let out = pkg + "/sb.taskprof"
        let r = try TestSupport.run([
            "/bin/sh", "-c", "cd '\(pkg)' && exec '\(try TestSupport.binary("taskprof"))' record -q -o '\(out)' -- swift build",
        ])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let p = try ProfileFile.read(path: out)
        XCTAssertTrue(p.meta.complete, "\(p.meta.notes)")
        XCTAssertGreaterThan(p.sampleCount, 20, "samples of SwiftPM")
        XCTAssertTrue(
            p.modules.contains { $0.path.hasSuffix("/swift-package") || $0.path.hasSuffix("/swift-build") },
            "the profile is SwiftPM's: \(p.modules.map(\.path).prefix(5))")
    }

    /// A C host that loads a Swift library with dlopen, whose Swift runtime libraries then sit
    /// outside the global symbol scope: the agent's interposers still find the functions they wrap
    /// (the process died calling NULL), and the library's frames are unwound from its first sample.
    func testSwiftLibraryLoadedByDlopenFromACHost() throws {
        let dir = try TestSupport.tempDir()
        let lib = dir + "/libtorture.so"
        let c = try TestSupport.run([
            "/usr/bin/env", "swiftc", "-emit-library", "-parse-as-library", "-swift-version", "5", "-O",
            TestSupport.packageRoot + "/Tests/torture/dlopen_swift_lib.swift", "-o", lib,
        ])
        XCTAssertEqual(c.status, 0, c.stderr)
        let host = try build("dlopen_host", flags: ["-ldl"])
        let p = try recordAlike([host, lib])
        XCTAssertGreaterThan(p.sampleCount, 10)
        XCTAssertEqual(p.counters["unwind.broken"] ?? 0, 0, "the library's tables are built when dlopen returns: \(p.counters)")
        XCTAssertTrue(p.frames.contains { $0.shortName == "crunch(_:)" }, "samples in the library are named")
    }

    /// A program's own perf events raising SIGTRAP (as the agent's do) reach its handler, and its
    /// handlers run with the sa_mask they asked for (traps were dropped as the agent's, and the
    /// mask was lost).
    func testProgramsOwnPerfTrapsAndHandlerMask() throws {
        let exe = try build("own_perf_sigtrap")
        let plain = try TestSupport.run([exe])
        try XCTSkipIf(plain.stdout.hasPrefix("no perf events"), "perf_event_open is not permitted here: \(plain.stdout)")
        XCTAssertEqual(plain.stdout, "traps yes, mask ok\n")
        try recordAlike([exe])
    }

    /// A robust mutex whose owner died, locked in a task: EOWNERDEAD, as without the agent (its
    /// lock interposer's try took the lock, then locked it again and hung).
    func testRobustMutexOwnerDeadInATask() throws {
        let exe = try TestSupport.tempDir() + "/robust_mutex"
        let c = try TestSupport.run(["/usr/bin/env", "swiftc", "-O", TestSupport.packageRoot + "/Tests/torture/robust_mutex.swift", "-o", exe])
        XCTAssertEqual(c.status, 0, c.stderr)
        let p = try recordAlike([exe])
        XCTAssertGreaterThan(p.tasks.count, 0)
    }

    /// A thread that blocks every signal while it computes: the process lives, and the samples
    /// that could not be delivered are counted, not taken late. On a kernel before 5.19 (pretended
    /// here) the agent does not use perf's sigtrap at all, which would kill such a process.
    func testThreadThatBlocksAllSignals() throws {
        let exe = try build("blocked_signals_thread")
        let p = try recordAlike([exe])
        if p.meta.engineNote.contains("sigtrap)") {
            XCTAssertGreaterThan(p.counters["dropped.blocked"] ?? 0, 0, "late samples are counted: \(p.counters)")
        }
        let old = try recordAlike([exe], environment: ["TASKPROF_KERNEL_RELEASE": "5.15.0-91-generic"])
        XCTAssertTrue(old.meta.engineNote.contains("fasync; kernel 5.15.0-91-generic predates 5.19"), old.meta.engineNote)
        // The summary says which engine runs and why.
        XCTAssertTrue(
            TerminalSummary(old).text.contains("  engine: perf_event_open task-clock, signal 27 per overflow (fasync; kernel 5.15"),
            TerminalSummary(old).text)
        // A thread's first period is random in (0, period], and only its handler set the real
        // one: drawn a few nanoseconds, the blocked thread's event overflowed at every tick and
        // it crawled (1 CI run in 30 hung here, over 120 s against 0.3 s). Pretended here for
        // both engines' deliveries: the writer, which looks every 100 ms, sets the real period
        // for such a thread. The loop runs about a second of CPU, ten of its looks.
        for kernel in ["", "5.15.0-91-generic"] {
            let tiny = try recordAlike(
                [exe, "3000000000"], environment: ["TASKPROF_FIRST_PERIOD_NS": "1", "TASKPROF_KERNEL_RELEASE": kernel].filter { !$0.value.isEmpty })
            XCTAssertEqual(tiny.counters["sampling.periodSettled"], 1, "kernel '\(kernel)': \(tiny.counters)")
        }
    }

    /// Before the run, `record` says which engine the kernel's settings leave it, and why; after
    /// it, the summary says the same (pretended settings: a perf_event_paranoid of 3, an old kernel).
    func testRecordSaysWhichEngineAndWhyBeforeTheRun() throws {
        let taskprof = try TestSupport.binary("taskprof"), two = try TestSupport.binary("TwoTasks")
        let out = try TestSupport.tempDir() + "/e.taskprof"
        var env = ProcessInfo.processInfo.environment
        env["TASKPROF_PERF_PARANOID"] = "3"
        let r = try TestSupport.run([taskprof, "record", "-o", out, "--", two], environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("taskprof: perf_event_paranoid is 3: sampling with per-thread CPU timers"), r.stderr)
        XCTAssertTrue(r.stderr.contains("  engine: perf_event_open not permitted (perf_event_paranoid 3); per-thread CPU timers"), r.stderr)
        XCTAssertEqual(try ProfileFile.read(path: out).meta.engine, "timer")
        let perf = try TestSupport.run([taskprof, "record", "--engine", "perf", "-o", out, "--", two], environment: env)
        XCTAssertEqual(perf.status, 1)
        XCTAssertTrue(perf.stderr.contains("--engine perf needs perf_event_open, which perf_event_paranoid 3 forbids"), perf.stderr)
        env["TASKPROF_PERF_PARANOID"] = nil
        env["TASKPROF_KERNEL_RELEASE"] = "5.15.0-91-generic"
        let old = try TestSupport.run([taskprof, "record", "-o", out, "--", two], environment: env)
        XCTAssertTrue(old.stderr.hasPrefix("taskprof: kernel 5.15.0-91-generic is older than 5.19: samples arrive as a signal"), old.stderr)
    }

    /// 10,000 threads that each live for less than a sampling period: slots and rings are reused,
    /// the process behaves as without the agent.
    func testTenThousandShortLivedThreads() throws {
        let p = try recordAlike([try TestSupport.binary("Churn"), "threads", "10000"])
        XCTAssertGreaterThanOrEqual(p.threads.count, 10000)
    }

    /// A full disk (a 40 KB tmpfs): the program runs and prints as always; record says plainly
    /// that the profile could not be written and where the agent's raw stream is, and leaves no
    /// half-written profile behind.
    func testFullDisk() throws {
        let mnt = try TestSupport.tempDir() + "/full"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let m = try TestSupport.run(["/bin/mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", mnt])
        try XCTSkipIf(m.status != 0, "cannot mount a small tmpfs here (needs root): \(m.stderr)")
        defer { _ = try? TestSupport.run(["/bin/umount", mnt]) }
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-o", mnt + "/p.taskprof", "--",
            try TestSupport.binary("TwoTasks"),
        ])
        XCTAssertTrue(r.stdout.hasPrefix("done "), "the program's output: \(r.stdout)")
        XCTAssertTrue(r.stderr.contains("cannot write the profile \(mnt)/p.taskprof: No space left on device"), r.stderr)
        XCTAssertTrue(r.stderr.contains("raw streams are kept in"), r.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: mnt)
        XCTAssertFalse(left.contains { $0.contains(".tmp-") }, "half a profile left behind: \(left)")
        // The kept streams convert elsewhere, and say what the full disk took: the count of lost
        // bytes reaches the profile through the stream's side file, written in place at exit.
        let raw = try XCTUnwrap(left.first { $0.hasPrefix(".taskprof-raw-") }, "\(left)")
        let out = try TestSupport.tempDir() + "/converted.taskprof"
        let c = try TestSupport.run([try TestSupport.binary("taskprof"), "convert", mnt + "/" + raw, "-o", out])
        XCTAssertEqual(c.status, 0, c.stderr)
        let p = try ProfileFile.read(path: out)
        XCTAssertGreaterThan(p.counters["stream.lostBytes"] ?? 0, 0, "\(p.counters)")
        XCTAssertTrue(p.meta.complete, "the agent flushed at exit, as its side file says")
        XCTAssertTrue(p.meta.notes.contains { $0.contains("bytes of the agent's stream could not be written") }, "\(p.meta.notes)")
    }
}
