extension ProfileFile {
    /// ADDRESS_STACKS: the locations, the address stacks, the CPU samples and the blocking calls
    /// by address stack (docs/FORMAT.md).
    static func encodeAddressStacks(_ a: AddressStacks, into w: inout ByteWriter) {
        w.varint(a.locations.count)
        for l in a.locations {
            w.varint(l.address)
            w.varint(l.frames.count)
            for f in l.frames { w.varint(UInt64(max(f, 0))) }
        }
        w.varint(a.stacks.count)
        for s in a.stacks {
            w.varint(s.count)
            for l in s { w.varint(UInt64(max(l, 0))) }
        }
        w.varint(a.samples.count)
        for s in a.samples {
            w.varint(s.taskID); w.varint(UInt64(max(s.thread, 0))); w.varint(UInt64(max(s.stack, 0))); w.varint(UInt64(s.count))
        }
        w.varint(a.blocking.count)
        for b in a.blocking {
            w.varint(UInt64(max(b.site, 0))); w.varint(UInt64(max(b.stack, 0))); w.varint(UInt64(b.count)); w.varint(b.totalNs)
        }
    }

    /// Every index is checked against its table here: the export follows them without checks.
    static func decodeAddressStacks(_ r: inout ByteReader, into p: inout Profile) throws {
        var a = AddressStacks()
        let nl = try r.count()
        a.locations.reserveCapacity(nl)
        for _ in 0..<nl {
            let address = try r.varint()
            let nf = try r.count()
            var frames: [Int32] = []
            for _ in 0..<nf {
                let f = try r.count(limit: Int(Int32.max))
                guard f < p.frames.count else { throw ProfileFormatError.corrupt("an address location refers to frame \(f) of \(p.frames.count)") }
                frames.append(Int32(f))
            }
            a.locations.append(AddressStacks.Location(address: address, frames: frames))
        }
        let ns = try r.count()
        a.stacks.reserveCapacity(ns)
        for _ in 0..<ns {
            let n = try r.count()
            var s: [Int32] = []
            for _ in 0..<n {
                let l = try r.count(limit: Int(Int32.max))
                guard l < nl else { throw ProfileFormatError.corrupt("an address stack refers to location \(l) of \(nl)") }
                s.append(Int32(l))
            }
            a.stacks.append(s)
        }
        let nsamples = try r.count()
        for _ in 0..<nsamples {
            let task = try r.varint(), thread = try r.count(limit: Int(Int32.max)), stack = try r.count(limit: Int(Int32.max))
            let count = UInt32(try r.count(limit: Int(UInt32.max)))
            guard stack < ns, thread < max(p.threads.count, 1) else {
                throw ProfileFormatError.corrupt("an address sample refers to stack \(stack) of \(ns), thread \(thread) of \(p.threads.count)")
            }
            a.samples.append(AddressStacks.Sample(taskID: task, thread: Int32(thread), stack: Int32(stack), count: count))
        }
        let nb = try r.count()
        let sites = p.blocking?.sites.count ?? 0
        for _ in 0..<nb {
            let site = try r.count(limit: Int(Int32.max)), stack = try r.count(limit: Int(Int32.max))
            let count = UInt32(try r.count(limit: Int(UInt32.max))), total = try r.varint()
            guard site < sites, stack < ns else {
                throw ProfileFormatError.corrupt("an address-level blocking call refers to site \(site) of \(sites), stack \(stack) of \(ns)")
            }
            a.blocking.append(AddressStacks.Blocking(site: Int32(site), stack: Int32(stack), count: count, totalNs: total))
        }
        p.addressStacks = a
    }
}
