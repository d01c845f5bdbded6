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
        let isAsync = asyncFrameMask
        guard isAsync.contains(true) else { return false }
        return stacks.contains { Self.hasAsyncFrame($0, isAsync) }
    }

    /// The profile as the given view shows it. Physical: async frames are dropped from every
    /// stack in place, so stack indices (samples, long polls, blocking sites) stay valid.
    public func viewing(_ view: StackView) -> Profile {
        guard view == .physical, hasLogicalFrames else { return self }
        var p = self
        let isAsync = asyncFrameMask
        p.stacks = stacks.map { s in s.filter { !Self.isAsyncFrame($0, isAsync) } }
        if var a = addressStacks {
            // A logical frame is a location of its own.
            let logical = a.locations.map { $0.frames.contains { Self.isAsyncFrame($0, isAsync) } }
            a.stacks = a.stacks.map { s in s.filter { !logical[Int($0)] } }
            p.addressStacks = a
        }
        return p
    }

    /// Share of the samples taken in tasks whose stacks hold logical frames, 0…1.
    public var logicalStackShare: Double {
        var inTasks: UInt64 = 0, logical: UInt64 = 0
        let isAsync = asyncFrameMask
        var stackHasAsync: [Int32: Bool] = [:]
        for s in samples where s.taskID != 0 {
            inTasks += UInt64(s.count)
            let has =
                stackHasAsync[s.stack]
                ?? {
                    let v = stacks.indices.contains(Int(s.stack)) && Self.hasAsyncFrame(stacks[Int(s.stack)], isAsync)
                    stackHasAsync[s.stack] = v
                    return v
                }()
            if has { logical += UInt64(s.count) }
        }
        return inTasks == 0 ? 0 : Double(logical) / Double(inTasks)
    }

    /// `isAsync` of every frame, by frame index.
    private var asyncFrameMask: [Bool] { frames.map(\.isAsync) }

    private static func isAsyncFrame(_ frame: Int32, _ isAsync: [Bool]) -> Bool {
        isAsync.indices.contains(Int(frame)) && isAsync[Int(frame)]
    }

    private static func hasAsyncFrame(_ stack: [Int32], _ isAsync: [Bool]) -> Bool {
        stack.contains { isAsyncFrame($0, isAsync) }
    }
}
