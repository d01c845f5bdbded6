import Foundation
import TaskProfAnalysis
import TaskProfModel

/// The "Stuck tasks" section, in the style of Go's goroutine dump:
/// `task 17 "fetcher" [awaiting continuation, 41.2 s]:` then the await stack with file:line.
extension TerminalSummary {
    /// Tasks listed with their stacks; the rest are counted.
    static let stuckRows = 10

    /// `all`: every live task (`taskprof dump`), else only the stuck ones (the summary).
    func stuckSection(_ p: Profile, all: Bool = false) -> [String] {
        let s = StuckTasks(p)
        guard s.hasDump else { return [] }
        var out: [String] = []
        // The agent's note is among the profile's notes already, unless this is a dump on its own.
        for n in s.notes where !p.meta.notes.contains(n) { out.append(warn("Live tasks: \(Format.safe(n))")) }
        let stuck = s.stuck
        let threshold = StuckTasks.duration(s.thresholdNs)
        let shown = all ? s.entries : stuck
        guard !shown.isEmpty else {
            if s.notes.isEmpty {
                out.append("Live tasks at the end: \(s.entries.count)" + (s.entries.isEmpty ? "" : ", none suspended ≥ \(threshold)"))
            }
            return out
        }
        let names = Dictionary(s.entries.map { ($0.task.id, $0.label) }, uniquingKeysWith: { a, _ in a })
        if all {
            out.append(bold("Live tasks: \(s.entries.count)") + ", \(stuck.count) stuck (suspended ≥ \(threshold))")
        } else {
            out.append(warn("Stuck tasks (suspended ≥ \(threshold) at the end): \(stuck.count) of \(s.entries.count) live tasks"))
        }
        let rows = all ? Int.max : Self.stuckRows
        for e in shown.prefix(rows) {
            let reason = e.waitingOn.reason(names: { names[$0] ?? TaskInfo.unnamedLabel($0) })
            let thread = e.task.tid.map { " on thread \($0)" } ?? ""
            let line =
                "  " + Format.safe(e.label) + " [\(Format.safe(reason))\(thread), \(e.task.forNs.map(StuckTasks.duration) ?? "?")]"
                + (e.task.kind == .unknown ? "" : " \(e.task.kind.rawValue)") + (e.task.cancelled ? ", cancelled" : "")
                + (e.task.parent.map { ", " + Self.relation(e.task.kind) + " " + Format.safe(names[$0] ?? TaskInfo.unnamedLabel($0)) } ?? "") + ":"
            out.append(e.stuck && all ? warn(line) : line)
            let frames = e.awaitFrames
            for f in frames.prefix(8) { out.append("      " + Self.frameLine(f)) }
            if frames.count > 8 { out.append("      … \(frames.count - 8) more") }
            if frames.isEmpty && e.task.state == .suspended { out.append("      (no await stack)") }
            if let site = e.creationSite { out.append("    created in " + Self.frameLine(site)) }
        }
        if !all && stuck.count > Self.stuckRows {
            out.append("  … \(stuck.count - Self.stuckRows) more stuck tasks (`--json` lists every live task)")
        }
        for f in s.findings {
            out.append(warn("  \(f.kind.rawValue): ") + Format.safe(f.title))
            out.append("    " + Format.safe(f.detail))
            out.append("    → " + Format.safe(f.advice))
        }
        return out
    }

    /// Every live task of the profile's dumps, then the findings (`taskprof dump`).
    public var liveTasksText: String {
        let lines = stuckSection(profile, all: true)
        return lines.isEmpty ? "no dump of live tasks\n" : lines.joined(separator: "\n") + "\n"
    }

    /// A child task's parent is its parent; an unstructured task's is the task that made it.
    static func relation(_ kind: LiveTask.Kind) -> String { kind == .groupChild || kind == .asyncLet ? "child of" : "created by" }

    /// `fetchProfile(id:) (main.swift:83)`, or with the module when the file is unknown.
    static func frameLine(_ f: SymbolizedFrame) -> String {
        Format.safe(f.shortName) + " (" + Format.safe(StuckTasks.location(f) ?? f.module) + ")"
    }
}
