/// What job tracking saw: every run of a Swift task between two suspension points (a "poll").
public struct JobSummary: Sendable, Equatable {
    public var longPollThresholdNs: UInt64
    public var tasks: [TaskJobStats]
    public var runtime: RuntimeJobStats
    public var longPolls: [LongPoll]

    public init(longPollThresholdNs: UInt64, tasks: [TaskJobStats], runtime: RuntimeJobStats, longPolls: [LongPoll]) {
        self.longPollThresholdNs = longPollThresholdNs
        self.tasks = tasks
        self.runtime = runtime
        self.longPolls = longPolls
    }
}

/// Count, mean and percentiles of a set of durations, in nanoseconds.
public struct DurationStats: Sendable, Equatable {
    public var count: UInt64
    public var meanNs: UInt64
    public var p50Ns: UInt64
    public var p99Ns: UInt64
    public var maxNs: UInt64

    public init(count: UInt64 = 0, meanNs: UInt64 = 0, p50Ns: UInt64 = 0, p99Ns: UInt64 = 0, maxNs: UInt64 = 0) {
        self.count = count
        self.meanNs = meanNs
        self.p50Ns = p50Ns
        self.p99Ns = p99Ns
        self.maxNs = maxNs
    }

    /// Nearest-rank percentiles of `values` (any order).
    public init(values: [UInt64]) {
        guard !values.isEmpty else { self.init(); return }
        let sorted = values.sorted()
        func rank(_ p: Double) -> UInt64 {
            let i = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(i, 0), sorted.count - 1)]
        }
        let total = sorted.reduce(0.0) { $0 + Double($1) }
        self.init(
            count: UInt64(sorted.count), meanNs: UInt64(total / Double(sorted.count)),
            p50Ns: rank(0.50), p99Ns: rank(0.99), maxNs: sorted[sorted.count - 1])
    }
}

public struct TaskJobStats: Sendable, Equatable {
    public var taskID: UInt64
    public var pollTime: DurationStats
    /// From enqueue (or a sleep's deadline) to the start of the run.
    public var schedulingDelay: DurationStats
    public var busyNs: UInt64
    public var longPolls: UInt64

    public init(taskID: UInt64, pollTime: DurationStats, schedulingDelay: DurationStats, busyNs: UInt64, longPolls: UInt64) {
        self.taskID = taskID
        self.pollTime = pollTime
        self.schedulingDelay = schedulingDelay
        self.busyNs = busyNs
        self.longPolls = longPolls
    }
}

public struct RuntimeJobStats: Sendable, Equatable {
    public var workerThreads: UInt32
    public var jobs: UInt64
    public var jobsPerSecond: Double
    /// Busy time of the worker threads over (workers × duration).
    public var busyFraction: Double
    public var schedulingDelay: DurationStats
    /// Of those delays, the ones spent in an actor's queue: from the enqueue on the actor to the
    /// start of the job inside the actor's drain.
    public var actorQueueWait: DurationStats

    public init(
        workerThreads: UInt32 = 0, jobs: UInt64 = 0, jobsPerSecond: Double = 0, busyFraction: Double = 0,
        schedulingDelay: DurationStats = DurationStats(), actorQueueWait: DurationStats = DurationStats()
    ) {
        self.workerThreads = workerThreads
        self.jobs = jobs
        self.jobsPerSecond = jobsPerSecond
        self.busyFraction = busyFraction
        self.schedulingDelay = schedulingDelay
        self.actorQueueWait = actorQueueWait
    }
}

/// A job that ran longer than the threshold without suspending, or a stalled event-loop tick.
public struct LongPoll: Sendable, Equatable {
    public var taskID: UInt64
    public var thread: Int32
    /// Start relative to the recording start.
    public var startNs: UInt64
    public var durationNs: UInt64
    /// Stacks sampled during the poll: (stack index, samples).
    public var stacks: [StackCount]
    /// Index into `Profile.processes` (0 in a profile of one process): `thread` is a tid, and
    /// tids repeat across processes (an exec'd image keeps its pid's).
    public var process: Int32 = 0

    public init(taskID: UInt64, thread: Int32, startNs: UInt64, durationNs: UInt64, stacks: [StackCount]) {
        self.taskID = taskID
        self.thread = thread
        self.startNs = startNs
        self.durationNs = durationNs
        self.stacks = stacks
    }
}

public struct StackCount: Sendable, Equatable {
    public var stack: Int32
    public var count: UInt32
    public init(stack: Int32, count: UInt32) {
        self.stack = stack
        self.count = count
    }
}
