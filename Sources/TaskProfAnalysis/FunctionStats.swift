import TaskProfModel

/// Self and total samples of one function (frames with the same full name and module).
public struct FunctionStat: Sendable, Equatable {
    public var name: String
    public var shortName: String
    public var module: String
    public var file: String?
    public var line: Int?
    public var selfSamples: UInt64
    public var totalSamples: UInt64
}

extension Profile {
    /// Functions by self samples (then total), within a scope. A function that appears twice in
    /// one stack (recursion) counts once towards total.
    public func functionStats(scope: Scope = .all) -> [FunctionStat] {
        struct Key: Hashable { var name: String; var module: String }
        let names = taskNames
        var selfCount: [Key: UInt64] = [:]
        var totalCount: [Key: UInt64] = [:]
        var where_: [Key: (String, String?, Int?)] = [:]
        var stackWeight = [UInt64](repeating: 0, count: stacks.count)
        for s in samples where scope.matches(s, in: self, names: names) { stackWeight[Int(s.stack)] += UInt64(s.count) }
        for (i, w) in stackWeight.enumerated() where w > 0 {
            let stack = stacks[i]
            var seen = Set<Key>()
            for (depth, f) in stack.enumerated() {
                let frame = frames[Int(f)]
                let key = Key(name: frame.function, module: frame.module)
                if where_[key] == nil || (where_[key]!.1 == nil && frame.file != nil) {
                    where_[key] = (frame.shortName, frame.file, frame.line)
                }
                if seen.insert(key).inserted { totalCount[key, default: 0] += w }
                if depth == stack.count - 1 { selfCount[key, default: 0] += w }
            }
        }
        return totalCount.map { key, total in
            let w = where_[key]!
            return FunctionStat(
                name: key.name, shortName: w.0, module: key.module, file: w.1, line: w.2,
                selfSamples: selfCount[key] ?? 0, totalSamples: total)
        }.sorted { ($0.selfSamples, $0.totalSamples, $1.name) > ($1.selfSamples, $1.totalSamples, $0.name) }
    }
}
