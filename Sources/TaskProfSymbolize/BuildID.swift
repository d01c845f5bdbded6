import CTaskProfSupport

/// GNU build-id of the ELF file at `path` as lower-case hex; "" when the file cannot be
/// read or carries no build-id note. Used to tell whether a file on disk is still the one
/// that was mapped when the profile was recorded.
public func readBuildID(path: String) -> String {
    // Build-ids are 20 bytes (SHA-1) in practice; 64 leaves room for unusual linkers.
    var bytes = [UInt8](repeating: 0, count: 64)
    let length = bytes.withUnsafeMutableBufferPointer { buffer in
        tp_read_build_id(path, buffer.baseAddress, buffer.count)
    }
    guard length > 0 else { return "" }
    let digits: [Character] = Array("0123456789abcdef")
    var hex = ""
    hex.reserveCapacity(Int(length) * 2)
    for byte in bytes.prefix(min(Int(length), bytes.count)) {
        hex.append(digits[Int(byte >> 4)])
        hex.append(digits[Int(byte & 0x0f)])
    }
    return hex
}
