/// A symbolized, aggregated recording: what `taskprof record` writes and every report reads.
///
/// Samples are stored aggregated per (task, thread, stack) with a sparse histogram over time,
/// so a ten-minute recording stays small while reports can still scope by time.
public struct Profile: Sendable {
    public var meta: ProfileMeta
    public var counters: [String: UInt64]
    public var modules: [LoadedModule]
    /// Interned frames; stacks refer to them by index.
    public var frames: [SymbolizedFrame]
    /// Interned stacks, root first (thread start … leaf).
    public var stacks: [[Int32]]
    public var threads: [ThreadInfo]
    public var tasks: [TaskInfo]
    public var samples: [SampleGroup]
    public var jobs: JobSummary?
    public var blocking: BlockingSummary?
    /// The processes of a recording that followed children, in start order; empty for a profile
    /// of one process (its meta describes it).
    public var processes: [ProfiledProcess] = []
    /// Dumps of the live tasks (at the end of each process, on `taskprof dump`, before death by
    /// SIGINT/SIGTERM), in the order they were taken.
    public var taskDumps: [TaskDump] = []
    /// Tasks suspended (or enqueued) at least this long in a final dump are stuck (`record --stuck`).
    public var stuckThresholdNs: UInt64 = Profile.defaultStuckThresholdNs
    public static let defaultStuckThresholdNs: UInt64 = 1_000_000_000
    /// Jobs (with `record --timeline`) and blocking calls one by one, for `report --trace`.
    public var timeline: Timeline?
    /// The samples and blocking calls address by address, for pprof; nil in profiles recorded
    /// before it existed and in profiles merged from several processes.
    public var addressStacks: AddressStacks?

    public init(
        meta: ProfileMeta, counters: [String: UInt64] = [:], modules: [LoadedModule] = [],
        frames: [SymbolizedFrame] = [], stacks: [[Int32]] = [], threads: [ThreadInfo] = [],
        tasks: [TaskInfo] = [], samples: [SampleGroup] = [], jobs: JobSummary? = nil,
        blocking: BlockingSummary? = nil
    ) {
        self.meta = meta
        self.counters = counters
        self.modules = modules
        self.frames = frames
        self.stacks = stacks
        self.threads = threads
        self.tasks = tasks
        self.samples = samples
        self.jobs = jobs
        self.blocking = blocking
    }

    /// Total number of samples.
    public var sampleCount: UInt64 { samples.reduce(0) { $0 + UInt64($1.count) } }

    public var droppedCount: UInt64 {
        (counters["dropped.ringFull"] ?? 0) + (counters["dropped.noThread"] ?? 0) + (counters["dropped.blocked"] ?? 0)
    }

    public func task(id: UInt64) -> TaskInfo? { taskIndex[id].map { tasks[$0] } }

    private var taskIndex: [UInt64: Int] {
        Dictionary(tasks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

public struct ProfileMeta: Sendable, Equatable {
    public var command: [String]
    /// Wall-clock start, nanoseconds since the Unix epoch.
    public var startTimeNs: UInt64
    public var durationNs: UInt64
    public var host: String
    public var pid: Int32
    /// "perf" (perf_event_open task-clock) or "timer" (per-thread CPU timers).
    public var engine: String
    public var engineNote: String
    public var rateHz: UInt32
    public var signal: Int32
    /// How the target ended: "exit 0", "signal 6 (SIGABRT)", …
    public var exitDescription: String
    /// CPU time of the target from wait4 (user + system), nanoseconds.
    public var targetCPUTimeNs: UInt64
    /// True when the agent's stream ended cleanly (no crash, no _exit before the final flush).
    public var complete: Bool
    public var jobTracking: Bool
    /// Build-id of the main executable, to tell two builds apart.
    public var mainBuildID: String
    /// Time-bucket width of the sample histograms.
    public var bucketNs: UInt64
    /// Things the agent or the recorder want the user to know.
    public var notes: [String]

    public init(
        command: [String], startTimeNs: UInt64 = 0, durationNs: UInt64 = 0, host: String = "",
        pid: Int32 = 0, engine: String = "", engineNote: String = "", rateHz: UInt32 = 0,
        signal: Int32 = 0, exitDescription: String = "", targetCPUTimeNs: UInt64 = 0,
        complete: Bool = true, jobTracking: Bool = false, mainBuildID: String = "",
        bucketNs: UInt64 = 10_000_000, notes: [String] = []
    ) {
        self.command = command
        self.startTimeNs = startTimeNs
        self.durationNs = durationNs
        self.host = host
        self.pid = pid
        self.engine = engine
        self.engineNote = engineNote
        self.rateHz = rateHz
        self.signal = signal
        self.exitDescription = exitDescription
        self.targetCPUTimeNs = targetCPUTimeNs
        self.complete = complete
        self.jobTracking = jobTracking
        self.mainBuildID = mainBuildID
        self.bucketNs = bucketNs
        self.notes = notes
    }
}

public enum ThreadKind: String, Sendable, Codable, CaseIterable {
    case main
    case swiftPool = "swift-pool"
    case nioEventLoop = "nio-event-loop"
    case other
}

public struct ThreadInfo: Sendable, Equatable {
    public var tid: Int32
    public var name: String
    public var kind: ThreadKind
    public var jobsRun: UInt64
    /// Index into `Profile.processes` (0 in a profile of one process).
    public var process: Int32

    public init(tid: Int32, name: String, kind: ThreadKind, jobsRun: UInt64 = 0, process: Int32 = 0) {
        self.tid = tid
        self.name = name
        self.kind = kind
        self.jobsRun = jobsRun
        self.process = process
    }

    /// What reports show for the thread: its name with the tid, which names are not unique.
    public var label: String { name.isEmpty ? "thread \(tid)" : "\(name) [\(tid)]" }
}

public struct TaskInfo: Sendable, Equatable {
    public var id: UInt64
    public var name: String?

    public init(id: UInt64, name: String?) {
        self.id = id
        self.name = name
    }

    /// The task's name, or `task <id>` for unnamed tasks.
    public var label: String { name.map { $0 } ?? TaskInfo.unnamedLabel(id) }
}

/// Samples that share a task, a thread and a stack.
public struct SampleGroup: Sendable, Equatable {
    /// Swift task id; 0 when no task was running on the thread.
    public var taskID: UInt64
    public var thread: Int32
    public var stack: Int32
    public var count: UInt32
    /// Sparse histogram: (bucket index from the recording start, samples in it), ascending.
    public var buckets: [TimeBucket]

    public init(taskID: UInt64, thread: Int32, stack: Int32, count: UInt32, buckets: [TimeBucket] = []) {
        self.taskID = taskID
        self.thread = thread
        self.stack = stack
        self.count = count
        self.buckets = buckets
    }
}

public struct TimeBucket: Sendable, Equatable {
    public var index: UInt32
    public var count: UInt32
    public init(index: UInt32, count: UInt32) {
        self.index = index
        self.count = count
    }
}
