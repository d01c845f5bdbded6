import Foundation
import TaskProfModel

/// Converts sample counts to percentages and tests their change.
struct DiffNormalizer {
    var mode: DiffNormalization
    var baseTotal: UInt64
    var newTotal: UInt64
    var baseSeconds: Double
    var newSeconds: Double

    /// Time mode: samples per second relative to this rate (the base's, or the new one's when
    /// the base has no samples in scope).
    private var referenceRate: Double {
        if baseTotal > 0, baseSeconds > 0 { return Double(baseTotal) / baseSeconds }
        if newSeconds > 0 { return Double(newTotal) / newSeconds }
        return 0
    }

    func basePercent(_ c: UInt64) -> Double { percent(c, total: baseTotal, seconds: baseSeconds) }

    func newPercent(_ c: UInt64) -> Double { percent(c, total: newTotal, seconds: newSeconds) }

    /// `c` samples of one side: a share of its samples, or of the reference rate over its run.
    private func percent(_ c: UInt64, total: UInt64, seconds: Double) -> Double {
        switch mode {
        case .samples: return total > 0 ? Double(c) / Double(total) * 100 : 0
        case .time:
            let r = referenceRate
            return r > 0 && seconds > 0 ? Double(c) / seconds / r * 100 : 0
        }
    }

    func pValue(_ cb: UInt64, _ cn: UInt64) -> Double {
        switch mode {
        case .samples: return DiffSignificance.twoProportionPValue(baseCount: cb, baseTotal: baseTotal, newCount: cn, newTotal: newTotal)
        case .time: return DiffSignificance.rateRatioPValue(baseCount: cb, baseExposure: baseSeconds, newCount: cn, newExposure: newSeconds)
        }
    }

    func value(_ cb: UInt64, _ cn: UInt64, alpha: Double, minChange: Double) -> DiffValue {
        let b = basePercent(cb), n = newPercent(cn)
        let p = pValue(cb, cn)
        let significant = p < alpha
        return DiffValue(
            baseCount: cb, newCount: cn, base: b, new: n, pValue: p, significant: significant,
            flagged: significant && abs(n - b) >= minChange)
    }
}
