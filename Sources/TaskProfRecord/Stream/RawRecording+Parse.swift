import CTaskProfFormat
import Foundation
import TaskProfModel

/// Where a field of one of the agent's records sits (tp_raw_format.h, imported through the
/// CTaskProfFormat target): the reader takes every offset and size from the C structs.
private func at<T>(_ field: PartialKeyPath<T>) -> Int { MemoryLayout<T>.offset(of: field)! }
private func sizeOf<T>(_: T.Type) -> Int { MemoryLayout<T>.size }

extension RawRecording {
    /// "TPRAW\0\0\1": TP_RAW_MAGIC, whose NULs Swift keeps in the imported string.
    static let headerMagic: [UInt8] = Array(TP_RAW_MAGIC.utf8.prefix(8))
    /// The counters' names, by their index in the agent's COUNTERS record (tp_counter_name).
    static let counterNames: [String] = (0..<TP_CTR_COUNT.rawValue).map { i in
        tp_counter_name(tp_counter(rawValue: i)).map { String(cString: $0) } ?? "counter.\(i)"
    }
    /// The process and start time of a stream, from its header alone.
    public static func readHeader(path: String) throws -> (pid: Int32, startMonotonicNs: UInt64) {
        guard let h = FileHandle(forReadingAtPath: path) else { throw RawStreamError.cannotRead(path) }
        defer { try? h.close() }
        let b = [UInt8](h.readData(ofLength: 64))
        guard b.count == 64, Array(b[0..<8]) == headerMagic else { throw RawStreamError.notARawStream(path) }
        return b.withUnsafeBytes { raw in
            (
                Int32(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: at(\tp_raw_header.pid), as: UInt64.self)),
                raw.loadUnaligned(fromByteOffset: at(\tp_raw_header.start_monotonic_ns), as: UInt64.self)
            )
        }
    }

    public static func read(path: String) throws -> RawRecording {
        guard let data = FileManager.default.contents(atPath: path) else { throw RawStreamError.cannotRead(path) }
        let bytes = [UInt8](data)
        var rec = try parse(bytes, name: path)
        if let end = FileManager.default.contents(atPath: path + ".end") { rec.applyEndFile([UInt8](end), header: bytes) }
        return rec
    }

    /// The agent's `<stream>.end` side file (written in place at exit, so a full disk cannot
    /// take it): its COUNTERS are the stream's last, its END says the agent flushed at exit.
    mutating func applyEndFile(_ end: [UInt8], header stream: [UInt8]) {
        let sizeField = at(\tp_raw_header.header_size)
        let headerSize = stream.count >= 16 ? Int(stream.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: sizeField, as: UInt32.self) }) : 0
        guard headerSize >= sizeOf(tp_raw_header.self), headerSize <= stream.count,
            let tail = try? Self.parse(Array(stream[0..<headerSize]) + end, name: "end file"),
            !tail.counters.isEmpty
        else { return }
        counters = tail.counters
        handlerHistogram = tail.handlerHistogram
        asyncHistogram = tail.asyncHistogram
        actorWaitHistogram = tail.actorWaitHistogram
        if tail.complete && execPath == nil { complete = true }
        endMonotonicNs = max(endMonotonicNs, tail.endMonotonicNs)
    }

    /// Parses a stream; a cut-off tail is tolerated (counted in `trailingBytes`).
    public static func parse(_ b: [UInt8], name: String) throws -> RawRecording {
        var rec = RawRecording()
        try b.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            func u16(_ o: Int) -> UInt16 { raw.loadUnaligned(fromByteOffset: o, as: UInt16.self) }
            func u32(_ o: Int) -> UInt32 { raw.loadUnaligned(fromByteOffset: o, as: UInt32.self) }
            func u64(_ o: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: o, as: UInt64.self) }
            func text(_ o: Int, _ n: Int) -> String {
                let slice = raw[o..<(o + n)]
                let len = slice.firstIndex(of: 0).map { $0 - o } ?? n
                return String(decoding: raw[o..<(o + len)], as: UTF8.self)
            }
            typealias H = tp_raw_header
            guard raw.count >= 64, Array(raw[0..<8]) == headerMagic else { throw RawStreamError.notARawStream(name) }
            let version = u32(at(\H.version))
            guard version == UInt32(TP_RAW_VERSION) else { throw RawStreamError.unsupportedVersion(name, version) }
            let headerSize = Int(u32(at(\H.header_size)))
            guard headerSize >= sizeOf(H.self), headerSize <= raw.count else { throw RawStreamError.notARawStream(name) }
            rec.pid = Int32(truncatingIfNeeded: u64(at(\H.pid)))
            rec.startRealtimeNs = u64(at(\H.start_realtime_ns))
            rec.startMonotonicNs = u64(at(\H.start_monotonic_ns))
            rec.endMonotonicNs = rec.startMonotonicNs
            let engine = u32(at(\H.engine))
            rec.engine = engine == TP_ENGINE_PERF.rawValue ? "perf" : engine == TP_ENGINE_TIMER.rawValue ? "timer" : "none"
            rec.rateHz = u32(at(\H.rate_hz))
            rec.signal = Int32(bitPattern: u32(at(\H.signal)))
            rec.jobTracking = u32(at(\H.flags)) & UInt32(TP_RAW_FLAG_JOB_TRACKING) != 0
            rec.engineNote = text(at(\H.engine_note), MemoryLayout.size(ofValue: H().engine_note))

            var o = headerSize
            var lastType: UInt32 = 0
            let hdr = sizeOf(tp_record_header.self)
            while o + hdr <= raw.count {
                let type = UInt32(u16(o + at(\tp_record_header.type))), flags = u16(o + at(\tp_record_header.flags))
                let size = Int(u32(o + at(\tp_record_header.size)))
                guard size >= hdr, o + size <= raw.count else { break }
                lastType = type
                switch type {
                case TP_REC_SAMPLE.rawValue where size >= sizeOf(tp_rec_sample.self):
                    typealias R = tp_rec_sample
                    let n = Int(u16(o + at(\R.nframes))), first = o + sizeOf(R.self)
                    guard sizeOf(R.self) + n * 8 <= size else { break }
                    let t = u64(o + at(\R.time_ns))
                    rec.samples.append(
                        Sample(
                            timeNs: t, taskID: u64(o + at(\R.task_id)), tid: Int32(bitPattern: u32(o + at(\R.tid))),
                            flags: flags, frameStart: rec.frames.count, frameCount: n))
                    for i in 0..<n { rec.frames.append(u64(first + i * 8)) }
                    rec.endMonotonicNs = max(rec.endMonotonicNs, t)
                case TP_REC_THREAD.rawValue where size >= sizeOf(tp_rec_thread.self),
                    TP_REC_THREAD_END.rawValue where size >= sizeOf(tp_rec_thread.self):
                    typealias R = tp_rec_thread
                    let tid = Int32(bitPattern: u32(o + at(\R.tid)))
                    var th = rec.threads[tid] ?? Thread(tid: tid, name: "", kind: 0, jobsRun: 0, ended: false)
                    if rec.threads[tid] == nil { rec.threadOrder.append(tid) }
                    let name = text(o + at(\R.name), MemoryLayout.size(ofValue: R().name))
                    if !name.isEmpty { th.name = name }
                    th.kind = max(th.kind, u32(o + at(\R.kind)))
                    th.jobsRun = max(th.jobsRun, u64(o + at(\R.jobs_run)))
                    if type == TP_REC_THREAD_END.rawValue { th.ended = true }
                    rec.threads[tid] = th
                case TP_REC_TASK_NAME.rawValue where size >= sizeOf(tp_rec_task_name.self):
                    typealias R = tp_rec_task_name
                    rec.taskNames[u64(o + at(\R.task_id))] = String(decoding: raw[(o + sizeOf(R.self))..<(o + size)], as: UTF8.self)
                case TP_REC_MODULE.rawValue where size >= sizeOf(tp_rec_module.self):
                    typealias R = tp_rec_module
                    let bias = u64(o + at(\R.bias))
                    let nr = Int(u16(o + at(\R.nranges))), pl = Int(u16(o + at(\R.path_len))), bl = Int(u16(o + at(\R.build_id_len)))
                    let first = o + sizeOf(R.self)
                    guard sizeOf(R.self) + nr * 16 + pl + bl <= size else { break }
                    var ranges: [Range<UInt64>] = []
                    for i in 0..<nr {
                        let lo = u64(first + i * 16), hi = u64(first + i * 16 + 8)
                        if lo < hi { ranges.append(lo..<hi) }
                    }
                    let p = first + nr * 16
                    let path = String(decoding: raw[p..<(p + pl)], as: UTF8.self)
                    let build = raw[(p + pl)..<(p + pl + bl)].map { String(format: "%02x", $0) }.joined()
                    rec.modules.append(LoadedModule(path: path, buildID: build, bias: bias, executableRanges: ranges))
                case TP_REC_COUNTERS.rawValue where size >= sizeOf(tp_rec_counters.self):  // cumulative: the last wins
                    typealias R = tp_rec_counters
                    for (i, key) in counterNames.enumerated() { rec.counters[key] = u64(o + at(\R.values) + i * 8) }
                    let buckets = Int(TP_HANDLER_BUCKETS)
                    rec.handlerHistogram = (0..<buckets).map { u64(o + at(\R.handler_ns_hist) + $0 * 8) }
                    rec.asyncHistogram = (0..<buckets).map { u64(o + at(\R.async_ns_hist) + $0 * 8) }
                    rec.actorWaitHistogram = (0..<buckets).map { u64(o + at(\R.actor_wait_hist) + $0 * 8) }
                    rec.counters["clock.tsc"] = u64(o + at(\R.clock_tsc))
                    rec.counters["clock.maxSkewNs"] = u64(o + at(\R.clock_max_skew_ns))
                    rec.counters["clock.resyncs"] = u64(o + at(\R.clock_resyncs))
                    rec.endMonotonicNs = max(rec.endMonotonicNs, u64(o + at(\R.time_ns)))
                case TP_REC_END.rawValue where size >= sizeOf(tp_rec_end.self):
                    rec.complete = true
                    rec.endMonotonicNs = max(rec.endMonotonicNs, u64(o + at(\tp_rec_end.time_ns)))
                case TP_REC_JOB.rawValue where size >= sizeOf(tp_rec_job.self):
                    typealias R = tp_rec_job
                    let j = Job(
                        taskID: u64(o + at(\R.task_id)), enqueueNs: u64(o + at(\R.enqueue_ns)), startNs: u64(o + at(\R.start_ns)),
                        endNs: u64(o + at(\R.end_ns)), tid: Int32(bitPattern: u32(o + at(\R.tid))),
                        isEventLoopTick: UInt32(flags) & UInt32(TP_JOB_FLAG_EVENT_LOOP_TICK) != 0)
                    rec.jobs.append(j)
                    rec.endMonotonicNs = max(rec.endMonotonicNs, j.endNs)
                case TP_REC_JOB_AGG.rawValue where size >= sizeOf(tp_rec_job_agg.self):
                    typealias R = tp_rec_job_agg
                    let np = Int(u16(o + at(\R.npoll))), nd = Int(u16(o + at(\R.ndelay))), first = o + sizeOf(R.self)
                    guard sizeOf(R.self) + (np + nd) * 4 <= size else { break }
                    func hist(_ from: Int, _ n: Int) -> [Int: UInt64] {
                        var h: [Int: UInt64] = [:]
                        for i in 0..<n {
                            let v = u32(first + (from + i) * 4)  // bucket << 24 | count
                            h[Int(v >> 24), default: 0] += UInt64(v & 0xFFFFFF)
                        }
                        return h
                    }
                    let tid = Int32(bitPattern: u32(o + at(\R.tid)))
                    let key = JobAggregateKey(tid: tid, slot: u16(o + at(\R.slot)), gen: u32(o + at(\R.gen)))
                    rec.jobAggregates[key] = JobAggregate(
                        taskID: u64(o + at(\R.task_id)), tid: tid, polls: UInt64(u32(o + at(\R.polls))), busyNs: u64(o + at(\R.busy_ns)),
                        maxPollNs: u64(o + at(\R.max_poll_ns)), delays: UInt64(u32(o + at(\R.delays))), maxDelayNs: u64(o + at(\R.max_delay_ns)),
                        pollHistogram: hist(0, np), delayHistogram: hist(np, nd))
                    rec.endMonotonicNs = max(rec.endMonotonicNs, u64(o + at(\R.last_end_ns)))
                case TP_REC_BLOCKING.rawValue where size >= sizeOf(tp_rec_blocking.self):
                    typealias R = tp_rec_blocking
                    let n = Int(u16(o + at(\R.nframes))), first = o + sizeOf(R.self)
                    guard sizeOf(R.self) + n * 8 <= size else { break }
                    rec.blockingCalls.append(
                        BlockingCall(
                            startNs: u64(o + at(\R.start_ns)), durationNs: u64(o + at(\R.duration_ns)),
                            taskID: u64(o + at(\R.task_id)), tid: Int32(bitPattern: u32(o + at(\R.tid))),
                            primitive: u16(o + at(\R.primitive)), frameStart: rec.frames.count, frameCount: n))
                    for i in 0..<n { rec.frames.append(u64(first + i * 8)) }
                case TP_REC_NOTE.rawValue:
                    rec.notes.append(String(decoding: raw[(o + hdr)..<(o + size)], as: UTF8.self))
                case TP_REC_PROCESS.rawValue where size >= sizeOf(tp_rec_process.self):  // parent pid, executable, command line
                    typealias R = tp_rec_process
                    let exeLen = Int(u16(o + at(\R.exe_len))), cmdLen = Int(u16(o + at(\R.cmdline_len))), first = o + sizeOf(R.self)
                    guard sizeOf(R.self) + exeLen + cmdLen <= size else { break }
                    rec.parentPid = Int32(bitPattern: u32(o + at(\R.ppid)))
                    rec.executable = String(decoding: raw[first..<(first + exeLen)], as: UTF8.self)
                    var args = raw[(first + exeLen)..<(first + exeLen + cmdLen)].split(separator: 0, omittingEmptySubsequences: false)
                    if args.last?.isEmpty == true { args.removeLast() }
                    rec.commandLine = args.map { String(decoding: $0, as: UTF8.self) }
                case TP_REC_TASK_DUMP.rawValue where size >= sizeOf(tp_rec_task_dump.self):
                    typealias R = tp_rec_task_dump
                    let noteAt = o + at(\R.note)
                    let noteBytes = raw[noteAt..<(o + sizeOf(R.self))].prefix { $0 != 0 }  // the note is the last field
                    rec.taskDumps.append(
                        TaskDump(
                            timeNs: u64(o + at(\R.time_ns)), reason: u32(o + at(\R.reason)), sequence: u32(o + at(\R.sequence)),
                            unreadable: u32(o + at(\R.unreadable)), note: String(decoding: noteBytes, as: UTF8.self)))
                case TP_REC_LIVE_TASK.rawValue where size >= sizeOf(tp_rec_live_task.self):
                    typealias R = tp_rec_live_task
                    let n = Int(u16(o + at(\R.nframes))), first = o + sizeOf(R.self)
                    guard sizeOf(R.self) + n * 8 <= size else { break }
                    // A task without its dump's record (a stream cut at the wrong byte) still counts.
                    if rec.taskDumps.isEmpty {
                        rec.taskDumps.append(TaskDump(timeNs: rec.endMonotonicNs, reason: TP_DUMP_END.rawValue, sequence: 0, unreadable: 0, note: ""))
                    }
                    rec.taskDumps[rec.taskDumps.count - 1].tasks.append(
                        LiveTask(
                            taskID: u64(o + at(\R.task_id)), parentID: u64(o + at(\R.parent_id)), createdNs: u64(o + at(\R.created_ns)),
                            sinceNs: u64(o + at(\R.since_ns)), waitingOnID: u64(o + at(\R.waiting_on_id)),
                            createdAt: (0..<Int(TP_CREATED_AT_FRAMES)).map { u64(o + at(\R.created_at) + $0 * 8) },
                            tid: Int32(bitPattern: u32(o + at(\R.tid))),
                            state: raw[o + at(\R.state)], kind: raw[o + at(\R.kind)], wait: raw[o + at(\R.wait)],
                            flags: raw[o + at(\R.flags)], frameStart: rec.frames.count, frameCount: n))
                    for i in 0..<n { rec.frames.append(u64(first + i * 8)) }
                case TP_REC_EXEC.rawValue:  // what follows (if the exec failed) is still this image
                    rec.execPath = String(decoding: raw[(o + hdr)..<(o + size)], as: UTF8.self)
                default:
                    // A type this reader does not know, or a record too short for its type: skipped
                    // whole, and counted (RawFormatTests sends every type of the header through here).
                    rec.skippedRecords += 1
                }
                o += size
            }
            rec.trailingBytes = raw.count - o
            // An image that ends by exec'ing another program ended cleanly; the exec failed when
            // more records follow, and then the EXEC record says nothing about the end.
            if lastType == TP_REC_EXEC.rawValue { rec.complete = true } else { rec.execPath = nil }
        }
        return rec
    }
}
