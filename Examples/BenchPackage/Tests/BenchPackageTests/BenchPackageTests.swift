import BenchPackageLib
import XCTest

/// ~1 s of CPU work in a debug build (x86_64): an xorshift/multiply loop, all in this function.
/// `while` loops, not `for … in`: in a debug build a range's iterator is a call of its own
/// (IndexingIterator.next()), which took a share of the samples close to this function's.
@inline(never)
func benchPackageTestWork() -> UInt64 {
    var acc: UInt64 = 0
    var round = 0
    while round < 20 {
        var x = benchPackageLibSeed(round) | 1
        var i = 0
        while i < 17_000_000 {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            acc = acc &+ (x &* 0x2545_F491_4F6C_DD1D) ^ UInt64(truncatingIfNeeded: i)
            i += 1
        }
        round += 1
    }
    return acc
}

final class BenchPackageTests: XCTestCase {
    func testWork() {
        XCTAssertNotEqual(benchPackageTestWork(), 0)
    }
}
