/// Reads what `ByteWriter` wrote, checking every length against the bytes that are left, so a
/// corrupt or truncated file ends in a `ProfileFormatError`, never a crash.
public struct ByteReader {
    private let bytes: [UInt8]
    public private(set) var offset: Int
    private let end: Int
    /// Names the section in errors.
    public var context: String

    public init(_ bytes: [UInt8], from: Int = 0, to: Int? = nil, context: String = "file") {
        self.bytes = bytes
        self.offset = from
        self.end = min(to ?? bytes.count, bytes.count)
        self.context = context
    }

    public var remaining: Int { end - offset }
    public var atEnd: Bool { offset >= end }

    private func corrupt(_ what: String) -> ProfileFormatError {
        .corrupt("\(context): \(what) at byte \(offset)")
    }

    public mutating func u8() throws -> UInt8 {
        guard offset < end else { throw corrupt("unexpected end") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func fixed32() throws -> UInt32 {
        guard remaining >= 4 else { throw corrupt("unexpected end") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return v
    }

    public mutating func fixed64() throws -> UInt64 {
        guard remaining >= 8 else { throw corrupt("unexpected end") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return v
    }

    public mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw corrupt("unexpected end in a number") }
            let b = bytes[offset]
            offset += 1
            guard shift < 64 else { throw corrupt("number too long") }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A count or index that must fit `limit` (what is left of the input bounds every count).
    public mutating func count(limit: Int? = nil) throws -> Int {
        let v = try varint()
        let cap = UInt64(limit ?? remaining)
        guard v <= cap else { throw corrupt("count \(v) exceeds \(cap)") }
        return Int(v)
    }

    public mutating func signed() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    public mutating func string() throws -> String {
        let n = try count()
        defer { offset += n }
        return String(decoding: bytes[offset..<offset + n], as: UTF8.self)
    }

    public mutating func bool() throws -> Bool { try u8() != 0 }

    public mutating func double() throws -> Double { Double(bitPattern: try fixed64()) }

    public mutating func skip(_ n: Int) throws {
        guard n <= remaining else { throw corrupt("unexpected end") }
        offset += n
    }
}
