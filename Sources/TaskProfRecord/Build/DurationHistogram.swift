import TaskProfModel

/// The agent's log-linear duration histogram (`tp_handler_bucket` in tp_raw_format.h): exact
/// below 4 ns, then four buckets per power of two. Percentiles read from it are bucket
/// midpoints, accurate to about ±12 %.
public struct DurationHistogram {
    public private(set) var buckets: [Int: UInt64] = [:]
    public private(set) var count: UInt64 = 0

    public init() {}

    public mutating func add(_ other: [Int: UInt64]) {
        for (b, n) in other {
            buckets[b, default: 0] += n
            count += n
        }
    }

    public static func lowerBound(_ bucket: Int) -> UInt64 {
        if bucket < 4 { return UInt64(bucket) }
        let b = bucket / 4, s = bucket % 4
        return (1 << UInt64(b)) + UInt64(s) << UInt64(b - 2)
    }

    public static func midpoint(_ bucket: Int) -> UInt64 {
        bucket < 4 ? UInt64(bucket) : lowerBound(bucket) + (1 << UInt64(bucket / 4 - 2)) / 2
    }

    /// Nearest-rank percentile, 0 < q ≤ 1.
    public func percentile(_ q: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = UInt64((q * Double(count)).rounded(.up))
        var seen: UInt64 = 0
        for b in buckets.keys.sorted() {
            seen += buckets[b]!
            if seen >= rank { return Self.midpoint(b) }
        }
        return 0
    }

    public var estimatedSum: Double { buckets.reduce(0.0) { $0 + Double(Self.midpoint($1.key)) * Double($1.value) } }

    /// Stats with exact count, mean (when the exact sum is known) and max.
    public func stats(exactSum: UInt64? = nil, max: UInt64) -> DurationStats {
        guard count > 0 else { return DurationStats() }
        let mean = exactSum.map { Double($0) } ?? estimatedSum
        return DurationStats(
            count: count, meanNs: UInt64(mean / Double(count)),
            p50Ns: Swift.min(percentile(0.5), max), p99Ns: Swift.min(percentile(0.99), max), maxNs: max)
    }
}
