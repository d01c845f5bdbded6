import Foundation
import TaskProfModel
import TaskProfTestSupport
import XCTest

/// The target behaves as without taskprof: arguments, stdin/stdout/stderr, exit status, signals.
final class PassThroughTests: XCTestCase {
    private func record(_ dir: String, _ args: [String], stdin: String? = nil, onStart: ((Process) -> Void)? = nil) throws -> TestSupport.Result {
        try TestSupport.run(
            [try TestSupport.binary("taskprof"), "record", "-o", dir + "/p.taskprof", "--"] + args,
            stdin: stdin, onStart: onStart)
    }

    func testExitStatusPassesThrough() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(dir, [try TestSupport.binary("ExitCodes"), "exit", "7"])
        XCTAssertEqual(r.status, 7, r.stderr)
        XCTAssertNoThrow(try ProfileFile.read(path: dir + "/p.taskprof"))
    }

    func testArgumentsAndStreamsPassThrough() throws {
        let dir = try TestSupport.tempDir()
        let args = try record(dir, [try TestSupport.binary("ExitCodes"), "args", "a b", "--rate", "-o", "ü;x"])
        XCTAssertEqual(args.status, 0, args.stderr)
        XCTAssertEqual(args.stdout, "a b\n--rate\n-o\nü;x\n")
        let input = (0..<2000).map { "line \($0) with some text\n" }.joined()
        let echo = try record(dir, [try TestSupport.binary("ExitCodes"), "echo"], stdin: input)
        XCTAssertEqual(echo.status, 0, echo.stderr)
        XCTAssertEqual(echo.stdout, input)
        XCTAssertTrue(echo.stderr.hasPrefix("stderr line\n"), "the target's stderr comes first, the summary after: \(echo.stderr)")
    }

    func testCrashPassesThroughAndLeavesAReadableProfile() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(dir, [try TestSupport.binary("ExitCodes"), "crash"])
        XCTAssertGreaterThan(r.status, 128, "death by signal gives 128+N: \(r.status)")
        XCTAssertTrue(r.stderr.contains("deliberate crash"), r.stderr)
        XCTAssertTrue(r.stderr.contains("killed by signal"), r.stderr)
        XCTAssertFalse(r.stderr.contains("failed to suspend thread"), "the agent must not get in the way of Swift's crash backtracer")
        let p = try ProfileFile.read(path: dir + "/p.taskprof")
        XCTAssertGreaterThan(p.sampleCount, 50)
        XCTAssertTrue(p.meta.exitDescription.contains("signal"), p.meta.exitDescription)
        let fns = p.frames.map(\.shortName)
        XCTAssertTrue(fns.contains("spin(milliseconds:)"), "crashed run's samples are symbolized")
    }

    func testSigtermIsForwardedToTheTarget() throws {
        let dir = try TestSupport.tempDir()
        let r = try record(
            dir, [try TestSupport.binary("ExitCodes"), "wait"],
            onStart: { p in
                // Give the target time to start and install its handler, then signal taskprof itself.
                DispatchQueue.global().asyncAfter(deadline: .now() + 1.0) { kill(p.processIdentifier, SIGTERM) }
            })
        XCTAssertEqual(r.status, 3, "the target's SIGTERM handler exits 3: \(r.stderr)")
        XCTAssertEqual(r.stdout, "ready\n")
        let p = try ProfileFile.read(path: dir + "/p.taskprof")
        XCTAssertGreaterThan(p.sampleCount, 100)
    }
}
