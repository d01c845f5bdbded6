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

/// BASE against NEW: functions, tasks and long-poll findings, with the significance of each change.
public struct ProfileDiff: Sendable {
    public var options: DiffOptions
    public var base: DiffProfileIdentity
    public var new: DiffProfileIdentity
    /// Every function with samples in the scope of either profile, most changed (self, then total) first.
    public var functions: [FunctionDiff]
    public var tasks: [TaskDiff]
    /// Nil when either profile lacks job tracking (long polls cannot be compared then).
    public var findings: [LongPollFinding]?
    /// p-value threshold of one function test (alpha over the functions compared).
    public var functionAlpha: Double
    /// p-value threshold of one task test (alpha over the task groups compared).
    public var taskAlpha: Double

    public init(base bp: Profile, new np: Profile, options: DiffOptions = DiffOptions()) throws {
        if options.normalization == .time {
            guard bp.meta.durationNs > 0 else { throw DiffError.noDuration("base") }
            guard np.meta.durationNs > 0 else { throw DiffError.noDuration("new") }
        }
        if let name = options.taskName, !bp.tasks.contains(where: { $0.name == name }), !np.tasks.contains(where: { $0.name == name }) {
            let known = Set(bp.tasks.compactMap(\.name) + np.tasks.compactMap(\.name)).sorted()
            throw DiffError.unknownTask(name, known: known)
        }
        self.options = options
        var table = DiffFunctionTable()
        // The new profile first: names, modules and source lines shown come from it.
        let nIndex = DiffSideIndex(np, table: &table)
        let bIndex = DiffSideIndex(bp, table: &table)
        let scope: Scope = options.taskName.map { .taskName($0) } ?? .all
        let bw = bIndex.functionWeights(scope: scope, functions: table.count)
        let nw = nIndex.functionWeights(scope: scope, functions: table.count)
        base = DiffProfileIdentity(bp, scopeSamples: bw.total)
        new = DiffProfileIdentity(np, scopeSamples: nw.total)

        let norm = DiffNormalizer(
            mode: options.normalization, baseTotal: bw.total, newTotal: nw.total,
            baseSeconds: Double(bp.meta.durationNs) / 1e9, newSeconds: Double(np.meta.durationNs) / 1e9)
        let compared = (0..<table.count).filter { bw.totals[$0] > 0 || nw.totals[$0] > 0 }
        functionAlpha = DiffSignificance.correctedAlpha(options.alpha, tests: compared.count)
        let fa = functionAlpha
        functions = compared.map { f in
            FunctionDiff(
                name: table.keys[f].name, shortName: table.shortNames[f], module: table.modules[f],
                file: table.files[f], line: table.lines[f],
                selfShare: norm.value(bw.selfs[f], nw.selfs[f], alpha: fa, minChange: options.minChangePoints),
                totalShare: norm.value(bw.totals[f], nw.totals[f], alpha: fa, minChange: options.minChangePoints))
        }.sorted { a, b in
            let ka = (abs(a.selfShare.change), abs(a.totalShare.change)), kb = (abs(b.selfShare.change), abs(b.totalShare.change))
            if ka != kb { return ka > kb }
            return (a.shortName, a.name, a.module) < (b.shortName, b.name, b.module)
        }

        // Tasks: always over whole profiles, grouped by name or kind.
        let bt = bIndex.taskGroupStats(), nt = nIndex.taskGroupStats()
        let taskNorm = DiffNormalizer(
            mode: options.normalization, baseTotal: bp.sampleCount, newTotal: np.sampleCount,
            baseSeconds: Double(bp.meta.durationNs) / 1e9, newSeconds: Double(np.meta.durationNs) / 1e9)
        let labels = Set(bt.keys).union(nt.keys)
        taskAlpha = DiffSignificance.correctedAlpha(options.alpha, tests: labels.count)
        let ta = taskAlpha
        tasks = labels.map { label in
            let b = bt[label], n = nt[label]
            return TaskDiff(
                label: label, named: (b?.named ?? n?.named) ?? false, baseTasks: b?.tasks ?? 0, newTasks: n?.tasks ?? 0,
                cpu: taskNorm.value(b?.samples ?? 0, n?.samples ?? 0, alpha: ta, minChange: options.minChangePoints),
                basePollP99Ns: b?.pollP99, newPollP99Ns: n?.pollP99, baseDelayP99Ns: b?.delayP99, newDelayP99Ns: n?.delayP99,
                baseLongPolls: b?.longPolls, newLongPolls: n?.longPolls)
        }.sorted { a, b in
            let ka = max(a.cpu.base, a.cpu.new), kb = max(b.cpu.base, b.cpu.new)
            return ka != kb ? ka > kb : a.label < b.label
        }

        if bp.jobs != nil, np.jobs != nil {
            let bl = bIndex.longPollGroups(table: table), nl = nIndex.longPollGroups(table: table)
            var out: [LongPollFinding] = []
            for (key, n) in nl where bl[key] == nil {
                out.append(
                    LongPollFinding(
                        status: .new, task: key.task, function: key.function, baseCount: 0, newCount: n.count,
                        baseMaxNs: 0, newMaxNs: n.maxNs))
            }
            for (key, b) in bl where nl[key] == nil {
                out.append(
                    LongPollFinding(
                        status: .resolved, task: key.task, function: key.function, baseCount: b.count, newCount: 0,
                        baseMaxNs: b.maxNs, newMaxNs: 0))
            }
            findings = out.sorted { ($0.status == .new ? 0 : 1, $0.task, $0.function) < ($1.status == .new ? 0 : 1, $1.task, $1.function) }
        } else {
            findings = nil
        }
    }

