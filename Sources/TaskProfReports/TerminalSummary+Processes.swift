import Foundation
import TaskProfModel

/// The summary of a run that followed children: one table of its processes, then the usual
/// sections for the processes that hold most of the samples.
extension TerminalSummary {
    /// Processes listed in the table; the rest are counted on one line.
    static let processRows = 12
    /// Processes given their own sections: the busiest, and any other with ≥ 20 % of the samples.
    static let detailedProcesses = 3

    /// Per process, the innermost function of its own code in most of its samples: what tells
    /// apart processes with one command line (package-benchmark runs each benchmark in a process
    /// of its own, all started alike). Its own code: a Swift function of the module named like the
    /// executable (`MyBench.work()` in MyBench, not the standard library's sort inlined into it,
    /// nor a statically linked library's); for other programs, a function of the executable with
    /// a source file.
    static func hottestOwnFunctions(_ p: Profile) -> [String?] {
        let names = p.processes.map(\.name)
        func hottest(_ own: (SymbolizedFrame, String) -> Bool) -> [String?] {
            var counts = [[Int32: UInt64]](repeating: [:], count: p.processes.count)
            for s in p.samples {
                let k = Int(p.threads[Int(s.thread)].process)
                guard let f = p.stacks[Int(s.stack)].last(where: { own(p.frames[Int($0)], names[k]) }) else { continue }
                counts[k][f, default: 0] += UInt64(s.count)
            }
            return counts.map { c in c.max { ($0.value, $1.key) < ($1.value, $0.key) }.map { p.frames[Int($0.key)].shortName } }
        }
        let swift = hottest { f, name in f.module == name && f.function.hasPrefix(name + ".") }
        let any = hottest { f, name in f.module == name && f.file != nil && f.file != "<compiler-generated>" }
        return zip(swift, any).map { $0 ?? $1 }
    }

    func renderRun(_ p: Profile) -> String {
        let total = max(p.sampleCount, 1)
        var perProcess = [UInt64](repeating: 0, count: p.processes.count)
        for s in p.samples { perProcess[Int(p.threads[Int(s.thread)].process)] += UInt64(s.count) }
        var tasks = [Int](repeating: 0, count: p.processes.count)
        for t in p.tasks where tasks.indices.contains(TaskInfo.processIndex(t.id)) { tasks[TaskInfo.processIndex(t.id)] += 1 }
        let hottest = Self.hottestOwnFunctions(p)
        let order = p.processes.indices.sorted { (perProcess[$0], -$0) > (perProcess[$1], -$1) }
        let rate = Double(max(p.meta.rateHz, 1))

        var out: [String] = []
        out.append(bold("taskprof: ") + Format.truncate(p.meta.command.joined(separator: " "), 200) + " (\(p.meta.exitDescription))")
        out.append("  duration \(Format.seconds(p.meta.durationNs)), \(p.sampleCount) samples, \(p.droppedCount) dropped, "
                   + "\(p.processes.count) processes, engine \(p.meta.engine) at \(p.meta.rateHz) Hz/thread")
        out.append(bold("Processes") + " (by samples; CPU = samples ÷ rate; start and length from the run's start)")
        out.append("  " + Format.pad("pid", 9) + Format.lpad("samples", 8) + "   share" + Format.lpad("CPU", 9)
                   + Format.lpad("tasks", 7) + Format.lpad("start", 9) + Format.lpad("length", 9) + "  command · hottest function of its own")
        for k in order.prefix(Self.processRows) {
            let pr = p.processes[k]
            let pid = pr.image == 0 ? "\(pr.pid)" : "\(pr.pid).\(pr.image)"
            let command = pr.command.isEmpty ? pr.name : pr.command.joined(separator: " ")
            out.append("  " + Format.pad(pid, 9) + Format.lpad(String(perProcess[k]), 8) + "  "
                       + Format.percent(Double(perProcess[k]) / Double(total))
                       + Format.lpad(Format.seconds(UInt64(Double(perProcess[k]) / rate * 1e9)), 9)
                       + Format.lpad(String(tasks[k]), 7) + Format.lpad(Format.seconds(pr.startOffsetNs), 9)
                       + Format.lpad(Format.seconds(pr.durationNs), 9) + "  " + Format.truncate(command, 60)
                       + (hottest[k].map { " · " + Format.truncate($0, 40) } ?? "")
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
