/// One run, one result: the profiles of a run's processes merged into one, and one process taken
/// back out of it (`report --process`, the summary's per-process sections).
extension Profile {
    /// Merges per-image profiles (each of one process, as `ProfileBuilder` makes them) into one.
    /// `meta` describes the run as a whole; times are re-based on the earliest image's start.
    /// Frames and stacks are shared, threads name their process, task ids carry the process
    /// index (`TaskInfo.globalID`).
    public static func merging(_ parts: [(profile: Profile, process: ProfiledProcess)], meta: ProfileMeta) -> Profile {
        guard let first = parts.first else { return Profile(meta: meta) }
        let base = parts.map(\.profile.meta.startTimeNs).min() ?? first.profile.meta.startTimeNs
        let bucketNs = max(first.profile.meta.bucketNs, 1)
        var out = Profile(meta: meta)
        out.meta.startTimeNs = base
        out.meta.bucketNs = bucketNs
        out.meta.durationNs = parts.map { $0.profile.meta.startTimeNs &- base &+ $0.profile.meta.durationNs }.max() ?? 0
        out.meta.engine = first.profile.meta.engine
        out.meta.engineNote = first.profile.meta.engineNote
        out.meta.rateHz = first.profile.meta.rateHz
        out.meta.signal = first.profile.meta.signal
        out.meta.complete = parts.allSatisfy(\.profile.meta.complete)
        out.meta.jobTracking = parts.contains { $0.profile.meta.jobTracking }
        out.meta.mainBuildID = parts.max { $0.profile.sampleCount < $1.profile.sampleCount }?.profile.meta.mainBuildID ?? ""

        var frameIndex: [SymbolizedFrame: Int32] = [:]
        var stackIndex: [[Int32]: Int32] = [:]
        var moduleSeen = Set<String>()
        var jobs: [JobSummary] = []
        var blocking: [BlockingSummary] = []
        for (k, part) in parts.enumerated() {
            let p = part.profile
            let offset = p.meta.startTimeNs &- base
            let frameMap = p.frames.map { f -> Int32 in
                if let i = frameIndex[f] { return i }
                let i = Int32(out.frames.count)
                out.frames.append(f)
                frameIndex[f] = i
                return i
            }
            let stackMap = p.stacks.map { s -> Int32 in
                let mapped = s.map { frameMap[Int($0)] }
                if let i = stackIndex[mapped] { return i }
                let i = Int32(out.stacks.count)
                out.stacks.append(mapped)
                stackIndex[mapped] = i
                return i
            }
            let threadBase = Int32(out.threads.count)
            out.threads += p.threads.map {
                var t = $0; t.process = Int32(k); return t
            }
            let task = { (id: UInt64) in TaskInfo.globalID(id, process: k) }
            out.tasks += p.tasks.map { TaskInfo(id: task($0.id), name: $0.name) }
            let shift = UInt32(clamping: offset / bucketNs)
            out.samples += p.samples.map { s in
                SampleGroup(
                    taskID: task(s.taskID), thread: s.thread + threadBase, stack: stackMap[Int(s.stack)], count: s.count,
                    buckets: s.buckets.map { TimeBucket(index: $0.index &+ shift, count: $0.count) })
            }
            for m in p.modules where moduleSeen.insert(m.path + "\u{0}" + m.buildID).inserted { out.modules.append(m) }
            for (name, v) in p.counters {
                // Maxima and flags stay maxima; everything else counts and adds up.
                if Self.maximumCounters.contains(name) {
                    out.counters[name] = max(out.counters[name] ?? 0, v)
                } else {
                    out.counters[name, default: 0] &+= v
                }
            }
            if let j = p.jobs {
                jobs.append(
                    JobSummary(
                        longPollThresholdNs: j.longPollThresholdNs,
                        tasks: j.tasks.map {
                            var t = $0; t.taskID = task(t.taskID); return t
                        },
                        runtime: j.runtime,
                        longPolls: j.longPolls.map {
                            var l = LongPoll(
                                taskID: task($0.taskID), thread: $0.thread, startNs: $0.startNs &+ offset, durationNs: $0.durationNs,
                                stacks: $0.stacks.map { StackCount(stack: stackMap[Int($0.stack)], count: $0.count) })
                            l.process = Int32(k)
                            return l
                        }))
            }
            if let b = p.blocking {
                blocking.append(
                    BlockingSummary(
                        thresholdNs: b.thresholdNs,
                        sites: b.sites.map { s in
                            var s = s
                            s.taskIDs = s.taskIDs.map(task)
                            s.process = Int32(k)
                            s.stacks = s.stacks.map { StackWeight(stack: stackMap[Int($0.stack)], count: $0.count, totalNs: $0.totalNs) }
                            return s
                        }))
            }
            out.taskDumps += p.taskDumps.map { d in
                var d = d
                d.timeNs = d.timeNs &+ offset
                d.process = Int32(k)
                d.tasks = d.tasks.map { t in
                    var t = t
                    t.id = task(t.id)
                    t.parent = t.parent.map(task)
                    t.waitingOnTask = t.waitingOnTask.map(task)
                    t.createdNs = t.createdNs.map { $0 &+ offset }
                    if t.createdAt >= 0 { t.createdAt = stackMap[Int(t.createdAt)] }
                    if t.awaitStack >= 0 { t.awaitStack = stackMap[Int(t.awaitStack)] }
                    return t
                }
                return d
            }
            out.stuckThresholdNs = p.stuckThresholdNs
            if let t = p.timeline {
                var merged = out.timeline ?? Timeline()
                if let jobs = t.jobs {
                    merged.jobs =
                        (merged.jobs ?? [])
                        + jobs.map { j in
                            Timeline.Job(
                                taskID: task(j.taskID), thread: j.thread + threadBase, enqueueNs: j.enqueueNs.map { $0 &+ offset },
                                startNs: j.startNs &+ offset, endNs: j.endNs &+ offset)
                        }
                }
                merged.blocking += t.blocking.map { b in
                    Timeline.Blocking(
                        primitive: b.primitive, taskID: task(b.taskID), thread: b.thread + threadBase, startNs: b.startNs &+ offset,
                        durationNs: b.durationNs, stack: b.stack >= 0 ? stackMap[Int(b.stack)] : -1)
                }
                merged.blockingDropped += t.blockingDropped
                out.timeline = merged
            }
            var process = part.process
            process.startOffsetNs = offset
            process.durationNs = p.meta.durationNs
            process.complete = p.meta.complete
            process.counters = p.counters
            process.notes = p.meta.notes
            process.jobRuntime = p.jobs?.runtime
            process.buildID = p.meta.mainBuildID
            process.cpuTimeNs = p.meta.targetCPUTimeNs
            out.processes.append(process)
        }
        if let b = blocking.first {
            out.blocking = BlockingSummary(thresholdNs: b.thresholdNs, sites: blocking.flatMap(\.sites).sorted { $0.totalNs > $1.totalNs })
        }
        if !jobs.isEmpty {
            out.jobs = JobSummary(
                longPollThresholdNs: jobs[0].longPollThresholdNs, tasks: jobs.flatMap(\.tasks),
                runtime: combinedRuntime(jobs.map(\.runtime)),
                longPolls: jobs.flatMap(\.longPolls).sorted { $0.durationNs > $1.durationNs })  // longest first, as JobAnalyzer
        }
        // With several processes, each note says whose it is.
        for (k, part) in parts.enumerated() {
            out.meta.notes += part.profile.meta.notes.map { parts.count > 1 ? "\(out.processes[k].label): \($0)" : $0 }
        }
        return out
    }

