import TaskProfModel
import TaskProfSymbolize

/// Symbolizes raw address stacks and interns the resulting frames and stacks, so each distinct
/// address is symbolized once and equal symbolized stacks share one index.
struct StackInterner {
    let symbolizer: any Symbolizer
    private(set) var frames: [SymbolizedFrame] = []
    private(set) var stacks: [[Int32]] = []
    private var frameIndex: [SymbolizedFrame: Int32] = [:]
    private var stackIndex: [[Int32]: Int32] = [:]
    private var leafCache: [UInt64: [Int32]] = [:]
    private var returnCache: [UInt64: [Int32]] = [:]
    private var asyncCache: [UInt64: Int32] = [:]

    /// Marks a logical frame in the agent's stacks (TP_ASYNC_FRAME_BIT in tp_raw_format.h).
    static let asyncFrameBit: UInt64 = 1 << 63

    /// Code of the agent itself (its job wrapper sits between Dispatch and the Swift runtime):
    /// not the target's, so it is left out of stacks.
    let hidden: [Range<UInt64>]

    init(symbolizer: any Symbolizer, hidden: [Range<UInt64>] = []) {
        self.symbolizer = symbolizer
        self.hidden = hidden
    }

    /// `addresses` leaf first, as the agent records them. Returns the stack index (root first).
    mutating func intern(addresses: ArraySlice<UInt64>) -> Int32 {
        var stack: [Int32] = []
        stack.reserveCapacity(addresses.count * 2)
        for (i, tagged) in addresses.enumerated().reversed() {
            let isAsync = tagged & Self.asyncFrameBit != 0
            let address = tagged & ~Self.asyncFrameBit
            if !hidden.isEmpty && hidden.contains(where: { $0.contains(address) }) { continue }
            if isAsync {
                stack.append(expandAsync(address))
            } else {
                stack.append(contentsOf: expand(address, isReturn: i > 0))
            }
        }
        trimThreadEntry(&stack)
        if let idx = stackIndex[stack] { return idx }
        let idx = Int32(stacks.count)
        stacks.append(stack)
        stackIndex[stack] = idx
        return idx
    }

    /// glibc's thread-entry glue has no frame pointers: the frame-pointer walk ends at
    /// `start_thread`/`__libc_start_call_main`, DWARF unwinding goes on to `clone3`/`_start`.
    /// Starting every stack at the former keeps one root per thread in flame graphs.
    private func trimThreadEntry(_ stack: inout [Int32]) {
        let limit = min(stack.count, 4)
        for i in 0..<limit {
            let f = frames[Int(stack[i])]
            if f.module.hasPrefix("libc.so") && (f.function == "start_thread" || f.function == "__libc_start_call_main") {
                if i > 0 { stack.removeFirst(i) }
                return
            }
        }
    }

    /// Frame indices for one address, outermost first (the symbolizer gives innermost first).
    private mutating func expand(_ address: UInt64, isReturn: Bool) -> [Int32] {
        if let hit = isReturn ? returnCache[address] : leafCache[address] { return hit }
        let result = symbolizer.symbolize(address: address, isReturnAddress: isReturn).reversed().map { internFrame($0) }
        if isReturn { returnCache[address] = result } else { leafCache[address] = result }
        return result
    }

    /// A logical frame is a resume function's entry, not a return address: its own first byte
    /// names it. Only the function itself is kept (whatever was inlined at its entry is not
    /// being awaited), marked async so physical views can leave it out.
    private mutating func expandAsync(_ address: UInt64) -> Int32 {
        if let hit = asyncCache[address] { return hit }
        var frame =
            symbolizer.symbolize(address: address, isReturnAddress: false).last
            ?? SymbolizedFrame(function: "0x" + String(address, radix: 16), shortName: "0x" + String(address, radix: 16), module: "")
        frame.inlined = false
        frame.isAsync = true
        let idx = internFrame(frame)
        asyncCache[address] = idx
        return idx
    }

    private mutating func internFrame(_ f: SymbolizedFrame) -> Int32 {
        if let idx = frameIndex[f] { return idx }
        let idx = Int32(frames.count)
        frames.append(f)
        frameIndex[f] = idx
        return idx
    }
}
