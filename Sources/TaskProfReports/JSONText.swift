/// JSON string literals, escaped so they are also safe inside an HTML `<script>` element: `"`,
/// `\`, control characters, `/`, `<`, `>`, `&`, DEL and the JavaScript line separators become
/// escapes. One escaper for the report page's data (JSONBytes) and the trace export.
public enum JSONText {
    /// `s` as a quoted JSON string.
    public static func quoted(_ s: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func appendQuoted(_ s: String, to bytes: inout [UInt8]) {
        func unicodeEscape(_ v: UInt16) {
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [
                0x5C, UInt8(ascii: "u"), hex[Int(v >> 12) & 15], hex[Int(v >> 8) & 15],
                hex[Int(v >> 4) & 15], hex[Int(v) & 15],
            ])
        }
        bytes.append(UInt8(ascii: "\""))
        for u in s.unicodeScalars {
            switch u {
            case "\"": bytes.append(contentsOf: [0x5C, 0x22])
            case "\\": bytes.append(contentsOf: [0x5C, 0x5C])
            case "\n": bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case "\r": bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case "\t": bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case "/": bytes.append(contentsOf: [0x5C, 0x2F])
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                unicodeEscape(UInt16(u.value))
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    unicodeEscape(UInt16(u.value))
                } else if u.value < 0x80 {
                    bytes.append(UInt8(u.value))
                } else {
                    UTF8.encode(u) { bytes.append($0) }
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
