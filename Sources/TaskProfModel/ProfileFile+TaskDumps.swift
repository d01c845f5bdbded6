extension ProfileFile {
    /// TASK_DUMPS: the stuck threshold, then each dump and its live tasks (docs/FORMAT.md).
    static func encodeTaskDumps(_ p: Profile, into w: inout ByteWriter) {
        w.varint(p.stuckThresholdNs)
        w.varint(p.taskDumps.count)
        for d in p.taskDumps {
            w.string(d.reason.rawValue); w.varint(d.timeNs); w.varint(UInt64(max(d.process, 0))); w.varint(UInt64(d.unreadable))
            w.string(d.note ?? "")
            w.varint(d.tasks.count)
            for t in d.tasks {
                w.varint(t.id); w.varint(t.parent ?? 0); w.string(t.kind.rawValue); w.string(t.state.rawValue)
                w.varint(t.forNs.map { $0 &+ 1 } ?? 0); w.signed(Int64(t.tid ?? 0)); w.bool(t.cancelled)
                w.varint(t.createdNs.map { $0 &+ 1 } ?? 0); w.signed(Int64(t.createdAt)); w.signed(Int64(t.awaitStack))
                w.u8(t.wait.rawValue); w.varint(t.waitingOnTask ?? 0)
            }
        }
    }

    static func decodeTaskDumps(_ r: inout ByteReader, into p: inout Profile) throws {
        p.stuckThresholdNs = try r.varint()
        let n = try r.count()
        for _ in 0..<n {
            guard let reason = TaskDump.Reason(rawValue: try r.string()) else { throw ProfileFormatError.corrupt("unknown task dump reason") }
            let time = try r.varint(), process = Int32(try r.count(limit: Int(Int32.max)))
            let unreadable = UInt32(try r.count(limit: Int(UInt32.max))), note = try r.string()
            let nt = try r.count()
            var tasks: [LiveTask] = []
            for _ in 0..<nt {
                let id = try r.varint(), parent = try r.varint()
                let kind = LiveTask.Kind(rawValue: try r.string()) ?? .unknown
                guard let state = LiveTask.State(rawValue: try r.string()) else { throw ProfileFormatError.corrupt("unknown task state") }
                let forNs = try r.varint(), tid = Int32(clamping: try r.signed()), cancelled = try r.bool()
                let created = try r.varint(), createdAt = Int32(clamping: try r.signed()), awaitStack = Int32(clamping: try r.signed())
                let wait = LiveTask.RuntimeWait(rawValue: try r.u8()) ?? .unknown, on = try r.varint()
                for s in [createdAt, awaitStack] where s >= p.stacks.count || s < -1 {
                    throw ProfileFormatError.corrupt("a live task refers to stack \(s) of \(p.stacks.count)")
                }
                tasks.append(
                    LiveTask(
                        id: id, parent: parent == 0 ? nil : parent, kind: kind, state: state, forNs: forNs == 0 ? nil : forNs - 1,
                        tid: tid == 0 ? nil : tid, cancelled: cancelled, createdNs: created == 0 ? nil : created - 1,
                        createdAt: createdAt, awaitStack: awaitStack, wait: wait, waitingOnTask: on == 0 ? nil : on))
            }
            p.taskDumps.append(
                TaskDump(reason: reason, timeNs: time, process: process, unreadable: unreadable, note: note.isEmpty ? nil : note, tasks: tasks))
        }
    }
}
