import TaskProfModel

extension Profile {
    /// Folded stacks for a scope and grouping: (frames root first, samples), merged and sorted.
    /// Frame names are the readable short names, with `;` and line breaks replaced so the
    /// FlameGraph folded format stays unambiguous.
    public func foldedStacks(scope: Scope = .all, groupBy: GroupBy = .task) -> [(frames: [String], count: UInt64)] {
        let names = taskNames
        let kinds = groupBy == .taskKind ? TaskKinds(self).labels : [:]
        let frameNames = frames.map { Self.foldedName($0.shortName) }
        var merged: [[String]: UInt64] = [:]
        for s in samples where scope.matches(s, in: self, names: names) {
            var line: [String] = []
            if let root = rootLabel(for: s, groupBy: groupBy, names: names, kinds: kinds) { line.append(Self.foldedName(root)) }
            line.append(contentsOf: stacks[Int(s.stack)].map { frameNames[Int($0)] })
            merged[line, default: 0] += UInt64(s.count)
        }
        return merged.map { ($0.key, $0.value) }.sorted { $0.frames.lexicographicallyPrecedes($1.frames) }
    }

    /// A frame or root name made safe for the folded format: no `;`, no line breaks, not empty.
    public static func foldedName(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case ";": out.append(",")
            case "\n", "\r", "\t": out.append(" ")
            default: out.append(ch)
            }
        }
        return out.isEmpty ? "?" : out
    }
}
