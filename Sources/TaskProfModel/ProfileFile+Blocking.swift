extension ProfileFile {
    static func encodeBlocking(_ b: BlockingSummary, into w: inout ByteWriter) {
        w.varint(b.thresholdNs)
        w.varint(b.sites.count)
        for s in b.sites {
            w.string(s.primitive); w.string(s.function); w.string(s.file ?? ""); w.varint(UInt64(max(s.line ?? 0, 0)))
            w.varint(s.count); w.varint(s.totalNs); w.varint(s.maxNs)
            w.varint(s.taskIDs.count); s.taskIDs.forEach { w.varint($0) }
            w.varint(s.threads.count); s.threads.forEach { w.signed(Int64($0)) }
            w.varint(s.stacks.count)
            for st in s.stacks { w.varint(UInt64(st.stack)); w.varint(UInt64(st.count)); w.varint(st.totalNs) }
            w.string(s.advice)
        }
    }

    static func decodeBlocking(_ r: inout ByteReader) throws -> BlockingSummary {
        let threshold = try r.varint()
        let n = try r.count()
        var sites: [BlockingSite] = []
        for _ in 0..<n {
            let primitive = try r.string(), function = try r.string(), file = try r.string(), line = try r.varint()
            let count = try r.varint(), total = try r.varint(), maxNs = try r.varint()
            let nt = try r.count()
            var tasks: [UInt64] = []
            for _ in 0..<nt { tasks.append(try r.varint()) }
            let nth = try r.count()
            var threads: [Int32] = []
            for _ in 0..<nth { threads.append(Int32(clamping: try r.signed())) }
            let ns = try r.count()
            var stacks: [StackWeight] = []
            for _ in 0..<ns {
                stacks.append(
                    StackWeight(
                        stack: Int32(try r.count(limit: Int(Int32.max))),
                        count: UInt32(try r.count(limit: Int(UInt32.max))), totalNs: try r.varint()))
            }
            sites.append(
                BlockingSite(
                    primitive: primitive, function: function, file: file.isEmpty ? nil : file,
                    line: line == 0 ? nil : Int(clamping: line), count: count, totalNs: total, maxNs: maxNs,
                    taskIDs: tasks, threads: threads, stacks: stacks, advice: try r.string()))
        }
        return BlockingSummary(thresholdNs: threshold, sites: sites)
    }
}
