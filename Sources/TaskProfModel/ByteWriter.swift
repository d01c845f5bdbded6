/// Appends the primitive encodings of the `.taskprof` format: LEB128 varints, zigzag for signed
/// values, length-prefixed UTF-8 strings, little-endian fixed-width integers.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func fixed32(_ v: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    public mutating func fixed64(_ v: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func varint(_ v: Int) { varint(UInt64(v)) }

    public mutating func signed(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        varint(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    public mutating func bool(_ b: Bool) { u8(b ? 1 : 0) }

    public mutating func double(_ d: Double) { fixed64(d.bitPattern) }

    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
}
