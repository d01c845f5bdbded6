import Foundation
import TaskProfAnalysis
import TaskProfModel

/// The short text summary `record` and `report` print. Colour only when asked (a terminal).
public struct TerminalSummary: Renderer {
    public var profile: Profile
    public var color: Bool
    public var topTasks: Int
    public var topFunctions: Int

    public init(_ profile: Profile, color: Bool = false, topTasks: Int = 8, topFunctions: Int = 10) {
        self.profile = profile
        self.color = color
        self.topTasks = topTasks
        self.topFunctions = topFunctions
    }

    func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    func warn(_ s: String) -> String { color ? "\u{1B}[33m\(s)\u{1B}[0m" : s }

    /// The recorder's note that a stream lacks the agent's final flush ("the process ended
    /// without …", "the target …" in older profiles, prefixed by its process in a profile of
    /// several): the summary says it once, from `meta.complete`.
    static func isUncleanEndNote(_ note: String) -> Bool { note.contains("ended without the agent's final flush") }

    /// Said only when the stacks deserve less trust than usual: more than 2 % of the walks
    /// stopped before the thread's first frame, or more than 5 % of the frames were found by the
    /// frame-pointer rule (code without unwind information, where a frame can be skipped).
    public static func unwindNote(_ p: Profile) -> String? {
        let samples = p.counters["samples"] ?? 0, broken = p.counters["unwind.broken"] ?? 0
        let cfi = p.counters["unwind.framesCFI"] ?? 0, fp = p.counters["unwind.framesFP"] ?? 0
        var parts: [String] = []
        if samples > 0 && broken * 50 > samples { parts.append("\(broken) of \(samples) stacks end before the thread's start") }
        if fp * 20 > cfi + fp {
            parts.append("\(Format.percent(Double(fp) / Double(cfi + fp)).trimmingCharacters(in: .whitespaces)) of frames found by frame pointers")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ") + " (code without unwind information)"
    }

    /// A profile of one process; one of several processes starts with their table
    /// (TerminalSummary+Processes.swift).
    public func render(to sink: OutputSink) {
        sink.write(profile.processes.count > 1 ? renderRun(profile) : renderProcess(profile))
    }

    func renderProcess(_ p: Profile) -> String {
        var out: [String] = []
        let m = p.meta
        let samples = p.sampleCount
        let seconds = Double(m.durationNs) / 1e9
        let threadsSampled = Set(p.samples.map(\.thread)).count
        let effective = threadsSampled > 0 && seconds > 0 ? Double(samples) / seconds : 0
        out.append(bold("taskprof: ") + Format.truncate(m.command.joined(separator: " "), 200) + " (\(m.exitDescription))")
        out.append(
            "  duration \(Format.seconds(m.durationNs)), \(samples) samples, \(p.droppedCount) dropped, "
                + "engine \(m.engine) at \(m.rateHz) Hz/thread (effective \(String(format: "%.0f", effective)) samples/s over \(threadsSampled) threads)"
        )
        out.append(
            "  \(p.threads.count) threads, \(p.tasks.count) tasks"
                + (m.targetCPUTimeNs > 0 ? ", target CPU time \(Format.seconds(m.targetCPUTimeNs))" : ""))
        // The default delivery needs no words; any other says why it was chosen (a kernel before
        // 5.19, perf_event_paranoid, a --signal of the user's).
        if !m.engineNote.isEmpty && !m.engineNote.hasSuffix("(sigtrap)") { out.append("  engine: \(Format.safe(m.engineNote))") }
        if !m.complete { out.append(warn("  note: the recording ended without a clean exit; it holds what was written before")) }
        for n in m.notes where !Self.isUncleanEndNote(n) {
            out.append(warn("  note: \(Format.safe(n))"))
        }
        if let note = Self.unwindNote(p) { out.append(warn("  note: \(note)")) }

        let tasks = p.taskStats().filter { $0.samples > 0 }
        let kinds = TaskKinds(p).labels
        if !tasks.isEmpty {
            out.append(bold("Top tasks by CPU"))
            for t in tasks.prefix(topTasks) {
                let label = t.name ?? (TaskInfo.unnamedLabel(t.id) + (kinds[t.id].map { " · " + $0 } ?? ""))
                var line = "  \(Format.percent(t.cpuShare))  \(Format.pad(String(t.samples), 7)) " + Format.truncate(label, 50)
                if let j = t.jobs {
                    line += "  polls \(j.pollTime.count), p99 \(Format.ms(j.pollTime.p99Ns)), delay p99 \(Format.ms(j.schedulingDelay.p99Ns))"
                    if j.longPolls > 0 { line += warn(", \(j.longPolls) long polls") }
                }
                out.append(line)
            }
            let noTask = p.samples.filter { $0.taskID == 0 }.reduce(0) { $0 + UInt64($1.count) }
            if noTask > 0 {
                out.append(
                    "  \(Format.percent(Double(noTask) / Double(max(samples, 1))))  \(Format.pad(String(noTask), 7)) (no task: threads outside Swift jobs)"
                )
            }
            // Many unnamed tasks of one kind (a task group's children) are one line here.
            let groups = p.taskKindStats(kinds: kinds).filter { $0.tasks > 1 }
            if tasks.count > topTasks, !groups.isEmpty {
                out.append(bold("Top task kinds") + " (unnamed tasks by the closure that started them)")
                for g in groups.prefix(topTasks) {
                    out.append(
                        "  \(Format.percent(g.cpuShare))  \(Format.pad(String(g.samples), 7)) " + Format.truncate(g.kind, 50) + "  (\(g.tasks) tasks)"
                    )
                }
            }
            if p.hasLogicalFrames {
                out.append(
                    "  logical async stacks in \(Format.percent(p.logicalStackShare)) of task samples"
                        + ((p.counters["async.bad"] ?? 0) > 0 ? ", \(p.counters["async.bad"]!) chains not trusted" : ""))
            }
        }
        let functions = p.functionStats()
        if !functions.isEmpty {
            out.append(bold("Top functions (self)"))
            for f in functions.prefix(topFunctions) where f.selfSamples > 0 {
                let loc = f.file.map { " \(Format.safe(($0 as NSString).lastPathComponent)):\(f.line ?? 0)" } ?? ""
                out.append(
                    "  \(Format.percent(Double(f.selfSamples) / Double(max(samples, 1))))  \(Format.truncate(f.shortName, 60))  [\(Format.safe(f.module))\(loc)]"
                )
            }
        }
        if let j = p.jobs, j.runtime.jobs > 0 {
            out.append(
                bold("Swift runtime")
                    + ": \(j.runtime.jobs) jobs (\(String(format: "%.0f", j.runtime.jobsPerSecond))/s) on \(j.runtime.workerThreads) workers, "
                    + "busy \(String(format: "%.0f", j.runtime.busyFraction * 100))%, scheduling delay p50 \(Format.ms(j.runtime.schedulingDelay.p50Ns)) p99 \(Format.ms(j.runtime.schedulingDelay.p99Ns))"
            )
            let aq = j.runtime.actorQueueWait
            if aq.count > 0 {
                let line =
                    "Actor queues: \(aq.count) jobs waited for their actor, p50 \(Format.ms(aq.p50Ns)) p99 \(Format.ms(aq.p99Ns)) max \(Format.ms(aq.maxNs))"
                out.append(aq.p50Ns >= j.longPollThresholdNs ? warn(line) : line)
            }
            if !j.longPolls.isEmpty {
                out.append(warn("Long polls (> \(Format.ms(j.longPollThresholdNs))): \(j.longPolls.count)"))
                let names = p.taskNames
                for l in j.longPolls.prefix(5) {
                    let top =
                        l.stacks.first.flatMap { p.stacks[Int($0.stack)].last }.map { Format.safe(p.frames[Int($0)].shortName) } ?? "(no samples)"
                    let who = l.taskID == 0 ? "event-loop tick" : "in " + Format.safe(names[l.taskID] ?? TaskInfo.unnamedLabel(l.taskID))
                    out.append("  \(Format.ms(l.durationNs)) at \(Format.ms(l.startNs)) \(who) on thread \(l.thread): \(top)")
                }
            }
        }
        if let b = p.blocking, !b.sites.isEmpty {
            let names = p.taskNames
            out.append(warn("Blocking calls on runtime threads (≥ \(Format.ms(b.thresholdNs))): \(b.sites.reduce(0) { $0 + $1.count })"))
            for s in b.sites.prefix(8) {
                let loc = s.file.map { " (\(Format.safe(($0 as NSString).lastPathComponent)):\(s.line ?? 0))" } ?? ""
                let tasks = s.taskIDs.prefix(3).map { Format.safe(names[$0] ?? TaskInfo.unnamedLabel($0)) }.joined(separator: ", ")
                out.append(
                    "  \(s.primitive) in \(Format.safe(s.function))\(loc): \(s.count)×, total \(Format.ms(s.totalNs)), max \(Format.ms(s.maxNs))"
                        + (tasks.isEmpty ? " on an event loop" : " in \(tasks)"))
            }
        }
        out += stuckSection(p)
        return out.joined(separator: "\n") + "\n"
    }
}
