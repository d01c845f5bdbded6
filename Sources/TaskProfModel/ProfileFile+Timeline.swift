extension ProfileFile {
    /// TIMELINE: bool hasJobs, then the jobs; the blocking calls (docs/FORMAT.md).
    static func encodeTimeline(_ t: Timeline, into w: inout ByteWriter) {
        w.bool(t.jobs != nil)
        if let jobs = t.jobs {
            w.varint(jobs.count)
            var last: UInt64 = 0
            for j in jobs {
                w.varint(j.taskID); w.varint(UInt64(max(j.thread, 0)))
                w.signed(Int64(bitPattern: j.startNs &- last))
                w.varint(j.endNs &- j.startNs)
                w.varint(j.enqueueNs.map { j.startNs >= $0 ? j.startNs - $0 + 1 : 0 } ?? 0)
                last = j.startNs
            }
        }
        w.varint(t.blocking.count)
        for b in t.blocking {
            w.string(b.primitive); w.varint(b.taskID); w.varint(UInt64(max(b.thread, 0))); w.varint(b.startNs); w.varint(b.durationNs)
            w.signed(Int64(b.stack))
        }
        w.varint(t.blockingDropped)
    }

    static func decodeTimeline(_ r: inout ByteReader, into p: inout Profile) throws {
        var t = Timeline()
        if try r.bool() {
            let n = try r.count()
            var jobs: [Timeline.Job] = []
            jobs.reserveCapacity(n)
            var last: UInt64 = 0
            for _ in 0..<n {
                let task = try r.varint(), thread = Int32(try r.count(limit: Int(Int32.max)))
                let start = last &+ UInt64(bitPattern: try r.signed()), length = try r.varint(), wait = try r.varint()
                guard thread < p.threads.count || p.threads.isEmpty else { throw ProfileFormatError.corrupt("a timeline job names thread \(thread)") }
                jobs.append(
                    Timeline.Job(
                        taskID: task, thread: thread, enqueueNs: wait == 0 ? nil : start &- (wait - 1), startNs: start, endNs: start &+ length))
                last = start
            }
            t.jobs = jobs
        }
        let nb = try r.count()
        for _ in 0..<nb {
            let primitive = try r.string(), task = try r.varint(), thread = Int32(try r.count(limit: Int(Int32.max)))
            let start = try r.varint(), duration = try r.varint(), stack = Int32(clamping: try r.signed())
            guard stack >= -1, stack < p.stacks.count else { throw ProfileFormatError.corrupt("a blocking call refers to stack \(stack)") }
            t.blocking.append(
                Timeline.Blocking(primitive: primitive, taskID: task, thread: thread, startNs: start, durationNs: duration, stack: stack))
        }
        t.blockingDropped = try r.varint()
        p.timeline = t
    }
}
