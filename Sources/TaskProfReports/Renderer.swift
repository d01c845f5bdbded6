/// One output format of a profile or of a diff. A renderer holds what it shows and its options
/// and writes the whole output to a sink; `text` gives the output as a string (the terminal,
/// tests). One type per format:
///
/// | output | profile | diff |
/// |---|---|---|
/// | folded stacks | `FoldedRenderer` | `DiffFoldedRenderer` |
/// | JSON | `JSONSummary` | `DiffJSON` |
/// | terminal | `TerminalSummary` | `DiffTable` |
/// | HTML page | `HTMLReport` | `DiffHTMLReport` |
public protocol Renderer {
    func render(to sink: OutputSink) throws
}

extension Renderer {
    /// The whole output as a string.
    public var text: String {
        let sink = OutputSink.inMemory()
        try? render(to: sink)
        return sink.collected
    }

    /// Writes the output to `path` ('-' for standard output).
    public func write(to path: String) throws {
        let sink = try OutputSink(path: path)
        defer { sink.close() }
        try render(to: sink)
    }
}
