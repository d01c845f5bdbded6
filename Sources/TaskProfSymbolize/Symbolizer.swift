import TaskProfModel

/// Turns runtime code addresses from samples into named source frames.
///
/// Implementations are queried once per distinct address and expected to cache, since a
/// profile repeats the same few thousand addresses millions of times.
public protocol Symbolizer {
    /// Frames for one runtime address: the innermost inlined function FIRST, the real
    /// (outermost, out-of-line) function LAST. Never empty.
    ///
    /// `isReturnAddress` is true for every stack frame except the interrupted leaf: a
    /// return address points just past the call instruction, which may already belong to
    /// the next line or even the next function, so implementations look up `address - 1`.
    func symbolize(address: UInt64, isReturnAddress: Bool) -> [SymbolizedFrame]
}
