import Foundation
import TaskProfAnalysis
import TaskProfModel
import TaskProfReports

/// `report --trace FILE`: a timeline in the Chrome JSON trace format, which Perfetto's UI
/// (ui.perfetto.dev) and chrome://tracing open as they are (docs/EXPORTS.md says why this format
/// and not Perfetto's protobuf).
///
/// - One track per thread (its real pid and tid): each Swift job as a slice named by its task
///   (with `record --timeline`), long polls (with the stack sampled most in them), blocking calls
///   (with their stack) and a counter of CPU samples per 10 ms.
/// - With `record --timeline`, one track per task (in a process "Swift tasks"): its life as
///   slices `enqueued`, `running` and `suspended`; a flow arrow from each enqueue to the job's
///   start on its thread; counters of runnable jobs (enqueued, not started) and busy workers.
public struct TraceRenderer: Renderer {
    public let profile: Profile

    public init(_ profile: Profile) { self.profile = profile }

    /// A JSON string literal (the escaper the report page's data uses).
    static func json(_ s: String) -> String { JSONText.quoted(s) }

    /// Microseconds, as the format wants them, to the nanosecond.
    static func us(_ ns: UInt64) -> String {
        let frac = ns % 1000
        return "\(ns / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + "\(frac)"
    }

    /// The pseudo-process that holds the task tracks, beside a process's real pid.
    static func taskPid(_ pid: Int32) -> Int64 { 1_000_000_000 + Int64(pid) }

