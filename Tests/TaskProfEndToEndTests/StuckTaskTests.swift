import Foundation
import TaskProfAnalysis
import TaskProfModel
import TaskProfTestSupport
import XCTest

/// Issue 17, "why is my task stuck", end to end: Examples/StuckTasks recorded as a user would,
/// each scenario's live tasks and findings checked from the JSON summary. The scenarios also
/// check every offset the agent reads in the runtime's task objects (tp_tasks.c) on the runtime
/// installed here: ids (the task names join through them), job flags (kinds), status flags
/// (running, enqueued, cancelled), the dependency record (what a task waits on), the child
/// fragment (parents), and ResumeTask/ResumeContext (await stacks whose lines are the awaits).
final class StuckTaskTests: XCTestCase {
    struct Recorded {
        var json: [String: Any]
        var liveTasks: [[String: Any]]
        var findings: [[String: Any]]
        var profilePath: String
        var status: Int32
        var stderr: String

        func task(_ name: String) -> [String: Any]? { liveTasks.first { $0["name"] as? String == name } }
        func findingKinds() -> [String] { findings.compactMap { $0["kind"] as? String }.sorted() }
    }

    static let source = TestSupport.packageRoot + "/Examples/StuckTasks/main.swift"

    /// The line of the example's source that holds `text` (the first one).
    func line(of text: String) throws -> Int {
        let lines = try String(contentsOfFile: Self.source, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        guard let i = lines.firstIndex(where: { $0.contains(text) }) else { throw TestFailure("no line with \(text) in the example") }
        return i + 1
    }

    func record(_ args: [String], binary: String? = nil, flags: [String] = []) throws -> Recorded {
        let dir = try TestSupport.tempDir()
        let out = dir + "/s.taskprof", json = dir + "/s.json"
        let r = try TestSupport.run(
            [try TestSupport.binary("taskprof"), "record", "-q", "-o", out, "--json", json] + flags + [
                "--", try binary ?? TestSupport.binary("StuckTasks"),
            ]
                + args)
        guard let data = FileManager.default.contents(atPath: json) else { throw TestFailure("no JSON written: \(r.stderr)") }
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Recorded(
            json: obj, liveTasks: obj["liveTasks"] as? [[String: Any]] ?? [], findings: obj["stuckFindings"] as? [[String: Any]] ?? [],
            profilePath: out, status: r.status, stderr: r.stderr)
    }

    func awaitStack(_ t: [String: Any]?) -> [(function: String, line: Int?)] {
        (t?["awaitStack"] as? [[String: Any]] ?? []).map { ($0["function"] as? String ?? "", $0["line"] as? Int) }
    }

    func testAContinuationNeverResumedAndTheTaskAwaitingIt() throws {
        let r = try record(["continuation", "1200"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let fetcher = try XCTUnwrap(r.task("fetcher"), "\(r.liveTasks)")
        XCTAssertEqual(fetcher["state"] as? String, "suspended")
        XCTAssertEqual(fetcher["reason"] as? String, "awaiting continuation")
        XCTAssertGreaterThan(fetcher["sinceMs"] as? Double ?? 0, 1000)
        XCTAssertEqual(fetcher["stuck"] as? Bool, true)
        let stack = awaitStack(fetcher)
        XCTAssertEqual(stack.first?.function, "fetchProfile(id:)")
        XCTAssertEqual(stack.first?.line, try line(of: "func fetchProfile(id: Int)") + 1, "the await's line: \(stack)")
        let created = (fetcher["waitingOn"] as? [String: Any])?["createdIn"] as? [String: Any]
        XCTAssertEqual(created?["function"] as? String, "fetchProfile(id:)")
        let page = try XCTUnwrap(r.task("page"))
        let on = try XCTUnwrap(page["waitingOn"] as? [String: Any])
        XCTAssertEqual(on["kind"] as? String, "task")
        XCTAssertEqual(on["task"] as? UInt64, fetcher["id"] as? UInt64, "page awaits the fetcher's value")
        XCTAssertTrue(
            awaitStack(page).contains { $0.function == "renderPage(_:)" && $0.line == (try? line(of: "let profile = await fetcher.value")) })
        XCTAssertEqual(r.findingKinds(), ["continuation never resumed"])
        let title = r.findings.first?["title"] as? String ?? ""
        XCTAssertTrue(title.contains("\"fetcher\"") && title.contains("fetchProfile(id:)"), title)
        XCTAssertTrue((r.findings.first?["detail"] as? String ?? "").contains("\"page\""))
    }

    func testBarbarasChannelNamesTheFullChannel() throws {
        let r = try record(["channel", "1200"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNil(r.task("consumer"), "the consumer returned: \(r.liveTasks)")
        let producer = try XCTUnwrap(r.task("producer"))
        XCTAssertTrue(awaitStack(producer).first?.function.hasPrefix("BoundedChannel.send(_:)") == true, "\(awaitStack(producer))")
        // An actor method resumes through a hop back to its actor: its resume point's line is the
        // method's first, or the await's.
        let at = awaitStack(producer).first?.line ?? 0
        XCTAssertTrue(
            (try line(of: "func send(_ item: Element) async")...line(of: "await withCheckedContinuation { waitingSenders.append($0) }")).contains(at),
            "line \(at)")
        XCTAssertEqual(r.findingKinds(), ["full channel, no reader"])
        XCTAssertTrue((r.findings.first?["detail"] as? String ?? "").contains("No live task is in another of BoundedChannel's methods"))
    }

    func testAWaitCycle() throws {
        let r = try record(["cycle", "1200"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let left = try XCTUnwrap(r.task("left")), right = try XCTUnwrap(r.task("right"))
        XCTAssertEqual((left["waitingOn"] as? [String: Any])?["task"] as? UInt64, right["id"] as? UInt64)
        XCTAssertEqual((right["waitingOn"] as? [String: Any])?["task"] as? UInt64, left["id"] as? UInt64)
        XCTAssertEqual(r.findingKinds(), ["wait cycle"])
    }

    func testAGroupWithAStuckChild() throws {
        let r = try record(["group", "1200"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let gatherer = try XCTUnwrap(r.task("gatherer")), child = try XCTUnwrap(r.task("lookup-1"))
        XCTAssertEqual(gatherer["reason"] as? String, "awaiting task group")
        XCTAssertEqual(child["kind"] as? String, "group child")
        XCTAssertEqual(child["parent"] as? UInt64, gatherer["id"] as? UInt64, "the child fragment names the parent")
        XCTAssertNil(r.task("lookup-0"), "finished children are gone")
        XCTAssertEqual(r.findingKinds(), ["continuation never resumed", "task group never resumes"])
    }

    /// Every state and kind, read from the runtime's memory: what each field of the dump says.
    func testEveryStateAndKind() throws {
        let r = try record(["states", "1200"])
        XCTAssertEqual(r.status, 0, r.stderr)
        func field(_ name: String, _ key: String) -> String? { r.task(name)?[key].map { "\($0)" } }
        XCTAssertEqual(field("spinner", "state"), "running")
        XCTAssertNotNil(r.task("spinner")?["thread"] as? Int, "a running task names its thread")
        XCTAssertEqual(field("queued", "state"), "enqueued", "queued waits for the actor the spinner holds")
        XCTAssertGreaterThan(r.task("queued")?["sinceMs"] as? Double ?? 0, 900)
        XCTAssertEqual(field("sleeper", "kind"), "detached")
        XCTAssertEqual(field("sleeper", "reason"), "sleeping")
        XCTAssertEqual(field("reader", "reason"), "awaiting AsyncStream element")
        XCTAssertTrue(awaitStack(r.task("reader")).contains { $0.function == "readAll(_:)" && $0.line == (try? line(of: "for await x in stream")) })
        XCTAssertEqual(r.task("cancelled")?["cancelled"] as? Bool, true)
        XCTAssertEqual(r.task("queued")?["cancelled"] as? Bool, false)
        let parent = try XCTUnwrap(r.task("parent"))
        let child = try XCTUnwrap(r.liveTasks.first { $0["kind"] as? String == "async let" }, "\(r.liveTasks)")
        XCTAssertTrue(child["name"] is NSNull)
        XCTAssertEqual(child["parent"] as? UInt64, parent["id"] as? UInt64)
        XCTAssertEqual((parent["waitingOn"] as? [String: Any])?["task"] as? UInt64, child["id"] as? UInt64, "awaiting the async let")
        XCTAssertEqual(field("spawned", "kind"), "unstructured")
        XCTAssertEqual(r.task("spawned")?["parent"] as? UInt64, parent["id"] as? UInt64, "the task that created it")
        // The creation site: the function that called Task {} (the interposer's frame walk).
        let created = r.task("spawned")?["createdAt"] as? [String: Any]
        XCTAssertEqual(created?["function"] as? String, "parentWork()")
        XCTAssertEqual(r.liveTasks.count, 8, "\(r.liveTasks.map { $0["name"] ?? "?" })")
        let counters = (r.json["profile"] as? [String: Any])?["counters"] as? [String: Any]
        XCTAssertEqual(counters?["tasks.untracked"] as? Int, 0)
    }

    /// 200,000 short tasks, more than the live-task table holds at once: finished tasks leave
    /// it as the runtime destroys them, so none is left untracked and the dump holds exactly the
    /// three that never finish.
    func testTaskChurnLeavesOnlyTheLiveOnes() throws {
        let r = try record(["churn", "800"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let counters = (r.json["profile"] as? [String: Any])?["counters"] as? [String: Any]
        XCTAssertGreaterThanOrEqual(counters?["tasks.created"] as? Int ?? 0, 200_000)
        XCTAssertEqual(counters?["tasks.untracked"] as? Int, 0)
        XCTAssertEqual(r.liveTasks.compactMap { $0["name"] as? String }.sorted(), ["stuck-0", "stuck-1", "stuck-2"], "\(r.liveTasks.count) live")
    }

    /// A runtime whose task layout the agent does not know (pretended): a note says why there
    /// are no live tasks, and nothing else changes.
    func testAnUnknownRuntimeLayoutGivesANoteNotACrash() throws {
        let dir = try TestSupport.tempDir()
        let out = dir + "/u.taskprof"
        var env = ProcessInfo.processInfo.environment
        env["TASKPROF_TASK_LAYOUT"] = "99"
        let r = try TestSupport.run(
            [try TestSupport.binary("taskprof"), "record", "-o", out, "--", try TestSupport.binary("StuckTasks"), "continuation", "300"],
            environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("StuckTasks continuation: exiting"))
        XCTAssertTrue(r.stderr.contains("live tasks off: unknown Swift runtime task layout (version 99"), r.stderr)
        let p = try ProfileFile.read(path: out)
        XCTAssertEqual(p.taskDumps.count, 1)
        XCTAssertEqual(p.taskDumps.first?.tasks.count, 0)
        XCTAssertGreaterThan(p.sampleCount, 100, "sampling goes on")
    }

    func testAHealthyProgramHasNothingStuck() throws {
        let r = try record(["healthy", "600"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNotNil(r.json["liveTasks"], "the dump was taken")
        XCTAssertEqual(r.liveTasks.count, 0, "\(r.liveTasks)")
        XCTAssertEqual(r.findings.count, 0)
    }

    /// The same findings from a build without frame pointers (plain `swiftc -O -g`): dumps read
    /// task memory, not thread stacks.
    func testWithoutFramePointers() throws {
        let dir = try TestSupport.tempDir()
        let exe = dir + "/stuck_nofp"
        let c = try TestSupport.run(["/usr/bin/env", "swiftc", "-O", "-g", "-module-name", "StuckTasks", Self.source, "-o", exe])
        XCTAssertEqual(c.status, 0, c.stderr)
        let dis = try TestSupport.run(["/usr/bin/objdump", "-d", "--no-show-raw-insn", exe])
        let body = dis.stdout.components(separatedBy: "<$s10StuckTasks12fetchProfile2idSSSi_tYaF>:\n").dropFirst().first ?? ""
        XCTAssertFalse(body.isEmpty, "fetchProfile(id:) not found")
        XCTAssertFalse(body.prefix(200).contains("push   %rbp"), "expected a build without frame pointers")
        for (scenario, kinds) in [
            ("continuation", ["continuation never resumed"]), ("group", ["continuation never resumed", "task group never resumes"]),
        ] {
            let r = try record([scenario, "1200"], binary: exe)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.findingKinds(), kinds, scenario)
            let stuck = r.liveTasks.first { ($0["reason"] as? String) == "awaiting continuation" }
            XCTAssertEqual(awaitStack(stuck).first?.function, "fetchProfile(id:)", "\(scenario): \(awaitStack(stuck))")
        }
    }

    /// `taskprof record -o OUT -- StuckTasks ARGS`, running in the background.
    func startRecording(_ out: String, _ args: [String]) throws -> Process {
        let rec = Process()
        rec.executableURL = URL(fileURLWithPath: try TestSupport.binary("taskprof"))
        rec.arguments = ["record", "-q", "-o", out, "--", try TestSupport.binary("StuckTasks")] + args
        rec.standardOutput = FileHandle.nullDevice
        rec.standardError = FileHandle.nullDevice
        try rec.run()
        return rec
    }

    /// `taskprof dump PID` while the program runs (given `taskprof record`'s own pid, as
    /// `pgrep -f` finds it), then the dump taken at the end, both in the one profile.
    func testDumpWhileItRuns() throws {
        let out = try TestSupport.tempDir() + "/d.taskprof"
        let rec = try startRecording(out, ["group", "4000"])
        defer { if rec.isRunning { rec.terminate() } }
        Thread.sleep(forTimeInterval: 1.5)
        let start = Date()
        let d = try TestSupport.run([try TestSupport.binary("taskprof"), "dump", String(rec.processIdentifier)])
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertTrue(d.stdout.contains("\"lookup-1\" [awaiting continuation"), d.stdout)
        XCTAssertTrue(d.stdout.contains("\"gatherer\" [awaiting task group"), d.stdout)
        XCTAssertTrue(d.stdout.contains("task group never resumes"), d.stdout)
        XCTAssertLessThan(seconds, 3, "a dump is answered within the writer's period, plus symbolizing")
        rec.waitUntilExit()
        XCTAssertEqual(rec.terminationStatus, 0)
        let p = try ProfileFile.read(path: out)
        XCTAssertEqual(p.taskDumps.map(\.reason), [.request, .end])
        XCTAssertEqual(p.finalTaskDumps.first?.reason, .end)
        // The program was not disturbed: it ran to its end, and printed what it prints.
        let bad = try TestSupport.run([try TestSupport.binary("taskprof"), "dump", "999999"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("no process 999999"), bad.stderr)
        let unrecorded = try TestSupport.run([try TestSupport.binary("taskprof"), "dump", String(getpid())])
        XCTAssertTrue(unrecorded.stderr.contains("is not running under `taskprof record`"), unrecorded.stderr)
    }

    /// Stopped with SIGTERM through `record` (which passes it on) or SIGINT sent to the program:
    /// the live tasks are dumped before it dies, and it still dies of the signal.
    func testStoppedBySignal() throws {
        for sig in [SIGTERM, SIGINT] {
            let out = try TestSupport.tempDir() + "/k.taskprof"
            let rec = try startRecording(out, ["continuation", "20000"])
            defer { if rec.isRunning { rec.terminate() } }
            Thread.sleep(forTimeInterval: 1.5)
            if sig == SIGTERM {
                kill(rec.processIdentifier, SIGTERM)
            } else {
                let children = try String(contentsOfFile: "/proc/\(rec.processIdentifier)/task/\(rec.processIdentifier)/children", encoding: .utf8)
                let child = try XCTUnwrap(children.split(separator: " ").first.flatMap { Int32($0) })
                kill(child, SIGINT)
            }
            rec.waitUntilExit()
            XCTAssertEqual(rec.terminationStatus, 128 + sig, "record exits as the program died: of the signal")
            let p = try ProfileFile.read(path: out)
            XCTAssertEqual(p.meta.exitDescription, "killed by signal \(sig) (\(sig == SIGTERM ? "SIGTERM" : "SIGINT"))")
            XCTAssertEqual(p.taskDumps.map(\.reason), [.signal])
            XCTAssertTrue(p.meta.complete, "the stream was flushed before the process died")
            let names = p.taskNames
            XCTAssertEqual(Set(p.finalTaskDumps.flatMap(\.tasks).compactMap { names[$0.id] }), ["fetcher", "page"])
        }
    }
}
