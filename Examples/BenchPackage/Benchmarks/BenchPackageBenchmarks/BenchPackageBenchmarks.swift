import Benchmark

/// CPU work for the "tasks" benchmark: a multiply/rotate/xor mix (FNV-like checksum).
@inline(never)
func benchPackageChecksum(_ n: Int) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for i in 0..<n {
        h ^= UInt64(truncatingIfNeeded: i)
        h = h &* 0x0000_0100_0000_01B3
        h = (h << 29) | (h >> 35)
        h = h &+ UInt64(truncatingIfNeeded: i % 7)
    }
    return h
}

/// CPU work for the "sorting" benchmark: builds `count` pseudo-random values and sorts them.
@inline(never)
func benchPackageSortWork(count: Int, seed: UInt64) -> Int {
    var x = seed | 1
    var values = [UInt32]()
    values.reserveCapacity(count)
    for _ in 0..<count {
        x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        values.append(UInt32(truncatingIfNeeded: x >> 33))
    }
    values.sort()
    return Int(values[count / 2])
}

let benchmarks: @Sendable () -> Void = {
    // Each iteration: 4 child tasks x 5M rounds of benchPackageChecksum (~10-20 ms);
    // the default config (maxDuration 1 s) gives ~1 s of running per benchmark.
    Benchmark("tasks") { benchmark in
        for _ in benchmark.scaledIterations {
            let sum = await withTaskGroup(of: UInt64.self) { group in
                for child in 0..<4 {
                    group.addTask { benchPackageChecksum(5_000_000 + child) }
                }
                var acc: UInt64 = 0
                for await value in group { acc ^= value }
                return acc
            }
            blackHole(sum)
        }
    }

    Benchmark("sorting") { benchmark in
        for i in benchmark.scaledIterations {
            blackHole(benchPackageSortWork(count: 200_000, seed: UInt64(i) &+ 42))
        }
    }
}