    /// Flagged growth (self or total), largest self growth first: where the new time is spent.
    public var regressions: [FunctionDiff] {
        functions.filter(\.isRegression).sorted { a, b in
            let ka = (a.selfShare.grew ? 1 : 0, a.selfShare.change, a.totalShare.change)
            let kb = (b.selfShare.grew ? 1 : 0, b.selfShare.change, b.totalShare.change)
            return ka != kb ? ka > kb : a.name < b.name
        }
    }

    /// Flagged shrinkage, largest self decrease first.
    public var improvements: [FunctionDiff] {
        functions.filter(\.isImprovement).sorted { a, b in
            let ka = (a.selfShare.shrank ? 1 : 0, -a.selfShare.change, -a.totalShare.change)
            let kb = (b.selfShare.shrank ? 1 : 0, -b.selfShare.change, -b.totalShare.change)
            return ka != kb ? ka > kb : a.name < b.name
        }
    }

    /// True when no count differs at all (a profile against itself, or two identical ones).
    public var identicalCounts: Bool {
        functions.allSatisfy { $0.selfShare.baseCount == $0.selfShare.newCount && $0.totalShare.baseCount == $0.totalShare.newCount }
            && tasks.allSatisfy { $0.cpu.baseCount == $0.cpu.newCount }
    }

    /// Significant growth by more than `points` percentage points: functions' self or total
    /// share, or tasks' CPU share. One sentence per violation.
    public func violations(thresholdPoints points: Double) -> [String] {
        func describe(_ v: DiffValue) -> String {
            String(format: "%+.1f points (%.1f%% → %.1f%%, p = %.2g)", v.change, v.base, v.new, v.pValue)
        }
        var out: [String] = []
        for f in functions {
            for (what, v) in [("self", f.selfShare), ("total", f.totalShare)] where v.significant && v.change > points {
                out.append("\(f.shortName) [\(f.module)] \(what) share grew \(describe(v))")
            }
        }
        for t in tasks where t.cpu.significant && t.cpu.change > points {
            out.append("task \(t.label) CPU share grew \(describe(t.cpu))")
        }
        return out
    }

    /// The differential folded stacks (difffolded.pl semantics): the union of both profiles'
    /// folded stacks, root first, with the base and new sample counts (0 where missing).
    /// Roots are task names (`unnamed tasks` for unnamed ones) or, outside tasks, thread names
    /// without thread ids, so the two recordings line up.
    public static func differentialFolded(base: Profile, new: Profile, taskName: String? = nil) -> [DiffFoldedLine] {
        let scope: Scope = taskName.map { .taskName($0) } ?? .all
        var merged: [[String]: (UInt64, UInt64)] = [:]
        for (p, isNew) in [(base, false), (new, true)] {
            let threadRoot = DiffSideIndex.threadRoots(p)
            for line in p.foldedStacks(scope: scope, groupBy: .taskName) {
                var frames = line.frames
                if let root = frames.first, let renamed = threadRoot[root] { frames[0] = renamed }
                if isNew { merged[frames, default: (0, 0)].1 += line.count } else { merged[frames, default: (0, 0)].0 += line.count }
            }
        }
        return merged.map { DiffFoldedLine(frames: $0.key, base: $0.value.0, new: $0.value.1) }
            .sorted { $0.frames.lexicographicallyPrecedes($1.frames) }
    }

