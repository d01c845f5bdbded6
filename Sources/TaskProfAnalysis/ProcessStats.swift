import TaskProfModel

/// Per process of a run that followed children: what the summary's table, the JSON and the HTML
/// show of it.
public struct ProcessStats: Sendable, Equatable {
    /// Index into `Profile.processes`.
    public var index: Int
    public var samples: UInt64
    public var tasks: Int
    /// The innermost function of the process's own code in most of its samples (below).
    public var hottestFunction: String?
}

extension Profile {
    /// One entry per process, in the table's order (start order); empty for one process.
    public func processStats() -> [ProcessStats] {
        guard processes.count > 1 else { return [] }
        var samples = [UInt64](repeating: 0, count: processes.count)
        var tasks = [Int](repeating: 0, count: processes.count)
        for s in self.samples { samples[Int(threads[Int(s.thread)].process)] += UInt64(s.count) }
        for t in self.tasks where tasks.indices.contains(TaskInfo.processIndex(t.id)) { tasks[TaskInfo.processIndex(t.id)] += 1 }
        let hottest = hottestOwnFunctions()
        return processes.indices.map { ProcessStats(index: $0, samples: samples[$0], tasks: tasks[$0], hottestFunction: hottest[$0]) }
    }

    /// Per process, the innermost function of its own code in most of its samples: what tells
    /// apart processes with one command line (package-benchmark runs each benchmark in a process
    /// of its own, all started alike). Its own code: a Swift function of the module named like the
    /// executable (`MyBench.work()` in MyBench, not the standard library's sort inlined into it,
    /// nor a statically linked library's); for other programs, a function of the executable with
    /// a source file.
    func hottestOwnFunctions() -> [String?] {
        let names = processes.map(\.name), modulePrefixes = names.map { $0 + "." }
        func hottest(_ own: (SymbolizedFrame, Int) -> Bool) -> [String?] {
            var counts = [[Int32: UInt64]](repeating: [:], count: processes.count)
            for s in samples {
                let k = Int(threads[Int(s.thread)].process)
                guard let f = stacks[Int(s.stack)].last(where: { own(frames[Int($0)], k) }) else { continue }
                counts[k][f, default: 0] += UInt64(s.count)
            }
            return counts.map { c in c.max { ($0.value, $1.key) < ($1.value, $0.key) }.map { frames[Int($0.key)].shortName } }
        }
        let swift = hottest { f, k in f.module == names[k] && f.function.hasPrefix(modulePrefixes[k]) }
        let any = hottest { f, k in f.module == names[k] && f.file != nil && f.file != "<compiler-generated>" }
        return zip(swift, any).map { $0 ?? $1 }
    }
}
