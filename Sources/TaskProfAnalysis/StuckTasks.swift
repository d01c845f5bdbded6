import Foundation
import TaskProfModel

/// "Why is my task stuck": the live tasks of a profile's final dumps, each with what it waits on
/// in words, and the findings that name a cause (a continuation never resumed, a wait cycle, a
/// full channel nobody reads, a task group whose parent never resumes).
public struct StuckTasks {
    /// What a live task waits on, as far as the runtime and its await stack tell.
    public enum WaitingOn: Equatable, Sendable {
        case running
        /// Enqueued: waiting for a thread, or for an actor another task holds.
        case executor
        case task(UInt64)
        /// A continuation, and the function that created it (the innermost of the program's
        /// own functions on its await stack).
        case continuation(creator: SymbolizedFrame?)
        case group
        case sleep
        case asyncStream
        case unknown

        /// Go's style: "awaiting continuation", "awaiting task 12", …
        public func reason(names: (UInt64) -> String) -> String {
            switch self {
            case .running: return "running"
            case .executor: return "enqueued"
            case .task(let id): return "awaiting \(names(id))"
            case .continuation: return "awaiting continuation"
            case .group: return "awaiting task group"
            case .sleep: return "sleeping"
            case .asyncStream: return "awaiting AsyncStream element"
            case .unknown: return "suspended"
            }
        }

        /// For JSON: the kind of thing waited on.
        public var kind: String {
            switch self {
            case .running: return "running"
            case .executor: return "executor"
            case .task: return "task"
            case .continuation: return "continuation"
            case .group: return "taskGroup"
            case .sleep: return "sleep"
            case .asyncStream: return "asyncStreamElement"
            case .unknown: return "unknown"
            }
        }
    }

    public struct Entry {
        public var task: LiveTask
        public var process: Int32
        public var name: String?
        /// "task 17 \"fetcher\"" or "task 17".
        public var label: String
        /// The await stack, innermost first, without compiler-made thunks.
        public var awaitFrames: [SymbolizedFrame]
        public var creationSite: SymbolizedFrame?
        public var waitingOn: WaitingOn
        /// Suspended or enqueued for at least the stuck threshold.
        public var stuck: Bool
    }

    public struct Finding: Equatable {
        public enum Kind: String {
            case continuationNeverResumed = "continuation never resumed"
            case waitCycle = "wait cycle"
            case fullChannel = "full channel, no reader"
            case groupNeverResumes = "task group never resumes"
        }

        public var kind: Kind
        /// The tasks concerned, the one to look at first.
        public var tasks: [UInt64]
        public var title: String
        public var detail: String
        public var advice: String
    }

    public let thresholdNs: UInt64
    /// The live tasks of the final dump of each process, stuck ones first (longest first).
    public private(set) var entries: [Entry] = []
    public private(set) var findings: [Finding] = []
    /// Notes of the dumps (a runtime whose layout the agent does not know).
    public private(set) var notes: [String] = []
    /// Whether any process had a dump.
    public let hasDump: Bool

    public var stuck: [Entry] { entries.filter(\.stuck) }

    public init(_ p: Profile, thresholdNs: UInt64? = nil) {
        let threshold = thresholdNs ?? p.stuckThresholdNs
        self.thresholdNs = threshold
        let dumps = p.finalTaskDumps
        hasDump = !dumps.isEmpty
        notes = dumps.compactMap(\.note)
        let names = p.taskNames
        for d in dumps {
            for t in d.tasks {
                let frames = t.awaitStack >= 0 ? p.stacks[Int(t.awaitStack)].reversed().map { p.frames[Int($0)] } : []
                let shown = frames.filter { !Self.isThunk($0) }
                let site = t.createdAt >= 0 ? Self.creator(p.stacks[Int(t.createdAt)].reversed().map { p.frames[Int($0)] }) : nil
                let waiting = Self.waitingOn(t, frames: shown)
                let stuck = t.state != .running && (t.forNs ?? 0) >= threshold
                entries.append(
                    Entry(
                        task: t, process: d.process, name: names[t.id], label: Self.label(t.id, names[t.id]), awaitFrames: shown,
                        creationSite: site, waitingOn: waiting, stuck: stuck))
            }
        }
        entries.sort { a, b in
            if a.stuck != b.stuck { return a.stuck }
            if (a.task.forNs ?? 0) != (b.task.forNs ?? 0) { return (a.task.forNs ?? 0) > (b.task.forNs ?? 0) }
            return a.task.id < b.task.id
        }
        findings = Self.findings(entries)
    }

