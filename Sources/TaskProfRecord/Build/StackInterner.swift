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
    /// Address stacks (`internLocated`): locations and stacks of location indices.
    private(set) var locations: [AddressStacks.Location] = []
    private(set) var locatedStacks: [[Int32]] = []
    private var locationIndex: [AddressStacks.Location: Int32] = [:]
    private var locatedIndex: [[Int32]: Int32] = [:]

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
        let groups = locate(addresses)
        return internStack(groups.flatMap(\.frames))
    }

    /// As `intern`, and also the address stack (`AddressStacks`): one location per address.
    mutating func internLocated(addresses: ArraySlice<UInt64>) -> (stack: Int32, located: Int32) {
        let groups = locate(addresses)
        let stack = internStack(groups.flatMap(\.frames))
        let located = groups.map { g -> Int32 in
            if let idx = locationIndex[g] { return idx }
            let idx = Int32(locations.count)
            locations.append(g)
            locationIndex[g] = idx
            return idx
        }
        if let idx = locatedIndex[located] { return (stack, idx) }
        let idx = Int32(locatedStacks.count)
        locatedStacks.append(located)
        locatedIndex[located] = idx
        return (stack, idx)
    }

    /// Each address with its frames, root first, less the agent's own code and glibc's thread
    /// entry glue.
    private mutating func locate(_ addresses: ArraySlice<UInt64>) -> [AddressStacks.Location] {
        var groups: [AddressStacks.Location] = []
        groups.reserveCapacity(addresses.count)
        for (i, tagged) in addresses.enumerated().reversed() {
            let isAsync = tagged & Self.asyncFrameBit != 0
            let address = tagged & ~Self.asyncFrameBit
            if !hidden.isEmpty && hidden.contains(where: { $0.contains(address) }) { continue }
            if isAsync {
                groups.append(AddressStacks.Location(address: address, frames: [expandAsync(address)]))
            } else {
                let isReturn = i > 0
                let frames = expand(address, isReturn: isReturn)
                if !frames.isEmpty { groups.append(AddressStacks.Location(address: isReturn ? address &- 1 : address, frames: frames)) }
            }
        }
        trimThreadEntry(&groups)
        return groups
    }

    private mutating func internStack(_ stack: [Int32]) -> Int32 {
        if let idx = stackIndex[stack] { return idx }
        let idx = Int32(stacks.count)
        stacks.append(stack)
        stackIndex[stack] = idx
        return idx
    }

    /// glibc's thread-entry glue has no frame pointers: the frame-pointer walk ends at
    /// `start_thread`/`__libc_start_call_main`, DWARF unwinding goes on to `clone3`/`_start`.
    /// Starting every stack at the former keeps one root per thread in flame graphs.
    private func trimThreadEntry(_ groups: inout [AddressStacks.Location]) {
        var seen = 0
        for (g, group) in groups.enumerated() {
            for (k, f) in group.frames.enumerated() {
                guard seen < 4 else { return }
                seen += 1
                let frame = frames[Int(f)]
                if frame.module.hasPrefix("libc.so") && (frame.function == "start_thread" || frame.function == "__libc_start_call_main") {
                    if k > 0 { groups[g].frames.removeFirst(k) }
                    if g > 0 { groups.removeFirst(g) }
                    return
                }
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
