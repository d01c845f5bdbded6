import TaskProfModel

/// What kind of task each task is: the closure or function that started it, i.e. the outermost
/// frame that the runtime called to run it. Unnamed tasks are told apart by kind, so the
/// thousand children of one task group fold into one row.
public struct TaskKinds: Sendable {
    /// Task id → kind label, for the tasks that have samples.
    public private(set) var labels: [UInt64: String] = [:]

    public init(_ profile: Profile) {
        let frames = profile.frames
        var kindOfStack: [Int32: Int32] = [:]
        var votes: [UInt64: [Int32: UInt64]] = [:]
        for s in profile.samples where s.taskID != 0 {
            let kind =
                kindOfStack[s.stack]
                ?? {
                    let k = profile.stacks.indices.contains(Int(s.stack)) ? Self.kindFrame(of: profile.stacks[Int(s.stack)], frames: frames) : -1
                    kindOfStack[s.stack] = k
                    return k
                }()
            if kind >= 0 { votes[s.taskID, default: [:]][kind, default: 0] += UInt64(s.count) }
        }
        // Most samples win: a sample whose chain could not be read names a deeper function.
        var chosen: [UInt64: Int32] = [:]
        for (task, v) in votes {
            chosen[task] = v.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
        }
        // Kinds are shown by short name; two different functions with one short name (closure #1
        // in two files) get their source location to tell them apart. The logical and the
        // physical frame of one function are one kind.
        struct Identity: Hashable { var function: String; var module: String }
        var functionsOfName: [String: Set<Identity>] = [:]
        for f in Set(chosen.values) {
            functionsOfName[frames[Int(f)].shortName, default: []].insert(Identity(function: frames[Int(f)].function, module: frames[Int(f)].module))
        }
        for (task, f) in chosen {
            let frame = frames[Int(f)]
            var label = frame.shortName
            if (functionsOfName[label]?.count ?? 0) > 1, let file = frame.file {
                label += " (\(file.split(separator: "/").last.map(String.init) ?? file)\(frame.line.map { ":\($0)" } ?? ""))"
            }
            labels[task] = label
        }
    }

    /// The frame the runtime called to run the task: the first frame after the innermost
    /// job-running runtime frame, past the thunks the compiler wraps task closures in.
    static func kindFrame(of stack: [Int32], frames: [SymbolizedFrame]) -> Int32 {
        guard let run = stack.lastIndex(where: { isJobRunner(frames[Int($0)]) }) else { return -1 }
        for f in stack[(run + 1)...] where !isThunk(frames[Int(f)]) {
            // A sample taken inside the runtime (a task switch) says nothing of the task's kind.
            return frames[Int(f)].module.hasPrefix("libswift_Concurrency") ? -1 : f
        }
        return -1
    }

    static func isJobRunner(_ f: SymbolizedFrame) -> Bool {
        f.function.hasPrefix("swift::runJobInEstablishedExecutorContext") || f.function == "swift_job_run"
    }

    static func isThunk(_ f: SymbolizedFrame) -> Bool {
        f.shortName.hasPrefix("partial apply") || f.shortName.hasPrefix("reabstraction thunk") || f.shortName == "thunk"
    }
}