    /// The canonical form of a symbolized function name: compiler variants of one source
    /// function (generic or signature specializations, async partial functions, `merged`
    /// copies, per-file discriminators) all map to the same name.
    public static func canonicalFunctionName(_ name: String) -> String {
        var s = Substring(name)
        var changed = true
        while changed {
            changed = false
            for prefix in [
                "merged ", "async function pointer to ", "specialized ",
                "await resume partial function for ", "suspend resume partial function for ",
                "resume partial function for ",
            ] where s.hasPrefix(prefix) {
                s = s.dropFirst(prefix.count)
                changed = true
            }
            // `(2) await resume partial function for X`
            if s.first == "(", let close = s.firstIndex(of: ")"), close > s.index(after: s.startIndex),
                s[s.index(after: s.startIndex)..<close].allSatisfy(\.isNumber)
            {
                let rest = s[s.index(after: close)...].drop { $0 == " " }
                if rest.hasPrefix("await resume") || rest.hasPrefix("suspend resume") || rest.hasPrefix("resume partial") {
                    s = rest
                    changed = true
                }
            }
            // `generic specialization <...> of X`, `function signature specialization <...> of X`
            if let open = s.firstIndex(of: "<") {
                let words = s[s.startIndex..<open]
                if words.hasSuffix("specialization "), words.allSatisfy({ $0.isLowercase || $0 == " " || $0 == "-" }),
                    let close = matchingAngle(s, open), s[s.index(after: close)...].hasPrefix(" of ")
                {
                    s = s[s.index(close, offsetBy: 5)...]
                    changed = true
                }
            }
        }
        return dropDiscriminators(String(s))
    }

    private static func matchingAngle(_ s: Substring, _ open: Substring.Index) -> Substring.Index? {
        var depth = 0
        var i = open
        var previous: Character = " "
        while i < s.endIndex {
            defer { previous = s[i]; i = s.index(after: i) }
            if s[i] == "<" {
                depth += 1
            } else if s[i] == ">" && previous != "-" {  // not the arrow of a function type
                depth -= 1
                if depth == 0 { return i }
            }
        }
        return nil
    }

    /// `Mod.(helper in _0123ABCD)(Swift.Int)` → `Mod.helper(Swift.Int)`.
    private static func dropDiscriminators(_ s: String) -> String {
        guard s.contains(" in _") else { return s }
        var chars = Array(s)
        var i = 0
        let marker = Array(" in _")
        while i + marker.count < chars.count {
            guard Array(chars[i..<(i + marker.count)]) == marker else { i += 1; continue }
            var end = i + marker.count
            while end < chars.count, chars[end].isLetter || chars[end].isNumber { end += 1 }
            guard end < chars.count, chars[end] == ")", end > i + marker.count else { i += 1; continue }
            var depth = 0
            var open = i - 1
            while open >= 0 {
                if chars[open] == ")" {
                    depth += 1
                } else if chars[open] == "(" {
                    if depth == 0 { break }
                    depth -= 1
                }
                open -= 1
            }
            guard open >= 0 else { i += 1; continue }
            let inner = Array(chars[(open + 1)..<i])
            chars.replaceSubrange(open...end, with: inner)
            i = open + inner.count
        }
        return String(chars)
    }
}

/// Both profiles' samples merged for a differential flame graph: stacks of functions (matched
/// like the function table), with each sample group's task group, thread name and counts.
public struct DiffFlameData: Sendable {
    public struct Function: Sendable, Equatable {
        public var name: String
        public var shortName: String
        public var module: String
    }

    public struct Group: Sendable, Equatable {
        public var stack: Int
        /// Index into `tasks`, -1 outside any task.
        public var task: Int
        /// Index into `threads`.
        public var thread: Int
        public var base: UInt64
        public var new: UInt64
    }

    public var functions: [Function] = []
    /// Root first, indices into `functions`.
    public var stacks: [[Int]] = []
    /// Task group labels, as in the task table.
    public var tasks: [String] = []
    /// Thread names without tids.
    public var threads: [String] = []
    public var groups: [Group] = []

