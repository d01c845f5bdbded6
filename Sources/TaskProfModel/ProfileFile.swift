import Foundation

/// The `.taskprof` file format (documented in docs/FORMAT.md).
///
/// Layout: the 8-byte magic `TASKPROF`, a fixed32 version, then sections, each
/// `fixed32 tag, fixed64 length, payload`, ending with the END section. Readers skip sections
/// with tags they do not know, so later versions can add sections without breaking old readers.
public enum ProfileFile {
    public static let magic: [UInt8] = Array("TASKPROF".utf8)
    public static let version: UInt32 = 1

    enum Tag: UInt32 {
        case meta = 1, counters = 2, modules = 3, frames = 4, stacks = 5, threads = 6, tasks = 7, samples = 8
        case jobs = 9
        case blocking = 10
        case processes = 11
        case taskDumps = 12
        case timeline = 13
        case addressStacks = 14
        case end = 0xFFFF
    }

    public static func encode(_ p: Profile) -> [UInt8] {
        var out = ByteWriter()
        out.raw(magic)
        out.fixed32(version)
        func section(_ tag: Tag, _ body: (inout ByteWriter) -> Void) {
            var w = ByteWriter()
            body(&w)
            out.fixed32(tag.rawValue)
            out.fixed64(UInt64(w.bytes.count))
            out.raw(w.bytes)
        }
        section(.meta) { w in
            let m = p.meta
            w.varint(m.command.count)
            m.command.forEach { w.string($0) }
            w.varint(m.startTimeNs); w.varint(m.durationNs); w.string(m.host); w.signed(Int64(m.pid))
            w.string(m.engine); w.string(m.engineNote); w.varint(UInt64(m.rateHz)); w.signed(Int64(m.signal))
            w.string(m.exitDescription); w.varint(m.targetCPUTimeNs); w.bool(m.complete); w.bool(m.jobTracking)
            w.string(m.mainBuildID); w.varint(m.bucketNs)
            w.varint(m.notes.count)
            m.notes.forEach { w.string($0) }
        }
        section(.counters) { w in
            let keys = p.counters.keys.sorted()
            w.varint(keys.count)
            for k in keys { w.string(k); w.varint(p.counters[k] ?? 0) }
        }
        section(.modules) { w in
            w.varint(p.modules.count)
            for m in p.modules {
                w.string(m.path); w.string(m.buildID); w.varint(m.bias)
                w.varint(m.executableRanges.count)
                for r in m.executableRanges { w.varint(r.lowerBound); w.varint(r.upperBound - r.lowerBound) }
            }
        }
        section(.frames) { w in
            w.varint(p.frames.count)
            for f in p.frames {
                w.string(f.function); w.string(f.shortName); w.string(f.module)
                w.string(f.file ?? ""); w.varint(UInt64(max(f.line ?? 0, 0)))
                w.u8((f.inlined ? 1 : 0) | (f.isAsync ? 2 : 0))
            }
        }
        section(.stacks) { w in
            w.varint(p.stacks.count)
            for s in p.stacks {
                w.varint(s.count)
                s.forEach { w.varint(UInt64($0)) }
            }
        }
        section(.threads) { w in
            w.varint(p.threads.count)
            for t in p.threads { w.signed(Int64(t.tid)); w.string(t.name); w.string(t.kind.rawValue); w.varint(t.jobsRun) }
        }
        section(.tasks) { w in
            w.varint(p.tasks.count)
            for t in p.tasks { w.varint(t.id); w.bool(t.name != nil); w.string(t.name ?? "") }
        }
        section(.samples) { w in
            w.varint(p.samples.count)
            for s in p.samples {
                w.varint(s.taskID); w.varint(UInt64(s.thread)); w.varint(UInt64(s.stack)); w.varint(UInt64(s.count))
                w.varint(s.buckets.count)
                var last: UInt32 = 0
                for b in s.buckets { w.varint(UInt64(b.index - last)); w.varint(UInt64(b.count)); last = b.index }
            }
        }
        if let j = p.jobs {
            section(.jobs) { w in encodeJobs(j, into: &w) }
        }
        if let b = p.blocking {
            section(.blocking) { w in encodeBlocking(b, into: &w) }
        }
        if !p.processes.isEmpty {
            section(.processes) { w in encodeProcesses(p, into: &w) }
        }
        if !p.taskDumps.isEmpty {
            section(.taskDumps) { w in encodeTaskDumps(p, into: &w) }
        }
        if let t = p.timeline {
            section(.timeline) { w in encodeTimeline(t, into: &w) }
        }
        if let a = p.addressStacks {
            section(.addressStacks) { w in encodeAddressStacks(a, into: &w) }
        }
        section(.end) { _ in }
        return out.bytes
    }

