// One benchmark, two builds, for `taskprof diff`. Build it plainly and with `-D SLOW`:
// in the SLOW build `parseRecords(_:)` parses every batch twice, while `hashRecords(_:)` is
// the same in both builds.
//
//   swiftc -O -g Examples/DiffBench/main.swift -o fast/DiffBench
//   swiftc -O -g -D SLOW Examples/DiffBench/main.swift -o slow/DiffBench
//   taskprof record -o fast.taskprof -- fast/DiffBench
//   taskprof record -o slow.taskprof -- slow/DiffBench
//   taskprof diff fast.taskprof slow.taskprof
//
// Each function runs in its own named task ("parser", "hasher") at a fixed rate, one batch per
// 20 ms tick, like a service under a steady load: the run lasts about the same time in both
// builds, so `--normalize time` sees hashRecords(_:) unchanged and parseRecords(_:) doubled.
//
// Arguments: [ticks (default 100)] [records per batch (default 60000)].

let arguments = CommandLine.arguments
let ticks = arguments.count > 1 ? max(Int(arguments[1]) ?? 100, 1) : 100
let recordsPerBatch = arguments.count > 2 ? max(Int(arguments[2]) ?? 60000, 1) : 60000

/// Text records, one per line: `id=<n>,qty=<n>,price=<n>,tag=<letters>`.
func makeRecords(count: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count * 48)
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    for i in 0..<count {
        let line = "id=\(i),qty=\(next() % 1000),price=\(next() % 100_000),tag=" + String(repeating: "x", count: Int(next() % 8) + 1) + "\n"
        out.append(contentsOf: line.utf8)
    }
    return out
}

/// Sums every number in the batch, counts fields and lines and checksums the bytes. The SLOW build does a second,
/// identical pass (a "validation" that re-parses everything).
@inline(never)
func parseRecords(_ data: UnsafeBufferPointer<UInt8>) -> Int {
    #if SLOW
    let passes = 2
    #else
    let passes = 1
    #endif
    var result = 0
    var pass = 0
    while pass < passes {
        var fields = 0, lines = 0, sum = 0, value = 0
        var check: UInt64 = 17
        var inNumber = false
        var i = 0
        let n = data.count
        while i < n {
            let b = data[i]
            check = (check &+ UInt64(b)) &* 0x9E37_79B9_7F4A_7C15
            if b >= 48 && b <= 57 {
                value = value &* 10 &+ Int(b &- 48)
                inNumber = true
            } else {
                if inNumber { sum = sum &+ value }
                value = 0
                inNumber = false
                if b == 44 { fields &+= 1 } else if b == 10 { lines &+= 1; fields &+= 1 }
            }
            i &+= 1
        }
        result = result &+ sum &+ fields &* 31 &+ lines &* 7 &+ Int(truncatingIfNeeded: check >> 40) &+ pass
        pass &+= 1
    }
    return result
}

/// FNV-1a over the batch. The same in both builds.
@inline(never)
func hashRecords(_ data: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    var i = 0
    let n = data.count
    while i < n {
        h = (h ^ UInt64(data[i])) &* 0x0000_0100_0000_01B3
        i &+= 1
    }
    return h
}

// The batch lives in a buffer for the whole run: reading it through a buffer pointer keeps the
// hot loops free of inlined array bounds checks, so each function's samples are its own.
let records = makeRecords(count: recordsPerBatch)
let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: records.count)
_ = storage.initialize(from: records)
let batch = UnsafeBufferPointer(storage)
let clock = ContinuousClock()
let period = Duration.milliseconds(20)
let start = clock.now

let parser = Task(name: "parser") { () async -> Int in
    var acc = 0
    var deadline = start
    for _ in 0..<ticks {
        acc = acc &+ parseRecords(batch)
        deadline = deadline.advanced(by: period)
        try? await Task.sleep(until: deadline, clock: clock)
    }
    return acc
}

let hasher = Task(name: "hasher") { () async -> UInt64 in
    var acc: UInt64 = 0
    var deadline = start
    for _ in 0..<ticks {
        acc = acc &+ hashRecords(batch)
        deadline = deadline.advanced(by: period)
        try? await Task.sleep(until: deadline, clock: clock)
    }
    return acc
}

let parsed = await parser.value
let hashed = await hasher.value
print("DiffBench: \(ticks) ticks, parsed \(parsed), hashed \(hashed)")
