import Foundation

/// Where a renderer writes: a file (`path`) or standard output (`-`). Buffered, so renderers
/// can stream line by line without a syscall per line.
public final class OutputSink {
    private let handle: FileHandle?  // nil: in memory (`collected`)
    private let closeAtEnd: Bool
    private var buffer: [UInt8] = []
    private static let flushAt = 1 << 16

    public init(path: String) throws {
        if path == "-" {
            handle = FileHandle.standardOutput
            closeAtEnd = false
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let h = FileHandle(forWritingAtPath: path)
            else {
                throw ReportError.cannotWrite(path)
            }
            handle = h
            closeAtEnd = true
        }
        buffer.reserveCapacity(Self.flushAt)
    }

    private init() {
        handle = nil
        closeAtEnd = false
    }

    /// A sink that keeps what is written, for `Renderer.text`.
    public static func inMemory() -> OutputSink { OutputSink() }

    /// What an in-memory sink was given.
    public var collected: String { String(decoding: buffer, as: UTF8.self) }

    public func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if handle != nil && buffer.count >= Self.flushAt { flush() }
    }

    /// Binary output (a gzip-compressed pprof profile).
    public func write<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if handle != nil && buffer.count >= Self.flushAt { flush() }
    }

    /// What an in-memory sink was given, as bytes.
    public var collectedBytes: [UInt8] { buffer }

    public func flush() {
        guard let handle, !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        if closeAtEnd { try? handle?.close() }
    }
}

public enum ReportError: Error, CustomStringConvertible {
    case cannotWrite(String)
    public var description: String {
        switch self {
        case .cannotWrite(let p): return "cannot write \(p): check that its directory exists and is writable"
        }
    }
}
