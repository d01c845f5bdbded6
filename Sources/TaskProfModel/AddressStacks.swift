/// The CPU samples and blocking calls again, code address by code address. `Profile.stacks`
/// merge every address that symbolizes alike, which is what reports want; pprof wants one
/// location per address (its `-addresses`, `disasm` and `weblist` views read them), so the
/// export reads this instead when the profile has it.
///
/// A profile recorded before this existed, or one merged from several processes (whose address
/// spaces differ), has none: its pprof locations then carry no address.
public struct AddressStacks: Sendable, Equatable {
    /// One code address and the frames it symbolized to, outermost first (as in
    /// `Profile.stacks`): a physical frame then the frames inlined into it, or one logical frame.
    public struct Location: Sendable, Hashable {
        /// The address as the process mapped it. For a return address, the byte before it (in
        /// the call instruction, which is what was symbolized); a logical frame's is its resume
        /// function's entry.
        public var address: UInt64
        public var frames: [Int32]

        public init(address: UInt64, frames: [Int32]) {
            self.address = address
            self.frames = frames
        }
    }

    /// CPU samples with one task, thread and address stack.
    public struct Sample: Sendable, Equatable {
        public var taskID: UInt64
        public var thread: Int32
        public var stack: Int32
        public var count: UInt32

        public init(taskID: UInt64, thread: Int32, stack: Int32, count: UInt32) {
            self.taskID = taskID
            self.thread = thread
            self.stack = stack
            self.count = count
        }
    }

    /// Blocking calls of one site (an index into `BlockingSummary.sites`) with one address stack.
    public struct Blocking: Sendable, Equatable {
        public var site: Int32
        public var stack: Int32
        public var count: UInt32
        public var totalNs: UInt64

        public init(site: Int32, stack: Int32, count: UInt32, totalNs: UInt64) {
            self.site = site
            self.stack = stack
            self.count = count
            self.totalNs = totalNs
        }
    }

    public var locations: [Location]
    /// Location indices, root first.
    public var stacks: [[Int32]]
    public var samples: [Sample]
    public var blocking: [Blocking]

    public init(locations: [Location] = [], stacks: [[Int32]] = [], samples: [Sample] = [], blocking: [Blocking] = []) {
        self.locations = locations
        self.stacks = stacks
        self.samples = samples
        self.blocking = blocking
    }

    /// The frames of an address stack, outermost first: what `Profile.stacks` holds for it.
    public func frames(ofStack s: Int) -> [Int32] { stacks[s].flatMap { locations[Int($0)].frames } }
}
