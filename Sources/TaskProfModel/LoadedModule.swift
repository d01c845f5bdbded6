/// One ELF object mapped into the profiled process, as the agent saw it.
///
/// Addresses in samples are runtime addresses; `bias` is the load bias (`dlpi_addr`), so
/// `address - bias` is the address in the file's own vaddr space, the one DWARF uses.
public struct LoadedModule: Sendable, Hashable, Codable {
    /// Absolute path of the file (`[vdso]` style names for objects with no file).
    public var path: String
    /// GNU build-id in lower-case hex, empty when the object has none.
    public var buildID: String
    /// Load bias: runtime address minus file vaddr.
    public var bias: UInt64
    /// Runtime address ranges of the executable segments, half-open.
    public var executableRanges: [Range<UInt64>]

    public init(path: String, buildID: String, bias: UInt64, executableRanges: [Range<UInt64>]) {
        self.path = path
        self.buildID = buildID
        self.bias = bias
        self.executableRanges = executableRanges
    }

    /// The file name alone, used where a frame has no symbol (`libfoo.so+0x1234`).
    public var fileName: String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    public func contains(_ address: UInt64) -> Bool {
        executableRanges.contains { $0.contains(address) }
    }
}