    /// Sums what adds up; a percentile cannot be merged, so the run's p50 and p99 are those of
    /// the process that ran the most jobs (each process keeps its own in `jobRuntime`).
    static func combinedRuntime(_ all: [RuntimeJobStats]) -> RuntimeJobStats {
        guard let main = all.max(by: { $0.jobs < $1.jobs }) else { return RuntimeJobStats() }
        func combine(_ stats: [DurationStats], _ mainStats: DurationStats) -> DurationStats {
            let count = stats.reduce(0) { $0 + $1.count }
            let mean = count == 0 ? 0 : UInt64(stats.reduce(0.0) { $0 + Double($1.meanNs) * Double($1.count) } / Double(count))
            return DurationStats(
                count: count, meanNs: mean, p50Ns: mainStats.p50Ns, p99Ns: mainStats.p99Ns,
                maxNs: stats.map(\.maxNs).max() ?? 0)
        }
        let workers = all.reduce(0) { $0 + $1.workerThreads }
        let busy = workers == 0 ? 0 : all.reduce(0.0) { $0 + $1.busyFraction * Double($1.workerThreads) } / Double(workers)
        return RuntimeJobStats(
            workerThreads: workers, jobs: all.reduce(0) { $0 + $1.jobs },
            jobsPerSecond: all.reduce(0) { $0 + $1.jobsPerSecond }, busyFraction: busy,
            schedulingDelay: combine(all.map(\.schedulingDelay), main.schedulingDelay),
            actorQueueWait: combine(all.map(\.actorQueueWait), main.actorQueueWait))
    }

    /// Counters that are a maximum or a flag: merged by their maximum, not their sum.
    static let maximumCounters: Set<String> = ["actor.waitNsMax", "clock.maxSkewNs", "clock.tsc"]

