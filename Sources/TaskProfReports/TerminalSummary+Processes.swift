import Foundation
import TaskProfAnalysis
import TaskProfModel

/// The summary of a run that followed children: one table of its processes, then the usual
/// sections for the processes that hold most of the samples.
extension TerminalSummary {
    /// Processes listed in the table; the rest are counted on one line.
    static let processRows = 12
    /// Processes given their own sections: the busiest, and any other with ≥ 20 % of the samples.
    static let detailedProcesses = 3

    func renderRun(_ p: Profile) -> String {
        let total = max(p.sampleCount, 1)
        let stats = p.processStats()
        let perProcess = stats.map(\.samples), tasks = stats.map(\.tasks), hottest = stats.map(\.hottestFunction)
        let order = p.processes.indices.sorted { (perProcess[$0], -$0) > (perProcess[$1], -$1) }
        let rate = Double(max(p.meta.rateHz, 1))

        var out: [String] = []
        out.append(bold("taskprof: ") + Format.truncate(p.meta.command.joined(separator: " "), 200) + " (\(p.meta.exitDescription))")
        out.append(
            "  duration \(Format.seconds(p.meta.durationNs)), \(p.sampleCount) samples, \(p.droppedCount) dropped, "
                + "\(p.processes.count) processes, engine \(p.meta.engine) at \(p.meta.rateHz) Hz/thread")
        out.append(bold("Processes") + " (by samples; CPU = samples ÷ rate; start and length from the run's start)")
        out.append(
            "  " + Format.pad("pid", 9) + Format.lpad("samples", 8) + "   share" + Format.lpad("CPU", 9)
                + Format.lpad("tasks", 7) + Format.lpad("start", 9) + Format.lpad("length", 9) + "  command · hottest function of its own")
        for k in order.prefix(Self.processRows) {
            let pr = p.processes[k]
            let pid = pr.image == 0 ? "\(pr.pid)" : "\(pr.pid).\(pr.image)"
            // argv[0] by its file name: the table is for telling processes apart (JSON and HTML
            // keep the whole command line).
            let argv0 = pr.command.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? pr.name
            let command = ([argv0] + pr.command.dropFirst()).joined(separator: " ")
            out.append(
                "  " + Format.pad(pid, 9) + Format.lpad(String(perProcess[k]), 8) + "  "
                    + Format.percent(Double(perProcess[k]) / Double(total))
                    + Format.lpad(Format.seconds(UInt64(Double(perProcess[k]) / rate * 1e9)), 9)
                    + Format.lpad(String(tasks[k]), 7) + Format.lpad(Format.seconds(pr.startOffsetNs), 9)
                    + Format.lpad(Format.seconds(pr.durationNs), 9) + "  " + Format.truncate(command, 60)
                    + (hottest[k].map { " · " + Format.truncate($0, 40) } ?? "")
                    + (pr.exitDescription.hasPrefix("exec'd") ? "  (\(pr.exitDescription))" : ""))
        }
        if order.count > Self.processRows {
            let rest = order.dropFirst(Self.processRows)
            out.append(
                "  … \(rest.count) more processes with \(rest.reduce(0) { $0 + perProcess[$1] }) samples"
                    + " (`taskprof report P --process PID` shows any one)")
        }
        // Per-process notes, but not that a C program has no Swift tasks, nor an unclean end,
        // which each process's own section says.
        for n in p.meta.notes where !n.contains("no Swift tasks") && !Self.isUncleanEndNote(n) {
            out.append(warn("  note: \(Format.safe(n))"))
        }
        let detailed = order.enumerated().filter { i, k in
            perProcess[k] > 0 && (i == 0 || (i < Self.detailedProcesses && perProcess[k] * 5 >= total))
        }.map(\.element)
        var text = out.joined(separator: "\n") + "\n"
        for k in detailed {
            text += "\n" + bold("── \(Format.safe(p.processes[k].label)) ──") + "\n" + renderProcess(p.process(at: k))
        }
        return text
    }
}
