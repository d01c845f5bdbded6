import Foundation
import TaskProfModel
import XCTest

/// Issue 15: the agent never changes what the profiled program does. Each case is a small C
/// program from Tests/torture/ that a careless agent breaks; each checks the exit status and the
/// output against an unprofiled run, and that the profile is complete.
final class TortureTests: XCTestCase {
    /// Builds Tests/torture/NAME.c (cached per test run).
    private func build(_ name: String, flags: [String] = []) throws -> String {
        let exe = try TestSupport.tempDir() + "/" + name
        let c = try TestSupport.run(["/usr/bin/env", "cc", "-O2", "-g", TestSupport.packageRoot + "/Tests/torture/\(name).c", "-o", exe,
                                     "-lpthread"] + flags)
        XCTAssertEqual(c.status, 0, c.stderr)
        return exe
    }

    /// Runs `argv` plain and under `taskprof record`; the two must exit alike and print the same.
    /// Returns the profile.
    @discardableResult
    private func recordAlike(_ argv: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Profile {
        let plain = try TestSupport.run(argv)
        let dir = try TestSupport.tempDir()
        let r = try TestSupport.run([try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/t.taskprof", "--"] + argv)
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
}
