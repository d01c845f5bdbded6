import Foundation
import TaskProfModel

/// One process's raw stream as the agent wrote it (see `tp_raw_format.h`), parsed but not yet
/// symbolized. Frames of all samples live in one flat array to keep a million samples cheap.
public struct RawRecording {
    /// TP_SAMPLE_FLAG_CAPTURE: a long poll's one-off stack, not a CPU sample.
    public static let captureFlag: UInt16 = 16

    public struct Sample {
        public var timeNs: UInt64
        public var taskID: UInt64
        public var tid: Int32
        public var flags: UInt16
        /// Range into `frames`; frames[first] is the interrupted pc.
        public var frameStart: Int
        public var frameCount: Int
    }

    public struct Thread {
        public var tid: Int32
        public var name: String
        public var kind: UInt32
        public var jobsRun: UInt64
        public var ended: Bool
    }

    public struct Job {
        public var taskID: UInt64
        public var enqueueNs: UInt64
        public var startNs: UInt64
        public var endNs: UInt64
        public var tid: Int32
        /// A SwiftNIO event-loop tick rather than a Swift job (taskID is 0).
        public var isEventLoopTick = false
    }

    /// A call to a blocking primitive on a runtime thread that took at least the threshold.
    public struct BlockingCall {
        public var startNs: UInt64
        public var durationNs: UInt64
        public var taskID: UInt64
        public var tid: Int32
        public var primitive: UInt16
        /// Range into `frames`, innermost first (return addresses).
        public var frameStart: Int
        public var frameCount: Int
    }

    /// Cumulative statistics of one task's jobs on one thread (see TP_REC_JOB_AGG).
    public struct JobAggregate {
        public var taskID: UInt64
        public var tid: Int32
        public var polls: UInt64
        public var busyNs: UInt64
        public var maxPollNs: UInt64
        public var delays: UInt64
        public var maxDelayNs: UInt64
        /// Log-linear histogram bucket → count (bucket layout of `DurationHistogram`).
        public var pollHistogram: [Int: UInt64]
        public var delayHistogram: [Int: UInt64]
    }

    /// A dump of the live tasks (TP_REC_TASK_DUMP) and the tasks in it (TP_REC_LIVE_TASK).
    public struct TaskDump {
        public var timeNs: UInt64
        public var reason: UInt32
        public var sequence: UInt32
        public var unreadable: UInt32
        public var note: String
        public var tasks: [LiveTask] = []
    }

    public struct LiveTask {
        public var taskID: UInt64
        public var parentID: UInt64
        public var createdNs: UInt64
        public var sinceNs: UInt64
        public var waitingOnID: UInt64
        /// Return addresses out of swift_task_create, innermost first (0s when unknown).
        public var createdAt: [UInt64]
        public var tid: Int32
        public var state: UInt8
        public var kind: UInt8
        public var wait: UInt8
        public var flags: UInt8
        /// Range into `frames`: the await stack, innermost first (resume functions).
        public var frameStart: Int
        public var frameCount: Int
    }

    public var pid: Int32 = 0
    public var startRealtimeNs: UInt64 = 0
    public var startMonotonicNs: UInt64 = 0
    public var endMonotonicNs: UInt64 = 0
    public var engine: String = ""
    public var engineNote: String = ""
    public var rateHz: UInt32 = 0
    public var signal: Int32 = 0
    public var jobTracking = false
    public var modules: [LoadedModule] = []
    public var threads: [Int32: Thread] = [:]
    public var threadOrder: [Int32] = []
    public var taskNames: [UInt64: String] = [:]
    public var samples: [Sample] = []
    public var frames: [UInt64] = []
    /// Jobs at least as long as the agent's long-poll threshold, one by one.
    public var jobs: [Job] = []
    /// Every job, aggregated per (tid, aggregate slot, generation); the last snapshot wins.
    public var jobAggregates: [JobAggregateKey: JobAggregate] = [:]
    public var blockingCalls: [BlockingCall] = []
    public var counters: [String: UInt64] = [:]
    public var handlerHistogram: [UInt64] = []
    /// Of the handler's time, the logical-frame splice: same buckets.
    public var asyncHistogram: [UInt64] = []
    /// Waits in an actor's queue (jobs run inside an actor's drain), agent buckets.
    public var actorWaitHistogram: [UInt64] = []
    public var notes: [String] = []
    public var taskDumps: [TaskDump] = []
    /// The stream ended with the agent's END record (clean exit), or with its EXEC record.
    public var complete = false
    /// The program this image exec'd into, when its stream ends with the agent's EXEC record
    /// (the new image's stream is another file of the same pid).
    public var execPath: String?
    /// The image's own identity (PROCESS record); empty in streams from before it existed.
    public var parentPid: Int32 = 0
    public var executable = ""
    public var commandLine: [String] = []
    /// Records skipped: of a type this reader does not know (an agent newer than the reader), or
    /// too short for their type.
    public var skippedRecords = 0
    /// Bytes at the end that did not form a whole record (a crash mid-write).
    public var trailingBytes = 0
}

public struct JobAggregateKey: Hashable {
    public var tid: Int32
    public var slot: UInt16
    public var gen: UInt32
}

public enum RawStreamError: Error, CustomStringConvertible {
    case cannotRead(String)
    case notARawStream(String)
    case unsupportedVersion(String, UInt32)

    public var description: String {
        switch self {
        case .cannotRead(let p): return "cannot read the agent's stream \(p)"
        case .notARawStream(let p): return "\(p) is not a taskprof agent stream (bad header)"
        case .unsupportedVersion(let p, let v): return "\(p): agent stream version \(v) is not supported by this taskprof"
        }
    }
}
