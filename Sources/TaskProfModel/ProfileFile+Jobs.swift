extension ProfileFile {
    static func encodeStats(_ s: DurationStats, into w: inout ByteWriter) {
        w.varint(s.count); w.varint(s.meanNs); w.varint(s.p50Ns); w.varint(s.p99Ns); w.varint(s.maxNs)
    }

    static func decodeStats(_ r: inout ByteReader) throws -> DurationStats {
        DurationStats(count: try r.varint(), meanNs: try r.varint(), p50Ns: try r.varint(), p99Ns: try r.varint(), maxNs: try r.varint())
    }

    /// The runtime figures inside JOBS, and per process in PROCESSES.
    static func encodeRuntime(_ rt: RuntimeJobStats, into w: inout ByteWriter) {
        w.varint(UInt64(rt.workerThreads)); w.varint(rt.jobs); w.double(rt.jobsPerSecond); w.double(rt.busyFraction)
        encodeStats(rt.schedulingDelay, into: &w); encodeStats(rt.actorQueueWait, into: &w)
    }

    static func decodeRuntime(_ r: inout ByteReader) throws -> RuntimeJobStats {
        RuntimeJobStats(
            workerThreads: UInt32(clamping: try r.varint()), jobs: try r.varint(), jobsPerSecond: try r.double(),
            busyFraction: try r.double(), schedulingDelay: try decodeStats(&r), actorQueueWait: try decodeStats(&r))
    }

    static func encodeJobs(_ j: JobSummary, into w: inout ByteWriter) {
        w.varint(j.longPollThresholdNs)
        w.varint(UInt64(j.runtime.workerThreads)); w.varint(j.runtime.jobs); w.double(j.runtime.jobsPerSecond)
        w.double(j.runtime.busyFraction); encodeStats(j.runtime.schedulingDelay, into: &w)
        w.varint(j.tasks.count)
        for t in j.tasks {
            w.varint(t.taskID); encodeStats(t.pollTime, into: &w); encodeStats(t.schedulingDelay, into: &w)
            w.varint(t.busyNs); w.varint(t.longPolls)
        }
        w.varint(j.longPolls.count)
        for l in j.longPolls {
            w.varint(l.taskID); w.signed(Int64(l.thread)); w.varint(l.startNs); w.varint(l.durationNs)
            w.varint(l.stacks.count)
            for s in l.stacks { w.varint(UInt64(s.stack)); w.varint(UInt64(s.count)) }
        }
        // Added after version 1 shipped: readers of older files find the section ending here.
        encodeStats(j.runtime.actorQueueWait, into: &w)
    }

    static func decodeJobs(_ r: inout ByteReader) throws -> JobSummary {
        let threshold = try r.varint()
        var rt = RuntimeJobStats()
        rt.workerThreads = UInt32(clamping: try r.varint()); rt.jobs = try r.varint(); rt.jobsPerSecond = try r.double()
        rt.busyFraction = try r.double(); rt.schedulingDelay = try decodeStats(&r)
        let nt = try r.count()
        var tasks: [TaskJobStats] = []
        for _ in 0..<nt {
            tasks.append(
                TaskJobStats(
                    taskID: try r.varint(), pollTime: try decodeStats(&r), schedulingDelay: try decodeStats(&r),
                    busyNs: try r.varint(), longPolls: try r.varint()))
        }
        let nl = try r.count()
        var polls: [LongPoll] = []
        for _ in 0..<nl {
            let task = try r.varint(), thread = Int32(clamping: try r.signed()), start = try r.varint(), dur = try r.varint()
            let ns = try r.count()
            var stacks: [StackCount] = []
            for _ in 0..<ns {
                stacks.append(StackCount(stack: Int32(try r.count(limit: Int(Int32.max))), count: UInt32(try r.count(limit: Int(UInt32.max)))))
            }
            polls.append(LongPoll(taskID: task, thread: thread, startNs: start, durationNs: dur, stacks: stacks))
        }
        if !r.atEnd { rt.actorQueueWait = try decodeStats(&r) }
        return JobSummary(longPollThresholdNs: threshold, tasks: tasks, runtime: rt, longPolls: polls)
    }
}
