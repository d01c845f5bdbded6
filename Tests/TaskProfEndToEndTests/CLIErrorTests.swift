import Foundation
import TaskProfTestSupport
import XCTest

/// Bad input gets a clear error before anything runs, never a crash.
final class CLIErrorTests: XCTestCase {
    private func taskprof(_ args: [String]) throws -> TestSupport.Result {
        try TestSupport.run([try TestSupport.binary("taskprof")] + args)
    }

    func testMissingCommand() throws {
        let r = try taskprof(["record", "-o", "/tmp/x.taskprof", "--", "no-such-program-xyz"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("command not found: no-such-program-xyz"), r.stderr)
    }

    func testScriptIsRejected() throws {
        let dir = try TestSupport.tempDir()
        let script = dir + "/s.sh"
        try "#!/bin/sh\necho hi\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let r = try taskprof(["record", "-o", dir + "/x.taskprof", "--", script])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("is a script"), r.stderr)
        XCTAssertFalse(r.stdout.contains("hi"), "the script must not run")
    }

    func testStaticProgramIsRejected() throws {
        let dir = try TestSupport.tempDir()
        try "int main(void){return 0;}\n".write(toFile: dir + "/s.c", atomically: true, encoding: .utf8)
        let cc = try TestSupport.run(["/usr/bin/env", "gcc", "-static", dir + "/s.c", "-o", dir + "/s"])
        XCTAssertEqual(cc.status, 0, cc.stderr)
        let r = try taskprof(["record", "-o", dir + "/x.taskprof", "--", dir + "/s"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("statically linked"), r.stderr)
    }

    func testUnwritableOutputFailsBeforeTheTargetRuns() throws {
        let r = try taskprof(["record", "-o", "/nonexistent-dir/x.taskprof", "--", try TestSupport.binary("ExitCodes"), "args", "RAN"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("/nonexistent-dir") && r.stderr.contains("does not exist"), r.stderr)
        XCTAssertFalse(r.stdout.contains("RAN"))
    }

    func testNoCommandAndBadOptions() throws {
        XCTAssertTrue(try taskprof(["record"]).stderr.contains("give the program to profile"))
        XCTAssertTrue(try taskprof(["record", "--rate", "0", "--", "/bin/true"]).stderr.contains("--rate must be between"))
        XCTAssertTrue(try taskprof(["record", "--signal", "SIGKILL", "--", "/bin/true"]).stderr.contains("--signal"))
    }

    func testForeignTruncatedAndMissingProfiles() throws {
        let dir = try TestSupport.tempDir()
        try "hello, not a profile".write(toFile: dir + "/f", atomically: true, encoding: .utf8)
        let foreign = try taskprof(["report", dir + "/f"])
        XCTAssertNotEqual(foreign.status, 0)
        XCTAssertTrue(foreign.stderr.contains("is not a taskprof profile"), foreign.stderr)
        let missing = try taskprof(["report", dir + "/nope.taskprof"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("cannot read"), missing.stderr)

        // A real profile cut in half.
        let rec = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/ok.taskprof", "--",
            try TestSupport.binary("ExitCodes"), "exit", "0",
        ])
        XCTAssertEqual(rec.status, 0, rec.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/ok.taskprof"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir + "/half.taskprof"))
        let half = try taskprof(["report", dir + "/half.taskprof"])
        XCTAssertNotEqual(half.status, 0)
        XCTAssertTrue(half.stderr.contains("truncated"), half.stderr)
    }

    func testHelpTextDescribesEveryOption() throws {
        let r = try taskprof(["record", "--help"])
        XCTAssertEqual(r.status, 0)
        for option in [
            "--output", "--rate", "--signal", "--engine", "--follow-children", "--process", "--long-poll", "--folded", "--json", "--html",
            "--group-by", "--task",
        ] {
            XCTAssertTrue(r.stdout.contains(option), "record --help lacks \(option)")
        }
        XCTAssertTrue(r.stdout.contains("Samples per second of CPU time"))
        let report = try taskprof(["report", "--help"])
        XCTAssertTrue(report.stdout.contains("--folded") && report.stdout.contains("--group-by") && report.stdout.contains("--process"))
        XCTAssertTrue(report.stdout.contains("process"), "group-by lists process")
        let diff = try taskprof(["diff", "--help"])
        XCTAssertTrue(diff.stdout.contains("--process"), diff.stdout)
    }
}
