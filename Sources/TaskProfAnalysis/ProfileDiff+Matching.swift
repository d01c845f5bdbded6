import Foundation
import TaskProfModel
import TaskProfSymbolize

// How two builds' functions, tasks and threads are matched: by canonical name (compiler variants
// of one source function are one function), module, task name or kind, and thread name.

extension ProfileDiff {
    /// The canonical form of a symbolized function name: compiler variants of one source
    /// function all map to one name (the rules are the demangler's, `SwiftDemangler.canonicalName`).
    public static func canonicalFunctionName(_ name: String) -> String { SwiftDemangler.canonicalName(name) }
}

struct DiffFunctionKey: Hashable {
    var name: String
    /// The module's file name; the main executable is `<main>` so differently named builds match.
    var module: String
}

/// Functions of both profiles, interned by canonical name and module.
struct DiffFunctionTable {
    var keys: [DiffFunctionKey] = []
    var shortNames: [String] = []
    var modules: [String] = []
    var files: [String?] = []
    var lines: [Int?] = []
    var index: [DiffFunctionKey: Int] = [:]

    var count: Int { keys.count }

    mutating func intern(_ f: SymbolizedFrame, mainModule: String?) -> Int {
        let key = DiffFunctionKey(
            name: ProfileDiff.canonicalFunctionName(f.function),
            module: f.module == mainModule ? "<main>" : f.module)
        if let i = index[key] {
            if files[i] == nil, f.file != nil { files[i] = f.file; lines[i] = f.line }
            return i
        }
        let i = keys.count
        index[key] = i
        keys.append(key)
        var short = f.shortName
        if short.hasSuffix(" [specialized]") { short.removeLast(" [specialized]".count) }
        shortNames.append(short)
        modules.append(f.module)
        files.append(f.file)
        lines.append(f.line)
        return i
    }
}

/// One profile seen through the shared function table: frame → function, task and thread groups.
struct DiffSideIndex {
    let profile: Profile
    let frameFunction: [Int]
    /// Task id → group label (name, `unnamed: <function>` or `task <id>`).
    let taskGroup: [UInt64: String]
    let namedTasks: Set<UInt64>
    /// Thread index → thread name without the tid.
    let threadGroup: [String]

    static let noTask = "(no task)"

