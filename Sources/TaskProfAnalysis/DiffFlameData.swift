import Foundation
import TaskProfModel

/// Both profiles' samples merged for a differential flame graph: stacks of functions (matched
/// like the function table), with each sample group's task group, thread name and counts.
public struct DiffFlameData: Sendable {
    public struct Function: Sendable, Equatable {
        public var name: String
        public var shortName: String
        public var module: String
    }

    public struct Group: Sendable, Equatable {
        public var stack: Int
        /// Index into `tasks`, -1 outside any task.
        public var task: Int
        /// Index into `threads`.
        public var thread: Int
        public var base: UInt64
        public var new: UInt64
    }

    public var functions: [Function] = []
    /// Root first, indices into `functions`.
    public var stacks: [[Int]] = []
    /// Task group labels, as in the task table.
    public var tasks: [String] = []
    /// Thread names without tids.
    public var threads: [String] = []
    public var groups: [Group] = []

    public init(base bp: Profile, new np: Profile) {
        var table = DiffFunctionTable()
        let sides = [DiffSideIndex(np, table: &table), DiffSideIndex(bp, table: &table)]
        var funcIndex: [Int: Int] = [:]
        var stackIndex: [[Int]: Int] = [:]
        var taskIndex: [String: Int] = [:]
        var threadIndex: [String: Int] = [:]
        struct Key: Hashable { var stack: Int; var task: Int; var thread: Int }
        var merged: [Key: (UInt64, UInt64)] = [:]
        var order: [Key] = []
        for (n, side) in sides.enumerated() {
            let p = side.profile
            var localStack = [Int?](repeating: nil, count: p.stacks.count)
            for s in p.samples where s.count > 0 {
                let si: Int
                if let known = localStack[Int(s.stack)] {
                    si = known
                } else {
                    let path = p.stacks[Int(s.stack)].map { f -> Int in
                        let g = side.frameFunction[Int(f)]
                        if let i = funcIndex[g] { return i }
                        funcIndex[g] = functions.count
                        functions.append(Function(name: table.keys[g].name, shortName: table.shortNames[g], module: table.modules[g]))
                        return functions.count - 1
                    }
                    if let i = stackIndex[path] {
                        si = i
                    } else {
                        si = stacks.count
                        stackIndex[path] = si
                        stacks.append(path)
                    }
                    localStack[Int(s.stack)] = si
                }
                var ti = -1
                if s.taskID != 0 {
                    let label = side.taskGroup[s.taskID] ?? TaskInfo.unnamedLabel(s.taskID)
                    if let i = taskIndex[label] {
                        ti = i
                    } else {
                        ti = tasks.count
                        taskIndex[label] = ti
                        tasks.append(label)
                    }
                }
                let thread = p.threads.indices.contains(Int(s.thread)) ? side.threadGroup[Int(s.thread)] : "thread"
                let hi: Int
                if let i = threadIndex[thread] {
                    hi = i
                } else {
                    hi = threads.count
                    threadIndex[thread] = hi
                    threads.append(thread)
                }
                let key = Key(stack: si, task: ti, thread: hi)
                if merged[key] == nil { order.append(key) }
                if n == 0 { merged[key, default: (0, 0)].1 += UInt64(s.count) } else { merged[key, default: (0, 0)].0 += UInt64(s.count) }
            }
        }
        groups = order.map { k in
            let v = merged[k]!
            return Group(stack: k.stack, task: k.task, thread: k.thread, base: v.0, new: v.1)
        }
    }
}
