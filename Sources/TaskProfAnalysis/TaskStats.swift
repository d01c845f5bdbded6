import TaskProfModel

/// CPU samples of one task, with its job statistics when job tracking ran.
public struct TaskStat: Sendable, Equatable {
    public var id: UInt64
    public var name: String?
    public var samples: UInt64
    /// Share of all samples in the profile, 0…1.
    public var cpuShare: Double
    public var jobs: TaskJobStats?
}

/// Samples of the unnamed tasks of one kind (see `TaskKinds`).
public struct TaskKindStat: Sendable, Equatable {
    public var kind: String
    public var tasks: Int
    public var samples: UInt64
    public var cpuShare: Double
}

/// Samples of one thread.
public struct ThreadStat: Sendable, Equatable {
    public var index: Int
    public var thread: ThreadInfo
    public var samples: UInt64
    public var cpuShare: Double
}

extension Profile {
    /// Tasks by samples, most first; tasks that only appear in job records come last.
    public func taskStats() -> [TaskStat] {
        var counts: [UInt64: UInt64] = [:]
        for s in samples where s.taskID != 0 { counts[s.taskID, default: 0] += UInt64(s.count) }
        let total = Double(max(sampleCount, 1))
        let jobStats = Dictionary((jobs?.tasks ?? []).map { ($0.taskID, $0) }, uniquingKeysWith: { a, _ in a })
        return tasks.map { t in
            let n = counts[t.id] ?? 0
            return TaskStat(id: t.id, name: t.name, samples: n, cpuShare: Double(n) / total, jobs: jobStats[t.id])
        }.sorted { ($0.samples, $1.id) > ($1.samples, $0.id) }
    }

    /// Unnamed tasks by kind, most samples first. `kinds` as `TaskKinds(self).labels`.
    public func taskKindStats(kinds: [UInt64: String]) -> [TaskKindStat] {
        let named = Set(tasks.filter { $0.name != nil }.map(\.id))
        var byKind: [String: (tasks: Set<UInt64>, samples: UInt64)] = [:]
        for s in samples where s.taskID != 0 && !named.contains(s.taskID) {
            guard let k = kinds[s.taskID] else { continue }
            byKind[k, default: ([], 0)].tasks.insert(s.taskID)
            byKind[k, default: ([], 0)].samples += UInt64(s.count)
        }
        let total = Double(max(sampleCount, 1))
        return byKind.map {
            TaskKindStat(kind: $0.key, tasks: $0.value.tasks.count, samples: $0.value.samples, cpuShare: Double($0.value.samples) / total)
        }
        .sorted { ($0.samples, $1.kind) > ($1.samples, $0.kind) }
    }

    public func threadStats() -> [ThreadStat] {
        var counts = [UInt64](repeating: 0, count: threads.count)
        for s in samples where Int(s.thread) < counts.count { counts[Int(s.thread)] += UInt64(s.count) }
        let total = Double(max(sampleCount, 1))
        return threads.enumerated().map { i, t in
            ThreadStat(index: i, thread: t, samples: counts[i], cpuShare: Double(counts[i]) / total)
        }.sorted { ($0.samples, $1.index) > ($1.samples, $0.index) }
    }
}