    /// The profile of one process of a merged profile, as if it had been recorded alone: its
    /// threads, tasks, samples, long polls and blocking calls (`restricted`), its command line,
    /// build, counters and runtime figures. Frames and stacks stay shared (unused ones cost
    /// nothing). Times start at the process's start (to the bucket).
    public func process(at k: Int) -> Profile {
        guard processes.indices.contains(k) else { return self }
        let pr = processes[k]
        let bucketNs = max(meta.bucketNs, 1)
        let shift = UInt32(clamping: pr.startOffsetNs / bucketNs)
        let offset = UInt64(shift) * bucketNs
        var out = restricted(toProcesses: [k])
        out.processes = []
        var threadMap: [Int32: Int32] = [:]
        out.threads = []
        for (i, t) in threads.enumerated() where Int(t.process) == k {
            threadMap[Int32(i)] = Int32(out.threads.count)
            var t = t
            t.process = 0
            out.threads.append(t)
        }
        out.samples = out.samples.map { s in
            var s = s
            s.thread = threadMap[s.thread] ?? 0
            s.buckets = s.buckets.map { TimeBucket(index: $0.index >= shift ? $0.index - shift : 0, count: $0.count) }
            return s
        }
        if var j = out.jobs {
            j.longPolls = j.longPolls.map {
                var l = $0; l.startNs = l.startNs >= offset ? l.startNs - offset : 0; l.process = 0; return l
            }
            j.runtime = pr.jobRuntime ?? RuntimeJobStats()
            out.jobs = pr.jobRuntime == nil && j.tasks.isEmpty ? nil : j
        }
        if let sites = out.blocking?.sites {
            out.blocking?.sites = sites.map {
                var s = $0; s.process = 0; return s
            }
        }
        out.taskDumps = out.taskDumps.map { d in
            var d = d
            d.timeNs = d.timeNs >= offset ? d.timeNs - offset : 0
            d.process = 0
            d.tasks = d.tasks.map { t in
                var t = t
                t.createdNs = t.createdNs.map { $0 >= offset ? $0 - offset : 0 }
                return t
            }
            return d
        }
        if var t = out.timeline {
            let shiftNs = { (v: UInt64) in v >= offset ? v - offset : 0 }
            t.jobs = t.jobs?.map { j in
                var j = j
                j.thread = threadMap[j.thread] ?? 0
                j.startNs = shiftNs(j.startNs)
                j.endNs = shiftNs(j.endNs)
                j.enqueueNs = j.enqueueNs.map(shiftNs)
                return j
            }
            t.blocking = t.blocking.map { b in
                var b = b
                b.thread = threadMap[b.thread] ?? 0
                b.startNs = shiftNs(b.startNs)
                return b
            }
            out.timeline = t
        }
        out.counters = pr.counters
        out.meta.startTimeNs = meta.startTimeNs &+ offset
        out.meta.durationNs = pr.durationNs
        out.meta.command = pr.command.isEmpty ? meta.command : pr.command
        out.meta.pid = pr.pid
        out.meta.exitDescription = pr.exitDescription
        out.meta.complete = pr.complete
        out.meta.notes = pr.notes
        out.meta.mainBuildID = pr.buildID
        out.meta.targetCPUTimeNs = pr.cpuTimeNs
        return out
    }

    /// Only the samples, tasks, long polls and blocking calls of some processes (`diff --process`,
    /// where a selector may match several: each benchmark of package-benchmark runs in a process
    /// of its own). The process table and threads stay, so indices keep their meaning.
    public func restricted(toProcesses ks: Set<Int>) -> Profile {
        guard !processes.isEmpty else { return self }
        var out = self
        let mine = { (id: UInt64) in ks.contains(TaskInfo.processIndex(id)) }
        out.samples = samples.filter { ks.contains(Int(threads[Int($0.thread)].process)) }
        out.tasks = tasks.filter { mine($0.id) }
        out.jobs?.tasks = (jobs?.tasks ?? []).filter { mine($0.taskID) }
        out.jobs?.longPolls = (jobs?.longPolls ?? []).filter { ks.contains(Int($0.process)) }
        out.blocking?.sites = (blocking?.sites ?? []).filter { ks.contains(Int($0.process)) }
        out.taskDumps = taskDumps.filter { ks.contains(Int($0.process)) }
        let mineThread = { (i: Int32) in self.threads.indices.contains(Int(i)) && ks.contains(Int(self.threads[Int(i)].process)) }
        out.timeline?.jobs = timeline?.jobs?.filter { mineThread($0.thread) }
        out.timeline?.blocking = (timeline?.blocking ?? []).filter { mineThread($0.thread) }
        return out
    }

    /// `--process SEL` of `report` and `diff`: the processes with that pid or `pid.image`, or that
    /// match SEL as `record --process` would have (`ProcessPattern`); none in a profile of one process.
    public func processIndices(matching selector: String) -> [Int] {
        processes.indices.filter { k in
            let p = processes[k]
            return String(p.pid) == selector || "\(p.pid).\(p.image)" == selector || ProcessPattern.matches(selector, p)
        }
    }
}
