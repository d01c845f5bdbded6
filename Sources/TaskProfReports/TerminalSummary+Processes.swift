import Foundation
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
        var perProcess = [UInt64](repeating: 0, count: p.processes.count)
        for s in p.samples { perProcess[Int(p.threads[Int(s.thread)].process)] += UInt64(s.count) }
        var tasks = [Int](repeating: 0, count: p.processes.count)
        for t in p.tasks where tasks.indices.contains(TaskInfo.processIndex(t.id)) { tasks[TaskInfo.processIndex(t.id)] += 1 }
        let order = p.processes.indices.sorted { (perProcess[$0], -$0) > (perProcess[$1], -$1) }
        let rate = Double(max(p.meta.rateHz, 1))

        var out: [String] = []
        out.append(bold("taskprof: ") + p.meta.command.joined(separator: " ") + " (\(p.meta.exitDescription))")
        out.append("  duration \(Format.seconds(p.meta.durationNs)), \(p.sampleCount) samples, \(p.droppedCount) dropped, "
                   + "\(p.processes.count) processes, engine \(p.meta.engine) at \(p.meta.rateHz) Hz/thread")
        out.append(bold("Processes") + " (by samples; CPU = samples ÷ rate)")
        out.append("  " + Format.pad("pid", 9) + Format.lpad("samples", 8) + "   share" + Format.lpad("CPU", 9)
                   + Format.lpad("tasks", 7) + "  command")
        for k in order.prefix(Self.processRows) {
            let pr = p.processes[k]
            let pid = pr.image == 0 ? "\(pr.pid)" : "\(pr.pid).\(pr.image)"
            let command = pr.command.isEmpty ? pr.name : pr.command.joined(separator: " ")
            out.append("  " + Format.pad(pid, 9) + Format.lpad(String(perProcess[k]), 8) + "  "
                       + Format.percent(Double(perProcess[k]) / Double(total))
                       + Format.lpad(Format.seconds(UInt64(Double(perProcess[k]) / rate * 1e9)), 9)
                       + Format.lpad(String(tasks[k]), 7) + "  " + Format.truncate(command, 70)
                       + (pr.exitDescription.hasPrefix("exec'd") ? "  (\(pr.exitDescription))" : ""))
        }
        if order.count > Self.processRows {
            let rest = order.dropFirst(Self.processRows)
            out.append("  … \(rest.count) more processes with \(rest.reduce(0) { $0 + perProcess[$1] }) samples"
                       + " (`taskprof report P --process PID` shows any one)")
        }
        for n in p.meta.notes where n.contains("ended without the agent's final flush") == false { out.append(warn("  note: \(n)")) }
        let detailed = order.enumerated().filter { i, k in
            perProcess[k] > 0 && (i == 0 || (i < Self.detailedProcesses && perProcess[k] * 5 >= total))
        }.map(\.element)
        var text = out.joined(separator: "\n") + "\n"
        for k in detailed {
            text += "\n" + bold("── \(p.processes[k].label) ──") + "\n" + renderProcess(p.process(at: k))
        }
        return text
    }
}
