/// Blocking calls made on runtime threads (Swift pool threads running a job, SwiftNIO event
/// loops outside their wait), grouped by primitive and calling site.
public struct BlockingSummary: Sendable, Equatable {
    public var thresholdNs: UInt64
    public var sites: [BlockingSite]

    public init(thresholdNs: UInt64, sites: [BlockingSite]) {
        self.thresholdNs = thresholdNs
        self.sites = sites
    }
}

public struct BlockingSite: Sendable, Equatable {
    /// The interposed call: `usleep`, `pthread_mutex_lock`, `futex wait`, …
    public var primitive: String
    /// The first frame outside libc, the Swift runtime, Dispatch and Foundation.
    public var function: String
    public var file: String?
    public var line: Int?
    public var count: UInt64
    public var totalNs: UInt64
    public var maxNs: UInt64
    /// Tasks that made the call (0: an event-loop thread, no task).
    public var taskIDs: [UInt64]
    public var threads: [Int32]
    /// Index into `Profile.processes` (0 in a profile of one process).
    public var process: Int32 = 0
    /// Stacks of the calls, with how often and how long each blocked.
    public var stacks: [StackWeight]
    /// One line on what to do instead.
    public var advice: String

    public init(
        primitive: String, function: String, file: String?, line: Int?, count: UInt64, totalNs: UInt64,
        maxNs: UInt64, taskIDs: [UInt64], threads: [Int32], stacks: [StackWeight], advice: String
    ) {
        self.primitive = primitive
        self.function = function
        self.file = file
        self.line = line
        self.count = count
        self.totalNs = totalNs
        self.maxNs = maxNs
        self.taskIDs = taskIDs
        self.threads = threads
        self.stacks = stacks
        self.advice = advice
    }
}

public struct StackWeight: Sendable, Equatable {
    public var stack: Int32
    public var count: UInt32
    public var totalNs: UInt64

    public init(stack: Int32, count: UInt32, totalNs: UInt64) {
        self.stack = stack
        self.count = count
        self.totalNs = totalNs
    }
}