    /// "41.2 s", "850 ms", "3.5 min": how long a task has waited.
    public static func duration(_ ns: UInt64) -> String {
        let s = Double(ns) / 1e9
        if s < 1 { return String(format: "%.0f ms", s * 1000) }
        if s < 120 { return String(format: "%.1f s", s) }
        if s < 7200 { return String(format: "%.1f min", s / 60) }
        return String(format: "%.1f h", s / 3600)
    }

    /// "main.swift:41" (the file's name, not its path), nil without a file.
    public static func location(_ f: SymbolizedFrame) -> String? {
        guard let file = f.file, file != "<compiler-generated>" else { return nil }
        let name = (file as NSString).lastPathComponent
        return f.line.map { "\(name):\($0)" } ?? name
    }

    static func label(_ id: UInt64, _ name: String?) -> String {
        name.map { "task \(TaskInfo.localID(id)) \"\($0)\"" } ?? "task \(TaskInfo.localID(id))"
    }

    /// Partial-apply forwarders and reabstraction thunks: code the compiler made, no await of
    /// the program's.
    /// The runtime's resume adapters only hand over to the awaiting function.
    static func isThunk(_ f: SymbolizedFrame) -> Bool {
        f.file == "<compiler-generated>" || f.shortName.hasPrefix("partial apply for ") || f.shortName.hasPrefix("reabstraction thunk")
            || f.function.contains("_resume_adapter")
    }

    /// The function that made a task: the first of the program's own frames out of
    /// swift_task_create that is not the (inlined) `Task.init`, `Task.detached` or `addTask`.
    static func creator(_ frames: [SymbolizedFrame]) -> SymbolizedFrame? {
        let spawners = ["Task.init(", "Task.detached(", "addTask(", "addTaskUnlessCancelled(", "Task<"]
        return frames.first { f in
            isProgramCode(f) && !isThunk(f) && !spawners.contains { f.shortName.contains($0) }
        }
    }

    /// The program's own code: not the Swift runtime, the standard library, Foundation or libc.
    static func isProgramCode(_ f: SymbolizedFrame) -> Bool {
        !(f.module.hasPrefix("libswift") || f.module.hasPrefix("libFoundation") || f.module.hasPrefix("lib_Foundation")
            || f.module.hasPrefix("libc.so") || f.module.hasPrefix("libdispatch"))
    }

    static func waitingOn(_ t: LiveTask, frames: [SymbolizedFrame]) -> WaitingOn {
        switch t.state {
        case .running: return .running
        case .enqueued: return .executor
        case .suspended: break
        }
        switch t.wait {
        case .task: return t.waitingOnTask.map { .task($0) } ?? .unknown
        case .group: return .group
        case .executor: return .executor
        case .continuation, .unknown:
            // Task.sleep and AsyncStream's next() wait on continuations of their own.
            let inner = frames.prefix(4).flatMap { [$0.function, $0.shortName] }
            if inner.contains(where: { ($0.contains("sleep(") || $0.contains("_sleep(")) && $0.contains("Task") }) { return .sleep }
            if frames.contains(where: { $0.function.contains("AsyncStream") || $0.function.contains("AsyncThrowingStream") }) {
                return .asyncStream
            }
            if t.wait == .unknown { return .unknown }
            return .continuation(creator: frames.first(where: isProgramCode))
        }
    }

    // ---- Findings ----------------------------------------------------------------------------

    /// A send-like method: the type it belongs to, when the function is one.
    static func channelType(ofSend f: SymbolizedFrame) -> String? {
        let base = f.shortName.split(separator: "(").first.map(String.init) ?? f.shortName
        guard let dot = base.lastIndex(of: ".") else { return nil }
        let method = base[base.index(after: dot)...].lowercased()
        let sends = ["send", "put", "push", "offer", "enqueue", "write", "yield", "emit"]
        guard sends.contains(where: { method == $0 || method.hasPrefix($0) }) else { return nil }
        return String(base[..<dot])
    }