    init(_ p: Profile, table: inout DiffFunctionTable) {
        profile = p
        let main = Self.mainModule(p)
        frameFunction = p.frames.map { table.intern($0, mainModule: main) }
        threadGroup = p.threads.map(Self.threadName)

        // Unnamed tasks are grouped by kind: the outermost non-runtime function they ran.
        var kindVotes: [UInt64: [Int: UInt64]] = [:]
        let names = p.taskNames
        for s in p.samples where s.taskID != 0 && names[s.taskID] == nil {
            let stack = p.stacks[Int(s.stack)]
            if let f = stack.first(where: { !Self.isRuntime(p.frames[Int($0)]) }) {
                kindVotes[s.taskID, default: [:]][frameFunction[Int(f)], default: 0] += UInt64(s.count)
            }
        }
        var groups: [UInt64: String] = [:]
        var named = Set<UInt64>()
        var ids = p.tasks.map(\.id)
        ids.append(contentsOf: p.samples.map(\.taskID).filter { $0 != 0 })
        for id in ids where groups[id] == nil {
            if let n = names[id] {
                groups[id] = n
                named.insert(id)
            } else if let votes = kindVotes[id], let best = votes.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) {
                groups[id] = "unnamed: " + table.shortNames[best.key]
            } else {
                groups[id] = TaskInfo.unnamedLabel(id)
            }
        }
        taskGroup = groups
        namedTasks = named
    }

    static func mainModule(_ p: Profile) -> String? {
        if !p.meta.mainBuildID.isEmpty, let m = p.modules.first(where: { $0.buildID == p.meta.mainBuildID }) { return m.fileName }
        return p.meta.command.first.map { ($0 as NSString).lastPathComponent }
    }

    static func threadName(_ t: ThreadInfo) -> String {
        if t.kind == .main { return "main thread" }
        return t.name.isEmpty ? "thread" : t.name
    }

    /// Folded root of a thread (its label) → the same root without the tid.
    static func threadRoots(_ p: Profile) -> [String: String] {
        let taskRoots = Set(p.tasks.compactMap(\.name).map(Profile.foldedName) + ["unnamed tasks"])
        var out: [String: String] = [:]
        for t in p.threads {
            let label = Profile.foldedName(t.label)
            if !taskRoots.contains(label), out[label] == nil { out[label] = Profile.foldedName(threadName(t)) }
        }
        return out
    }

    /// Runtime, C library and glue frames: not what a task "is".
    static func isRuntime(_ f: SymbolizedFrame) -> Bool {
        let m = f.module
        for prefix in [
            "libswift", "libdispatch", "libc.so", "libc-", "ld-linux", "ld-2", "libpthread", "libFoundation",
            "lib_Foundation", "libstdc++", "libgcc_s", "libm.so", "libm-", "libBlocksRuntime", "libTaskProfAgent",
            "libunwind", "libicu", "[vdso]", "linux-vdso", "?",
        ] where m.hasPrefix(prefix) {
            return true
        }
        let s = f.shortName
        return s.hasPrefix("partial apply for ") || s.hasPrefix("thunk") || s.hasPrefix("reabstraction thunk")
            || s.hasPrefix("merged ")
    }

    struct Weights {
        var selfs: [UInt64]
        var totals: [UInt64]
        var total: UInt64
    }

    func functionWeights(scope: Scope, functions: Int) -> Weights {
        let p = profile
        var w = Weights(selfs: .init(repeating: 0, count: functions), totals: .init(repeating: 0, count: functions), total: 0)
        var stackWeight = [UInt64](repeating: 0, count: p.stacks.count)
        let names = p.taskNames
        for s in p.samples where scope.matches(s, in: p, names: names) {
            stackWeight[Int(s.stack)] += UInt64(s.count)
            w.total += UInt64(s.count)
        }
        var seen = Set<Int>()
        for (i, weight) in stackWeight.enumerated() where weight > 0 {
            let stack = p.stacks[i]
            seen.removeAll(keepingCapacity: true)
            for f in stack {
                let fn = frameFunction[Int(f)]
                if seen.insert(fn).inserted { w.totals[fn] += weight }
            }
            if let leaf = stack.last { w.selfs[frameFunction[Int(leaf)]] += weight }
        }
        return w
    }

    struct TaskGroupStat {
        var named: Bool
        var tasks: Int
        var samples: UInt64
        var pollP99: UInt64?
        var delayP99: UInt64?
        var longPolls: UInt64?
    }

    func taskGroupStats() -> [String: TaskGroupStat] {
        let p = profile
        var out: [String: TaskGroupStat] = [:]
        var members: [String: Set<UInt64>] = [:]
        for (id, label) in taskGroup {
            members[label, default: []].insert(id)
            if out[label] == nil { out[label] = TaskGroupStat(named: namedTasks.contains(id), tasks: 0, samples: 0) }
        }
        for (label, ids) in members { out[label]?.tasks = ids.count }
        for s in p.samples {
            let label = s.taskID == 0 ? Self.noTask : (taskGroup[s.taskID] ?? TaskInfo.unnamedLabel(s.taskID))
            out[label, default: TaskGroupStat(named: false, tasks: 0, samples: 0)].samples += UInt64(s.count)
        }
        if let jobs = p.jobs {
            for j in jobs.tasks {
                guard let label = taskGroup[j.taskID] else { continue }
                var g = out[label] ?? TaskGroupStat(named: namedTasks.contains(j.taskID), tasks: 1, samples: 0)
                g.pollP99 = max(g.pollP99 ?? 0, j.pollTime.p99Ns)
                g.delayP99 = max(g.delayP99 ?? 0, j.schedulingDelay.p99Ns)
                g.longPolls = (g.longPolls ?? 0) + j.longPolls
                out[label] = g
            }
        }
        return out
    }

    struct LongPollKey: Hashable {
        var task: String
        var function: String
    }

    func longPollGroups(table: DiffFunctionTable) -> [LongPollKey: (count: Int, maxNs: UInt64)] {
        let p = profile
        var out: [LongPollKey: (count: Int, maxNs: UInt64)] = [:]
        for l in p.jobs?.longPolls ?? [] {
            let task = l.taskID == 0 ? Self.noTask : (taskGroup[l.taskID] ?? TaskInfo.unnamedLabel(l.taskID))
            var function = "(no samples)"
            if let top = l.stacks.max(by: { ($0.count, $1.stack) < ($1.count, $0.stack) }), p.stacks.indices.contains(Int(top.stack)) {
                let stack = p.stacks[Int(top.stack)]
                if let f = stack.last(where: { !Self.isRuntime(p.frames[Int($0)]) }) ?? stack.last {
                    function = table.shortNames[frameFunction[Int(f)]]
                }
            }
            let key = LongPollKey(task: task, function: function)
            let old = out[key] ?? (0, 0)
            out[key] = (old.count + 1, max(old.maxNs, l.durationNs))
        }
        return out
    }
}