    public init(base bp: Profile, new np: Profile) {
        var table = DiffFunctionTable()
        let sides = [DiffSideIndex(np, table: &table), DiffSideIndex(bp, table: &table)]
        var funcIndex: [Int: Int] = [:]
        var stackIndex: [[Int]: Int] = [:]
        var taskIndex: [String: Int] = [:]
        var threadIndex: [String: Int] = [:]
        struct Key: Hashable { var stack: Int; var task: Int; var thread: Int }
        var merged: [Key: (UInt64, UInt64)] = [:]
        var order: [Key] = []
        for (n, side) in sides.enumerated() {
            let p = side.profile
            var localStack = [Int?](repeating: nil, count: p.stacks.count)
            for s in p.samples where s.count > 0 {
                let si: Int
                if let known = localStack[Int(s.stack)] {
                    si = known
                } else {
                    let path = p.stacks[Int(s.stack)].map { f -> Int in
                        let g = side.frameFunction[Int(f)]
                        if let i = funcIndex[g] { return i }
                        funcIndex[g] = functions.count
                        functions.append(Function(name: table.keys[g].name, shortName: table.shortNames[g], module: table.modules[g]))
                        return functions.count - 1
                    }
                    if let i = stackIndex[path] {
                        si = i
                    } else {
                        si = stacks.count
                        stackIndex[path] = si
                        stacks.append(path)
                    }
                    localStack[Int(s.stack)] = si
                }
                var ti = -1
                if s.taskID != 0 {
                    let label = side.taskGroup[s.taskID] ?? TaskInfo.unnamedLabel(s.taskID)
                    if let i = taskIndex[label] {
                        ti = i
                    } else {
                        ti = tasks.count
                        taskIndex[label] = ti
                        tasks.append(label)
                    }
                }
                let thread = p.threads.indices.contains(Int(s.thread)) ? side.threadGroup[Int(s.thread)] : "thread"
                let hi: Int
                if let i = threadIndex[thread] {
                    hi = i
                } else {
                    hi = threads.count
                    threadIndex[thread] = hi
                    threads.append(thread)
                }
                let key = Key(stack: si, task: ti, thread: hi)
                if merged[key] == nil { order.append(key) }
                if n == 0 { merged[key, default: (0, 0)].1 += UInt64(s.count) } else { merged[key, default: (0, 0)].0 += UInt64(s.count) }
            }
        }
        groups = order.map { k in
            let v = merged[k]!
            return Group(stack: k.stack, task: k.task, thread: k.thread, base: v.0, new: v.1)
        }
    }
}

/// Converts sample counts to percentages and tests their change.
struct DiffNormalizer {
    var mode: DiffNormalization
    var baseTotal: UInt64
    var newTotal: UInt64
    var baseSeconds: Double
    var newSeconds: Double

    /// Time mode: samples per second relative to this rate (the base's, or the new one's when
    /// the base has no samples in scope).
    private var referenceRate: Double {
        if baseTotal > 0, baseSeconds > 0 { return Double(baseTotal) / baseSeconds }
        if newSeconds > 0 { return Double(newTotal) / newSeconds }
        return 0
    }

    func basePercent(_ c: UInt64) -> Double { percent(c, total: baseTotal, seconds: baseSeconds) }

    func newPercent(_ c: UInt64) -> Double { percent(c, total: newTotal, seconds: newSeconds) }

    /// `c` samples of one side: a share of its samples, or of the reference rate over its run.
    private func percent(_ c: UInt64, total: UInt64, seconds: Double) -> Double {
        switch mode {
        case .samples: return total > 0 ? Double(c) / Double(total) * 100 : 0
        case .time:
            let r = referenceRate
            return r > 0 && seconds > 0 ? Double(c) / seconds / r * 100 : 0
        }
    }

    func pValue(_ cb: UInt64, _ cn: UInt64) -> Double {
        switch mode {
        case .samples: return DiffSignificance.twoProportionPValue(baseCount: cb, baseTotal: baseTotal, newCount: cn, newTotal: newTotal)
        case .time: return DiffSignificance.rateRatioPValue(baseCount: cb, baseExposure: baseSeconds, newCount: cn, newExposure: newSeconds)
        }
    }

    func value(_ cb: UInt64, _ cn: UInt64, alpha: Double, minChange: Double) -> DiffValue {
        let b = basePercent(cb), n = newPercent(cn)
        let p = pValue(cb, cn)
        let significant = p < alpha
        return DiffValue(
            baseCount: cb, newCount: cn, base: b, new: n, pValue: p, significant: significant,
            flagged: significant && abs(n - b) >= minChange)
    }
}

