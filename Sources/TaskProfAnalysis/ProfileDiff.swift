import Foundation
import TaskProfModel

// The diff itself: both profiles matched and compared (ProfileDiff+Matching.swift matches
// them, DiffNormalizer.swift turns counts into comparable values, DiffFlameData.swift feeds the
// page). The result types are in DiffResults.swift.
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
}