    public func render(to sink: OutputSink) throws {
        let p = profile
        let names = p.taskNames
        var first = true
        func event(_ body: String) {
            sink.write(first ? "\n" : ",\n")
            first = false
            sink.write("{" + body + "}")
        }
        func pidOf(thread i: Int32) -> Int32 {
            guard p.threads.indices.contains(Int(i)) else { return p.meta.pid }
            let k = Int(p.threads[Int(i)].process)
            return p.processes.indices.contains(k) ? p.processes[k].pid : p.meta.pid
        }
        func tidOf(thread i: Int32) -> Int32 { p.threads.indices.contains(Int(i)) ? p.threads[Int(i)].tid : 0 }
        func taskLabel(_ id: UInt64) -> String {
            id == 0 ? "job (no task)" : names[id].map { "\($0) (task \(TaskInfo.localID(id)))" } ?? TaskInfo.unnamedLabel(id)
        }
        func stackArg(_ s: Int32) -> String {
            guard p.stacks.indices.contains(Int(s)) else { return "[]" }
            let frames = p.stacks[Int(s)].reversed().prefix(24).map { Self.json(p.frames[Int($0)].shortName) }
            return "[" + frames.joined(separator: ",") + "]"
        }

        sink.write("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"exporter\":\"taskprof\",\"command\":")
        sink.write(Self.json(p.meta.command.joined(separator: " ")) + "},\"traceEvents\":[")

        // Processes and threads, named.
        let processes: [(pid: Int32, label: String)] =
            p.processes.isEmpty
            ? [(p.meta.pid, p.meta.command.first.map { ($0 as NSString).lastPathComponent } ?? "program")] : p.processes.map { ($0.pid, $0.label) }
        for (pid, label) in processes {
            event("\"name\":\"process_name\",\"ph\":\"M\",\"pid\":\(pid),\"args\":{\"name\":\(Self.json(label))}")
        }
        for (i, t) in p.threads.enumerated() {
            event(
                "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":\(pidOf(thread: Int32(i))),\"tid\":\(t.tid),\"args\":{\"name\":\(Self.json(t.label))}")
        }

        // Long polls: part of a job slice with --timeline, else slices of their own.
        let jobs = p.timeline?.jobs
        struct PollKey: Hashable { var thread: Int32; var start: UInt64 }
        var pollStack: [PollKey: Int32] = [:]
        let threadByTid = Dictionary(
            p.threads.enumerated().map { (PairKey(a: $0.element.process, b: $0.element.tid), Int32($0.offset)) }, uniquingKeysWith: { a, _ in a })
        for l in p.jobs?.longPolls ?? [] {
            let thread = threadByTid[PairKey(a: l.process, b: l.thread)] ?? -1
            let top = l.stacks.max { $0.count < $1.count }?.stack ?? -1
            if jobs != nil {
                pollStack[PollKey(thread: thread, start: l.startNs)] = top
            } else {
                event(
                    "\"name\":\(Self.json(taskLabel(l.taskID))),\"cat\":\"long poll\",\"ph\":\"X\",\"ts\":\(Self.us(l.startNs)),\"dur\":\(Self.us(l.durationNs)),"
                        + "\"pid\":\(pidOf(thread: thread)),\"tid\":\(l.thread),\"args\":{\"task\":\(TaskInfo.localID(l.taskID)),\"stack\":\(stackArg(top))}"
                )
            }
        }

        // Every job, the task tracks, flows and counters (record --timeline).
        if let jobs {
            var flow = 0
            var byTask: [UInt64: [(job: Timeline.Job, threadStart: UInt64, threadEnd: UInt64)]] = [:]
            var threadEnd: [Int32: UInt64] = [:]
            for j in jobs {
                let pid = pidOf(thread: j.thread), tid = tidOf(thread: j.thread)
                // Jobs on one thread follow each other; a clock read on another core may put a
                // start a few nanoseconds before the previous end: the slice starts at that end.
                let start = max(j.startNs, threadEnd[j.thread] ?? 0), end = max(j.endNs, start)
                threadEnd[j.thread] = end
                let poll = pollStack[PollKey(thread: j.thread, start: j.startNs)]
                var args = "\"task\":\(TaskInfo.localID(j.taskID))"
                if let e = j.enqueueNs { args += ",\"waited_us\":\(Self.us(start > e ? start - e : 0))" }
                if let poll { args += ",\"long_poll\":true,\"stack\":\(stackArg(poll))" }
                event(
                    "\"name\":\(Self.json(taskLabel(j.taskID))),\"cat\":\(poll != nil ? "\"job,long poll\"" : "\"job\""),\"ph\":\"X\","
                        + "\"ts\":\(Self.us(start)),\"dur\":\(Self.us(end - start)),\"pid\":\(pid),\"tid\":\(tid),\"args\":{\(args)}")
                if j.taskID != 0 { byTask[j.taskID, default: []].append((j, start, end)) }
            }
            // Task tracks: one pseudo-thread per task in a "Swift tasks" process per real process.
            var taskProcessNamed = Set<Int32>()
            let live = Set(p.finalTaskDumps.flatMap(\.tasks).map(\.id))
            let end = p.meta.durationNs
            for (task, list) in byTask.sorted(by: { $0.key < $1.key }) {
                let pid = pidOf(thread: list[0].job.thread), tpid = Self.taskPid(pid), tid = TaskInfo.localID(task)
                if taskProcessNamed.insert(pid).inserted {
                    event("\"name\":\"process_name\",\"ph\":\"M\",\"pid\":\(tpid),\"args\":{\"name\":\"Swift tasks (pid \(pid))\"}")
                }
                event("\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":\(tpid),\"tid\":\(tid),\"args\":{\"name\":\(Self.json(taskLabel(task)))}")
                var lastEnd: UInt64?
                for (j, threadStart, threadEnd) in list {
                    // A task can be enqueued again before its job returns (a yield queues it
                    // from inside the job), and two cores' clocks can disagree by a few
                    // nanoseconds: its track shows each state from where the previous one ended.
                    let start = max(j.startNs, lastEnd ?? 0), end = max(j.endNs, start)
                    let enq = j.enqueueNs.map { min(max($0, lastEnd ?? 0), start) }
                    if let lastEnd, let suspendedUntil = enq ?? Optional(start), suspendedUntil > lastEnd {
                        event(
                            "\"name\":\"suspended\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":\(Self.us(lastEnd)),\"dur\":\(Self.us(suspendedUntil - lastEnd)),"
                                + "\"pid\":\(tpid),\"tid\":\(tid)")
                    }
                    if let enq {
                        event(
                            "\"name\":\"enqueued\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":\(Self.us(enq)),\"dur\":\(Self.us(start - enq)),\"pid\":\(tpid),\"tid\":\(tid)"
                        )
                        // The arrow ends inside the job's slice on its thread, never before it
                        // starts (a job run inside another job of the same task has none).
                        let arrive = min(max(threadStart, enq), threadEnd)
                        if arrive >= enq {
                            flow += 1
                            event(
                                "\"name\":\"enqueue\",\"cat\":\"flow\",\"ph\":\"s\",\"id\":\(flow),\"ts\":\(Self.us(enq)),\"pid\":\(tpid),\"tid\":\(tid)"
                            )
                            event(
                                "\"name\":\"enqueue\",\"cat\":\"flow\",\"ph\":\"f\",\"bp\":\"e\",\"id\":\(flow),\"ts\":\(Self.us(arrive)),"
                                    + "\"pid\":\(pidOf(thread: j.thread)),\"tid\":\(tidOf(thread: j.thread))")
                        }
                    }
                    event(
                        "\"name\":\"running\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":\(Self.us(start)),\"dur\":\(Self.us(end - start)),\"pid\":\(tpid),\"tid\":\(tid)"
                    )
                    lastEnd = end
                }
                // Still alive at the end: suspended from its last job to the end.
                if live.contains(task), let lastEnd, end > lastEnd {
                    event(
                        "\"name\":\"suspended\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":\(Self.us(lastEnd)),\"dur\":\(Self.us(end - lastEnd)),\"pid\":\(tpid),\"tid\":\(tid)"
                    )
                }
            }
            // Runnable jobs and busy workers, per process, at every change.
            var changes: [Int32: [(ns: UInt64, runnable: Int, busy: Int)]] = [:]
            for j in jobs {
                let pid = pidOf(thread: j.thread)
                if let e = j.enqueueNs { changes[pid, default: []].append((min(e, j.startNs), 1, 0)) }
                changes[pid, default: []].append((j.startNs, j.enqueueNs != nil ? -1 : 0, 1))
                changes[pid, default: []].append((j.endNs, 0, -1))
            }
            for (pid, list) in changes.sorted(by: { $0.key < $1.key }) {
                var runnable = 0, busy = 0
                let sorted = list.sorted { $0.ns != $1.ns ? $0.ns < $1.ns : $0.busy < $1.busy }
                var i = 0
                while i < sorted.count {
                    let ns = sorted[i].ns
                    while i < sorted.count && sorted[i].ns == ns {
                        runnable += sorted[i].runnable
                        busy += sorted[i].busy
                        i += 1
                    }
                    event("\"name\":\"runnable jobs\",\"ph\":\"C\",\"ts\":\(Self.us(ns)),\"pid\":\(pid),\"args\":{\"jobs\":\(max(runnable, 0))}")
                    event("\"name\":\"busy workers\",\"ph\":\"C\",\"ts\":\(Self.us(ns)),\"pid\":\(pid),\"args\":{\"threads\":\(max(busy, 0))}")
                }
            }
        }

