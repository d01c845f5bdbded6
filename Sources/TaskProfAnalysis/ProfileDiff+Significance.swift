import Foundation

/// The tests that decide whether a change between two profiles is more than sampling noise.
///
/// A sampling profiler counts; a function's samples out of all samples behave like a binomial
/// draw, and its samples over a stretch of time like a Poisson count. Both tests below are
/// normal approximations with a continuity correction (so they lean towards "not significant"
/// for small counts) and give a two-sided p-value.
public enum DiffSignificance {
    /// Two-proportion z-test: is `newCount / newTotal` different from `baseCount / baseTotal`?
    /// Used when shares of all samples are compared (`--normalize samples`).
    public static func twoProportionPValue(baseCount: UInt64, baseTotal: UInt64, newCount: UInt64, newTotal: UInt64) -> Double {
        guard baseTotal > 0, newTotal > 0 else { return 1 }
        let cb = Double(min(baseCount, baseTotal)), cn = Double(min(newCount, newTotal))
        let nb = Double(baseTotal), nn = Double(newTotal)
        let pb = cb / nb, pn = cn / nn
        let pooled = (cb + cn) / (nb + nn)
        let variance = pooled * (1 - pooled) * (1 / nb + 1 / nn)
        guard variance > 0 else { return pb == pn ? 1 : 0 }
        let corrected = max(0, abs(pn - pb) - 0.5 * (1 / nb + 1 / nn))
        return twoSidedNormalTail(corrected / variance.squareRoot())
    }

    /// Test of two Poisson rates, `baseCount` over `baseExposure` seconds against `newCount`
    /// over `newExposure`: given the sum of both counts, the new count is binomial with
    /// p = newExposure / (baseExposure + newExposure) when the rates are equal.
    /// Used when samples per second are compared (`--normalize time`).
    public static func rateRatioPValue(baseCount: UInt64, baseExposure: Double, newCount: UInt64, newExposure: Double) -> Double {
        guard baseExposure > 0, newExposure > 0 else { return 1 }
        let n = Double(baseCount) + Double(newCount)
        guard n > 0 else { return 1 }
        let q = newExposure / (baseExposure + newExposure)
        let mean = n * q
        let variance = n * q * (1 - q)
        guard variance > 0 else { return 1 }
        let corrected = max(0, abs(Double(newCount) - mean) - 0.5)
        return twoSidedNormalTail(corrected / variance.squareRoot())
    }

    /// P(|Z| ≥ z) for a standard normal Z.
    public static func twoSidedNormalTail(_ z: Double) -> Double {
        guard z.isFinite else { return z.isNaN ? 1 : 0 }
        return min(1, erfc(abs(z) / 2.0.squareRoot()))
    }

    /// The per-test threshold after a Bonferroni correction over `tests` comparisons.
    public static func correctedAlpha(_ alpha: Double, tests: Int) -> Double {
        alpha / Double(max(tests, 1))
    }
}
