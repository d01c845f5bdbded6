import Foundation
import TaskProfModel

/// How the two profiles are made comparable.
public enum DiffNormalization: String, Sendable, CaseIterable {
    /// Shares of all samples (in scope): for runs that did the same work in different times.
    case samples
    /// Samples per second of recorded duration, as a percentage of the base's total rate: for
    /// runs under the same steady load (a service, a fixed-rate loop).
    case time
}

public struct DiffOptions: Sendable, Equatable {
    public var normalization: DiffNormalization
    /// Keep only the tasks with this name (in both profiles).
    public var taskName: String?
    /// Family-wise significance level, divided by the number of functions (or task groups) compared.
    public var alpha: Double
    /// A change smaller than this many percentage points is never flagged, however significant.
    public var minChangePoints: Double

    public init(
        normalization: DiffNormalization = .samples, taskName: String? = nil, alpha: Double = 0.001,
        minChangePoints: Double = 0.5
    ) {
        self.normalization = normalization
        self.taskName = taskName
        self.alpha = alpha
        self.minChangePoints = minChangePoints
    }
}

public enum DiffError: Error, Equatable, CustomStringConvertible {
    case noDuration(String)
    case unknownTask(String, known: [String])

    public var description: String {
        switch self {
        case .noDuration(let side):
            return "the \(side) profile has no recorded duration, so it cannot be normalized by time; use --normalize samples"
        case .unknownTask(let name, let known):
            let list = known.prefix(8).joined(separator: ", ")
            return "no task named '\(name)' in either profile (named tasks: \(list.isEmpty ? "none" : list))"
        }
    }
}

/// What identifies one of the two recordings in a diff.
public struct DiffProfileIdentity: Sendable, Equatable {
    public var command: [String]
    public var buildID: String
    /// Wall-clock start, nanoseconds since the Unix epoch.
    public var startTimeNs: UInt64
    public var durationNs: UInt64
    public var host: String
    public var rateHz: UInt32
    /// All samples of the profile.
    public var samples: UInt64
    /// Samples in the compared scope (all samples, or those of `--task`).
    public var scopeSamples: UInt64

    public init(_ p: Profile, scopeSamples: UInt64) {
        command = p.meta.command
        buildID = p.meta.mainBuildID
        startTimeNs = p.meta.startTimeNs
        durationNs = p.meta.durationNs
        host = p.meta.host
        rateHz = p.meta.rateHz
        samples = p.sampleCount
        self.scopeSamples = scopeSamples
    }

    /// Samples per second of recorded duration in the scope, or nil without a duration.
    public var scopeRate: Double? { durationNs > 0 ? Double(scopeSamples) / (Double(durationNs) / 1e9) : nil }
}

/// One quantity in both profiles: raw sample counts, their normalized values (percent: a share
/// of the samples, or of the base's sample rate), and whether the change is significant.
public struct DiffValue: Sendable, Equatable {
    public var baseCount: UInt64
    public var newCount: UInt64
    /// Normalized values in percent.
    public var base: Double
    public var new: Double
    /// Two-sided p-value of the count change (before the correction).
    public var pValue: Double
    /// `pValue` is below the corrected significance level.
    public var significant: Bool
    /// Significant and at least the minimum change: what the tables mark.
    public var flagged: Bool

    public init(baseCount: UInt64, newCount: UInt64, base: Double, new: Double, pValue: Double, significant: Bool, flagged: Bool) {
        self.baseCount = baseCount
        self.newCount = newCount
        self.base = base
        self.new = new
        self.pValue = pValue
        self.significant = significant
        self.flagged = flagged
    }

    /// Change in percentage points.
    public var change: Double { new - base }
    public var grew: Bool { flagged && change > 0 }
    public var shrank: Bool { flagged && change < 0 }
}

/// One function (frames with the same symbolized name and module, in either build).
public struct FunctionDiff: Sendable, Equatable {
    /// Full name with compiler variants (specialization, async partial function, `merged`) removed.
    public var name: String
    public var shortName: String
    /// The module's file name (from the new profile when the function is in both).
    public var module: String
    public var file: String?
    public var line: Int?
    /// Samples where the function is the leaf.
    public var selfShare: DiffValue
    /// Samples where the function is anywhere on the stack.
    public var totalShare: DiffValue

    public var isRegression: Bool { selfShare.grew || totalShare.grew }
    public var isImprovement: Bool { !isRegression && (selfShare.shrank || totalShare.shrank) }
    public var onlyInBase: Bool { totalShare.newCount == 0 && totalShare.baseCount > 0 }
    public var onlyInNew: Bool { totalShare.baseCount == 0 && totalShare.newCount > 0 }
}

/// Tasks of one name (or, unnamed, of one kind) in both profiles.
public struct TaskDiff: Sendable, Equatable {
    /// The task name; `unnamed: <function>` for unnamed tasks that start in that function;
    /// `(no task)` for samples outside any task.
    public var label: String
    public var named: Bool
    public var baseTasks: Int
    public var newTasks: Int
    /// CPU share (samples of these tasks, normalized like the functions).
    public var cpu: DiffValue
    /// Highest poll-time and scheduling-delay p99 of the tasks in the group; nil without job data.
    public var basePollP99Ns: UInt64?
    public var newPollP99Ns: UInt64?
    public var baseDelayP99Ns: UInt64?
    public var newDelayP99Ns: UInt64?
    public var baseLongPolls: UInt64?
    public var newLongPolls: UInt64?
}

/// Long polls (jobs that ran past the threshold without suspending) of one task and function
/// that appear in only one of the profiles.
public struct LongPollFinding: Sendable, Equatable {
    public enum Status: String, Sendable { case new, resolved }
    public var status: Status
    public var task: String
    /// The innermost non-runtime function of the poll's most sampled stack.
    public var function: String
    public var baseCount: Int
    public var newCount: Int
    public var baseMaxNs: UInt64
    public var newMaxNs: UInt64
}

/// One line of the differential folded output: `stack count_base count_new`.
public struct DiffFoldedLine: Sendable, Equatable {
    public var frames: [String]
    public var base: UInt64
    public var new: UInt64
}