    public static func write(_ p: Profile, to path: String) throws {
        let data = Data(encode(p))
        // Write beside the target and rename, so an interrupted write never leaves half a profile.
        let tmp = path + ".tmp-\(getpid())"
        let written = data.withUnsafeBytes { raw -> Int32 in
            let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd < 0 { return errno }
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { let err = n < 0 ? errno : ENOSPC; close(fd); return err }
                off += n
            }
            return close(fd) == 0 ? 0 : errno
        }
        if written != 0 || rename(tmp, path) != 0 {
            let err = written != 0 ? written : errno
            unlink(tmp)  // never leave half a profile behind
            throw ProfileIOError.cannotWrite(path, String(cString: strerror(err)))
        }
    }

    public static func read(path: String) throws -> Profile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfileIOError.cannotRead(path)
        }
        return try decode([UInt8](data), name: path)
    }

    public static func decode(_ bytes: [UInt8], name: String = "profile") throws -> Profile {
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else { throw ProfileFormatError.notAProfile(name) }
        var head = ByteReader(bytes, from: 8, context: "header")
        let v = try head.fixed32()
        guard v <= version else { throw ProfileFormatError.unsupportedVersion(v) }
        var p = Profile(meta: ProfileMeta(command: []))
        var offset = 12
        var sawEnd = false
        var seen = Set<UInt32>()
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else { throw ProfileFormatError.truncated("section header at byte \(offset)") }
            var h = ByteReader(bytes, from: offset, context: "section header")
            let tag = try h.fixed32()
            let len = try h.fixed64()
            let start = offset + 12
            guard len <= UInt64(bytes.count - start) else {
                throw ProfileFormatError.truncated("section \(tag) needs \(len) bytes, \(bytes.count - start) left")
            }
            let end = start + Int(len)
            let known = Tag(rawValue: tag)
            var r = ByteReader(bytes, from: start, to: end, context: "section \(known.map { "\($0)" } ?? "\(tag)")")
            if let known, known != .end, !seen.insert(tag).inserted {
                throw ProfileFormatError.corrupt("section \(known) appears twice")
            }
            switch known {
            case .meta: p.meta = try decodeMeta(&r)
            case .counters:
                let n = try r.count()
                for _ in 0..<n { let k = try r.string(); p.counters[k] = try r.varint() }
            case .modules:
                let n = try r.count()
                p.modules.reserveCapacity(n)
                for _ in 0..<n {
                    let path = try r.string(), build = try r.string(), bias = try r.varint()
                    let rc = try r.count()
                    var ranges: [Range<UInt64>] = []
                    for _ in 0..<rc {
                        let lo = try r.varint(), size = try r.varint()
                        guard lo <= UInt64.max - size else { throw ProfileFormatError.corrupt("module range overflows") }
                        ranges.append(lo..<(lo + size))
                    }
                    p.modules.append(LoadedModule(path: path, buildID: build, bias: bias, executableRanges: ranges))
                }
            case .frames:
                let n = try r.count()
                p.frames.reserveCapacity(n)
                for _ in 0..<n {
                    let fn = try r.string(), short = try r.string(), module = try r.string()
                    let file = try r.string(), line = try r.varint(), flags = try r.u8()
                    p.frames.append(
                        SymbolizedFrame(
                            function: fn, shortName: short, module: module,
                            file: file.isEmpty ? nil : file, line: line == 0 ? nil : Int(clamping: line),
                            inlined: flags & 1 != 0, isAsync: flags & 2 != 0))
                }
            case .stacks:
                let n = try r.count()
                p.stacks.reserveCapacity(n)
                for _ in 0..<n {
                    let depth = try r.count()
                    var s: [Int32] = []
                    s.reserveCapacity(depth)
                    for _ in 0..<depth { s.append(Int32(try r.count(limit: Int(Int32.max)))) }
                    p.stacks.append(s)
                }
            case .threads:
                let n = try r.count()
                for _ in 0..<n {
                    let tid = Int32(clamping: try r.signed()), name = try r.string()
                    let kind = ThreadKind(rawValue: try r.string()) ?? .other
                    p.threads.append(ThreadInfo(tid: tid, name: name, kind: kind, jobsRun: try r.varint()))
                }
            case .tasks:
                let n = try r.count()
                for _ in 0..<n {
                    let id = try r.varint(), hasName = try r.bool(), name = try r.string()
                    p.tasks.append(TaskInfo(id: id, name: hasName ? name : nil))
                }
            case .samples:
                let n = try r.count()
                p.samples.reserveCapacity(n)
                for _ in 0..<n {
                    let task = try r.varint()
                    let thread = Int32(try r.count(limit: Int(Int32.max)))
                    let stack = Int32(try r.count(limit: Int(Int32.max)))
                    let count = UInt32(try r.count(limit: Int(UInt32.max)))
                    let nb = try r.count()
                    var buckets: [TimeBucket] = []
                    buckets.reserveCapacity(nb)
                    var last: UInt32 = 0
                    for _ in 0..<nb {
                        let d = UInt32(try r.count(limit: Int(UInt32.max)))
                        let c = UInt32(try r.count(limit: Int(UInt32.max)))
                        last = last &+ d
                        buckets.append(TimeBucket(index: last, count: c))
                    }
                    p.samples.append(SampleGroup(taskID: task, thread: thread, stack: stack, count: count, buckets: buckets))
                }
            case .jobs: p.jobs = try decodeJobs(&r)
            case .blocking: p.blocking = try decodeBlocking(&r)
            case .processes:
                guard seen.contains(Tag.threads.rawValue) else { throw ProfileFormatError.corrupt("the PROCESSES section comes before THREADS") }
                try decodeProcesses(&r, into: &p)
            case .taskDumps:
                guard seen.contains(Tag.stacks.rawValue) else { throw ProfileFormatError.corrupt("the TASK_DUMPS section comes before STACKS") }
                try decodeTaskDumps(&r, into: &p)
            case .timeline:
                guard seen.contains(Tag.stacks.rawValue) else { throw ProfileFormatError.corrupt("the TIMELINE section comes before STACKS") }
                try decodeTimeline(&r, into: &p)
            case .addressStacks:
                guard [Tag.frames, .stacks, .threads].allSatisfy({ seen.contains($0.rawValue) }) else {
                    throw ProfileFormatError.corrupt("the ADDRESS_STACKS section comes before FRAMES, STACKS or THREADS")
                }
                try decodeAddressStacks(&r, into: &p)
            case .end: sawEnd = true
            case nil: break  // a newer section: skip
            }
            if sawEnd { break }
            offset = end
        }
        guard sawEnd else { throw ProfileFormatError.truncated("no END section") }
        guard seen.contains(Tag.meta.rawValue) else { throw ProfileFormatError.corrupt("no META section") }
        try validate(p)
        return p
    }

    private static func decodeMeta(_ r: inout ByteReader) throws -> ProfileMeta {
        let n = try r.count()
        var command: [String] = []
        for _ in 0..<n { command.append(try r.string()) }
        var m = ProfileMeta(command: command)
        m.startTimeNs = try r.varint(); m.durationNs = try r.varint(); m.host = try r.string()
        m.pid = Int32(clamping: try r.signed())
        m.engine = try r.string(); m.engineNote = try r.string(); m.rateHz = UInt32(clamping: try r.varint())
        m.signal = Int32(clamping: try r.signed())
        m.exitDescription = try r.string(); m.targetCPUTimeNs = try r.varint(); m.complete = try r.bool()
        m.jobTracking = try r.bool(); m.mainBuildID = try r.string(); m.bucketNs = try r.varint()
        let nn = try r.count()
        for _ in 0..<nn { m.notes.append(try r.string()) }
        return m
    }

    /// Cross-references must point inside their tables: reports index them without checks.
    private static func validate(_ p: Profile) throws {
        for (i, s) in p.stacks.enumerated() where s.contains(where: { $0 < 0 || Int($0) >= p.frames.count }) {
            throw ProfileFormatError.corrupt("stack \(i) refers to a frame that does not exist")
        }
        for s in p.samples {
            guard s.stack >= 0, Int(s.stack) < p.stacks.count else {
                throw ProfileFormatError.corrupt("a sample refers to stack \(s.stack) of \(p.stacks.count)")
            }
            guard s.thread >= 0, Int(s.thread) < p.threads.count else {
                throw ProfileFormatError.corrupt("a sample refers to thread \(s.thread) of \(p.threads.count)")
            }
        }
        for site in p.blocking?.sites ?? [] {
            for s in site.stacks where s.stack < 0 || Int(s.stack) >= p.stacks.count {
                throw ProfileFormatError.corrupt("a blocking call refers to stack \(s.stack) of \(p.stacks.count)")
            }
        }
        for lp in p.jobs?.longPolls ?? [] {
            for s in lp.stacks where s.stack < 0 || Int(s.stack) >= p.stacks.count {
                throw ProfileFormatError.corrupt("a long poll refers to stack \(s.stack) of \(p.stacks.count)")
            }
        }
    }
}

public enum ProfileIOError: Error, CustomStringConvertible {
    case cannotRead(String)
    case cannotWrite(String, String)
    public var description: String {
        switch self {
        case .cannotRead(let path): return "cannot read \(path): no such file or not readable"
        case .cannotWrite(let path, let why): return "cannot write the profile \(path): \(why)"
        }
    }
}