struct DiffFunctionKey: Hashable {
    var name: String
    /// The module's file name; the main executable is `<main>` so differently named builds match.
    var module: String
}

/// Functions of both profiles, interned by canonical name and module.
struct DiffFunctionTable {
    var keys: [DiffFunctionKey] = []
    var shortNames: [String] = []
    var modules: [String] = []
    var files: [String?] = []
    var lines: [Int?] = []
    var index: [DiffFunctionKey: Int] = [:]

    var count: Int { keys.count }

    mutating func intern(_ f: SymbolizedFrame, mainModule: String?) -> Int {
        let key = DiffFunctionKey(
            name: ProfileDiff.canonicalFunctionName(f.function),
            module: f.module == mainModule ? "<main>" : f.module)
        if let i = index[key] {
            if files[i] == nil, f.file != nil { files[i] = f.file; lines[i] = f.line }
            return i
        }
        let i = keys.count
        index[key] = i
        keys.append(key)
        var short = f.shortName
        if short.hasSuffix(" [specialized]") { short.removeLast(" [specialized]".count) }
        shortNames.append(short)
        modules.append(f.module)
        files.append(f.file)
        lines.append(f.line)
        return i
    }
}

/// One profile seen through the shared function table: frame → function, task and thread groups.
struct DiffSideIndex {
    let profile: Profile
    let frameFunction: [Int]
    /// Task id → group label (name, `unnamed: <function>` or `task <id>`).
    let taskGroup: [UInt64: String]
    let namedTasks: Set<UInt64>
    /// Thread index → thread name without the tid.
    let threadGroup: [String]

    static let noTask = "(no task)"

