import Foundation
import TaskProfAnalysis
import TaskProfModel

/// The machine-readable diff (`taskprof diff --json`), described in docs/DIFF.md. Percentages
/// are in percent (0…100), changes in percentage points. Field names are stable; new fields may
/// be added.
public struct DiffJSON: Codable, Equatable {
    public struct Build: Codable, Equatable {
        public var command: [String]
        public var buildID: String
        /// ISO 8601, empty when unknown.
        public var startTime: String
        public var durationMs: Double
        public var host: String
        public var rateHz: UInt32
        public var samples: UInt64
        /// Samples in the compared scope (all of them, or those of `--task`).
        public var scopeSamples: UInt64
        /// Scope samples per second of recorded duration; nil without a duration.
        public var samplesPerSecond: Double?

        init(_ p: DiffProfileIdentity) {
            command = p.command
            buildID = p.buildID
            startTime = p.startTimeNs == 0 ? "" : ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(p.startTimeNs) / 1e9))
            durationMs = Double(p.durationNs) / 1e6
            host = p.host
            rateHz = p.rateHz
            samples = p.samples
            scopeSamples = p.scopeSamples
            samplesPerSecond = p.scopeRate
        }
    }

    public struct Value: Codable, Equatable {
        /// Sample counts.
        public var base: UInt64
        public var new: UInt64
        /// Normalized values, percent.
        public var basePercent: Double
        public var newPercent: Double
        /// Percentage points.
        public var change: Double
        public var pValue: Double
        /// p-value below the corrected level.
        public var significant: Bool
        /// Significant and at least the minimum change.
        public var flagged: Bool

        init(_ v: DiffValue) {
            base = v.baseCount
            new = v.newCount
            basePercent = v.base
            newPercent = v.new
            change = v.change
            pValue = v.pValue
            significant = v.significant
            flagged = v.flagged
        }
    }

    public struct Function: Codable, Equatable {
        public var name: String
        public var shortName: String
        public var module: String
        public var file: String?
        public var line: Int?
        /// Encoded as `self`.
        public var selfShare: Value
        public var total: Value
        /// "regression", "improvement" or "unchanged".
        public var status: String
        /// "both", "base" (gone in new) or "new" (not in base).
        public var presence: String

        init(_ f: FunctionDiff) {
            name = f.name
            shortName = f.shortName
            module = f.module
            file = f.file
            line = f.line
            selfShare = Value(f.selfShare)
            total = Value(f.totalShare)
            status = f.isRegression ? "regression" : f.isImprovement ? "improvement" : "unchanged"
            presence = f.onlyInBase ? "base" : f.onlyInNew ? "new" : "both"
        }

        enum CodingKeys: String, CodingKey {
            case name, shortName, module, file, line, total, status, presence
            case selfShare = "self"
        }
    }

    public struct Pair: Codable, Equatable {
        public var base: Double?
        public var new: Double?
    }

    public struct Task: Codable, Equatable {
        public var label: String
        public var named: Bool
        public var baseTasks: Int
        public var newTasks: Int
        public var cpu: Value
        /// Highest p99 of the group's tasks, milliseconds; null without job tracking.
        public var pollP99Ms: Pair
        public var schedulingDelayP99Ms: Pair
        public var longPolls: Pair

        init(_ t: TaskDiff) {
            func ms(_ v: UInt64?) -> Double? { v.map { Double($0) / 1e6 } }
            label = t.label
            named = t.named
            baseTasks = t.baseTasks
            newTasks = t.newTasks
            cpu = Value(t.cpu)
            pollP99Ms = Pair(base: ms(t.basePollP99Ns), new: ms(t.newPollP99Ns))
            schedulingDelayP99Ms = Pair(base: ms(t.baseDelayP99Ns), new: ms(t.newDelayP99Ns))
            longPolls = Pair(base: t.baseLongPolls.map(Double.init), new: t.newLongPolls.map(Double.init))
        }
    }

    public struct Finding: Codable, Equatable {
        /// "new" or "resolved".
        public var status: String
        public var task: String
        public var function: String
        public var baseCount: Int
        public var newCount: Int
        public var baseMaxMs: Double
        public var newMaxMs: Double
    }

    public struct Significance: Codable, Equatable {
        /// "two-proportion z-test" (samples) or "poisson rate test" (time).
        public var test: String
        public var alpha: Double
        public var functionsCompared: Int
        public var functionAlpha: Double
        public var taskGroupsCompared: Int
        public var taskAlpha: Double
        public var minChangePoints: Double
    }

    public var base: Build
    public var new: Build
    /// "samples" or "time".
    public var normalize: String
    /// The `--task` name, or null for all samples.
    public var task: String?
    public var significance: Significance
    /// True when every count is the same in both profiles.
    public var identical: Bool
    /// Flagged growth, largest self growth first.
    public var regressions: [Function]
    /// Flagged shrinkage, largest self decrease first.
    public var improvements: [Function]
    /// Every compared function (up to `maxFunctions`), most changed first.
    public var functions: [Function]
    public var tasks: [Task]
    /// Long polls new or resolved; null when either recording lacks job tracking.
    public var longPolls: [Finding]?

    public init(_ d: ProfileDiff, maxFunctions: Int = 1000) {
        base = Build(d.base)
        new = Build(d.new)
        normalize = d.options.normalization.rawValue
        task = d.options.taskName
        significance = Significance(
            test: d.options.normalization == .samples ? "two-proportion z-test" : "poisson rate test",
            alpha: d.options.alpha, functionsCompared: d.functions.count, functionAlpha: d.functionAlpha,
            taskGroupsCompared: d.tasks.count, taskAlpha: d.taskAlpha, minChangePoints: d.options.minChangePoints)
        identical = d.identicalCounts
        regressions = d.regressions.map(Function.init)
        improvements = d.improvements.map(Function.init)
        functions = d.functions.prefix(maxFunctions).map(Function.init)
        tasks = d.tasks.map(Task.init)
        longPolls = d.findings.map { list in
            list.map {
                Finding(
                    status: $0.status.rawValue, task: $0.task, function: $0.function, baseCount: $0.baseCount,
                    newCount: $0.newCount, baseMaxMs: Double($0.baseMaxNs) / 1e6, newMaxMs: Double($0.newMaxNs) / 1e6)
            }
        }
    }

    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self)
    }
}

extension DiffJSON: Renderer {
    public func render(to sink: OutputSink) throws {
        sink.write(String(decoding: try encoded(), as: UTF8.self) + "\n")
    }
}
