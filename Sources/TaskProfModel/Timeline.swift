/// Events in time, for `report --trace`: every Swift job when the recording had `record
/// --timeline`, and the blocking calls one by one (always, up to a cap). Times are nanoseconds
/// from the start of the recording.
public struct Timeline: Sendable, Equatable {
    public struct Job: Sendable, Equatable {
        public var taskID: UInt64
        /// Index into `Profile.threads`.
        public var thread: Int32
        /// When it was enqueued; nil when unknown.
        public var enqueueNs: UInt64?
        public var startNs: UInt64
        public var endNs: UInt64

        public init(taskID: UInt64, thread: Int32, enqueueNs: UInt64?, startNs: UInt64, endNs: UInt64) {
            self.taskID = taskID
            self.thread = thread
            self.enqueueNs = enqueueNs
            self.startNs = startNs
            self.endNs = endNs
        }
    }

    public struct Blocking: Sendable, Equatable {
        public var primitive: String
        public var taskID: UInt64
        public var thread: Int32
        public var startNs: UInt64
        public var durationNs: UInt64
        /// Stack index of the call (innermost last, as every stack).
        public var stack: Int32

        public init(primitive: String, taskID: UInt64, thread: Int32, startNs: UInt64, durationNs: UInt64, stack: Int32) {
            self.primitive = primitive
            self.taskID = taskID
            self.thread = thread
            self.startNs = startNs
            self.durationNs = durationNs
            self.stack = stack
        }
    }

    /// Every job (`record --timeline`), in start order; nil without it (then only long polls are
    /// known one by one, in `JobSummary.longPolls`).
    public var jobs: [Job]?
    public var blocking: [Blocking]
    /// Blocking calls left out past the cap.
    public var blockingDropped: UInt64

    /// Blocking calls kept one by one.
    public static let blockingCap = 100_000

    public init(jobs: [Job]? = nil, blocking: [Blocking] = [], blockingDropped: UInt64 = 0) {
        self.jobs = jobs
        self.blocking = blocking
        self.blockingDropped = blockingDropped
    }
}