    init(_ p: Profile, table: inout DiffFunctionTable) {
        profile = p
        let main = Self.mainModule(p)
        frameFunction = p.frames.map { table.intern($0, mainModule: main) }
        threadGroup = p.threads.map(Self.threadName)

        // Unnamed tasks are grouped by kind: the outermost non-runtime function they ran.
        var kindVotes: [UInt64: [Int: UInt64]] = [:]
        let names = p.taskNames
        for s in p.samples where s.taskID != 0 && names[s.taskID] == nil {
            let stack = p.stacks[Int(s.stack)]
            if let f = stack.first(where: { !Self.isRuntime(p.frames[Int($0)]) }) {
                kindVotes[s.taskID, default: [:]][frameFunction[Int(f)], default: 0] += UInt64(s.count)
            }
        }
        var groups: [UInt64: String] = [:]
        var named = Set<UInt64>()
        var ids = p.tasks.map(\.id)
        ids.append(contentsOf: p.samples.map(\.taskID).filter { $0 != 0 })
        for id in ids where groups[id] == nil {
            if let n = names[id] {
                groups[id] = n
                named.insert(id)
            } else if let votes = kindVotes[id], let best = votes.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) {
                groups[id] = "unnamed: " + table.shortNames[best.key]
            } else {
                groups[id] = TaskInfo.unnamedLabel(id)
            }
        }
        taskGroup = groups
        namedTasks = named
    }

    static func mainModule(_ p: Profile) -> String? {
        if !p.meta.mainBuildID.isEmpty, let m = p.modules.first(where: { $0.buildID == p.meta.mainBuildID }) { return m.fileName }
        return p.meta.command.first.map { ($0 as NSString).lastPathComponent }
    }

    static func threadName(_ t: ThreadInfo) -> String {
        if t.kind == .main { return "main thread" }
        return t.name.isEmpty ? "thread" : t.name
    }

    /// Folded root of a thread (its label) → the same root without the tid.
    static func threadRoots(_ p: Profile) -> [String: String] {
        let taskRoots = Set(p.tasks.compactMap(\.name).map(Profile.foldedName) + ["unnamed tasks"])
        var out: [String: String] = [:]
        for t in p.threads {
            let label = Profile.foldedName(t.label)
            if !taskRoots.contains(label), out[label] == nil { out[label] = Profile.foldedName(threadName(t)) }
        }
        return out
    }

    /// Runtime, C library and glue frames: not what a task "is".
    static func isRuntime(_ f: SymbolizedFrame) -> Bool {
        let m = f.module
        for prefix in [
            "libswift", "libdispatch", "libc.so", "libc-", "ld-linux", "ld-2", "libpthread", "libFoundation",
            "lib_Foundation", "libstdc++", "libgcc_s", "libm.so", "libm-", "libBlocksRuntime", "libTaskProfAgent",
            "libunwind", "libicu", "[vdso]", "linux-vdso", "?",
        ] where m.hasPrefix(prefix) {
            return true
        }
        let s = f.shortName
        return s.hasPrefix("partial apply for ") || s.hasPrefix("thunk") || s.hasPrefix("reabstraction thunk")
            || s.hasPrefix("merged ")
    }

    struct Weights {
        var selfs: [UInt64]
        var totals: [UInt64]
        var total: UInt64
    }

    func functionWeights(scope: Scope, functions: Int) -> Weights {
        let p = profile
        var w = Weights(selfs: .init(repeating: 0, count: functions), totals: .init(repeating: 0, count: functions), total: 0)
        var stackWeight = [UInt64](repeating: 0, count: p.stacks.count)
        let names = p.taskNames
        for s in p.samples where scope.matches(s, in: p, names: names) {
            stackWeight[Int(s.stack)] += UInt64(s.count)
            w.total += UInt64(s.count)
        }
        var seen = Set<Int>()
        for (i, weight) in stackWeight.enumerated() where weight > 0 {
            let stack = p.stacks[i]
            seen.removeAll(keepingCapacity: true)
            for f in stack {
                let fn = frameFunction[Int(f)]
                if seen.insert(fn).inserted { w.totals[fn] += weight }
            }
            if let leaf = stack.last { w.selfs[frameFunction[Int(leaf)]] += weight }
        }
        return w
    }

    struct TaskGroupStat {
        var named: Bool
        var tasks: Int
        var samples: UInt64
        var pollP99: UInt64?
        var delayP99: UInt64?
        var longPolls: UInt64?
    }

    func taskGroupStats() -> [String: TaskGroupStat] {
        let p = profile
        var out: [String: TaskGroupStat] = [:]
        var members: [String: Set<UInt64>] = [:]
        for (id, label) in taskGroup {
            members[label, default: []].insert(id)
            if out[label] == nil { out[label] = TaskGroupStat(named: namedTasks.contains(id), tasks: 0, samples: 0) }
        }
        for (label, ids) in members { out[label]?.tasks = ids.count }
        for s in p.samples {
            let label = s.taskID == 0 ? Self.noTask : (taskGroup[s.taskID] ?? TaskInfo.unnamedLabel(s.taskID))
            out[label, default: TaskGroupStat(named: false, tasks: 0, samples: 0)].samples += UInt64(s.count)
        }
        if let jobs = p.jobs {
            for j in jobs.tasks {
                guard let label = taskGroup[j.taskID] else { continue }
                var g = out[label] ?? TaskGroupStat(named: namedTasks.contains(j.taskID), tasks: 1, samples: 0)
                g.pollP99 = max(g.pollP99 ?? 0, j.pollTime.p99Ns)
                g.delayP99 = max(g.delayP99 ?? 0, j.schedulingDelay.p99Ns)
                g.longPolls = (g.longPolls ?? 0) + j.longPolls
                out[label] = g
            }
        }
        return out
    }

    struct LongPollKey: Hashable {
        var task: String
        var function: String
    }

    func longPollGroups(table: DiffFunctionTable) -> [LongPollKey: (count: Int, maxNs: UInt64)] {
        let p = profile
        var out: [LongPollKey: (count: Int, maxNs: UInt64)] = [:]
        for l in p.jobs?.longPolls ?? [] {
            let task = l.taskID == 0 ? Self.noTask : (taskGroup[l.taskID] ?? TaskInfo.unnamedLabel(l.taskID))
            var function = "(no samples)"
            if let top = l.stacks.max(by: { ($0.count, $1.stack) < ($1.count, $0.stack) }), p.stacks.indices.contains(Int(top.stack)) {
                let stack = p.stacks[Int(top.stack)]
                if let f = stack.last(where: { !Self.isRuntime(p.frames[Int($0)]) }) ?? stack.last {
                    function = table.shortNames[frameFunction[Int(f)]]
                }
            }
            let key = LongPollKey(task: task, function: function)
            let old = out[key] ?? (0, 0)
            out[key] = (old.count + 1, max(old.maxNs, l.durationNs))
        }
        return out
    }
}
