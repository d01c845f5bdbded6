import TaskProfModel

/// Summarizes the agent's JOB events: poll time and scheduling delay per task, runtime load,
/// and long polls with the stacks sampled on their thread while they ran.
struct JobAnalyzer {
    let thresholdNs: UInt64

    func summarize(raw: RawRecording, threads: [ThreadInfo], sampleStacks: (Int) -> Int32) -> JobSummary {
        var polls: [UInt64: [UInt64]] = [:]
        var delays: [UInt64: [UInt64]] = [:]
        var allDelays: [UInt64] = []
        var busy: [UInt64: UInt64] = [:]
        var poolBusy: UInt64 = 0
        let poolTids = Set(threads.filter { $0.kind == .swiftPool }.map(\.tid))
        for j in raw.jobs where j.endNs >= j.startNs {
            let d = j.endNs - j.startNs
            polls[j.taskID, default: []].append(d)
            busy[j.taskID, default: 0] += d
            if poolTids.contains(j.tid) { poolBusy += d }
            if j.enqueueNs != 0 && j.startNs >= j.enqueueNs {
                delays[j.taskID, default: []].append(j.startNs - j.enqueueNs)
                allDelays.append(j.startNs - j.enqueueNs)
            }
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
                    if raw.samples[list[k].index].taskID == j.taskID { counts[sampleStacks(list[k].index), default: 0] += 1 }
                    k += 1
                }
            }
            let stacks = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                .map { StackCount(stack: $0.key, count: $0.value) }
            longPolls.append(LongPoll(taskID: j.taskID, thread: j.tid, startNs: j.startNs &- raw.startMonotonicNs,
                                      durationNs: j.endNs - j.startNs, stacks: stacks))
            longPerTask[j.taskID, default: 0] += 1
        }
        longPolls.sort { $0.durationNs > $1.durationNs }

        let taskStats = polls.keys.sorted().map { id in
            TaskJobStats(taskID: id, pollTime: DurationStats(values: polls[id] ?? []),
                         schedulingDelay: DurationStats(values: delays[id] ?? []),
                         busyNs: busy[id] ?? 0, longPolls: longPerTask[id] ?? 0)
        }
        let duration = max(raw.endMonotonicNs &- raw.startMonotonicNs, 1)
        let workers = UInt32(poolTids.count)
        let runtime = RuntimeJobStats(
            workerThreads: workers, jobs: UInt64(raw.jobs.count),
            jobsPerSecond: Double(raw.jobs.count) / (Double(duration) / 1e9),
            busyFraction: workers == 0 ? 0 : Double(poolBusy) / (Double(workers) * Double(duration)),
            schedulingDelay: DurationStats(values: allDelays))
        return JobSummary(longPollThresholdNs: thresholdNs, tasks: taskStats, runtime: runtime, longPolls: longPolls)
    }
}
