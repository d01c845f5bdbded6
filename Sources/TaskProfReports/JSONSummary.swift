import Foundation
import TaskProfAnalysis
import TaskProfModel

/// The machine-readable summary (`--json`), documented in docs/JSON.md. Field names are stable;
/// new fields may be added.
public struct JSONSummary: Codable, Equatable {
    public struct ProfileInfo: Codable, Equatable {
        public var command: [String]
        public var startTime: String
        public var durationMs: Double
        public var engine: String
        public var rateHz: UInt32
        public var samples: UInt64
        public var dropped: UInt64
        public var complete: Bool
        public var exit: String
        public var host: String
        public var buildID: String
        public var jobTracking: Bool
        public var targetCpuMs: Double
        /// "logical" when stacks hold awaiting async callers, else "physical".
        public var stacks: String
        /// Share of task samples whose stacks hold logical frames (0…1).
        public var logicalStackShare: Double
        /// The agent's counters: drops by cause, DWARF unwinds, handler-cost histogram, …
        public var counters: [String: UInt64]
    }

    public struct Percentiles: Codable, Equatable {
        public var count: UInt64
        public var meanMs: Double
        public var p50Ms: Double
        public var p99Ms: Double
        public var maxMs: Double

        init(_ s: DurationStats) {
            count = s.count
            meanMs = Double(s.meanNs) / 1e6
            p50Ms = Double(s.p50Ns) / 1e6
            p99Ms = Double(s.p99Ns) / 1e6
            maxMs = Double(s.maxNs) / 1e6
        }
    }

    /// One process of a run that followed children (`processes` is absent for one process).
    public struct Process: Codable, Equatable {
        public var pid: Int32
        /// 0, or n for the image the process's n-th exec started.
        public var image: Int
        public var parentPid: Int32
        public var executable: String
        public var command: [String]
        public var exit: String
        public var complete: Bool
        /// From the start of the run.
        public var startMs: Double
        public var durationMs: Double
        public var samples: UInt64
        public var tasks: Int
        /// The innermost function of the process's own code in most of its samples.
        public var hottestFunction: String?
    }

    public struct Task: Codable, Equatable {
        /// The task's id in its process.
        public var id: UInt64
        /// Index into `processes` (present when there are several).
        public var process: Int?
        public var name: String?
        /// The closure or function that started the task (see `TaskKinds`).
        public var kind: String?
        public var samples: UInt64
        public var cpuShare: Double
        public var polls: UInt64?
        public var longPolls: UInt64?
        public var pollTime: Percentiles?
        public var schedulingDelay: Percentiles?
        public var busyMs: Double?
    }

    public struct TaskKind: Codable, Equatable {
        public var kind: String
        public var tasks: Int
        public var samples: UInt64
        public var cpuShare: Double
    }

    public struct Thread: Codable, Equatable {
        public var tid: Int32
        /// Index into `processes` (present when there are several).
        public var process: Int?
        public var name: String
        public var kind: String
        public var samples: UInt64
        public var cpuShare: Double
    }

    public struct Function: Codable, Equatable {
        public var name: String
        public var shortName: String
        public var module: String
        public var file: String?
        public var line: Int?
        public var `self`: UInt64
        public var total: UInt64
    }

    public struct Frame: Codable, Equatable {
        public var function: String
        public var file: String?
        public var line: Int?
        /// true for a logical frame (an awaiting async caller); absent for physical frames.
        public var async: Bool?

        init(_ f: SymbolizedFrame) {
            function = f.shortName
            file = f.file
            line = f.line
            async = f.isAsync ? true : nil
        }
    }

    public struct LongPollEntry: Codable, Equatable {
        /// "job" (a Swift job that ran without suspending) or "event-loop-tick" (SwiftNIO).
        public var kind: String
        public var taskId: UInt64
        /// Index into `processes` (present when there are several).
        public var process: Int?
        public var taskName: String?
        public var thread: String
        public var startMs: Double
        public var durationMs: Double
        /// CPU samples that landed in the poll.
        public var samples: UInt64
        /// The most sampled stack during the poll, root first; with no sample, the stack the
        /// agent captured once while the poll was under way (then `captured` is true).
        public var stack: [Frame]
        public var captured: Bool
    }

    public struct Site: Codable, Equatable {
        public var function: String
        public var file: String?
        public var line: Int?
    }

    public struct BlockingCall: Codable, Equatable {
        public var primitive: String
        public var site: Site
        /// Index into `processes` (present when there are several).
        public var process: Int?
        public var taskIds: [UInt64]
        public var taskNames: [String]
        public var threads: [String]
        public var count: UInt64
        public var totalMs: Double
        public var maxMs: Double
        /// The stack that blocked longest in total, root first.
        public var stack: [Frame]
        public var advice: String
    }

    public struct Runtime: Codable, Equatable {
        public var workerThreads: UInt32
        public var jobs: UInt64
        public var jobsPerSecond: Double
        public var busyFraction: Double
        public var schedulingDelay: Percentiles
        /// The part of the delays spent in actors' queues.
        public var actorQueueWait: Percentiles
    }

    public var profile: ProfileInfo
    public var processes: [Process]?
    public var tasks: [Task]
    /// Unnamed tasks grouped by kind, most samples first.
    public var taskKinds: [TaskKind]
    public var threads: [Thread]
    public var functions: [Function]
    public var runtime: Runtime?
    public var longPolls: [LongPollEntry]
    public var blockingCalls: [BlockingCall]
    /// The tasks alive at the end (absent when the recording has no dump of them).
    public var liveTasks: [LiveTaskEntry]?
    /// Suspended or enqueued at least this long counts as stuck (`record --stuck`).
    public var stuckThresholdMs: Double?
    public var stuckFindings: [StuckFinding]?

