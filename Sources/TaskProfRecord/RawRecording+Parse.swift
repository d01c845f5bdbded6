import Foundation
import TaskProfModel

extension RawRecording {
    static let headerMagic: [UInt8] = [0x54, 0x50, 0x52, 0x41, 0x57, 0, 0, 1]   // "TPRAW\0\0\1"
    static let counterNames = [
        "samples", "dropped.ringFull", "dropped.noThread", "unwind.framesCFI", "unwind.framesFP", "stacks.truncated",
        "threads", "threads.unsampled", "events.dropped", "taskNames.dropped", "handler.nsTotal", "jobs",
        "blockingCalls", "async.chains", "async.bad", "async.truncated", "unwind.signalFrames",
        "dropped.blocked", "actor.jobs", "actor.waitNsTotal", "actor.waitNsMax",
        "longPoll.captures", "unwind.broken", "async.fromR14", "unwind.cfiRows", "unwind.cfiBytes", "unwind.cfiMissing",
        "stream.reopened", "stream.lostBytes", "sampling.rearmed",
    ]

    /// The process and start time of a stream, from its header alone.
    public static func readHeader(path: String) throws -> (pid: Int32, startMonotonicNs: UInt64) {
        guard let h = FileHandle(forReadingAtPath: path) else { throw RawStreamError.cannotRead(path) }
        defer { try? h.close() }
        let b = [UInt8](h.readData(ofLength: 64))
        guard b.count == 64, Array(b[0..<8]) == headerMagic else { throw RawStreamError.notARawStream(path) }
        return b.withUnsafeBytes { raw in
            (Int32(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
             raw.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
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
        let headerSize = stream.count >= 16 ? Int(stream.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self) }) : 0
        guard headerSize >= 192, headerSize <= stream.count,
              let tail = try? Self.parse(Array(stream[0..<headerSize]) + end, name: "end file"),
              !tail.counters.isEmpty else { return }
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
            guard raw.count >= 64, Array(raw[0..<8]) == headerMagic else { throw RawStreamError.notARawStream(name) }
            let version = u32(8)
            guard version == 1 else { throw RawStreamError.unsupportedVersion(name, version) }
            let headerSize = Int(u32(12))
            guard headerSize >= 192, headerSize <= raw.count else { throw RawStreamError.notARawStream(name) }
            rec.pid = Int32(truncatingIfNeeded: u64(16))
            rec.startRealtimeNs = u64(24)
            rec.startMonotonicNs = u64(32)
            rec.endMonotonicNs = rec.startMonotonicNs
            let engine = u32(40)
            rec.engine = engine == 1 ? "perf" : engine == 2 ? "timer" : "none"
            rec.rateHz = u32(44)
            rec.signal = Int32(bitPattern: u32(48))
            rec.jobTracking = u32(52) & 1 != 0
            rec.engineNote = text(64, 128)

            var o = headerSize
            var lastType: UInt16 = 0
            while o + 8 <= raw.count {
                let type = u16(o), flags = u16(o + 2), size = Int(u32(o + 4))
                guard size >= 8, o + size <= raw.count else { break }
                lastType = type
                switch type {
                case 1 where size >= 32:   // SAMPLE
                    let n = Int(u16(o + 28))
                    guard 32 + n * 8 <= size else { break }
                    let t = u64(o + 8)
                    rec.samples.append(Sample(timeNs: t, taskID: u64(o + 16), tid: Int32(bitPattern: u32(o + 24)),
                                              flags: flags, frameStart: rec.frames.count, frameCount: n))
                    for i in 0..<n { rec.frames.append(u64(o + 32 + i * 8)) }
                    rec.endMonotonicNs = max(rec.endMonotonicNs, t)
                case 2 where size >= 48, 3 where size >= 48:   // THREAD, THREAD_END
                    let tid = Int32(bitPattern: u32(o + 16))
                    var th = rec.threads[tid] ?? Thread(tid: tid, name: "", kind: 0, jobsRun: 0, ended: false)
                    if rec.threads[tid] == nil { rec.threadOrder.append(tid) }
                    let name = text(o + 32, 16)
                    if !name.isEmpty { th.name = name }
                    th.kind = max(th.kind, u32(o + 20))
                    th.jobsRun = max(th.jobsRun, u64(o + 24))
                    if type == 3 { th.ended = true }
                    rec.threads[tid] = th
                case 4 where size >= 16:   // TASK_NAME
                    rec.taskNames[u64(o + 8)] = String(decoding: raw[(o + 16)..<(o + size)], as: UTF8.self)
                case 5 where size >= 24:   // MODULE
                    let bias = u64(o + 8)
                    let nr = Int(u16(o + 16)), pl = Int(u16(o + 18)), bl = Int(u16(o + 20))
                    guard 24 + nr * 16 + pl + bl <= size else { break }
                    var ranges: [Range<UInt64>] = []
                    for i in 0..<nr {
                        let lo = u64(o + 24 + i * 16), hi = u64(o + 32 + i * 16)
                        if lo < hi { ranges.append(lo..<hi) }
                    }
                    let p = o + 24 + nr * 16
                    let path = String(decoding: raw[p..<(p + pl)], as: UTF8.self)
                    let build = raw[(p + pl)..<(p + pl + bl)].map { String(format: "%02x", $0) }.joined()
                    rec.modules.append(LoadedModule(path: path, buildID: build, bias: bias, executableRanges: ranges))
                case 6 where size >= 8 + 8 + counterNames.count * 8 + 128 * 8:   // COUNTERS (cumulative: last wins)
                    for (i, key) in counterNames.enumerated() { rec.counters[key] = u64(o + 16 + i * 8) }
                    let h = o + 16 + counterNames.count * 8
                    rec.handlerHistogram = (0..<128).map { u64(h + $0 * 8) }
                    if size >= 16 + counterNames.count * 8 + 256 * 8 {
                        rec.asyncHistogram = (0..<128).map { u64(h + 128 * 8 + $0 * 8) }
                    }
                    if size >= 16 + counterNames.count * 8 + 384 * 8 {
                        rec.actorWaitHistogram = (0..<128).map { u64(h + 256 * 8 + $0 * 8) }
                    }
                    if size >= 16 + counterNames.count * 8 + 387 * 8 {
                        rec.counters["clock.tsc"] = u64(h + 384 * 8)
                        rec.counters["clock.maxSkewNs"] = u64(h + 385 * 8)
                        rec.counters["clock.resyncs"] = u64(h + 386 * 8)
                    }
                    rec.endMonotonicNs = max(rec.endMonotonicNs, u64(o + 8))
                case 7 where size >= 16:   // END
                    rec.complete = true
                    rec.endMonotonicNs = max(rec.endMonotonicNs, u64(o + 8))
                case 8 where size >= 48:   // JOB
                    let j = Job(taskID: u64(o + 8), enqueueNs: u64(o + 16), startNs: u64(o + 24), endNs: u64(o + 32),
                                tid: Int32(bitPattern: u32(o + 40)), isEventLoopTick: flags & 1 != 0)
                    rec.jobs.append(j)
                    rec.endMonotonicNs = max(rec.endMonotonicNs, j.endNs)
                case 10 where size >= 80:   // JOB_AGG
                    let np = Int(u16(o + 74)), nd = Int(u16(o + 76))
                    guard 80 + (np + nd) * 4 <= size else { break }
                    func hist(_ first: Int, _ n: Int) -> [Int: UInt64] {
                        var h: [Int: UInt64] = [:]
                        for i in 0..<n {
                            let v = u32(o + 80 + (first + i) * 4)
                            h[Int(v >> 24), default: 0] += UInt64(v & 0xFFFFFF)
                        }
                        return h
                    }
                    let tid = Int32(bitPattern: u32(o + 56))
                    let key = JobAggregateKey(tid: tid, slot: u16(o + 72), gen: u32(o + 68))
                    rec.jobAggregates[key] = JobAggregate(
                        taskID: u64(o + 8), tid: tid, polls: UInt64(u32(o + 60)), busyNs: u64(o + 16),
                        maxPollNs: u64(o + 24), delays: UInt64(u32(o + 64)), maxDelayNs: u64(o + 32),
                        pollHistogram: hist(0, np), delayHistogram: hist(np, nd))
                    rec.endMonotonicNs = max(rec.endMonotonicNs, u64(o + 48))
                case 11 where size >= 40:   // BLOCKING
                    let n = Int(u16(o + 38))
                    guard 40 + n * 8 <= size else { break }
                    rec.blockingCalls.append(BlockingCall(startNs: u64(o + 8), durationNs: u64(o + 16), taskID: u64(o + 24),
                                                          tid: Int32(bitPattern: u32(o + 32)), primitive: u16(o + 36),
                                                          frameStart: rec.frames.count, frameCount: n))
                    for i in 0..<n { rec.frames.append(u64(o + 40 + i * 8)) }
                case 9:   // NOTE
                    rec.notes.append(String(decoding: raw[(o + 8)..<(o + size)], as: UTF8.self))
                case 13 where size >= 16:   // PROCESS: parent pid, executable, command line
                    let exeLen = Int(u16(o + 12)), cmdLen = Int(u16(o + 14))
                    guard 16 + exeLen + cmdLen <= size else { break }
                    rec.parentPid = Int32(bitPattern: u32(o + 8))
                    rec.executable = String(decoding: raw[(o + 16)..<(o + 16 + exeLen)], as: UTF8.self)
                    var args = raw[(o + 16 + exeLen)..<(o + 16 + exeLen + cmdLen)].split(separator: 0, omittingEmptySubsequences: false)
                    if args.last?.isEmpty == true { args.removeLast() }
                    rec.commandLine = args.map { String(decoding: $0, as: UTF8.self) }
                case 12:   // EXEC: what follows (if the exec failed) is still this image
                    rec.execPath = String(decoding: raw[(o + 8)..<(o + size)], as: UTF8.self)
                default:
                    break   // unknown or short record: skip it whole
                }
                o += size
            }
            rec.trailingBytes = raw.count - o
            // An image that ends by exec'ing another program ended cleanly; the exec failed when
            // more records follow, and then the EXEC record says nothing about the end.
            if lastType == 12 { rec.complete = true } else { rec.execPath = nil }
        }
        return rec
    }
}
