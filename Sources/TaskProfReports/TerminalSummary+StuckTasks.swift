import Foundation
import TaskProfAnalysis
import TaskProfModel

/// The "Stuck tasks" section, in the style of Go's goroutine dump:
/// `task 17 "fetcher" [awaiting continuation, 41.2 s]:` then the await stack with file:line.
extension TerminalSummary {
    /// Tasks listed with their stacks; the rest are counted.
    static let stuckRows = 10

    func stuckSection(_ p: Profile) -> [String] {
        let s = StuckTasks(p)
        guard s.hasDump else { return [] }
        var out: [String] = []
        for n in s.notes { out.append(warn("Live tasks: \(Format.safe(n))")) }
        let stuck = s.stuck
        let threshold = StuckTasks.duration(s.thresholdNs)
        guard !stuck.isEmpty else {
            if s.notes.isEmpty {
                out.append("Live tasks at the end: \(s.entries.count)" + (s.entries.isEmpty ? "" : ", none suspended ≥ \(threshold)"))
            }
            return out
        }
        let names = Dictionary(s.entries.map { ($0.task.id, $0.label) }, uniquingKeysWith: { a, _ in a })
        out.append(warn("Stuck tasks (suspended ≥ \(threshold) at the end): \(stuck.count) of \(s.entries.count) live tasks"))
        for e in stuck.prefix(Self.stuckRows) {
            let reason = e.waitingOn.reason(names: { names[$0] ?? TaskInfo.unnamedLabel($0) })
            out.append("  " + Format.safe(e.label) + " [\(Format.safe(reason)), \(e.task.forNs.map(StuckTasks.duration) ?? "?")]:")
            let frames = e.awaitFrames
            for f in frames.prefix(8) { out.append("      " + Self.frameLine(f)) }
            if frames.count > 8 { out.append("      … \(frames.count - 8) more") }
            if frames.isEmpty { out.append("      (no await stack)") }
            if let site = e.creationSite { out.append("    created in " + Self.frameLine(site)) }
        }
        if stuck.count > Self.stuckRows {
            out.append("  … \(stuck.count - Self.stuckRows) more stuck tasks (`--json` lists every live task)")
        }
        for f in s.findings {
            out.append(warn("  \(f.kind.rawValue): ") + Format.safe(f.title))
            out.append("    " + Format.safe(f.detail))
            out.append("    → " + Format.safe(f.advice))
        }
        return out
    }

    /// `fetchProfile(id:) (main.swift:83)`, or with the module when the file is unknown.
    static func frameLine(_ f: SymbolizedFrame) -> String {
        Format.safe(f.shortName) + " (" + Format.safe(StuckTasks.location(f) ?? f.module) + ")"
    }
}
