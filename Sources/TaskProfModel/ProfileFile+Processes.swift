extension ProfileFile {
    /// PROCESSES (tag 11), written only for a profile of several processes: the process table,
    /// then each thread's process index (the THREADS section predates it).
    static func encodeProcesses(_ p: Profile, into w: inout ByteWriter) {
        w.varint(p.processes.count)
        for pr in p.processes {
            w.signed(Int64(pr.pid)); w.signed(Int64(pr.parentPid)); w.varint(UInt64(pr.image))
            w.string(pr.executable)
            w.varint(pr.command.count); pr.command.forEach { w.string($0) }
            w.string(pr.exitDescription); w.varint(pr.startOffsetNs); w.varint(pr.durationNs); w.bool(pr.complete)
            let counters = pr.counters.sorted { $0.key < $1.key }
            w.varint(counters.count)
            for (k, v) in counters { w.string(k); w.varint(v) }
            w.varint(pr.notes.count); pr.notes.forEach { w.string($0) }
            w.bool(pr.jobRuntime != nil)
            if let rt = pr.jobRuntime { encodeRuntime(rt, into: &w) }
            w.string(pr.buildID); w.varint(pr.cpuTimeNs)
        }
        w.varint(p.threads.count)
        for t in p.threads { w.varint(UInt64(t.process)) }
        // Long polls and blocking sites name a thread by tid, which repeats across processes.
        let polls = p.jobs?.longPolls ?? [], sites = p.blocking?.sites ?? []
        w.varint(polls.count); polls.forEach { w.varint(UInt64($0.process)) }
        w.varint(sites.count); sites.forEach { w.varint(UInt64($0.process)) }
    }

    static func decodeProcesses(_ r: inout ByteReader, into p: inout Profile) throws {
        let n = try r.count()
        for _ in 0..<n {
            var pr = ProfiledProcess(pid: Int32(clamping: try r.signed()))
            pr.parentPid = Int32(clamping: try r.signed())
            pr.image = Int(clamping: try r.varint())
            pr.executable = try r.string()
            let nc = try r.count()
            for _ in 0..<nc { pr.command.append(try r.string()) }
            pr.exitDescription = try r.string(); pr.startOffsetNs = try r.varint(); pr.durationNs = try r.varint()
            pr.complete = try r.bool()
            let nk = try r.count()
            for _ in 0..<nk { let k = try r.string(); pr.counters[k] = try r.varint() }
            let nn = try r.count()
            for _ in 0..<nn { pr.notes.append(try r.string()) }
            if try r.bool() { pr.jobRuntime = try decodeRuntime(&r) }
            pr.buildID = try r.string()
            pr.cpuTimeNs = try r.varint()
            p.processes.append(pr)
        }
        let nt = try r.count()
        guard nt == p.threads.count else {
            throw ProfileFormatError.corrupt("the process table names \(nt) threads, the THREADS section has \(p.threads.count)")
        }
        for i in 0..<nt {
            let index = try r.varint()
            guard index < UInt64(max(n, 1)) else { throw ProfileFormatError.corrupt("thread \(i) refers to process \(index) of \(n)") }
            p.threads[i].process = Int32(index)
        }
        func indices(_ what: String, _ count: Int) throws -> [Int32] {
            let n = try r.count()
            guard n == count else { throw ProfileFormatError.corrupt("the process table names \(n) \(what), the profile has \(count)") }
            return try (0..<n).map { _ in
                let index = try r.varint()
                guard index < UInt64(max(p.processes.count, 1)) else {
                    throw ProfileFormatError.corrupt("a \(what) entry refers to process \(index)")
                }
                return Int32(index)
            }
        }
        for (i, k) in try indices("long polls", p.jobs?.longPolls.count ?? 0).enumerated() { p.jobs?.longPolls[i].process = k }
        for (i, k) in try indices("blocking sites", p.blocking?.sites.count ?? 0).enumerated() { p.blocking?.sites[i].process = k }
    }
}
