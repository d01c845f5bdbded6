import TaskProfModel

/// Table-driven `Symbolizer` so analysis and report tests can use fixed names without
/// compiling and reading real binaries.
public struct FakeSymbolizer: Symbolizer, Sendable {
    public var table: [UInt64: [SymbolizedFrame]]
    /// Module name used for addresses missing from `table`.
    public var unknownModule: String

    public init(_ table: [UInt64: [SymbolizedFrame]], unknownModule: String = "?") {
        self.table = table
        self.unknownModule = unknownModule
    }

    /// Looks up `address` exactly, ignoring `isReturnAddress`: test tables are keyed by
    /// the addresses the test put in its samples, not by adjusted call sites.
    public func symbolize(address: UInt64, isReturnAddress: Bool) -> [SymbolizedFrame] {
        if let frames = table[address], !frames.isEmpty { return frames }
        let name = "0x" + String(address, radix: 16)
        return [SymbolizedFrame(function: name, shortName: name, module: unknownModule)]
    }
}
