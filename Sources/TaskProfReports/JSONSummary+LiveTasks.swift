import TaskProfAnalysis
import TaskProfModel

/// `liveTasks` and `stuckFindings` of the JSON summary (docs/JSON.md): the tasks alive at the end
/// of the recording, and what the stuck ones wait on.
extension JSONSummary {
    public struct LiveTaskEntry: Codable, Equatable {
        public var id: UInt64
        public var process: Int?
        /// null when unnamed.
        public var name: String?
        /// "unstructured", "detached", "group child", "async let" or "unknown".
        public var kind: String
        /// The parent (a child task's) or creator (an unstructured task's) task id; null when none is known.
        public var parent: UInt64?
        /// "running", "enqueued" or "suspended".
        public var state: String
        /// How long it had been in `state` at the end; null when unknown.
        public var sinceMs: Double?
        /// Go's style: "awaiting continuation", "awaiting task 12", "sleeping", …
        public var reason: String
        public var waitingOn: WaitingOn
        /// Innermost first: where it resumes, then where each awaiting caller resumes.
        public var awaitStack: [Site]
        public var createdAt: Site?
        public var createdMs: Double?
        /// The thread running it (`running` only).
        public var thread: Int32?
        public var cancelled: Bool
        /// Suspended or enqueued for at least `stuckThresholdMs`.
        public var stuck: Bool

        enum CodingKeys: String, CodingKey {
            case id, process, name, kind, parent, state, sinceMs, reason, waitingOn, awaitStack, createdAt, createdMs, thread, cancelled, stuck
        }

        // `name`, `parent` and `sinceMs` are null rather than absent, as docs/JSON.md says.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encodeIfPresent(process, forKey: .process)
            try c.encode(name, forKey: .name)
            try c.encode(kind, forKey: .kind)
            try c.encode(parent, forKey: .parent)
            try c.encode(state, forKey: .state)
            try c.encode(sinceMs, forKey: .sinceMs)
            try c.encode(reason, forKey: .reason)
            try c.encode(waitingOn, forKey: .waitingOn)
            try c.encode(awaitStack, forKey: .awaitStack)
            try c.encodeIfPresent(createdAt, forKey: .createdAt)
            try c.encodeIfPresent(createdMs, forKey: .createdMs)
            try c.encodeIfPresent(thread, forKey: .thread)
            try c.encode(cancelled, forKey: .cancelled)
            try c.encode(stuck, forKey: .stuck)
        }
    }

    public struct WaitingOn: Codable, Equatable {
        /// "task", "continuation", "taskGroup", "executor", "sleep", "asyncStreamElement",
        /// "running" or "unknown".
        public var kind: String
        /// kind "task": the awaited task's id.
        public var task: UInt64?
        /// kind "continuation": the function that created it.
        public var createdIn: Site?
    }

    public struct StuckFinding: Codable, Equatable {
        /// "continuation never resumed", "wait cycle", "full channel, no reader", "task group never resumes".
        public var kind: String
        public var tasks: [UInt64]
        public var title: String
        public var detail: String
        public var advice: String
    }

    static func site(_ f: SymbolizedFrame) -> Site { Site(function: f.shortName, file: f.file, line: f.line) }

    static func liveTasks(_ s: StuckTasks, several: Bool) -> [LiveTaskEntry] {
        s.entries.map { e in
            var on = WaitingOn(kind: e.waitingOn.kind)
            if case .task(let id) = e.waitingOn { on.task = TaskInfo.localID(id) }
            if case .continuation(let creator) = e.waitingOn { on.createdIn = creator.map(site) }
            let t = e.task
            return LiveTaskEntry(
                id: TaskInfo.localID(t.id), process: several ? Int(e.process) : nil, name: e.name, kind: t.kind.rawValue,
                parent: t.parent.map(TaskInfo.localID), state: t.state.rawValue, sinceMs: t.forNs.map { Double($0) / 1e6 },
                reason: e.waitingOn.reason(names: { "task \(TaskInfo.localID($0))" }), waitingOn: on,
                awaitStack: e.awaitFrames.map(site), createdAt: e.creationSite.map(site), createdMs: t.createdNs.map { Double($0) / 1e6 },
                thread: t.tid, cancelled: t.cancelled, stuck: e.stuck)
        }
    }

    static func stuckFindings(_ s: StuckTasks) -> [StuckFinding] {
        s.findings.map {
            StuckFinding(kind: $0.kind.rawValue, tasks: $0.tasks.map(TaskInfo.localID), title: $0.title, detail: $0.detail, advice: $0.advice)
        }
    }
}