    static func findings(_ entries: [Entry]) -> [Finding] {
        var out: [Finding] = []
        let byID = Dictionary(entries.map { ($0.task.id, $0) }, uniquingKeysWith: { a, _ in a })
        let awaitedBy = Dictionary(
            grouping: entries.compactMap { e -> (UInt64, UInt64)? in
                if case .task(let id) = e.waitingOn { return (id, e.task.id) }
                return nil
            }, by: { $0.0 }
        ).mapValues { $0.map(\.1) }

        // Everything that waits, directly or not, for this task to finish.
        func blockedBehind(_ id: UInt64) -> [UInt64] {
            var seen: Set<UInt64> = [id], order: [UInt64] = [], queue = [id]
            while let next = queue.popLast() {
                var waiters = awaitedBy[next] ?? []
                // A group child's parent waits for it when it waits on the group.
                if let e = byID[next], e.task.kind == .groupChild, let parent = e.task.parent, let pe = byID[parent],
                    pe.waitingOn == .group
                {
                    waiters.append(parent)
                }
                for w in waiters where seen.insert(w).inserted {
                    order.append(w)
                    queue.append(w)
                }
            }
            return order
        }
        func behindText(_ id: UInt64) -> String {
            let behind = blockedBehind(id)
            guard !behind.isEmpty else { return "" }
            return " Waiting behind it: " + behind.map { byID[$0]!.label }.joined(separator: ", ") + "."
        }
        func since(_ e: Entry) -> String { e.task.forNs.map(duration) ?? "a while" }
        func at(_ f: SymbolizedFrame) -> String { location(f).map { " (\($0))" } ?? "" }
        // "task 9 "lookup-1" (awaiting continuation, 2.0 s), …"
        func states(_ tasks: [Entry]) -> String {
            tasks.map { "\($0.label) (\($0.waitingOn.reason(names: { byID[$0]?.label ?? TaskInfo.unnamedLabel($0) })), \(since($0)))" }
                .joined(separator: ", ")
        }

        // Wait cycles among tasks awaiting each other's values.
        var inCycle = Set<UInt64>()
        for e in entries where e.stuck && !inCycle.contains(e.task.id) {
            var path: [UInt64] = [e.task.id], cur = e
            while case .task(let next) = cur.waitingOn, let n = byID[next] {
                if let start = path.firstIndex(of: next) {
                    let cycle = Array(path[start...])
                    if !cycle.contains(where: inCycle.contains) {
                        inCycle.formUnion(cycle)
                        let labels = cycle.map { byID[$0]!.label }
                        out.append(
                            Finding(
                                kind: .waitCycle, tasks: cycle,
                                title: labels.first! + " awaits " + labels.dropFirst().map { $0 + ", which awaits " }.joined() + labels.first!,
                                detail: "Each of these tasks awaits the value of the next, and the last awaits the first: none of them can finish.",
                                advice:
                                    "Break the cycle: a task must not await (directly or through others) a task that awaits it. Pass the value the other way, or make one side stop waiting."
                            ))
                    }
                    break
                }
                path.append(next)
                cur = n
            }
        }

        for e in entries where e.stuck {
            switch e.waitingOn {
            case .continuation(let creator):
                let fn = creator?.shortName ?? "an unknown function"
                if let creator, let type = channelType(ofSend: creator) {
                    let readers = entries.filter { r in
                        r.task.id != e.task.id && r.awaitFrames.contains { $0.shortName.hasPrefix(type + ".") && channelType(ofSend: $0) == nil }
                    }
                    let readerText =
                        readers.isEmpty
                        ? "No live task is in another of \(type)'s methods: its reader stopped reading, returned, or waits somewhere else."
                        : "Its readers are stuck themselves: " + states(readers) + "."
                    out.append(
                        Finding(
                            kind: .fullChannel, tasks: [e.task.id] + readers.map(\.task.id),
                            title: "\(e.label) has waited \(since(e)) in \(fn)\(at(creator)): the channel is full and nothing reads it",
                            detail: readerText + behindText(e.task.id),
                            advice:
                                "Make sure the reader drains \(type) until the writer finishes, or close the channel (and stop the writer) when the reader stops early."
                        ))
                } else {
                    out.append(
                        Finding(
                            kind: .continuationNeverResumed, tasks: [e.task.id] + blockedBehind(e.task.id),
                            title: "\(e.label) has waited \(since(e)) on a continuation created in \(fn)\(creator.map(at) ?? ""), never resumed",
                            detail: "\(fn) handed the continuation on and the task suspended \(since(e)) ago; nothing has resumed it since."
                                + behindText(e.task.id),
                            advice:
                                "Check every path of the callback in \(fn) (errors, early returns, cancellation): each must resume the continuation exactly once, or throw through a throwing continuation."
                        ))
                }
            case .group:
                let children = entries.filter { $0.task.parent == e.task.id && $0.task.kind == .groupChild }
                let stuckChildren = children.filter(\.stuck)
                let childText =
                    children.isEmpty
                    ? "It has no live child: the group waits for something the agent could not see."
                    : "Its live children: " + states(children) + "."
                out.append(
                    Finding(
                        kind: .groupNeverResumes, tasks: [e.task.id] + stuckChildren.map(\.task.id),
                        title: "the task group of \(e.label) has not resumed it for \(since(e))",
                        detail: childText + behindText(e.task.id),
                        advice: stuckChildren.isEmpty
                            ? "Look at what the group's children wait on."
                            : "The group resumes its parent when a child finishes: start with the stuck children's own findings."
                    ))
            default:
                break
            }
        }
        return out
    }
}
