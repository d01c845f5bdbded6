import Foundation
import TaskProfTestSupport
import XCTest

@testable import TaskProfExport
@testable import TaskProfModel
@testable import TaskProfReports

/// `report --trace` (Chrome JSON trace format), checked event by event against the format's
/// rules (TraceCheck) and against the profile it comes from.
final class TraceTests: XCTestCase {
    /// A profile with two tasks' jobs on two threads, one long poll, one blocking call.
    static func timelineProfile() -> Profile {
        var p = Fixtures.profile(
            [(task: 1, stack: ["main", "work"], count: 30), (task: 2, stack: ["main", "other"], count: 10)],
            taskNames: [1: "fetch \"quoted\"\nline", 2: "ünïcode"],
            threads: [ThreadInfo(tid: 10, name: "pool-a", kind: .swiftPool), ThreadInfo(tid: 11, name: "pool-b", kind: .swiftPool)])
        p.meta.pid = 4242
        p.meta.durationNs = 100_000_000
        p.samples = p.samples.map { s in
            var s = s
            s.buckets = [TimeBucket(index: 1, count: s.count / 2), TimeBucket(index: 4, count: s.count - s.count / 2)]
            return s
        }
        p.jobs = JobSummary(
            longPollThresholdNs: 10_000_000, tasks: [], runtime: RuntimeJobStats(),
            longPolls: [LongPoll(taskID: 1, thread: 10, startNs: 20_000_000, durationNs: 15_000_000, stacks: [StackCount(stack: 0, count: 15)])])
        p.timeline = Timeline(
            jobs: [
                Timeline.Job(taskID: 1, thread: 0, enqueueNs: 1_000_000, startNs: 2_000_000, endNs: 5_000_000),
                Timeline.Job(taskID: 2, thread: 1, enqueueNs: 2_500_000, startNs: 3_000_000, endNs: 4_000_000),
                Timeline.Job(taskID: 1, thread: 0, enqueueNs: 19_000_000, startNs: 20_000_000, endNs: 35_000_000),
                Timeline.Job(taskID: 0, thread: 1, enqueueNs: nil, startNs: 40_000_000, endNs: 41_000_000),
            ],
            blocking: [Timeline.Blocking(primitive: "usleep", taskID: 1, thread: 0, startNs: 25_000_000, durationNs: 2_000_000, stack: 0)])
        return p
    }

    func testEveryEventFollowsTheFormatAndTheProfile() throws {
        let p = Self.timelineProfile()
        let text = TraceRenderer(p).text
        let events = try TraceCheck.check(Data(text.utf8))
        let jobs = events.filter { ($0["cat"] as? String)?.hasPrefix("job") == true }
        XCTAssertEqual(jobs.count, 4, "one slice per job")
        XCTAssertEqual(jobs.filter { $0["cat"] as? String == "job,long poll" }.count, 1, "the long poll is its job's slice")
        XCTAssertEqual(events.filter { $0["cat"] as? String == "blocking" }.count, 1)
        let flowsStart = events.filter { $0["ph"] as? String == "s" }, flowsEnd = events.filter { $0["ph"] as? String == "f" }
        XCTAssertEqual(flowsStart.count, 3, "a flow per job with a known enqueue")
        XCTAssertEqual(Set(flowsStart.compactMap { $0["id"] as? Int }), Set(flowsEnd.compactMap { $0["id"] as? Int }))
        // Task tracks: task 1 ran twice: running, suspended, enqueued, running.
        let task1 = events.filter { $0["cat"] as? String == "task" && $0["tid"] as? Int == 1 }.map { $0["name"] as? String ?? "" }
        XCTAssertEqual(task1, ["enqueued", "running", "suspended", "enqueued", "running"])
        // Counters: busy workers never above the threads, runnable never negative.
        let busy = events.filter { $0["name"] as? String == "busy workers" }.compactMap { ($0["args"] as? [String: Any])?["threads"] as? Int }
        XCTAssertEqual(busy.max(), 2)
        XCTAssertEqual(busy.last, 0)
        // Names come back exactly.
        let names = Set(events.compactMap { $0["name"] as? String })
        XCTAssertTrue(names.contains("fetch \"quoted\"\nline (task 1)"), "\(names)")
        XCTAssertTrue(names.contains("ünïcode (task 2)"))
        // Samples: a counter per thread, back to zero between distant buckets.
        let samples = events.filter { ($0["name"] as? String)?.hasPrefix("CPU samples: pool-a") == true }
        XCTAssertEqual(samples.compactMap { ($0["args"] as? [String: Any])?["samples"] as? Int }, [20, 0, 20], "both tasks' samples ran on pool-a")
    }

    func testWithoutTimelineLongPollsBlockingAndSamplesStay() throws {
        var p = Self.timelineProfile()
        p.timeline?.jobs = nil
        let events = try TraceCheck.check(Data(TraceRenderer(p).text.utf8))
        XCTAssertEqual(events.filter { $0["cat"] as? String == "long poll" }.count, 1)
        XCTAssertEqual(events.filter { $0["cat"] as? String == "blocking" }.count, 1)
        XCTAssertEqual(events.filter { $0["cat"] as? String == "task" }.count, 0)
        XCTAssertFalse(events.filter { $0["ph"] as? String == "C" }.isEmpty)
    }

    func testHostileNamesRoundTrip() throws {
        var p = Fixtures.hostileProfile()
        p.timeline = Timeline(jobs: [Timeline.Job(taskID: 1, thread: 1, enqueueNs: 10, startNs: 20, endNs: 30)])
        let events = try TraceCheck.check(Data(TraceRenderer(p).text.utf8))
        let names = events.compactMap { ($0["args"] as? [String: Any])?["name"] as? String } + events.compactMap { $0["name"] as? String }
        XCTAssertTrue(names.contains(Fixtures.hostileNames[1] + " [100]"), "a hostile thread name comes back exactly: \(names)")
        XCTAssertTrue(names.contains { $0.hasPrefix(Fixtures.hostileNames[0]) }, "a hostile task name comes back exactly")
    }

    func testTimelineSurvivesTheProfileFile() throws {
        let p = Self.timelineProfile()
        let back = try ProfileFile.decode(ProfileFile.encode(p))
        XCTAssertEqual(back.timeline, p.timeline)
    }
}
