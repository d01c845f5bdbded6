import Foundation
import TaskProfAnalysis
import TaskProfModel

/// The terminal table of `taskprof diff`: both builds, the functions that grew and shrank most
/// (significant ones marked `*`), the tasks, and long polls that appeared or went away.
public struct DiffTable: Renderer {
    public var diff: ProfileDiff
    public var color: Bool
    public var topFunctions: Int
    public var topTasks: Int

    public init(_ diff: ProfileDiff, color: Bool = false, topFunctions: Int = 10, topTasks: Int = 12) {
        self.diff = diff
        self.color = color
        self.topFunctions = topFunctions
        self.topTasks = topTasks
    }

    private func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    private func red(_ s: String) -> String { color ? "\u{1B}[31m\(s)\u{1B}[0m" : s }
    private func blue(_ s: String) -> String { color ? "\u{1B}[34m\(s)\u{1B}[0m" : s }

    /// Changes smaller than this (points) are rounding noise, not listed.
    private static let epsilon = 0.05

    public func render(to sink: OutputSink) { sink.write(table(diff)) }

    private func table(_ d: ProfileDiff) -> String {
        var out: [String] = []
        let unit = d.options.normalization == .samples ? "share of samples" : "share of the base's sample rate"
        out.append(bold("taskprof diff") + ": BASE → NEW, normalized by \(d.options.normalization.rawValue) (\(unit))")
        out.append("  base  " + Self.identity(d.base))
        out.append("  new   " + Self.identity(d.new))
        if d.options.normalization == .time, let rb = d.base.scopeRate, let rn = d.new.scopeRate, rb > 0 {
            out.append(String(format: "  sample rate: base %.0f/s = 100%%, new %.0f/s = %.1f%%", rb, rn, rn / rb * 100))
        }
        if d.base.buildID == d.new.buildID && !d.base.buildID.isEmpty {
            out.append("  note: both profiles are of the same build")
        }
        if let t = d.options.taskName { out.append("  scope: tasks named \"\(Format.safe(t))\"") }
        let test = d.options.normalization == .samples ? "two-proportion z-test" : "Poisson rate test"
        out.append(
            "  \(d.functions.count) functions compared; * = significant (\(test), p < \(Self.g(d.options.alpha))/\(d.functions.count))"
                + " and at least \(Self.g(d.options.minChangePoints)) points")

        if d.identicalCounts {
            out.append(bold("No changes") + ": both profiles have the same samples in every function and task.")
        } else {
            let regressions = d.regressions.count, improvements = d.improvements.count
            out.append(
                regressions + improvements == 0
                    ? bold("No significant changes.")
                    : bold(
                        "\(regressions) significant regression\(regressions == 1 ? "" : "s"), \(improvements) significant improvement\(improvements == 1 ? "" : "s")"
                    ))
            // Flagged changes, and unflagged ones of at least the minimum size (marked by the absent `*`).
            let minimum = max(d.options.minChangePoints, Self.epsilon)
            let grew = d.functions.filter { $0.isRegression || max($0.selfShare.change, $0.totalShare.change) >= minimum }.sorted { a, b in
                let ka = (a.isRegression ? 1 : 0, a.selfShare.change, a.totalShare.change)
                let kb = (b.isRegression ? 1 : 0, b.selfShare.change, b.totalShare.change)
                return ka != kb ? ka > kb : a.name < b.name
            }
            let shrank = d.functions.filter { $0.isImprovement || min($0.selfShare.change, $0.totalShare.change) <= -minimum }.sorted { a, b in
                let ka = (a.isImprovement ? 1 : 0, -a.selfShare.change, -a.totalShare.change)
                let kb = (b.isImprovement ? 1 : 0, -b.selfShare.change, -b.totalShare.change)
                return ka != kb ? ka > kb : a.name < b.name
            }
            functionTable("Top regressions", grew, into: &out)
            functionTable("Top improvements", shrank, into: &out)
        }

        let tasks = d.tasks.filter { $0.cpu.baseCount > 0 || $0.cpu.newCount > 0 || $0.basePollP99Ns != nil || $0.newPollP99Ns != nil }
        if !tasks.isEmpty {
            out.append(bold("Tasks") + " (CPU share; poll time and scheduling delay p99, long polls: base → new)")
            out.append(
                "  " + Format.pad("task", 28) + "   base     new        Δ   " + Format.pad("poll p99", 22) + Format.pad("delay p99", 22)
                    + "long polls")
            for t in tasks.prefix(topTasks) {
                var line = "  " + Format.pad(Format.truncate(t.label, 28), 28) + " " + values(t.cpu)
                line += "   " + Format.pad(pair(t.basePollP99Ns, t.newPollP99Ns), 22) + Format.pad(pair(t.baseDelayP99Ns, t.newDelayP99Ns), 22)
                if t.baseLongPolls != nil || t.newLongPolls != nil {
                    line += "\(t.baseLongPolls.map(String.init) ?? "-") → \(t.newLongPolls.map(String.init) ?? "-")"
                }
                out.append(line.replacingOccurrences(of: " +$", with: "", options: .regularExpression))
            }
            if tasks.count > topTasks { out.append("  … \(tasks.count - topTasks) more task groups (--json has them all)") }
        }

        if let findings = d.findings {
            if findings.isEmpty {
                out.append(bold("Long polls") + ": none new, none resolved")
            } else {
                out.append(bold("Long polls") + " (by task and top function)")
                for f in findings {
                    let what =
                        f.status == .new
                        ? red("new     ")
                            + " \(Format.safe(f.task)): \(Format.safe(f.function))  \(f.newCount) poll\(f.newCount == 1 ? "" : "s"), longest \(Format.ms(f.newMaxNs))"
                        : blue("resolved")
                            + " \(Format.safe(f.task)): \(Format.safe(f.function))  was \(f.baseCount) poll\(f.baseCount == 1 ? "" : "s"), longest \(Format.ms(f.baseMaxNs))"
                    out.append("  " + what)
                }
            }
        } else {
            out.append("Long polls: not compared (job tracking was off in one of the recordings)")
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func functionTable(_ title: String, _ rows: [FunctionDiff], into out: inout [String]) {
        guard !rows.isEmpty else { return }
        out.append(bold(title) + " (percentage points)")
        out.append("    self: base     new        Δ   total: base     new        Δ  function")
        for f in rows.prefix(topFunctions) {
            out.append(
                "       " + values(f.selfShare) + "        " + values(f.totalShare) + "  "
                    + Format.truncate(f.shortName, 70) + "  [\(Format.safe(f.module))]")
        }
        if rows.count > topFunctions { out.append("  … \(rows.count - topFunctions) more (--json has them all)") }
    }

    /// `  23.0%   40.1%   +17.1*`
    private func values(_ v: DiffValue) -> String {
        let change = String(format: "%+7.1f", v.change) + (v.flagged ? "*" : " ")
        let colored = v.grew ? red(change) : v.shrank ? blue(change) : change
        return String(format: "%6.1f%% %6.1f%% ", v.base, v.new) + colored
    }

    private func pair(_ b: UInt64?, _ n: UInt64?) -> String {
        guard b != nil || n != nil else { return "" }
        return "\(b.map(Format.ms) ?? "-") → \(n.map(Format.ms) ?? "-")"
    }

    static func identity(_ p: DiffProfileIdentity) -> String {
        let command = Format.truncate(p.command.joined(separator: " "), 60)
        let build = p.buildID.isEmpty ? "no build-id" : "build-id " + String(p.buildID.prefix(16))
        return "\(command.isEmpty ? "(unknown command)" : command)  \(build)  recorded \(timestamp(p.startTimeNs))"
            + "  \(Format.seconds(p.durationNs))  \(p.samples) samples"
            + (p.scopeSamples != p.samples ? " (\(p.scopeSamples) in scope)" : "")
    }

    static func timestamp(_ ns: UInt64) -> String {
        guard ns > 0 else { return "(unknown time)" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: Date(timeIntervalSince1970: Double(ns) / 1e9))
    }

    static func g(_ v: Double) -> String { String(format: "%g", v) }
}
