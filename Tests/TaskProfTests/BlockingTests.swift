import Foundation
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
        let r = try TestSupport.run([try TestSupport.binary("taskprof"), "record", "-q", "-o", dir + "/b.taskprof",
                                     "--json", dir + "/b.json", "--", try TestSupport.binary("BlockingCalls")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try JSONDecoder().decode(Summary.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/b.json")))
        let expected: [(primitive: String, site: String, task: String)] = [
            ("usleep", "sleepInTask()", "sleeper"),
            ("nanosleep", "threadSleepInTask()", "thread-sleeper"),
            ("pthread_mutex_lock", "lockInTask()", "locker"),
            ("sem_wait", "semaphoreInTask()", "waiter"),
            ("read", "readInTask()", "reader"),
            ("futex wait", "mutexInTask()", "mutex-locker"),
        ]
        for e in expected {
            let hit = s.blockingCalls.first { $0.primitive == e.primitive && $0.site.function == e.site }
            XCTAssertNotNil(hit, "\(e.primitive) in \(e.site) not reported; got \(s.blockingCalls.map { "\($0.primitive) \($0.site.function)" })")
            guard let hit else { continue }
            XCTAssertEqual(hit.taskNames, [e.task], "\(e.site)")
            XCTAssertFalse(hit.advice.isEmpty)
            XCTAssertTrue(hit.stack.contains { $0.function == e.site })
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
