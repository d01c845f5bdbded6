import ArgumentParser
import Foundation

/// `--stuck`: a duration, in seconds unless it says ms, s or min ("1.5", "500ms", "2min").
struct StuckDuration: ExpressibleByArgument {
    var nanoseconds: UInt64

    init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 1e6), ("min", 60e9), ("m", 60e9), ("s", 1e9)]
        var text = argument.trimmingCharacters(in: .whitespaces).lowercased(), scale = 1e9
        for (suffix, s) in units where text.hasSuffix(suffix) {
            text = String(text.dropLast(suffix.count))
            scale = s
            break
        }
        guard let value = Double(text), value.isFinite, value >= 0, value * scale < 1e18 else { return nil }
        nanoseconds = UInt64(value * scale)
    }

    var defaultValueDescription: String { nanoseconds % 1_000_000_000 == 0 ? "\(nanoseconds / 1_000_000_000)s" : "\(nanoseconds / 1_000_000)ms" }
}
