import TaskProfModel

/// Summarizes job tracking: poll time and scheduling delay per task from the agent's
/// aggregates, runtime load, and long polls (from the jobs the agent wrote one by one) with the
/// stacks sampled on their thread while they ran.
struct JobAnalyzer {
    let thresholdNs: UInt64

    func summarize(raw: RawRecording, threads: [ThreadInfo], sampleStacks: (Int) -> Int32) -> JobSummary {
        struct PerTask {
            var polls = DurationHistogram(), delays = DurationHistogram()
            var busy: UInt64 = 0, maxPoll: UInt64 = 0, maxDelay: UInt64 = 0
        }
        var perTask: [UInt64: PerTask] = [:]
        var allDelays = DurationHistogram()
        var maxDelay: UInt64 = 0
        var poolBusy: UInt64 = 0
        var jobs: UInt64 = 0
        let poolTids = Set(threads.filter { $0.kind == .swiftPool }.map(\.tid))
        for a in raw.jobAggregates.values {
            var t = perTask[a.taskID] ?? PerTask()
            t.polls.add(a.pollHistogram)
            t.delays.add(a.delayHistogram)
            t.busy = t.busy.addingSaturated(a.busyNs)
            t.maxPoll = max(t.maxPoll, a.maxPollNs)
            t.maxDelay = max(t.maxDelay, a.maxDelayNs)
            perTask[a.taskID] = t
            allDelays.add(a.delayHistogram)
            maxDelay = max(maxDelay, a.maxDelayNs)
            jobs += a.polls
            if poolTids.contains(a.tid) { poolBusy = poolBusy.addingSaturated(a.busyNs) }
        }

        // Samples per thread in time order, to find those that fell inside a long poll.
        var byThread: [Int32: [(time: UInt64, index: Int)]] = [:]
        for (i, s) in raw.samples.enumerated() { byThread[s.tid, default: []].append((s.timeNs, i)) }
        for k in byThread.keys { byThread[k]!.sort { $0.time < $1.time } }

        var longPolls: [LongPoll] = []
        var longPerTask: [UInt64: UInt64] = [:]
        for j in raw.jobs where j.endNs >= j.startNs && j.endNs - j.startNs > thresholdNs {
            var counts: [Int32: UInt32] = [:]
            if let list = byThread[j.tid] {
                var lo = 0, hi = list.count
                while lo < hi { let mid = (lo + hi) / 2; if list[mid].time < j.startNs { lo = mid + 1 } else { hi = mid } }
                var k = lo
                while k < list.count && list[k].time <= j.endNs {
                    let s = raw.samples[list[k].index]
                    if j.isEventLoopTick || s.taskID == j.taskID {
                        // A captured stack is listed with count 0: it is not CPU time.
                        counts[sampleStacks(list[k].index), default: 0] += s.flags & RawRecording.captureFlag == 0 ? 1 : 0
                    }
                    k += 1
                }
            }
            let stacks = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                .map { StackCount(stack: $0.key, count: $0.value) }
            longPolls.append(
                LongPoll(
                    taskID: j.taskID, thread: j.tid, startNs: j.startNs &- raw.startMonotonicNs,
                    durationNs: j.endNs - j.startNs, stacks: stacks))
            if !j.isEventLoopTick { longPerTask[j.taskID, default: 0] += 1 }
        }
        longPolls.sort { $0.durationNs > $1.durationNs }

        let taskStats = perTask.keys.sorted().map { id -> TaskJobStats in
            let t = perTask[id]!
            return TaskJobStats(
                taskID: id, pollTime: t.polls.stats(exactSum: t.busy, max: t.maxPoll),
                schedulingDelay: t.delays.stats(max: t.maxDelay),
                busyNs: t.busy, longPolls: longPerTask[id] ?? 0)
        }
        let duration = max(raw.endMonotonicNs &- raw.startMonotonicNs, 1)
        let workers = UInt32(poolTids.count)
        let runtime = RuntimeJobStats(
            workerThreads: workers, jobs: jobs,
            jobsPerSecond: Double(jobs) / (Double(duration) / 1e9),
            busyFraction: workers == 0 ? 0 : Double(poolBusy) / (Double(workers) * Double(duration)),
            schedulingDelay: allDelays.stats(max: maxDelay),
            actorQueueWait: actorQueueWait(raw))
        return JobSummary(longPollThresholdNs: thresholdNs, tasks: taskStats, runtime: runtime, longPolls: longPolls)
    }

    private func actorQueueWait(_ raw: RawRecording) -> DurationStats {
        var h = DurationHistogram()
        h.add(Dictionary(uniqueKeysWithValues: raw.actorWaitHistogram.enumerated().filter { $0.element > 0 }.map { ($0.offset, $0.element) }))
        return h.stats(exactSum: raw.counters["actor.waitNsTotal"], max: raw.counters["actor.waitNsMax"] ?? 0)
    }
}
