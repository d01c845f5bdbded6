import BenchPackageLib
import XCTest

/// ~1 s of CPU work in a debug build (x86_64): an xorshift/multiply loop, all in this function.
@inline(never)
func benchPackageTestWork() -> UInt64 {
    var acc: UInt64 = 0
    for round in 0..<20 {
        var x = benchPackageLibSeed(round) | 1
        for i in 0..<17_000_000 {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            acc = acc &+ (x &* 0x2545_F491_4F6C_DD1D) ^ UInt64(truncatingIfNeeded: i)
        }
    }
    return acc
}

final class BenchPackageTests: XCTestCase {
    func testWork() {
        XCTAssertNotEqual(benchPackageTestWork(), 0)
    }
}
