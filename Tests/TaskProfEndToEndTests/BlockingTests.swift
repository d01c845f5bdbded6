import Foundation
import TaskProfTestSupport
import XCTest

/// Blocking calls from tasks are reported with primitive, calling site and task; the same calls
/// from a plain thread are not (Examples/BlockingCalls).
final class BlockingTests: XCTestCase {
    struct Summary: Decodable {
        struct Site: Decodable { var function: String; var file: String?; var line: Int? }
        struct Frame: Decodable { var function: String }
        struct Call: Decodable {
            var primitive: String
            var site: Site
            var taskNames: [String]
            var count: Int
            var totalMs: Double
            var maxMs: Double
            var stack: [Frame]
            var advice: String
        }
        var blockingCalls: [Call]
    }

    func testInTaskCallsAreReportedAndPlainThreadCallsAreNot() throws {
        let dir = try TestSupport.tempDir()
        let r = try TestSupport.run([
            try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/b.taskprof",
            "--json", dir + "/b.json", "--", try TestSupport.binary("BlockingCalls"),
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/b.json")))
        let expected: [(primitive: String, site: String, task: String, code: String)] = [
            ("usleep", "sleepInTask()", "sleeper", "usleep("),
            ("nanosleep", "threadSleepInTask()", "thread-sleeper", "Thread.sleep("),
            ("pthread_mutex_lock", "lockInTask()", "locker", "lock.lock()"),
            ("sem_wait", "semaphoreInTask()", "waiter", "semaphore.wait()"),
            ("read", "readInTask()", "reader", "read("),
            ("futex wait", "mutexInTask()", "mutex-locker", "withLock"),
        ]
        let source = try String(contentsOfFile: TestSupport.packageRoot + "/Examples/BlockingCalls/main.swift", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        for e in expected {
            let hit = s.blockingCalls.first { $0.primitive == e.primitive && $0.site.function == e.site }
            XCTAssertNotNil(hit, "\(e.primitive) in \(e.site) not reported; got \(s.blockingCalls.map { "\($0.primitive) \($0.site.function)" })")
            guard let hit else { continue }
            XCTAssertEqual(hit.taskNames, [e.task], "\(e.site)")
            XCTAssertFalse(hit.advice.isEmpty)
            XCTAssertTrue(hit.stack.contains { $0.function == e.site })
            // The site's file:line is the line of the blocking call itself.
            XCTAssertEqual(hit.site.file.map { ($0 as NSString).lastPathComponent }, "main.swift", "\(e.site)")
            let line = try XCTUnwrap(hit.site.line, "\(e.site) has no line")
            XCTAssertTrue(
                source.indices.contains(line - 1) && source[line - 1].contains(e.code),
                "\(e.site) at line \(line): \(source.indices.contains(line - 1) ? String(source[line - 1]) : "?")")
        }
        // Calls from a plain Thread are not on a runtime thread.
        for call in s.blockingCalls {
            XCTAssertFalse(call.site.function.contains("OnThread("), "plain-thread call reported: \(call.primitive) in \(call.site.function)")
            XCTAssertFalse(call.stack.contains { $0.function.contains("OnThread(") })
        }
        // usleep(20 ms) in a task is not cut short by the profiler's signals.
        let sleeps = try XCTUnwrap(s.blockingCalls.first { $0.primitive == "usleep" })
        XCTAssertGreaterThanOrEqual(sleeps.totalMs, 20 * Double(sleeps.count) - 0.001)
        XCTAssertGreaterThanOrEqual(sleeps.maxMs, 20)
        let usleepSite = try XCTUnwrap(s.blockingCalls.first { $0.site.function == "sleepInTask()" })
        XCTAssertEqual(usleepSite.site.file.map { ($0 as NSString).lastPathComponent }, "main.swift")
        XCTAssertNotNil(usleepSite.site.line)
    }
}
