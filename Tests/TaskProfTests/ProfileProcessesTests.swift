import TaskProfModel
import TaskProfTestSupport
import XCTest

/// A run of several processes as one profile (`Profile.merging`), and one process taken back out
/// (`process(at:)`), on two images of one pid: the same tids in both, as after an exec.
final class ProfileProcessesTests: XCTestCase {
    /// One image: its main thread is tid 100, with an event-loop tick that ran long (no task) and a
    /// blocking call outside any task, so only the process tells them apart.
    private func image(pollNs: UInt64, buildID: String, waitMax: UInt64) -> Profile {
        var p = Fixtures.profile(
            [(1, ["start_thread", "swift_job_run", "work"], 10)], buildID: buildID,
            threads: [ThreadInfo(tid: 100, name: "main", kind: .main)])
        p.jobs = JobSummary(
            longPollThresholdNs: 10_000_000, tasks: [], runtime: RuntimeJobStats(),
            longPolls: [LongPoll(taskID: 0, thread: 100, startNs: 1_000, durationNs: pollNs, stacks: [])])
        p.blocking = BlockingSummary(
            thresholdNs: 1_000_000,
            sites: [
                BlockingSite(
                    primitive: "read", function: "f", file: nil, line: nil, count: 1, totalNs: pollNs, maxNs: pollNs,
                    taskIDs: [], threads: [100], stacks: [], advice: "")
            ])
        p.counters = ["samples": 10, "actor.waitNsMax": waitMax, "clock.tsc": 1]
        p.meta.targetCPUTimeNs = pollNs
        return p
    }

    private func merged() -> Profile {
        let first = image(pollNs: 20_000_000, buildID: "driver", waitMax: 7)
        let second = image(pollNs: 50_000_000, buildID: "tool", waitMax: 3)
        var a = ProfiledProcess(pid: 42, image: 0, command: ["swift", "build"])
        a.exitDescription = "exec'd /usr/bin/swift-build"
        var b = ProfiledProcess(pid: 42, image: 1, command: ["swift-build"])
        b.exitDescription = "exit 0"
        return Profile.merging([(first, a), (second, b)], meta: ProfileMeta(command: ["swift", "build"], pid: 42))
    }

    func testLongPollsAndBlockingCallsStayWithTheirProcess() throws {
        let p = merged()
        XCTAssertEqual(p.jobs?.longPolls.map(\.durationNs), [50_000_000, 20_000_000], "longest first")
        for (k, ns) in [(0, UInt64(20_000_000)), (1, 50_000_000)] {
            let one = p.process(at: k)
            XCTAssertEqual(one.jobs?.longPolls.map(\.durationNs), [ns], "image \(k) keeps its own tick only")
            XCTAssertEqual(one.blocking?.sites.map(\.totalNs), [ns], "image \(k) keeps its own blocking call only")
            XCTAssertEqual(one.meta.targetCPUTimeNs, ns, "each image keeps its own CPU time")
        }
        XCTAssertEqual(p.process(at: 0).meta.mainBuildID, "driver")
        XCTAssertEqual(p.process(at: 1).meta.mainBuildID, "tool", "the image's own build, not the busiest one's")
        XCTAssertEqual(p.restricted(toProcesses: [1]).jobs?.longPolls.count, 1)
    }

    func testCountersThatAreMaximaAreNotSummed() {
        let p = merged()
        XCTAssertEqual(p.counters["samples"], 20)
        XCTAssertEqual(p.counters["actor.waitNsMax"], 7)
        XCTAssertEqual(p.counters["clock.tsc"], 1)
    }

    func testTheFileKeepsWhichProcessEachLongPollAndCallBelongsTo() throws {
        let back = try ProfileFile.decode(ProfileFile.encode(merged()))
        XCTAssertEqual(back.processes.map(\.buildID), ["driver", "tool"])
        XCTAssertEqual(back.processes.map(\.cpuTimeNs), [20_000_000, 50_000_000])
        XCTAssertEqual(back.process(at: 1).jobs?.longPolls.map(\.durationNs), [50_000_000])
        XCTAssertEqual(back.process(at: 0).blocking?.sites.map(\.totalNs), [20_000_000])
    }

    /// `report --process` and `diff --process` select as `record --process` does, plus by pid.
    func testProcessSelectorsMeanWhatRecordsMean() {
        let p = merged()
        XCTAssertEqual(p.processIndices(matching: "42"), [0, 1], "a pid names every image")
        XCTAssertEqual(p.processIndices(matching: "42.1"), [1])
        XCTAssertEqual(p.processIndices(matching: "swift-build"), [1], "a plain name is an executable's file name")
        XCTAssertEqual(p.processIndices(matching: "swift"), [0])
        XCTAssertEqual(p.processIndices(matching: "build"), [], "a plain name is not a part of a command line")
        XCTAssertEqual(p.processIndices(matching: "swift .*build"), [0], "anything else is a regular expression over the command line")
        XCTAssertEqual(p.processIndices(matching: "a(b"), [], "an invalid expression matches nothing")
    }
}
