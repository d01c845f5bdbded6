import Foundation
import XCTest

@testable import TaskProfAnalysis
@testable import TaskProfModel
@testable import TaskProfReports

/// The findings of "why is my task stuck", from hand-made dumps: each names its cause, and a
/// healthy dump (or a short wait) has none.
final class StuckTasksTests: XCTestCase {
    /// A profile whose stacks are the await stacks given, innermost first, by function name.
    struct Builder {
        var profile = Profile(meta: ProfileMeta(command: ["app"]))
        var tasks: [LiveTask] = []

        mutating func frame(_ name: String) -> Int32 {
            let isRuntime = name.hasPrefix("Task.") || name.hasPrefix("with") || name.hasPrefix("TaskGroup")
            let f = SymbolizedFrame(
                function: "App." + name, shortName: name, module: isRuntime ? "libswift_Concurrency.so" : "App",
                file: isRuntime ? nil : "/src/App/main.swift", line: isRuntime ? nil : 10 + profile.frames.count, isAsync: true)
            profile.frames.append(f)
            return Int32(profile.frames.count - 1)
        }

        mutating func stack(_ innermostFirst: [String]) -> Int32 {
            let s = innermostFirst.reversed().map { frame($0) }
            profile.stacks.append(s)
            return Int32(profile.stacks.count - 1)
        }

        mutating func task(
            _ id: UInt64, _ name: String?, state: LiveTask.State = .suspended, seconds: Double, wait: LiveTask.RuntimeWait = .unknown,
            on: UInt64? = nil, parent: UInt64? = nil, kind: LiveTask.Kind = .unstructured, stack: [String] = []
        ) {
            if let name { profile.tasks.append(TaskInfo(id: id, name: name)) }
            tasks.append(
                LiveTask(
                    id: id, parent: parent, kind: kind, state: state, forNs: UInt64(seconds * 1e9),
                    awaitStack: stack.isEmpty ? -1 : self.stack(stack),
                    wait: wait, waitingOnTask: on))
        }

        func build() -> Profile {
            var p = profile
            p.taskDumps = [TaskDump(reason: .end, timeNs: 5_000_000_000, tasks: tasks)]
            return p
        }
    }

    func testAContinuationNeverResumedNamesItsCreatorAndWhoWaitsBehindIt() {
        var b = Builder()
        b.task(1, "fetcher", seconds: 41.2, wait: .continuation, stack: ["fetchProfile(id:)", "load()"])
        b.task(2, "page", seconds: 41.0, wait: .task, on: 1, stack: ["Task.value.getter", "render()"])
        let s = StuckTasks(b.build())
        XCTAssertEqual(s.stuck.count, 2)
        XCTAssertEqual(s.findings.map(\.kind), [.continuationNeverResumed])
        let f = s.findings[0]
        XCTAssertEqual(f.tasks, [1, 2])
        XCTAssertTrue(f.title.contains("task 1 \"fetcher\" has waited 41.2 s on a continuation created in fetchProfile(id:) (main.swift:"), f.title)
        XCTAssertTrue(f.detail.contains("Waiting behind it: task 2 \"page\""), f.detail)
        XCTAssertEqual(s.entries.first { $0.task.id == 2 }?.waitingOn, .task(1))
    }

    func testAWaitCycleIsFoundOnce() {
        var b = Builder()
        b.task(5, "left", seconds: 3, wait: .task, on: 6)
        b.task(6, "right", seconds: 3, wait: .task, on: 5)
        b.task(7, "bystander", seconds: 3, wait: .task, on: 5)
        let s = StuckTasks(b.build())
        XCTAssertEqual(s.findings.map(\.kind), [.waitCycle])
        XCTAssertEqual(Set(s.findings[0].tasks), [5, 6])
        XCTAssertEqual(s.findings[0].title, "task 5 \"left\" awaits task 6 \"right\", which awaits task 5 \"left\"")
    }

    func testAFullChannelWithoutReaderAndOneWithAStuckReader() {
        var b = Builder()
        b.task(1, "producer", seconds: 9, wait: .continuation, stack: ["BoundedChannel.send(_:)", "produce()"])
        var s = StuckTasks(b.build())
        XCTAssertEqual(s.findings.map(\.kind), [.fullChannel])
        XCTAssertTrue(s.findings[0].detail.contains("No live task is in another of BoundedChannel's methods"), s.findings[0].detail)

        b.task(2, "consumer", seconds: 8, wait: .continuation, stack: ["BoundedChannel.receive()", "consume()"])
        s = StuckTasks(b.build())
        let full = s.findings.first { $0.kind == .fullChannel }
        XCTAssertEqual(full?.tasks, [1, 2])
        XCTAssertTrue(full?.detail.contains("Its readers are stuck themselves: task 2 \"consumer\"") == true, full?.detail ?? "")
    }

