import Foundation

enum Format {
    static func ms(_ ns: UInt64) -> String {
        let v = Double(ns) / 1e6
        return v >= 100 ? String(format: "%.0f ms", v) : v >= 1 ? String(format: "%.1f ms", v) : String(format: "%.3f ms", v)
    }

    static func seconds(_ ns: UInt64) -> String { String(format: "%.2f s", Double(ns) / 1e9) }

    static func percent(_ share: Double) -> String { String(format: "%5.1f%%", share * 100) }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    /// Right-aligned, for columns of numbers.
    static func lpad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    static func truncate(_ s: String, _ width: Int) -> String {
        s.count <= width ? s : String(s.prefix(width - 1)) + "…"
    }
}