        // Blocking calls, one slice each.
        for b in p.timeline?.blocking ?? [] {
            event(
                "\"name\":\(Self.json(b.primitive)),\"cat\":\"blocking\",\"ph\":\"X\",\"ts\":\(Self.us(b.startNs)),\"dur\":\(Self.us(b.durationNs)),"
                    + "\"pid\":\(pidOf(thread: b.thread)),\"tid\":\(tidOf(thread: b.thread)),\"args\":{\"task\":\(TaskInfo.localID(b.taskID)),\"stack\":\(stackArg(b.stack))}"
            )
        }

        // CPU samples per thread and time bucket, as counters.
        let bucket = max(p.meta.bucketNs, 1)
        var perThread: [Int32: [UInt32: UInt32]] = [:]
        for s in p.samples { for b in s.buckets { perThread[s.thread, default: [:]][b.index, default: 0] += b.count } }
        for (thread, buckets) in perThread.sorted(by: { $0.key < $1.key }) {
            let name = Self.json("CPU samples: " + (p.threads.indices.contains(Int(thread)) ? p.threads[Int(thread)].label : "thread ?"))
            let pid = pidOf(thread: thread)
            var last: UInt32?
            for (index, count) in buckets.sorted(by: { $0.key < $1.key }) {
                // Back to zero between buckets that are not next to each other.
                if let last, index > last + 1 {
                    event("\"name\":\(name),\"ph\":\"C\",\"ts\":\(Self.us(UInt64(last + 1) * bucket)),\"pid\":\(pid),\"args\":{\"samples\":0}")
                }
                event("\"name\":\(name),\"ph\":\"C\",\"ts\":\(Self.us(UInt64(index) * bucket)),\"pid\":\(pid),\"args\":{\"samples\":\(count)}")
                last = index
            }
        }
        sink.write("\n]}\n")
    }
}

struct PairKey: Hashable {
    var a: Int32
    var b: Int32
}