    func testAGroupWhoseChildIsStuckNeverResumesItsParent() {
        var b = Builder()
        b.task(3, "gatherer", seconds: 2, wait: .group, stack: ["TaskGroup.next(isolation:)", "gather()"])
        b.task(9, "lookup-1", seconds: 2, wait: .continuation, parent: 3, kind: .groupChild, stack: ["fetchProfile(id:)", "lookup()"])
        let s = StuckTasks(b.build())
        XCTAssertEqual(Set(s.findings.map(\.kind)), [.continuationNeverResumed, .groupNeverResumes])
        let group = s.findings.first { $0.kind == .groupNeverResumes }!
        XCTAssertEqual(group.tasks, [3, 9])
        XCTAssertTrue(group.detail.contains("task 9 \"lookup-1\" (awaiting continuation, 2.0 s)"), group.detail)
        // The stuck child holds up its parent.
        XCTAssertTrue(s.findings.first { $0.kind == .continuationNeverResumed }!.detail.contains("task 3 \"gatherer\""))
    }

    func testShortWaitsSleepsStreamsAndRunningTasksAreNotFindings() {
        var b = Builder()
        b.task(1, "quick", seconds: 0.2, wait: .continuation, stack: ["fetchProfile(id:)"])
        b.task(2, "napper", seconds: 30, wait: .continuation, stack: ["Task<>.sleep(for:)", "nap()"])
        b.task(3, "reader", seconds: 30, wait: .continuation, stack: ["withUnsafeContinuation", "AsyncStream.Iterator.next()", "read()"])
        b.task(4, "busy", state: .running, seconds: 30)
        let s = StuckTasks(b.build())
        XCTAssertEqual(s.findings, [])
        XCTAssertEqual(s.entries.first { $0.task.id == 2 }?.waitingOn, .sleep)
        XCTAssertEqual(s.entries.first { $0.task.id == 3 }?.waitingOn, .asyncStream)
        XCTAssertEqual(s.stuck.map(\.task.id).sorted(), [2, 3], "a running task is a long poll, not stuck; 0.2 s is under the threshold")
        XCTAssertEqual(StuckTasks(b.build(), thresholdNs: 100_000_000).stuck.count, 3)
    }

    func testJSONHasNullNamesAndTheStuckOnes() throws {
        var b = Builder()
        b.task(1, nil, seconds: 4, wait: .continuation, stack: ["fetchProfile(id:)"])
        let json = try JSONSerialization.jsonObject(with: JSONSummary(b.build()).encoded()) as! [String: Any]
        let live = try XCTUnwrap(json["liveTasks"] as? [[String: Any]])
        XCTAssertEqual(live.count, 1)
        XCTAssertTrue(live[0]["name"] is NSNull, "an unnamed task's name is null")
        XCTAssertEqual(live[0]["state"] as? String, "suspended")
        XCTAssertEqual(live[0]["stuck"] as? Bool, true)
        XCTAssertEqual((live[0]["waitingOn"] as? [String: Any])?["kind"] as? String, "continuation")
        XCTAssertEqual((live[0]["awaitStack"] as? [[String: Any]])?.first?["function"] as? String, "fetchProfile(id:)")
        XCTAssertEqual((json["stuckFindings"] as? [[String: Any]])?.count, 1)
        // Without a dump, no liveTasks at all (not an empty list that says "nothing alive").
        let none = try JSONSerialization.jsonObject(with: JSONSummary(Profile(meta: ProfileMeta(command: []))).encoded()) as! [String: Any]
        XCTAssertNil(none["liveTasks"])
    }

    func testDumpsSurviveTheProfileFile() throws {
        var b = Builder()
        b.task(1, "fetcher", seconds: 4, wait: .continuation, stack: ["fetchProfile(id:)"])
        b.task(2, nil, state: .running, seconds: 1)
        var p = b.build()
        p.stuckThresholdNs = 2_500_000_000
        p.taskDumps[0].tasks[1].tid = 4242
        p.taskDumps[0].tasks[0].cancelled = true
        p.taskDumps[0].tasks[0].createdNs = 0
        let back = try ProfileFile.decode(ProfileFile.encode(p))
        XCTAssertEqual(back.taskDumps, p.taskDumps)
        XCTAssertEqual(back.stuckThresholdNs, 2_500_000_000)
    }

    func testTheTerminalSectionIsGoStyle() {
        var b = Builder()
        b.task(17, "fetcher", seconds: 41.2, wait: .continuation, stack: ["fetchProfile(id:)", "load()"])
        let text = TerminalSummary(b.build()).text
        XCTAssertTrue(text.contains("task 17 \"fetcher\" [awaiting continuation, 41.2 s] unstructured:"), text)
        XCTAssertTrue(text.contains("      fetchProfile(id:) (main.swift:"), text)
    }
}
