// Hidden serial CPU work. Forty "responses" arrive on an AsyncStream (one per millisecond) and a
// single task, "decoder", decodes them in a `for await` loop: every `decodeResponse(_:)` (~12 ms
// of CPU) runs one after another inside that one task, so one core works while the other idles
// and the whole batch takes the sum of the decode times. Nothing looks wrong in the code — the
// loop is "async" — but the CPU work is serialized by it. With `fixed`, the loop hands each
// response to a task group ("decode-N" children) and the decodes run on both cores.
//
//   taskprof record -o h.taskprof --json h.json -- .build/release/HiddenCPU
//   taskprof record -o f.taskprof --json f.json -- .build/release/HiddenCPU fixed
//
// The report: serially, task "decoder" holds nearly all samples (all of `decodeResponse(_:)`);
// fixed, the `decodeResponse(_:)` samples are spread over the forty "decode-N" tasks (~11 each),
// two pool threads share them, and on an otherwise idle 2-core machine the run takes about half
// as long. Prints one line with the decode time.
import Foundation

let responseCount = 40
let responseBytes = 256 * 1024
let passes = 40   // ~12 ms of decoding per response

/// A fake response body: `key=value;` text with numbers. Built once; each response is a copy
/// with its own id in front, so producing responses costs next to nothing.
let template: [UInt8] = {
    let pattern = Array("id=0;price=12345;qty=678;tag=abcdef;\n".utf8)
    return (0..<responseBytes).map { pattern[$0 % pattern.count] }
}()

func makeResponse(_ n: Int) -> [UInt8] {
    var out = template
    let id = Array("id=\(n);".utf8)
    out.replaceSubrange(0..<id.count, with: id)
    return out
}

/// "Decodes" a response: parses every number and checksums the bytes, several passes.
@inline(never)
func decodeResponse(_ body: [UInt8]) -> Int {
    var result = 0
    for pass in 0..<passes {
        var value = 0, sum = 0, fields = 0
        var check: UInt64 = UInt64(pass) &+ 17
        for b in body {
            check = (check &+ UInt64(b)) &* 0x9E37_79B9_7F4A_7C15
            if b >= 48 && b <= 57 {
                value = value &* 10 &+ Int(b &- 48)
            } else {
                sum &+= value
                value = 0
                if b == 59 { fields &+= 1 }
            }
        }
        result = result &+ sum &+ fields &+ Int(truncatingIfNeeded: check >> 48)
    }
    return result
}

let fixed = CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "fixed"

let (responses, continuation) = AsyncStream.makeStream(of: [UInt8].self)
let network = Task.detached(name: "network") {
    for n in 0..<responseCount {
        continuation.yield(makeResponse(n))
        try? await Task.sleep(for: .milliseconds(1))
    }
    continuation.finish()
}

let clock = ContinuousClock()
let start = clock.now
let total: Int
if fixed {
    total = await withTaskGroup(of: Int.self) { group in
        var n = 0
        for await body in responses {
            group.addTask(name: "decode-\(n)") { decodeResponse(body) }
            n += 1
        }
        var sum = 0
        for await v in group { sum &+= v }
        return sum
    }
} else {
    total = await Task.detached(name: "decoder") {
        var sum = 0
        for await body in responses { sum &+= decodeResponse(body) }
        return sum
    }.value
}
await network.value
let elapsed = clock.now - start
let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
print("HiddenCPU \(fixed ? "fixed" : "serial"): \(responseCount) responses decoded (\(total & 0xffff)) in \(Int(ms)) ms")
