/// One frame of a symbolized stack. An address can expand to several frames when the
/// compiler inlined functions into it; each inlined function is its own frame.
public struct SymbolizedFrame: Sendable, Hashable, Codable {
    /// Full, demangled name (`Demo.level2(Swift.Int) async -> Swift.Int`), or the raw symbol
    /// for non-Swift code, or `module+0xoffset` when nothing is known.
    public var function: String
    /// Readable short form shown in flame graphs (`level2(_:)`).
    public var shortName: String
    /// File name of the module that holds the code (`libswiftCore.so`, `MyBench`).
    public var module: String
    /// Source file and line, when DWARF line info exists.
    public var file: String?
    public var line: Int?
    /// True when this frame was inlined into its caller (the next frame towards the root).
    public var inlined: Bool
    /// True for frames recovered from the async context chain (logical frames).
    public var isAsync: Bool

    public init(
        function: String, shortName: String, module: String, file: String? = nil,
        line: Int? = nil, inlined: Bool = false, isAsync: Bool = false
    ) {
        self.function = function
        self.shortName = shortName
        self.module = module
        self.file = file
        self.line = line
        self.inlined = inlined
        self.isAsync = isAsync
    }
}