    public init(_ p: Profile, maxFunctions: Int = 200) {
        let m = p.meta
        let iso = ISO8601DateFormatter()
        profile = ProfileInfo(
            command: m.command, startTime: iso.string(from: Date(timeIntervalSince1970: Double(m.startTimeNs) / 1e9)),
            durationMs: Double(m.durationNs) / 1e6, engine: m.engine, rateHz: m.rateHz,
            samples: p.sampleCount, dropped: p.droppedCount, complete: m.complete, exit: m.exitDescription,
            host: m.host, buildID: m.mainBuildID, jobTracking: m.jobTracking,
            targetCpuMs: Double(m.targetCPUTimeNs) / 1e6,
            stacks: p.hasLogicalFrames ? "logical" : "physical", logicalStackShare: p.logicalStackShare,
            counters: p.counters)
        let several = p.processes.count > 1
        if several {
            processes = p.processStats().map { st in
                let pr = p.processes[st.index]
                return Process(
                    pid: pr.pid, image: pr.image, parentPid: pr.parentPid, executable: pr.executable, command: pr.command,
                    exit: pr.exitDescription, complete: pr.complete, startMs: Double(pr.startOffsetNs) / 1e6,
                    durationMs: Double(pr.durationNs) / 1e6, samples: st.samples, tasks: st.tasks,
                    hottestFunction: st.hottestFunction)
            }
        }
        let kinds = TaskKinds(p).labels
        tasks = p.taskStats().map { t in
            Task(
                id: TaskInfo.localID(t.id), process: several ? TaskInfo.processIndex(t.id) : nil, name: t.name, kind: kinds[t.id], samples: t.samples,
                cpuShare: t.cpuShare, polls: t.jobs?.pollTime.count,
                longPolls: t.jobs?.longPolls, pollTime: t.jobs.map { Percentiles($0.pollTime) },
                schedulingDelay: t.jobs.map { Percentiles($0.schedulingDelay) }, busyMs: t.jobs.map { Double($0.busyNs) / 1e6 })
        }
        taskKinds = p.taskKindStats(kinds: kinds).map { TaskKind(kind: $0.kind, tasks: $0.tasks, samples: $0.samples, cpuShare: $0.cpuShare) }
        threads = p.threadStats().map {
            Thread(
                tid: $0.thread.tid, process: several ? Int($0.thread.process) : nil, name: $0.thread.name, kind: $0.thread.kind.rawValue,
                samples: $0.samples, cpuShare: $0.cpuShare)
        }
        functions = p.functionStats().prefix(maxFunctions).map {
            Function(
                name: $0.name, shortName: $0.shortName, module: $0.module, file: $0.file, line: $0.line, self: $0.selfSamples, total: $0.totalSamples)
        }
        let names = p.taskNames
        // Long polls and blocking calls name a thread by tid, unique only within its process.
        struct ThreadKey: Hashable { var process: Int32; var tid: Int32 }
        let threadNames = Dictionary(p.threads.map { (ThreadKey(process: $0.process, tid: $0.tid), $0.label) }, uniquingKeysWith: { a, _ in a })
        runtime = p.jobs.map { j in
            Runtime(
                workerThreads: j.runtime.workerThreads, jobs: j.runtime.jobs, jobsPerSecond: j.runtime.jobsPerSecond,
                busyFraction: j.runtime.busyFraction, schedulingDelay: Percentiles(j.runtime.schedulingDelay),
                actorQueueWait: Percentiles(j.runtime.actorQueueWait))
        }
        longPolls = (p.jobs?.longPolls ?? []).map { l in
            let stack = l.stacks.first.map { p.stacks[Int($0.stack)].map { Frame(p.frames[Int($0)]) } } ?? []
            return LongPollEntry(
                kind: l.taskID == 0 ? "event-loop-tick" : "job", taskId: TaskInfo.localID(l.taskID),
                process: several ? Int(l.process) : nil, taskName: names[l.taskID],
                thread: threadNames[ThreadKey(process: l.process, tid: l.thread)] ?? "thread \(l.thread)",
                startMs: Double(l.startNs) / 1e6, durationMs: Double(l.durationNs) / 1e6,
                samples: l.stacks.reduce(0) { $0 + UInt64($1.count) }, stack: stack,
                captured: l.stacks.first.map { $0.count == 0 } ?? false)
        }
        blockingCalls = (p.blocking?.sites ?? []).map { b in
            let stack = b.stacks.first.map { p.stacks[Int($0.stack)].map { Frame(p.frames[Int($0)]) } } ?? []
            return BlockingCall(
                primitive: b.primitive, site: Site(function: b.function, file: b.file, line: b.line),
                process: several ? Int(b.process) : nil, taskIds: b.taskIDs.map(TaskInfo.localID),
                taskNames: b.taskIDs.map { names[$0] ?? TaskInfo.unnamedLabel($0) },
                threads: b.threads.map { threadNames[ThreadKey(process: b.process, tid: $0)] ?? "thread \($0)" }, count: b.count,
                totalMs: Double(b.totalNs) / 1e6, maxMs: Double(b.maxNs) / 1e6, stack: stack, advice: b.advice)
        }
        let stuck = StuckTasks(p)
        if stuck.hasDump {
            liveTasks = Self.liveTasks(stuck, several: several)
            stuckThresholdMs = Double(stuck.thresholdNs) / 1e6
            stuckFindings = Self.stuckFindings(stuck)
        }
    }

    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self)
    }
}

extension JSONSummary: Renderer {
    public func render(to sink: OutputSink) throws {
        sink.write(String(decoding: try encoded(), as: UTF8.self) + "\n")
    }
}
