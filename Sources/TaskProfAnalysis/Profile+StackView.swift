import TaskProfModel

/// Which frames a report shows: logical stacks carry the awaiting async callers that the agent
/// recovered from the task's context chain; physical stacks are what was on the thread.
public enum StackView: String, Sendable, CaseIterable {
    case logical
    case physical
}

extension Profile {
    /// True when any stack holds a logical (async) frame.
    public var hasLogicalFrames: Bool {
        let isAsync = frames.map(\.isAsync)
        guard isAsync.contains(true) else { return false }
        return stacks.contains { $0.contains { isAsync.indices.contains(Int($0)) && isAsync[Int($0)] } }
    }

    /// The profile as the given view shows it. Physical: async frames are dropped from every
    /// stack in place, so stack indices (samples, long polls, blocking sites) stay valid.
    public func viewing(_ view: StackView) -> Profile {
        guard view == .physical, hasLogicalFrames else { return self }
        var p = self
        let isAsync = frames.map(\.isAsync)
        p.stacks = stacks.map { s in s.filter { !(isAsync.indices.contains(Int($0)) && isAsync[Int($0)]) } }
        return p
    }

    /// Share of the samples taken in tasks whose stacks hold logical frames, 0…1.
    public var logicalStackShare: Double {
        var inTasks: UInt64 = 0, logical: UInt64 = 0
        let isAsync = frames.map(\.isAsync)
        var stackHasAsync: [Int32: Bool] = [:]
        for s in samples where s.taskID != 0 {
            inTasks += UInt64(s.count)
            let has = stackHasAsync[s.stack] ?? {
                let v = stacks.indices.contains(Int(s.stack)) && stacks[Int(s.stack)].contains { isAsync.indices.contains(Int($0)) && isAsync[Int($0)] }
                stackHasAsync[s.stack] = v
                return v
            }()
            if has { logical += UInt64(s.count) }
        }
        return inTasks == 0 ? 0 : Double(logical) / Double(inTasks)
    }
}
