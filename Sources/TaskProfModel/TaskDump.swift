/// The tasks alive at one moment of a run, as the agent read them from the Swift runtime: at the
/// end of the recording, on `taskprof dump PID`, or before the program died of SIGINT/SIGTERM.
/// What answers "why is my task stuck" (docs/JSON.md, `liveTasks`).
public struct TaskDump: Sendable, Equatable {
    public enum Reason: String, Sendable, Equatable {
        case end, request, signal
    }

    public var reason: Reason
    /// When it was taken, from the start of the recording.
    public var timeNs: UInt64
    /// Index into `Profile.processes` (0 in a profile of one process).
    public var process: Int32
    /// Tasks in the agent's table that were gone or unreadable when the dump read them.
    public var unreadable: UInt32
    /// Why the dump is empty or partial (a runtime whose task layout the agent does not know).
    public var note: String?
    public var tasks: [LiveTask]

    public init(reason: Reason, timeNs: UInt64, process: Int32 = 0, unreadable: UInt32 = 0, note: String? = nil, tasks: [LiveTask]) {
        self.reason = reason
        self.timeNs = timeNs
        self.process = process
        self.unreadable = unreadable
        self.note = note
        self.tasks = tasks
    }
}

/// One live task of a dump.
public struct LiveTask: Sendable, Equatable {
    public enum State: String, Sendable, Equatable, CaseIterable {
        case running, enqueued, suspended
    }

    /// How the task was made: `Task {}` (unstructured), `Task.detached`, `group.addTask`,
    /// `async let`, or unknown (made before the agent saw it, or a child of another kind).
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case unstructured, detached
        case groupChild = "group child"
        case asyncLet = "async let"
        case unknown
    }

    /// What the runtime's dependency record says the task waits on.
    public enum RuntimeWait: UInt8, Sendable, Equatable {
        case unknown = 0, task = 1, continuation = 2, group = 3, executor = 4
    }

    /// The task's id (with its process index, `TaskInfo.globalID`).
    public var id: UInt64
    /// A child's parent, an unstructured task's creator; nil when none or unknown.
    public var parent: UInt64?
    public var kind: Kind
    public var state: State
    /// How long it had been in `state` when the dump was taken; nil when unknown.
    public var forNs: UInt64?
    /// The thread running it (`running` only).
    public var tid: Int32?
    public var cancelled: Bool
    /// When it was created, from the start of the recording; nil when before the agent saw it.
    public var createdNs: UInt64?
    /// Stack index of the code that created it (one frame), -1 when unknown.
    public var createdAt: Int32
    /// Stack index of its await stack (root first, as every stack; the innermost await is the
    /// leaf), -1 when not suspended or not readable.
    public var awaitStack: Int32
    public var wait: RuntimeWait
    /// `wait == .task`: the awaited task (global id).
    public var waitingOnTask: UInt64?

    public init(
        id: UInt64, parent: UInt64? = nil, kind: Kind = .unknown, state: State, forNs: UInt64? = nil, tid: Int32? = nil,
        cancelled: Bool = false, createdNs: UInt64? = nil, createdAt: Int32 = -1, awaitStack: Int32 = -1,
        wait: RuntimeWait = .unknown, waitingOnTask: UInt64? = nil
    ) {
        self.id = id
        self.parent = parent
        self.kind = kind
        self.state = state
        self.forNs = forNs
        self.tid = tid
        self.cancelled = cancelled
        self.createdNs = createdNs
        self.createdAt = createdAt
        self.awaitStack = awaitStack
        self.wait = wait
        self.waitingOnTask = waitingOnTask
    }
}

extension Profile {
    /// The dump that says which tasks were left: the last one taken at the end of a process
    /// (or, without one, the last taken), per process.
    public var finalTaskDumps: [TaskDump] {
        var byProcess: [Int32: TaskDump] = [:]
        for d in taskDumps {
            if let have = byProcess[d.process], have.reason == .end || have.reason == .signal, d.reason == .request { continue }
            byProcess[d.process] = d
        }
        return byProcess.keys.sorted().compactMap { byProcess[$0] }
    }
}
