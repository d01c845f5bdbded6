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

    /// A name as the terminal should show it: control characters (a newline in a task's name, an
    /// escape sequence in a thread's) written out as `\n`, `\u{1B}`, so they neither break the
    /// layout nor drive the terminal.
    static func safe(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(u): out += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    private static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029
    }

    static func truncate(_ s: String, _ width: Int) -> String {
        let s = safe(s)
        return s.count <= width ? s : String(s.prefix(width - 1)) + "…"
    }
}
