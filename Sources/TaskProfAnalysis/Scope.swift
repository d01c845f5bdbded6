import TaskProfModel

/// Which samples a report looks at.
public enum Scope: Sendable, Equatable {
    case all
    case task(UInt64)
    case taskName(String)
    case thread(Int32)  // thread index in the profile

    /// `--task NAME|ID`: an id if it parses as one and exists, else a name.
    public static func task(_ selector: String, in profile: Profile) -> Scope? {
        if let id = UInt64(selector), profile.task(id: id) != nil { return .task(id) }
        if profile.tasks.contains(where: { $0.name == selector }) { return .taskName(selector) }
        if selector.hasPrefix("task "), let id = UInt64(selector.dropFirst(5)), profile.task(id: id) != nil { return .task(id) }
        return nil
    }

    public func matches(_ s: SampleGroup, in profile: Profile, names: [UInt64: String]) -> Bool {
        matches(taskID: s.taskID, thread: s.thread, names: names)
    }

    public func matches(taskID: UInt64, thread: Int32, names: [UInt64: String]) -> Bool {
        switch self {
        case .all: return true
        case .task(let id): return taskID == id
        case .taskName(let n): return taskID != 0 && names[taskID] == n
        case .thread(let t): return thread == t
        }
    }
}

/// What the root frame of a folded stack or flame graph names.
public enum GroupBy: String, Sendable, CaseIterable {
    case task
    case taskName = "task-name"
    /// A named task's name, else its kind (the closure that started it).
    case taskKind = "task-kind"
    case thread
    /// The process (`name [pid]`, in a profile of several processes).
    case process
    case none
}

extension Profile {
    /// Task id → name, for the tasks that have one.
    public var taskNames: [UInt64: String] {
        var d: [UInt64: String] = [:]
        for t in tasks { if let n = t.name { d[t.id] = n } }
        return d
    }

    /// The root label of a sample group under a grouping, or nil for no root frame. `kinds`
    /// (from `TaskKinds`) is only read by `.taskKind`.
    public func rootLabel(
        for s: SampleGroup, groupBy: GroupBy, names: [UInt64: String],
        kinds: [UInt64: String] = [:]
    ) -> String? {
        let thread = threads.indices.contains(Int(s.thread)) ? threads[Int(s.thread)].label : "thread ?"
        switch groupBy {
        case .none: return nil
        case .process:
            let k = threads.indices.contains(Int(s.thread)) ? Int(threads[Int(s.thread)].process) : 0
            return processes.indices.contains(k) ? processes[k].label : "pid \(meta.pid)"
        case .thread: return thread
        case .task: return s.taskID == 0 ? thread : (names[s.taskID] ?? TaskInfo.unnamedLabel(s.taskID))
        case .taskName: return s.taskID == 0 ? thread : (names[s.taskID] ?? "unnamed tasks")
        case .taskKind: return s.taskID == 0 ? thread : (names[s.taskID] ?? kinds[s.taskID] ?? TaskInfo.unnamedLabel(s.taskID))
        }
    }
}

extension Profile {
    /// Only the samples a scope takes (`--task` for the exports).
    public func restricted(to scope: Scope) -> Profile {
        guard scope != .all else { return self }
        let names = taskNames
        var out = self
        out.samples = samples.filter { scope.matches($0, in: self, names: names) }
        out.addressStacks?.samples.removeAll { !scope.matches(taskID: $0.taskID, thread: $0.thread, names: names) }
        return out
    }
}
